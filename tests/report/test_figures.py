"""Figure data: the numbers every renderer (PNG, HTML, notebook, terminal) draws, computed once.

Specification:
- one series per candidate, in lr order, coloured by verdict (``VERDICT_COLORS``), the chosen
  one marked and solid;
- the smoothed curve is the analysis's own trend (on log-loss), cut at the first NaN;
- axis limits frame the readable curves, so a diverged one does not squash the others;
- a range test's suggestions sit on its smoothed curve; a schedule is sampled over its steps;
- table rows carry each verdict's evidence and the steps used.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrscout import CallableProblem, InvalidConfigError, RangeTest, VerdictKind, sweep
from lrscout.core.analysis import trend
from lrscout.data import housing
from lrscout.report.figures import (VERDICT_COLORS, VERDICT_MEANINGS, RecommendedSchedule, candidate_rows,
                                    curve_figure, loss_by_lr_figure, range_test_figure, schedule_figure, smooth)
from lrscout.core.schedules import warmup_cosine
from lrscout.workflows.tabular import sweep_table


@pytest.fixture(scope="module")
def housing_sweep():
    return sweep_table(housing(), "price", lrs=[1e-3, 1e-2, 1e-1], steps=200, batch_size=32)


def quadratic(lr, steps):
    """Gradient descent on 0.5 x^2: too slow, good, then past 2 it diverges to inf."""
    with np.errstate(over="ignore"):
        return [0.5 * (1 - lr) ** (2 * t) for t in range(steps)]


def test_every_verdict_has_a_colour_and_a_meaning():
    assert set(VERDICT_COLORS) == set(VerdictKind) == set(VERDICT_MEANINGS)


def test_one_series_per_candidate_coloured_by_verdict_with_the_chosen_one_solid(housing_sweep):
    fig = curve_figure(housing_sweep)
    assert [s.lr for s in fig.series] == [1e-3, 1e-2, 1e-1]
    for s, c in zip(fig.series, housing_sweep.candidates):
        assert s.color == VERDICT_COLORS[c.kind]
        assert s.label.startswith(f"lr {c.lr:.3g}: {c.kind.value}")
        np.testing.assert_array_equal(s.loss, c.train_loss)
    chosen = [s for s in fig.series if s.chosen]
    assert [s.lr for s in chosen] == [housing_sweep.chosen_lr] and chosen[0].dash == "-"
    assert fig.caption == "chosen lr 0.01"


def test_the_smoothed_curve_is_the_trend_the_analysis_reads():
    loss = np.exp(-np.linspace(0, 2, 100)) * (1 + 0.1 * np.random.default_rng(0).standard_normal(100)) + 0.5
    np.testing.assert_allclose(smooth(loss), np.exp(trend(np.log(loss))))


def test_smoothing_stops_at_the_first_non_finite_loss():
    loss = np.array([1.0, 0.9, 0.8, 0.7, math.nan, 2.0])
    out = smooth(loss)
    assert np.isfinite(out[:4]).all() and np.isnan(out[4:]).all()


def test_a_diverged_curve_does_not_set_the_frame():
    result = sweep(CallableProblem(quadratic), [1e-3, 0.3, 3.0], steps=40)
    assert result.candidate(3.0).kind is VerdictKind.DIVERGED
    fig = curve_figure(result)
    low, high = fig.linear_limits
    assert high < 1.0  # the readable curves start at 0.5; the diverged one reaches 1e3 and beyond
    assert fig.y_limits == (fig.log_limits if fig.log_y else fig.linear_limits)


def test_loss_by_lr_has_final_and_validation_loss_per_candidate(housing_sweep):
    fig = loss_by_lr_figure(housing_sweep)
    assert fig.has_validation
    assert [p.lr for p in fig.points] == list(housing_sweep.lrs)
    point = fig.points[1]
    assert point.chosen and point.val_loss == housing_sweep.candidate(1e-2).val_loss


def test_range_test_suggestions_sit_on_the_smoothed_curve():
    lrs = np.geomspace(1e-4, 1.0, 50)
    smoothed = 1.0 - 0.5 * np.log10(lrs / 1e-4) / 4
    test = RangeTest(lrs, smoothed + 0.01, smoothed, {"steepest": 1e-2}, {"steepest": "steepest descent"})
    fig = range_test_figure(test)
    (suggestion,) = fig.suggestions
    assert suggestion.name == "steepest" and suggestion.reason == "steepest descent"
    assert suggestion.loss == pytest.approx(0.75)


def test_a_schedule_is_sampled_over_its_steps_with_its_repr_and_reasons():
    schedule = warmup_cosine(0.1, warmup_steps=10, total_steps=100)
    fig = schedule_figure(RecommendedSchedule(schedule, 100, ("warm up first",)))
    assert fig.steps[0] == 0 and fig.steps[-1] == 99
    assert fig.lrs.max() == pytest.approx(0.1)
    assert fig.description == repr(schedule) and fig.reasons == ("warm up first",)


def test_a_long_schedule_is_sampled_not_evaluated_at_every_step():
    fig = schedule_figure(RecommendedSchedule(lambda step: 0.1, 1_000_000))
    assert fig.steps.size <= 4000 and fig.steps[-1] == 999_999


def test_a_schedule_that_fails_names_the_step():
    def broken(step):
        if step > 5:
            raise ValueError("no lr here")
        return 0.1

    with pytest.raises(InvalidConfigError, match="failed at step"):
        schedule_figure(RecommendedSchedule(broken, 10))
    with pytest.raises(InvalidConfigError, match="total_steps"):
        RecommendedSchedule(broken, 0)


def test_table_rows_carry_the_evidence_and_steps(housing_sweep):
    rows = candidate_rows(housing_sweep)
    assert [r.verdict for r in rows] == [c.kind for c in housing_sweep.candidates]
    row = rows[1]
    assert dict(row.evidence)["update_cosine"] == housing_sweep.candidate(0.01).verdict.evidence.update_cosine
    assert row.steps_used == row.steps_planned == 200 and not row.pruned
    blown = rows[2]      # 0.1 explodes on raw housing features and is pruned within a few steps
    assert blown.pruned and blown.steps_used < blown.steps_planned == 200


def test_loss_by_lr_frames_every_candidate_including_the_lowest_oscillating_one():
    def train(lr, steps):
        t = np.arange(steps, dtype=float)
        if lr < 0.05:
            return list(np.exp(-3 * lr * t))                          # too slow, then good
        return list(np.exp(-0.05 * t) * (1 + 0.9 * (-1.0) ** t) + 0.005)   # a saw-tooth that ends lowest

    result = sweep(CallableProblem(train), [1e-3, 1e-2, 0.1], steps=60, prune=False)
    fig = loss_by_lr_figure(result)
    low, high = fig.log_limits if fig.log_y else fig.linear_limits
    levels = [v for p in fig.points for v in (p.final_loss, p.val_loss) if v is not None]
    assert len(levels) == len(result.candidates)
    assert all(low < v < high for v in levels)
    lowest = min(fig.points, key=lambda p: p.final_loss)
    assert lowest.verdict is VerdictKind.OSCILLATING and lowest.lr == 0.1


def test_loss_by_lr_frames_a_diverged_level_on_a_log_axis():
    result = sweep(CallableProblem(quadratic), [1e-3, 0.3, 2.2], steps=40, prune=False)
    fig = loss_by_lr_figure(result)
    finite = [p.final_loss for p in fig.points if p.final_loss is not None]
    assert max(finite) / min(finite) > 1e3 and fig.log_y
    low, high = fig.log_limits
    assert all(low < v < high for v in finite)
