"""The adaptive plan on problems whose verdict depends only on the learning rate."""

import numpy as np

from lrscout import AdaptivePlanner, CallableProblem, FixedGrid, sweep


def regime_problem(good_from, bad_from):
    """Too slow below ``good_from``, good up to ``bad_from``, diverging above."""
    t = np.arange(60)

    def train(lr, steps):
        if lr >= bad_from:
            return 1.0 * 2.0 ** np.arange(steps)
        rate = min(lr / good_from, 1.0) * 0.1
        return np.exp(-rate * t[:steps])

    return CallableProblem(train)


def test_adaptive_plan_climbs_by_x10_then_refines_by_x3():
    result = sweep(regime_problem(good_from=1e-3, bad_from=0.05), steps=60)
    assert result.rounds[0] == (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
    assert 3e-2 in result.lrs               # x3 refinement between 0.01 (good) and 0.1 (bad)
    assert result.chosen_lr == 3e-2


def test_adaptive_plan_goes_up_while_the_top_is_still_good():
    result = sweep(regime_problem(good_from=1e-2, bad_from=50), steps=60)
    assert max(result.lrs) >= 100
    assert result.chosen_lr == 30.0


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
