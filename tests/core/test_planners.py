"""The adaptive plan on problems whose verdict depends only on the learning rate."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lrscout import AdaptivePlanner, CallableProblem, Candidate, FixedGrid, Trace, Verdict, VerdictKind, sweep


def regime_problem(good_from, bad_from):
    """Too slow below ``good_from``, good up to ``bad_from``, diverging above."""
    t = np.arange(60)

    def train(lr, steps):
        if lr >= bad_from:   # diverging, the faster the larger the rate (inf once it overflows)
            with np.errstate(over="ignore"):
                return (1.0 + lr / bad_from) ** np.arange(steps)
        rate = min(lr / good_from, 1.0) * 0.1
        return np.exp(-rate * t[:steps])

    return CallableProblem(train)


def test_adaptive_plan_climbs_by_x10_then_splits_the_edge_gap_into_steps_under_x3():
    result = sweep(regime_problem(good_from=1e-3, bad_from=0.05), steps=60)
    assert result.rounds[0] == (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
    assert (0.022, 0.046) in result.rounds  # one round between 0.01 (good) and 0.1 (bad)
    assert result.chosen_lr == 0.046


def test_adaptive_plan_goes_up_while_the_top_is_still_good():
    result = sweep(regime_problem(good_from=1e-2, bad_from=50), steps=60)
    assert max(result.lrs) >= 100
    assert result.chosen_lr == 46.0          # 10 .. 100 split at 22 and 46; the edge is 50


def test_adaptive_plan_goes_down_when_even_the_start_is_too_high():
    result = sweep(regime_problem(good_from=1e-7, bad_from=5e-5), steps=60)
    assert min(result.lrs) <= 1e-5
    assert result.chosen_lr is not None and result.chosen_lr < 5e-5


def test_adaptive_plan_respects_its_candidate_budget():
    planner = AdaptivePlanner(max_candidates=6)
    result = sweep(regime_problem(good_from=1e-3, bad_from=1e6), planner=planner, steps=60)
    assert len(result.candidates) <= 6


def test_fixed_grid_runs_once_exactly_as_given():
    planner = FixedGrid([1e-2, 1e-3])
    assert planner.ask() == (1e-3, 1e-2)
    assert planner.ask() == ()


@settings(max_examples=40, deadline=None)
@given(st.floats(-6, 1), st.floats(0.3, 3))
def test_refinement_leaves_no_gap_wider_than_refine_at_the_edge(log_good, decades):
    good_from, bad_from = 10.0 ** log_good, 10.0 ** (log_good + decades)
    result = sweep(regime_problem(good_from=good_from / 100, bad_from=bad_from), steps=60)
    tried = sorted(result.lrs)
    chosen = result.chosen_lr
    above = [lr for lr in tried if lr > chosen]
    assert not above or above[0] / chosen <= 3.0 * 1.05   # 2-digit rounding of the split points


def test_the_plan_does_not_go_down_past_rates_that_do_not_move_the_model():
    # the same batch losses, whatever the rate: an unshuffled loader whose batches alternate
    # easy and hard reads as a saw-tooth, but a smaller rate would only trace it again
    batches = np.tile([1.0, 3.0, 1.2, 2.8], 15)

    def train(lr, steps):
        return batches[:steps] * np.exp(-min(lr, 0.5) * np.arange(steps) / 10) if lr >= 0.1 else batches[:steps]

    result = sweep(CallableProblem(train), steps=60)
    assert result.candidate(1e-4).kind is VerdictKind.OSCILLATING
    assert min(result.lrs) == 1e-4


def _told(planner, verdicts):
    """Tell ``planner`` candidates with the given verdicts (lr -> kind), as a sweep would."""
    planner.tell([Candidate(Trace(lr, np.ones(3)), Verdict(kind, kind.value)) for lr, kind in verdicts.items()])
    return planner.ask()


def test_the_refinement_ends_at_the_first_rate_above_that_is_not_good():
    K = VerdictKind
    planner = AdaptivePlanner()
    seen = dict.fromkeys(planner.ask(), K.TOO_SLOW) | {0.1: K.GOOD, 1.0: K.GOOD}
    assert _told(planner, seen) == (10.0, 100.0)
    seen |= {10.0: K.GOOD, 100.0: K.DIVERGED}
    assert _told(planner, seen) == (1000.0,)
    seen |= {1000.0: K.DIVERGED}
    assert _told(planner, seen) == (22.0, 46.0)
    # 46 read as slow (e.g. too noisy to show its fall): 22 .. 46 is under x3, nothing to split;
    # splitting 22 .. 100 instead would ask for 47, next to the 46 already run
    assert _told(planner, seen | {22.0: K.GOOD, 46.0: K.TOO_SLOW}) == ()


def test_the_plan_stops_when_training_fails_at_every_rate():
    def train(lr, steps):
        raise RuntimeError("the data loader is broken")

    result = sweep(CallableProblem(train), steps=20)
    assert result.rounds == ((1e-4, 1e-3, 1e-2, 1e-1, 1.0),)
    assert all(c.kind is VerdictKind.FAILED for c in result.candidates)


def test_the_first_batch_respects_the_candidate_budget_and_the_start_respects_min_lr():
    assert len(AdaptivePlanner(max_candidates=3).ask()) == 3
    import pytest
    from lrscout.errors import InvalidConfigError
    with pytest.raises(InvalidConfigError, match="min_lr"):
        AdaptivePlanner(start=1e-9)


def test_rounded_refinement_points_are_never_asked_twice():
    K = VerdictKind
    planner = AdaptivePlanner(0.64, factor=2, refine=1.0625, decades=2)
    first = planner.ask()
    asked = _told(planner, {first[0]: K.GOOD, first[1]: K.DIVERGED})
    while asked:
        assert len(asked) == len(set(asked))
        asked = _told(planner, {**{lr: K.GOOD for lr in asked}, first[0]: K.GOOD, first[1]: K.DIVERGED})


def window_problem(good_from, bad_from):
    """Flat below ``good_from``, falling steadily up to ``bad_from``, diverging from there on."""
    t = np.arange(60)

    def train(lr, steps):
        if lr >= bad_from:     # faster the larger the rate, so no two rates trace the same curve
            return np.exp(t[:steps] * 0.2 * (1 + np.log(lr / bad_from)))
        if lr >= good_from:
            return np.exp(-t[:steps] / 20)
        return 1.0 - 1e-4 * t[:steps]

    return CallableProblem(train)


def test_with_nothing_good_the_plan_splits_the_gap_between_too_slow_and_too_high_itself():
    result = sweep(window_problem(3e-7, 4e-7), planner=AdaptivePlanner(min_lr=1e-15, max_candidates=24), steps=60)
    assert (2.2e-7, 4.6e-7) in result.rounds      # the x10 gap above 1e-7, as before
    assert (3.2e-7,) in result.rounds             # then the x2.1 gap, in two
    assert result.chosen_lr == 3.2e-7


def test_the_gap_search_stops_at_the_finest_gap_and_the_advice_says_so():
    result = sweep(window_problem(3e-7, 3e-7), planner=AdaptivePlanner(min_lr=1e-15, max_candidates=24), steps=60)
    assert result.chosen_lr is None
    slow = max(c.lr for c in result.candidates if c.kind is VerdictKind.TOO_SLOW)
    high = min(c.lr for c in result.candidates if c.kind.is_too_high)
    assert slow < 3e-7 <= high and high / slow <= 1.25
    assert any("only x1.2 apart" in a for a in result.decision.advice)


@settings(max_examples=40, deadline=None)
@given(st.floats(-12, 2), st.floats(np.log10(1.5), 1.0))
def test_a_good_window_at_least_x1_5_wide_is_found_wherever_it_lies(log_good, width):
    good_from = 10.0 ** log_good
    bad_from = good_from * 10.0 ** width
    result = sweep(window_problem(good_from, bad_from), planner=AdaptivePlanner(min_lr=1e-15, max_candidates=24),
                   steps=60)
    assert result.chosen_lr is not None and good_from <= result.chosen_lr < bad_from


def test_for_a_convex_built_in_model_the_plan_descends_below_1e_8_until_a_rate_is_stable():
    from lrscout import LinearRegression, NumpyProblem

    rng = np.random.default_rng(0)
    X = rng.uniform(1e5, 2e5, size=(200, 2))      # curvature about 1e10: stable only below 2e-10
    y = X @ np.array([1e-5, 2e-5]) + rng.normal(0, 0.1, 200)
    problem = NumpyProblem(LinearRegression(), X, y)
    assert problem.loss_is_convex()
    result = sweep(problem, steps=60)
    assert min(result.lrs) < 1e-8
    assert result.chosen_lr is not None and result.chosen_lr < 2e-10


def test_other_problems_keep_the_floor_of_1e_8():
    result = sweep(window_problem(1e-12, 1e-11), steps=60)
    assert min(result.lrs) == 1e-8 and result.chosen_lr is None
