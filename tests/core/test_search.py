"""The budgeted search: what it costs, what run its choice is for, and how it says so.

Costs are counted in training steps (``result.search_steps``), which do not depend on the
machine, so the budgets are asserted exactly. The curves are small constructed ones and small
real trainings of the built-in models.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrscout
from lrscout.errors import InvalidConfigError
from lrscout.core.search import MIN_BUDGET, SearchBudget, search_budget, share_for_a_read_run


def regression(seed: int = 0, n: int = 400, scales=(1.0, 2.0, 3.0, 4.0)) -> lrscout.NumpyProblem:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, len(scales))) * np.array(scales)
    y = X @ rng.standard_normal(len(scales)) + 0.3 * rng.standard_normal(n)
    cut = int(0.8 * n)
    return lrscout.NumpyProblem(lrscout.LinearRegression(), X[:cut], y[:cut], X_val=X[cut:], y_val=y[cut:],
                                batch_size=32, seed=seed)


class Curves:
    """A problem whose curves are written down: ``curve(lr, steps)`` per rate, continued by prefix
    (``cohort``), and a validation loss read at the end of the window (``val(lr, steps)``)."""

    def __init__(self, curve, val=None) -> None:
        self.curve, self.val = curve, val
        self.trained: dict[float, int] = {}

    def describe(self):
        return {"problem": "curves"}

    def _trace(self, lr, steps, pruner):
        losses = np.asarray(self.curve(lr, steps), dtype=np.float64)
        used = losses.size
        if pruner is not None:
            stop = pruner.should_stop(np.full(used, losses[0]), losses)
            if stop.any():
                used = int(np.argmax(stop)) + 1
        pruned = used < steps
        val = None if self.val is None or pruned else self.val(lr, steps)
        return lrscout.Trace(lr, losses[:used], val_loss=val, pruned=pruned)

    def train(self, lrs, steps, *, pruner=None):
        return [self._trace(lr, steps, pruner) for lr in lrs]

    def cohort(self):
        problem = self

        class Cohort:
            def train_to(self, lrs, steps, *, pruner=None):
                return [problem._trace(lr, steps, pruner) for lr in lrs]

        return Cohort()


def edge_that_moves(lr, steps):
    """Good up to 0.3 for 50 steps, but a rate above 0.05 turns back up after step 50."""
    t = np.arange(steps, dtype=np.float64)
    if lr > 0.3:
        return 1.1 ** t
    speed = min(lr / 0.1, 1.0) * 0.05
    losses = np.exp(-speed * t)
    if lr > 0.05:   # a slow instability: from step 50 on, the larger the rate the faster it grows
        losses = losses * np.exp(np.clip(t - 50, 0, None) * (lr - 0.05) * 2.0)
    return losses


# -- the budget ------------------------------------------------------------------------------------

def test_the_default_call_spends_at_most_three_windows_of_steps():
    result = lrscout.sweep(regression())
    assert result.search_steps <= 300
    assert result.cost["candidates"] == result.search_steps
    assert result.config["search_budget"] == 300 and result.config["horizon"] == 100


def test_a_window_too_short_for_the_first_round_still_gets_the_first_round():
    result = lrscout.sweep(regression(), steps=10)
    assert result.config["search_budget"] == MIN_BUDGET == 50 and result.search_steps <= 50


def test_a_longer_window_buys_a_proportionally_larger_budget():
    result = lrscout.sweep(regression(), steps=60)
    assert result.search_steps <= 180 and result.config["search_budget"] == 180


def test_with_train_steps_the_search_spends_at_most_thirty_percent_of_the_run():
    result = lrscout.sweep(regression(), train_steps=600)
    assert result.search_steps <= 180
    assert result.train_steps == 600 and result.config["budget_share"] == 0.3


def test_budget_share_changes_the_share_of_the_run_the_search_may_spend():
    result = lrscout.sweep(regression(), train_steps=600, budget_share=0.5)
    assert result.config["search_budget"] == 300 and result.search_steps <= 300


def test_a_long_run_earns_a_longer_look_than_the_default_call():
    short = lrscout.sweep(regression(), train_steps=400)
    long = lrscout.sweep(regression(), train_steps=4000)
    assert long.config["search_budget"] == 1200 > 300
    longest = max(c.steps_used for c in long.candidates)
    assert longest > max(c.steps_used for c in short.candidates) and longest > 100


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 100_000), st.one_of(st.none(), st.floats(0.01, 1.0)))
def test_the_budget_is_never_more_than_the_run_and_its_share(train_steps, share):
    try:
        budget = search_budget(None, train_steps, share)
    except InvalidConfigError as exc:
        assert "budget_share" in str(exc) and str(train_steps) in str(exc)
        return
    # the share of a whole count of steps: 50/97 x 97 computes as 49.999..., and is 50
    assert MIN_BUDGET <= budget.steps <= train_steps * (0.3 if share is None else share) + 1e-9
    assert budget.steps <= train_steps
    assert budget.horizon <= train_steps and budget.bracket_window <= budget.horizon


def test_a_run_too_short_to_search_at_its_share_is_refused_with_what_to_change():
    with pytest.raises(InvalidConfigError, match=r"train_steps=100 at budget_share=0.3 leaves the search 30 steps"):
        lrscout.sweep(regression(), train_steps=100)
    result = lrscout.sweep(regression(), train_steps=100, budget_share=1.0)   # the run itself: allowed
    assert result.search_steps <= 100


def test_a_run_read_from_a_trainer_too_short_for_the_default_share_gets_the_smallest_search():
    for run in range(MIN_BUDGET, 200):          # every length, 97 and 161 included (float rounding)
        share = share_for_a_read_run(run, None)
        budget = search_budget(None, run, share)
        assert budget.steps == (MIN_BUDGET if share is not None else int(0.3 * run + 1e-9))
        assert MIN_BUDGET <= budget.steps <= run
    assert share_for_a_read_run(100, 0.4) is None       # the caller's share stands, and is refused as given
    assert share_for_a_read_run(40, None) is None       # shorter than the smallest search: refused


def test_budget_share_without_the_runs_length_is_refused():
    with pytest.raises(InvalidConfigError, match="budget_share=0.5 is a share of the run: pass train_steps"):
        lrscout.sweep(regression(), budget_share=0.5)


def test_budget_share_with_an_explicit_grid_is_refused():
    with pytest.raises(InvalidConfigError, match="budget_share"):
        lrscout.sweep(regression(), [1e-3, 1e-2], train_steps=500, budget_share=0.5)


def test_a_grid_window_longer_than_the_run_is_refused():
    with pytest.raises(InvalidConfigError, match=r"steps=200 is longer than the run \(train_steps=100\)"):
        lrscout.sweep(regression(), [1e-3, 1e-2], steps=200, train_steps=100)


def test_an_explicit_grid_costs_each_rate_its_window():
    result = lrscout.sweep(regression(), [1e-3, 1e-2, 0.1], steps=40)
    assert result.search_steps == sum(c.steps_used for c in result.candidates) == 120


# -- what the result says ----------------------------------------------------------------------------

def test_the_summary_says_the_choice_is_for_runs_about_as_long_as_its_window():
    text = lrscout.sweep(regression()).summary()
    assert "read over 100-step windows: good for runs of about that length; pass train_steps" in text
    assert "the search trained" in text


def test_the_summary_says_which_run_the_choice_was_made_for():
    result = lrscout.sweep(regression(), train_steps=5000)
    assert "chosen for a 5000-step run (read over windows of up to " in result.summary()
    assert f"the search trained {result.search_steps} steps, 30% of the run" in result.summary()


def test_train_steps_and_the_cost_survive_the_json_round_trip(tmp_path):
    result = lrscout.sweep(regression(), train_steps=800)
    loaded = lrscout.SweepResult.load(result.save(tmp_path / "r.json"))
    assert loaded == result
    assert loaded.train_steps == 800 and loaded.search_steps == result.search_steps
    assert json.loads((tmp_path / "r.json").read_text())["cost"] == result.cost


def test_a_result_saved_before_costs_were_recorded_counts_its_candidates_steps():
    data = lrscout.sweep(regression(), [1e-3, 1e-2], steps=30).to_dict()
    del data["cost"]
    old = lrscout.SweepResult.from_dict(data)
    assert old.search_steps == 60 and old.train_steps is None


# -- how the search spends it ----------------------------------------------------------------------

def test_a_flat_rate_stops_early_when_a_larger_one_is_clearly_ahead():
    result = lrscout.sweep(regression(scales=(1.0, 1.0, 1.0, 1.0)))
    flat = [c for c in result.candidates if c.verdict.reason.startswith("stopped after")]
    assert flat, "the smallest rates barely move next to 0.1"
    assert all(c.kind is lrscout.VerdictKind.TOO_SLOW and c.steps_used < 20 for c in flat)
    window = result.config["search"]["bracket_window"]
    assert all(c.steps_used >= window for c in result.candidates if not c.trace.pruned and c not in flat)


def test_a_rate_stopped_next_to_one_that_then_blew_up_goes_on():
    def curve(lr, steps):     # 1.0 falls fastest at first, then explodes; 0.1 falls steadily
        t = np.arange(steps, dtype=np.float64)
        if lr >= 1.0:
            return np.where(t < 8, np.exp(-0.2 * t), np.exp(-1.6 + 0.8 * (t - 8)))
        return np.exp(-min(lr, 0.1) * 0.2 * t)

    result = lrscout.sweep(Curves(curve), steps=60)
    assert result.candidate(0.1).steps_used >= result.config["search"]["bracket_window"]
    assert not result.candidate(0.1).verdict.reason.startswith("stopped after")
    assert result.chosen_lr is not None and result.chosen_lr < 1.0


def test_a_rate_good_on_the_short_windows_but_not_the_long_one_loses_to_the_one_below():
    result = lrscout.sweep(Curves(edge_that_moves), steps=120)
    bracket = result.config["search"]["bracket_window"]
    finalists = result.config["search"]["finalists"]
    assert bracket <= 50 < result.config["search"]["finalist_window"]
    assert max(finalists) > 0.05                          # good on the bracket's short windows ...
    assert result.candidate(max(finalists)).kind is not lrscout.VerdictKind.GOOD   # ... not over the long one
    assert result.chosen_lr is not None and result.chosen_lr <= 0.05
    assert any("every finalist turned bad" in r and "the edge of stability moves down" in r
               for r in result.decision.reasons)


def test_finalists_continue_from_their_own_state_and_pay_only_their_new_steps():
    problem = Curves(edge_that_moves)
    result = lrscout.sweep(problem, steps=120)
    windows = result.config["round_windows"]
    finalists = result.config["search"]["finalists"]
    # every step a candidate holds was paid once: a continued finalist is not charged twice
    assert result.search_steps == sum(c.steps_used for c in result.candidates)
    assert windows[-1] == result.config["search"]["finalist_window"] and len(finalists) == 2


def test_a_problem_that_cannot_continue_trains_its_finalists_again_from_the_start_within_the_budget():
    class Restarting:          # the same curves, without a cohort
        def __init__(self) -> None:
            self.inner = Curves(edge_that_moves)

        def describe(self):
            return self.inner.describe()

        def train(self, lrs, steps, *, pruner=None):
            return self.inner.train(lrs, steps, pruner=pruner)

    result = lrscout.sweep(Restarting(), steps=120)
    finalists = result.config["search"]["finalists"]
    bracket = result.config["search"]["bracket_window"]
    assert result.search_steps <= 3 * 120 and "restarts" not in result.cost
    # every finalist paid its whole window again: the bracket's steps and the final window's
    in_bracket = {lr for r in result.rounds[:-1] for lr in r}
    bracket_steps = sum(min(bracket, c.steps_used) for c in result.candidates
                        if c.lr in finalists and c.lr in in_bracket)
    assert result.search_steps == sum(c.steps_used for c in result.candidates) + bracket_steps


def test_on_a_process_pool_the_search_decides_as_inline_and_counts_the_steps_trained_again():
    problem = regression(seed=2)
    inline = lrscout.sweep(problem, steps=40)
    pooled = lrscout.sweep(problem, steps=40, executor="processes", workers=2)
    assert pooled.chosen_lr == inline.chosen_lr and pooled.rounds == inline.rounds
    assert pooled.cost["candidates"] == inline.cost["candidates"]
    assert pooled.cost.get("restarts", 0) > 0 and "restarts" not in inline.cost


# -- continuing a candidate ------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 79), min_size=1, max_size=3, unique=True), st.floats(0.0, 0.9))
def test_a_numpy_candidate_trained_in_pieces_follows_the_same_curve_as_in_one_go(cuts, momentum):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((120, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(120)
    problem = lrscout.NumpyProblem(lrscout.LinearRegression(), X[:100], y[:100], X_val=X[100:], y_val=y[100:],
                                   batch_size=16, momentum=momentum)
    whole = problem.train([0.01, 0.1], 80)
    cohort = problem.cohort()
    for cut in sorted(cuts):
        cohort.train_to([0.01, 0.1], cut)
    pieces = cohort.train_to([0.01, 0.1], 80)
    for a, b in zip(whole, pieces):
        np.testing.assert_allclose(a.train_loss, b.train_loss, rtol=1e-6)
        np.testing.assert_allclose(a.update_cosine, b.update_cosine, rtol=1e-6, atol=1e-12)
        assert a.val_loss == pytest.approx(b.val_loss, rel=1e-9)


def test_a_pruned_candidate_is_not_trained_further():
    problem = regression()
    cohort = problem.cohort()
    pruner = lrscout.DivergencePruner()
    first = cohort.train_to([100.0], 20, pruner=pruner)[0]
    again = cohort.train_to([100.0], 60, pruner=pruner)[0]
    assert first.pruned and again.steps_used == first.steps_used


def test_the_budget_describes_itself_for_the_results():
    assert SearchBudget(300, 100).describe() == {"search_budget": 300, "horizon": 100, "train_steps": None,
                                                  "budget_share": None}


def separable(seed: int) -> lrscout.NumpyProblem:
    """A few rows, many features, noisy labels: the training loss goes on falling while the
    validation loss turns back up, as on a small table."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((48, 24))
    y = (X @ rng.standard_normal(24) + 2 * rng.standard_normal(48) > 0).astype(float)
    return lrscout.NumpyProblem(lrscout.LogisticRegression(), X[:36], y[:36], X_val=X[36:], y_val=y[36:])


@pytest.mark.parametrize("train_steps", [None, 500])
def test_a_convex_models_choice_is_checked_along_its_training_path_at_no_cost_and_says_so_in_numbers(train_steps):
    problem = separable(0)
    result = lrscout.sweep(problem, train_steps=train_steps)
    check = result.config["search"]["run_length_check"]
    assert check["run_steps"] == (500 if train_steps else 100)
    assert check["lr"] == result.chosen_lr <= check["lr_before"]
    assert check["best"]["val_loss"] <= check["rose"]["val_loss"]
    said = [r for r in result.decision.reasons if r.startswith("validation along the training path")]
    assert len(said) == 1 and f"{check['run_steps']}-step run" in said[0]
    if check["moved"]:
        assert f"chose {result.chosen_lr:.3g}" in said[0]
        # the new rate's run ends no later than the reading kept (the rate is rounded to two digits)
        assert result.chosen_lr * check["run_steps"] <= 1.06 * check["kept"]["time"]
    # the check reads what the search trained: the budget holds as before
    assert result.search_steps <= (150 if train_steps else 300)


def test_on_a_small_noisy_table_a_long_run_gets_a_smaller_rate_than_a_short_window_validates_best():
    # 36 rows and 24 features: every rate that learns ends up fitting the noise; over 500 steps
    # the largest good rate overshoots the validation optimum by far (its validation loss rose)
    moved = [lrscout.sweep(separable(seed), train_steps=500).config["search"]["run_length_check"]["moved"]
             for seed in (0, 3)]
    assert any(moved)


def test_a_problem_not_declared_convex_is_not_checked_along_a_path():
    def train(lr, steps):
        w, out = 1.0, []
        for _ in range(steps):
            out.append(w * w)
            w -= lr * 2 * w
        return out

    result = lrscout.sweep(lrscout.CallableProblem(train), steps=50)
    assert "run_length_check" not in result.config["search"]
    assert not any(r.startswith("validation along the training path") for r in result.decision.reasons)


# -- the range-test bracket (BudgetedSearch(range_bracket=True)) ---------------------------------------

RANGED = lrscout.BudgetedSearch(range_bracket=True)


class RangedCurves(Curves):
    """``Curves`` that also run a range test: ``ramp(lrs)`` gives the loss at each rate of the ramp."""

    def __init__(self, curve, ramp, val=None) -> None:
        super().__init__(curve, val)
        self.ramp = ramp
        self.range_calls: list[int] = []

    def range_curve(self, min_lr, max_lr, steps, stop_factor):
        self.range_calls.append(steps)
        lrs = min_lr * (max_lr / min_lr) ** (np.arange(steps) / (steps - 1))
        losses = np.asarray(self.ramp(lrs), dtype=np.float64)
        over = np.flatnonzero(losses > stop_factor * np.minimum.accumulate(losses))
        used = int(over[0]) + 1 if over.size else steps
        return list(lrs[:used]), list(losses[:used])


def stable_below(edge):
    """Falls at a speed that grows with the rate up to ``edge``, blows up above it."""
    def curve(lr, steps):
        t = np.arange(steps, dtype=np.float64)
        return 1.1 ** t if lr > edge else 0.1 + np.exp(-min(lr / edge, 1.0) * 0.08 * t)
    return curve


def ramp_turning_at(edge):
    """A range test whose loss falls with the rate and turns up past ``edge``."""
    return lambda lrs: np.where(lrs < edge, 1.0 - 0.5 * np.log10(lrs / 1e-7) / np.log10(edge / 1e-7),
                                0.5 * (lrs / edge) ** 2)


def test_the_range_tests_steps_are_counted_in_the_search_and_its_budget():
    result = lrscout.sweep(regression(), planner=RANGED)
    ran = result.config["search"]["range_test"]
    assert result.cost["search_range_test"] == ran["steps"] > 0
    assert result.search_steps == result.cost["candidates"] + ran["steps"] <= 300
    assert result.chosen_lr is not None


def test_the_windows_sit_below_the_range_tests_edge_a_factor_apart():
    result = lrscout.sweep(regression(), planner=RANGED)
    ran = result.config["search"]["range_test"]
    rates = ran["rates"]
    assert list(result.rounds[0]) == rates or set(result.rounds[0]) == set(rates)
    assert len(rates) == 3 and max(rates) < ran["edge"]
    assert max(rates) == pytest.approx(ran["edge"] / 2, rel=0.05)
    assert np.allclose(np.diff(np.log(rates)), np.log(3.0), atol=0.05)


def test_fewer_longer_windows_than_the_bracket_on_the_same_budget():
    plain = lrscout.sweep(regression(), train_steps=600)
    ranged = lrscout.sweep(regression(), train_steps=600, planner=RANGED)
    assert ranged.config["search"]["bracket_window"] > plain.config["search"]["bracket_window"]
    assert len(ranged.candidates) < len(plain.candidates)
    assert ranged.search_steps <= 180


@settings(max_examples=12, deadline=None)
@given(st.integers(170, 4000), st.one_of(st.none(), st.floats(0.3, 1.0)))
def test_the_range_bracket_never_spends_more_than_its_budget(train_steps, share):
    problem = RangedCurves(stable_below(0.3), ramp_turning_at(0.5), val=lambda lr, steps: 1.0 / (1 + lr))
    result = lrscout.sweep(problem, train_steps=train_steps, budget_share=share, planner=RANGED)
    assert result.search_steps <= result.config["search_budget"]
    assert len(problem.range_calls) <= 1
    assert result.cost.get("search_range_test", 0) == result.config["search"].get("range_test", {}).get("steps", 0) \
        if isinstance(result.config["search"].get("range_test"), dict) else "search_range_test" not in result.cost


def test_on_a_constructed_edge_the_windows_are_placed_below_it_and_the_largest_good_is_chosen():
    problem = RangedCurves(stable_below(0.3), ramp_turning_at(0.5), val=lambda lr, steps: 1.0 / (1 + lr))
    result = lrscout.sweep(problem, planner=RANGED)
    ran = result.config["search"]["range_test"]
    # the smoothed minimum sits at or a little before the turn (the smoothing reaches back over the rise)
    assert 0.15 <= ran["edge"] <= 0.5
    assert max(ran["rates"]) < 0.3 and result.chosen_lr == max(ran["rates"])
    assert result.candidates[-1].kind is lrscout.VerdictKind.GOOD and result.candidates[-1].lr == result.chosen_lr


def test_when_every_window_blows_up_the_search_steps_below_them():
    # the range test's edge (1.0) is far above where the curves turn unstable (0.01)
    problem = RangedCurves(stable_below(0.01), ramp_turning_at(1.0), val=lambda lr, steps: 1.0 / (1 + lr))
    result = lrscout.sweep(problem, planner=RANGED)
    assert min(c.lr for c in result.candidates) < min(result.config["search"]["range_test"]["rates"])
    assert result.chosen_lr is not None and result.chosen_lr <= 0.01
    assert result.search_steps <= 300


def test_a_range_test_that_places_no_edge_leaves_the_search_to_the_bracket():
    problem = RangedCurves(stable_below(0.3), lambda lrs: 1.0 + lrs, val=lambda lr, steps: 1.0 / (1 + lr))
    result = lrscout.sweep(problem, planner=RANGED)
    ran = result.config["search"]["range_test"]
    assert ran["edge"] is None and "never fell" in ran["why"]
    assert result.cost["search_range_test"] == ran["steps"]
    assert list(result.rounds[0]) == [1e-4, 1e-3, 1e-2, 1e-1, 1.0]        # the bracket's first round
    assert result.search_steps <= 300 and result.chosen_lr is not None


def test_a_problem_that_cannot_run_a_range_test_gets_the_bracket():
    result = lrscout.sweep(Curves(stable_below(0.3), val=lambda lr, steps: 1.0 / (1 + lr)), planner=RANGED)
    assert "search_range_test" not in result.cost and "range_test" not in result.config["search"]


def test_a_budget_too_small_for_its_windows_runs_no_range_test():
    problem = RangedCurves(stable_below(0.3), ramp_turning_at(0.5), val=lambda lr, steps: 1.0 / (1 + lr))
    result = lrscout.sweep(problem, steps=10, planner=RANGED)
    assert problem.range_calls == [] and "under 10" in result.config["search"]["range_test"]
    assert result.search_steps <= 50


@pytest.mark.parametrize("option, value", [("range_rates", 0), ("range_rates", 2.5), ("range_ratio", 1.0),
                                           ("range_top", 0.5), ("range_top", float("nan")), ("range_top", True)])
def test_bad_range_bracket_options_are_refused_by_name(option, value):
    with pytest.raises(InvalidConfigError, match=option):
        lrscout.BudgetedSearch(range_bracket=True, **{option: value})


def test_the_range_bracket_is_named_in_the_results_planner():
    assert "range_bracket=True, range_rates=3" in repr(RANGED)
    assert "range_bracket" not in repr(lrscout.BudgetedSearch())
