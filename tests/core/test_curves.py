"""Compact curves (issue #8, item 4): traces keep float32 curves that round-trip through JSON
exactly; ``Trace.compact`` shortens long windows to block means, keeping the shared start, the
last step and any divergence; ``sweep(max_points=...)`` compacts only after every verdict was
read from every step, while the journal keeps every step, so a resumed sweep reads the same."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import lrscout
from executor_helpers import sleepy_problem
from lrscout import Candidate, SweepResult, Trace, Verdict, VerdictKind
from lrscout.data import housing, prepare
from lrscout.errors import InvalidConfigError
from lrscout.report.figures import curve_figure
from lrscout.executors.journal import read_journal
from lrscout.workflows.tabular import problem_for

FLOAT32 = np.finfo(np.float32)


def through_json(trace: Trace) -> Trace:
    record = json.loads(json.dumps(Candidate(trace, Verdict(VerdictKind.GOOD, "-")).to_dict(), allow_nan=False))
    return Candidate.from_dict(record).trace


def long_trace(steps: int = 10_000) -> Trace:
    t = np.arange(steps)
    return Trace(0.1, np.exp(-t / 2000), grad_norm=np.full(steps, 2.0), update_ratio=np.full(steps, 1e-3),
                 update_cosine=np.where(t[1:] % 2, 0.5, -0.5))


# --- float32 curves ------------------------------------------------------------------------

def test_curves_are_kept_as_read_only_float32_arrays():
    trace = long_trace(50)
    for curve in (trace.train_loss, trace.grad_norm, trace.update_cosine, trace.update_ratio):
        assert curve.dtype == np.float32 and not curve.flags.writeable


@settings(max_examples=60, deadline=None)
@given(arrays(np.float32, st.integers(0, 40),
              elements=st.floats(width=32, allow_nan=False, allow_infinity=False, allow_subnormal=True)))
def test_float32_curves_round_trip_through_json_exactly(values):
    trace = Trace(0.1, values, grad_norm=values, update_ratio=values, update_cosine=values)
    again = through_json(trace)
    for name in ("train_loss", "grad_norm", "update_cosine", "update_ratio"):
        assert getattr(again, name).tobytes() == getattr(trace, name).tobytes(), name  # bit for bit


def test_values_beyond_float32_stay_finite_and_non_zero_so_verdicts_read_them_as_float64_would():
    trace = Trace(0.1, [1.0, 1e300, -1e300, 1e-300, -1e-300, 0.0])
    assert np.all(np.isfinite(trace.train_loss))
    assert trace.train_loss.tolist()[:5] == [1.0, float(FLOAT32.max), -float(FLOAT32.max),
                                             float(FLOAT32.smallest_subnormal), -float(FLOAT32.smallest_subnormal)]
    assert trace.train_loss[-1] == 0.0


# --- Trace.compact -------------------------------------------------------------------------

def test_compact_keeps_first_and_last_point():
    trace = Trace(0.1, np.r_[3.0, np.linspace(2.0, 1.0, 9_998), 0.25])
    compacted = trace.compact(100)
    assert compacted.train_loss[0] == np.float32(3.0) and compacted.train_loss[-1] == np.float32(0.25)
    assert compacted.loss_steps()[0] == 0 and compacted.loss_steps()[-1] == 9_999


def test_a_loss_block_is_averaged_in_log_space_so_it_sits_on_the_curve_at_its_middle_step():
    trace = long_trace()                      # exp(-t / 2000): a straight line in log space
    compacted = trace.compact(100)
    np.testing.assert_allclose(compacted.train_loss[1:-1], np.exp(-compacted.loss_steps()[1:-1] / 2000), rtol=1e-6)
    blocks = Trace(0.1, [5.0, 1.0, 100.0, 1.0, 10.0, 1000.0, 7.0]).compact(4)   # stride 3: [1, 100, 1], [10, 1000]
    assert blocks.stride == 3 and blocks.train_loss.tolist() == pytest.approx([5.0, 100 ** (1 / 3), 100.0, 7.0])


def test_cosines_are_averaged_as_they_are_over_the_steps_that_have_one():
    cosine = [0.9, -1.0, np.nan, 0.5, np.nan, np.nan, 0.1]          # NaN: a step without an update
    compacted = Trace(0.1, np.ones(7), update_cosine=cosine).compact(4)
    assert compacted.update_cosine[1] == pytest.approx(-0.25)
    assert math.isnan(compacted.update_cosine[2])                   # no update in the whole block
    assert compacted.update_cosine[[0, 3]].tolist() == pytest.approx([0.9, 0.1])


def test_divergence_survives_compaction():
    loss = np.linspace(2.0, 1.0, 1_000)
    loss[500], loss[700] = np.inf, np.nan
    compacted = Trace(1.0, loss, grad_norm=loss).compact(50)
    for curve in (compacted.train_loss, compacted.grad_norm):
        assert np.isposinf(curve).sum() == 1 and np.isnan(curve).sum() == 1
        assert compacted.loss_steps()[np.isposinf(curve)][0] == pytest.approx(500, abs=compacted.stride)
    ends_inf = Trace(1.0, np.r_[np.linspace(1.0, 9.0, 999), np.inf]).compact(50)
    assert np.isposinf(ends_inf.train_loss[-1])


@settings(max_examples=80, deadline=None)
@given(steps=st.integers(0, 5_000), max_points=st.integers(3, 400), others=st.integers(0, 2))
def test_compact_never_returns_more_than_max_points_and_preserves_steps_used(steps, max_points, others):
    short = max(steps - others, 0)            # ratios and cosines run a step or two shorter than the loss
    trace = Trace(0.1, np.linspace(2.0, 1.0, steps), grad_norm=np.ones(steps), update_ratio=np.ones(short),
                  update_cosine=np.zeros(max(short - 1, 0)))
    compacted = trace.compact(max_points)
    assert compacted.steps_used == steps
    for curve in (compacted.train_loss, compacted.grad_norm, compacted.update_ratio, compacted.update_cosine):
        assert curve.size <= max_points
    where = compacted.loss_steps()
    assert where.size == compacted.train_loss.size and np.all(np.diff(where) > 0)
    assert steps == 0 or (where[0] == 0 and where[-1] == steps - 1)
    assert (compacted is trace) == (steps <= max_points)


def test_a_compacted_trace_round_trips_through_json():
    compacted = long_trace().compact(100)
    again = through_json(compacted)
    assert (again.stride, again.compacted_from, again.steps_used) == (compacted.stride, 10_000, 10_000)
    assert again.train_loss.tobytes() == compacted.train_loss.tobytes()
    assert again.loss_steps().tolist() == compacted.loss_steps().tolist()


def test_compacting_needs_three_points_and_full_resolution_naming_the_value():
    with pytest.raises(InvalidConfigError, match="max_points must be an integer >= 3, got 2"):
        long_trace().compact(2)
    compacted = long_trace().compact(100)
    assert compacted.compact(100) is compacted and compacted.compact(500) is compacted
    with pytest.raises(InvalidConfigError, match=r"already compacted to 100 points \(stride 103\).*max_points=50"):
        compacted.compact(50)


def test_a_trace_whose_compaction_fields_disagree_is_refused_naming_them():
    with pytest.raises(InvalidConfigError, match=r"compacted_from \(100\).*got stride 1"):
        Trace(0.1, np.ones(100), compacted_from=100)
    with pytest.raises(InvalidConfigError, match="from 1000 steps at stride 10 keeps 102 training losses, got 50"):
        Trace(0.1, np.ones(50), stride=10, compacted_from=1000)
    with pytest.raises(InvalidConfigError, match="stride must be an integer >= 1, got 0"):
        Trace(0.1, np.ones(50), stride=0)


# --- sweep(max_points=...) -----------------------------------------------------------------

@pytest.fixture(scope="module")
def raw_housing():
    """Raw housing features: at 1e-3, 1e-2, 3e-2, 0.1 and 1 too slow, good, a zigzag that pays
    (good, by comparison across candidates), diverged twice, and a scaling finding."""
    return problem_for(prepare(housing(), "price", scale="none"), batch_size=32)


def test_verdicts_with_and_without_max_points_are_identical(raw_housing):
    grid = [1e-3, 1e-2, 3e-2, 1e-1, 1.0]
    full = lrscout.sweep(raw_housing, grid, steps=1_500)
    compact = lrscout.sweep(raw_housing, grid, steps=1_500, max_points=60)
    assert [c.verdict for c in compact.candidates] == [c.verdict for c in full.candidates]  # evidence included
    assert compact.decision == full.decision and compact.findings == full.findings and compact.findings
    assert [c.steps_used for c in compact.candidates] == [c.steps_used for c in full.candidates]
    assert all(c.train_loss.size <= 60 for c in compact.candidates)
    assert compact.config["max_points"] == 60 and "max_points" not in full.config
    assert SweepResult.from_json(compact.to_json()) == compact
    # the table's final loss is the same number: the end level read from every step
    assert [c.final_train_loss for c in compact.candidates] == pytest.approx(
        [c.final_train_loss for c in full.candidates], rel=1e-6)


def test_the_journal_keeps_full_resolution_and_a_resumed_compacted_sweep_trains_nothing_again(tmp_path, monkeypatch):
    log = tmp_path / "calls.log"
    monkeypatch.setenv("LRSCOUT_TEST_CALLS", str(log))
    monkeypatch.setenv("LRSCOUT_TEST_DELAY", "0")
    journal = tmp_path / "sweep.journal.jsonl"
    first = lrscout.sweep(sleepy_problem(), [1e-3, 1e-2, 0.1], steps=3_000, journal=journal, max_points=100)
    assert all(c.train_loss.size <= 100 and c.steps_used == 3_000 for c in first.candidates)
    kept = read_journal(journal).candidates
    assert [c.train_loss.size for c in kept] == [3_000] * 3 and all(c.trace.stride == 1 for c in kept)

    trained = log.read_text().split()
    again = lrscout.sweep(sleepy_problem(), [1e-3, 1e-2, 0.1], steps=3_000, journal=journal, resume=True,
                          max_points=100)
    assert log.read_text().split() == trained                      # nothing trained twice
    assert again.candidates == first.candidates and again.decision == first.decision
    full = lrscout.sweep(sleepy_problem(), [1e-3, 1e-2, 0.1], steps=3_000, journal=journal, resume=True)
    assert [c.train_loss.size for c in full.candidates] == [3_000] * 3  # another max_points resumes the same sweep


def test_max_points_below_three_is_refused_before_any_training():
    with pytest.raises(InvalidConfigError, match="max_points must be an integer >= 3, got 1"):
        lrscout.sweep(sleepy_problem(), [1e-3], steps=10, max_points=1)


def test_plots_put_compacted_points_at_the_steps_they_stand_for(raw_housing):
    result = lrscout.sweep(raw_housing, [1e-2, 1e-1], steps=1_000, max_points=50)
    for series, c in zip(curve_figure(result).series, result.candidates):
        assert series.steps.tolist() == c.trace.loss_steps().tolist()
        assert series.steps[-1] == c.steps_used - 1 and series.steps.size == c.train_loss.size
