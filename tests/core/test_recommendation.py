"""``recommend_schedule``: a schedule around the chosen rate, each number with its reason; the
warm-up measured from the next larger rate's curve and checked by training it again."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lrscout import CallableProblem, NumpyProblem, RangeTest, Trace, VerdictKind, log_grid, sweep
from lrscout.data import housing, prepare
from lrscout.errors import InvalidConfigError
from lrscout.core.recipes import ONE_CYCLE_DIV, build_schedule
from lrscout.core.recommendation import divergence_point, recommend_schedule
from lrscout.core.schedules import CosineDecay, Join, OneCycle, StepDecay, constant
from lrscout.workflows.tabular import problem_for


def housing_problem(scale: str) -> NumpyProblem:
    return problem_for(prepare(housing(), "price", scale=scale), batch_size=32)


@pytest.fixture(scope="module")
def standardized():
    """Chosen 0.3; the next rate, 1, zigzags while the error is large and settles later."""
    problem = housing_problem("standard")
    return problem, sweep(problem, log_grid(1e-3, 3, 3), 200)


def test_peak_is_the_chosen_rate_and_the_warm_up_is_measured_from_the_next_rates_early_instability(standardized):
    problem, result = standardized
    rec = recommend_schedule(result, 2000)
    assert rec.peak_lr == result.chosen_lr == 0.3
    nxt = result.candidate(1.0)
    assert nxt.kind.is_too_high
    assert 0 < rec.warmup_steps <= 100 and rec.numbers["measured_warmup"] == rec.warmup_steps
    assert isinstance(rec.schedule, Join) and rec.schedule(rec.warmup_steps) == pytest.approx(0.3)
    assert rec.values()[0] == 0.0 and rec.values()[-1] < 1e-3
    assert any(f"from step {rec.warmup_steps} on" in r for r in rec.reasons)


def test_the_check_trains_the_next_rate_again_with_the_warm_up_and_says_whether_it_became_stable(standardized):
    problem, result = standardized
    rec = recommend_schedule(result, 2000, problem=problem)
    assert rec.check is not None and rec.check.lr == 1.0 and rec.check.warmup_steps == rec.warmup_steps
    assert rec.check.stable and rec.numbers["check_stable"] == 1.0
    assert rec.check.reason in rec.reasons and "warm-up made it stable" in rec.check.reason


class ZigzagThatWarmUpDoesNotCure:
    """Constructed curves: 0.01 falls fastest; 0.1 falls more slowly while its updates zigzag
    for the first 110 steps, then settle -- and a warm-up changes none of that."""

    def describe(self):
        return {"problem": "constructed"}

    def train(self, lrs, steps, *, pruner=None):
        t = np.arange(steps)
        settles = np.where(t[:-1] < 110, -0.9, 0.5)
        return [Trace(lr, np.exp(-t / 100), update_cosine=settles) if lr > 0.05
                else Trace(lr, np.exp(-t * lr / 0.2), update_cosine=np.full(steps - 1, 0.5)) for lr in lrs]

    def train_with_schedule(self, lrs, steps, schedule, *, pruner=None):
        return self.train(lrs, steps, pruner=pruner)


def test_the_check_says_so_when_warm_up_does_not_help():
    problem = ZigzagThatWarmUpDoesNotCure()
    result = sweep(problem, (1e-3, 1e-2, 1e-1), 200)
    assert result.chosen_lr == 1e-2 and result.candidate(0.1).kind is VerdictKind.OSCILLATING
    rec = recommend_schedule(result, 1000, problem=problem)
    assert rec.check is not None and not rec.check.stable   # its zigzag settles, but not because of warm-up
    assert "did not make it stable" in rec.check.reason


def test_without_early_instability_the_warm_up_is_a_short_default_and_says_why():
    result = sweep(housing_problem("none"), (1e-3, 1e-2, 1e-1), 200)     # 0.1 explodes from the start
    rec = recommend_schedule(result, 1000, problem=housing_problem("none"))
    assert rec.peak_lr == 0.01 and rec.warmup_steps == 50 and rec.check is None
    assert any("not only early" in r for r in rec.reasons)


def test_a_compacted_result_is_not_read_again_for_a_warm_up_and_the_reasons_say_why():
    result = sweep(housing_problem("standard"), log_grid(1e-3, 3, 3), 200, max_points=50)  # as `standardized`
    rec = recommend_schedule(result, 2000)
    assert "measured_warmup" not in rec.numbers and rec.warmup_steps == 100  # the short default
    assert any("compacted (max_points)" in r for r in rec.reasons)


def test_a_problem_that_cannot_replay_a_schedule_skips_the_check_and_says_so(standardized):
    _, result = standardized
    rec = recommend_schedule(result, 2000, problem=CallableProblem(lambda lr, steps: [1.0] * steps))
    assert rec.check is None and any("check skipped" in r for r in rec.reasons)


def _range_test() -> RangeTest:
    """The loss falls to 0.5 at lr 1, then rises as lr**4: 4x its minimum at lr 2**0.5."""
    lrs = np.geomspace(1e-4, 10, 61)
    loss = np.where(lrs < 1, 1 / (1 + lrs), 0.5 * lrs**4)
    return RangeTest(lrs, loss, loss, {"steepest": 0.01})


def test_one_cycle_takes_its_bounds_from_the_range_test_divergence_point(standardized):
    _, result = standardized
    test = _range_test()
    divergence = divergence_point(test)
    assert 2**0.5 <= divergence < 2**0.5 * 10 ** (5 / 60)       # the first grid rate past 4x the minimum
    rec = recommend_schedule(replace(result, range_test=test), 1000, "one_cycle")
    assert isinstance(rec.schedule, OneCycle)
    assert rec.schedule.max_lr == pytest.approx(divergence / 3)
    assert rec.numbers["base_lr"] == pytest.approx(rec.schedule.max_lr / ONE_CYCLE_DIV)
    assert rec.schedule(0) == pytest.approx(rec.numbers["base_lr"])
    assert "range test" in rec.reasons[0]


def test_a_loss_that_goes_negative_still_diverges_where_it_becomes_nan():
    lrs = np.geomspace(1e-4, 1, 5)
    loss = np.array([1.0, -1.0, -2.0, np.nan, np.nan])    # a loss without a floor at 0 (e.g. a log-likelihood)
    assert divergence_point(RangeTest(lrs, loss, loss, {})) == lrs[3]


def test_one_cycle_without_a_range_test_peaks_at_the_chosen_rate_and_says_a_test_would_place_it(standardized):
    _, result = standardized
    rec = recommend_schedule(result, 1000, "one_cycle")
    assert rec.schedule.max_lr == result.chosen_lr
    assert "no range test" in rec.reasons[0]


@pytest.mark.parametrize("kind, cls", [("cosine", CosineDecay), ("step", StepDecay)])
def test_decaying_kinds_start_at_the_chosen_rate_and_end_low(standardized, kind, cls):
    _, result = standardized
    rec = recommend_schedule(result, 900, kind)
    assert isinstance(rec.schedule, cls) and rec.schedule(0) == result.chosen_lr
    assert rec.values()[-1] <= result.chosen_lr / 10


def test_constant_holds_the_chosen_rate(standardized):
    _, result = standardized
    assert recommend_schedule(result, 100, "constant").schedule == constant(0.3)


def test_a_sweep_that_chose_nothing_cannot_be_scheduled_and_says_what_to_do():
    result = sweep(housing_problem("standard"), (3.0, 30.0), 50)
    with pytest.raises(InvalidConfigError, match="chose no learning rate.*extend the grid downward"):
        recommend_schedule(result, 1000)


def test_bad_arguments_are_rejected_naming_the_value(standardized):
    _, result = standardized
    with pytest.raises(InvalidConfigError, match="'linear'"):
        recommend_schedule(result, 1000, "linear")
    with pytest.raises(InvalidConfigError, match="total_steps"):
        recommend_schedule(result, 1)
    with pytest.raises(InvalidConfigError, match="warmup_steps"):
        build_schedule("warmup_cosine", 0.1, 100, warmup_steps=100)


def test_the_check_replays_the_warm_up_recommended_after_the_cap(standardized):
    problem, result = standardized
    measured = recommend_schedule(result, 2000).warmup_steps
    rec = recommend_schedule(result, 2 * measured - 1, problem=problem)      # measured > half the run: capped
    assert rec.warmup_steps == (2 * measured - 1) // 4 < measured
    assert rec.check is not None and rec.check.warmup_steps == rec.warmup_steps


def test_the_sweep_result_recommends_its_own_schedule(standardized):
    _, result = standardized
    assert result.recommend_schedule(2000).schedule == recommend_schedule(result, 2000).schedule
