"""Figure data for a sweep, prepared without drawing, so every renderer shows the same numbers.

The matplotlib images (``report.plot``), the interactive HTML report (``report.charts``,
``report.html``), the notebook summary and the terminal table all read these values; none of
them computes a number of its own. Smoothing is the analysis's own trend
(``lrscout.core.analysis.trend``), so the smoothed curve a reader sees is the one the verdict read.
Each point is drawn at the step it stands for (``Trace.loss_steps``): every step at full
resolution, a block's middle step on a compacted trace (``Trace.compact``), whose smoothed
curve is then the trend of its block means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from ..core.analysis import smooth
from ..core.result import SweepResult
from ..core.types import RangeTest, VerdictKind
from .._validation import positive_int
from ..errors import InvalidConfigError

# One colour per verdict, shared by every renderer (colour-blind friendly, Okabe-Ito based).
VERDICT_COLORS: dict[VerdictKind, str] = {
    VerdictKind.GOOD: "#009E73",
    VerdictKind.TOO_SLOW: "#56B4E9",
    VerdictKind.OSCILLATING: "#E69F00",
    VerdictKind.UNSTABLE: "#D55E00",
    VerdictKind.DIVERGED: "#CC0000",
    VerdictKind.FAILED: "#7F7F7F",
}

# What each verdict says about the learning rate, in the words of a legend.
VERDICT_MEANINGS: dict[VerdictKind, str] = {
    VerdictKind.TOO_SLOW: "barely moves: the rate is too low",
    VerdictKind.GOOD: "falls smoothly and fast: a rate to choose from",
    VerdictKind.OSCILLATING: "saw-tooth, zigzag or waves: the rate is too high",
    VerdictKind.UNSTABLE: "learned, then blew up: just past the edge",
    VerdictKind.DIVERGED: "NaN or exploding loss: far too high",
    VerdictKind.FAILED: "training raised an error: nothing to read",
}

# A log axis pays off once the readable curves span more than this ratio.
LOG_SPAN = 30.0
# Schedules are sampled at most this many steps: a 100k-step schedule would add megabytes to a
# report while its shape is already clear at a few thousand points.
MAX_SCHEDULE_POINTS = 4000
# Range-test losses are shown up to this multiple of the starting (smoothed) loss: past it the
# curve has diverged and only squashes the region around the minimum that the reader needs.
RANGE_TEST_CLIP = 4.0

DASHES = ("-", "--", ":", "-.")


def _finite(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return values[np.isfinite(values)]


def _axis_limits(values: np.ndarray) -> tuple[tuple[float, float] | None, tuple[float, float] | None, bool]:
    """Linear limits, log limits (None when a value is not positive) and whether log is the better view."""
    if not values.size:
        return None, None, False
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    linear = (lo - 0.05 * span, hi + 0.1 * span)
    log = (lo / 1.5, hi * 1.5) if lo > 0 else None
    return linear, log, log is not None and hi / lo > LOG_SPAN


# --- loss vs step --------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Series:
    lr: float
    steps: np.ndarray
    loss: np.ndarray
    smoothed: np.ndarray
    verdict: VerdictKind
    color: str
    label: str
    chosen: bool
    dash: str  # '-', '--', ':' or '-.': tells apart curves that share a verdict colour


@dataclass(frozen=True, eq=False)
class CurveFigure:
    """Loss vs step for every candidate; ``linear_limits``/``log_limits`` frame the readable
    curves (diverged ones may leave the frame: they would squash the others)."""

    title: str
    series: tuple[Series, ...]
    log_y: bool
    linear_limits: tuple[float, float] | None
    log_limits: tuple[float, float] | None
    caption: str

    @property
    def y_limits(self) -> tuple[float, float] | None:
        return self.log_limits if self.log_y else self.linear_limits


def curve_figure(result: SweepResult, title: str = "Training loss per candidate") -> CurveFigure:
    """Loss vs step for every candidate, coloured by verdict; log y when the curves span decades."""
    series = []
    seen: dict[VerdictKind, int] = {}
    for c in result.candidates:
        dash = DASHES[seen.get(c.kind, 0) % len(DASHES)]
        seen[c.kind] = seen.get(c.kind, 0) + 1
        loss = np.asarray(c.train_loss, dtype=float)
        chosen = is_chosen(result, c.lr)
        label = f"lr {c.lr:.3g}: {c.kind.value}" + ("  (chosen)" if chosen else "")
        series.append(Series(c.lr, c.trace.loss_steps(), loss, smooth(loss), c.kind, VERDICT_COLORS[c.kind],
                             label, chosen, "-" if chosen else dash))
    readable = [_finite(s.loss) for s in series if s.verdict.is_stable or s.verdict is VerdictKind.OSCILLATING]
    readable = [r for r in readable if r.size] or [_finite(s.loss) for s in series]
    linear, log, log_y = _axis_limits(np.concatenate(readable) if readable else np.array([]))
    d = result.decision
    caption = f"chosen lr {d.lr:g}" if d.chosen else "no learning rate chosen"
    return CurveFigure(title, tuple(series), log_y, linear, log, caption)


def is_chosen(result: SweepResult, lr: float) -> bool:
    return result.chosen_lr is not None and lr == result.chosen_lr


# --- loss vs learning rate -----------------------------------------------------------------

@dataclass(frozen=True)
class LrPoint:
    lr: float
    final_loss: float | None
    val_loss: float | None
    verdict: VerdictKind
    color: str
    chosen: bool


@dataclass(frozen=True)
class LossByLrFigure:
    """Each candidate's end-of-window training loss and validation loss against its rate;
    the limits frame every finite point."""

    points: tuple[LrPoint, ...]
    log_y: bool
    linear_limits: tuple[float, float] | None
    log_limits: tuple[float, float] | None

    @property
    def has_validation(self) -> bool:
        return any(p.val_loss is not None for p in self.points)


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def loss_by_lr_figure(result: SweepResult) -> LossByLrFigure:
    points = tuple(LrPoint(c.lr, _finite_or_none(c.final_train_loss), _finite_or_none(c.val_loss), c.kind,
                           VERDICT_COLORS[c.kind], is_chosen(result, c.lr)) for c in result.candidates)
    # one point per candidate is the chart's whole content, so every finite one is framed (the
    # lowest is often an oscillating rate's); a log axis keeps a diverged level from squashing the rest
    levels = [v for p in points for v in (p.final_loss, p.val_loss) if v is not None]
    linear, log, log_y = _axis_limits(np.array(levels))
    return LossByLrFigure(points, log_y, linear, log)


# --- the LR range test ---------------------------------------------------------------------

@dataclass(frozen=True)
class Suggestion:
    name: str
    lr: float
    loss: float | None  # the smoothed loss at that rate, where the marker sits
    reason: str


@dataclass(frozen=True, eq=False)
class RangeTestFigure:
    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestions: tuple[Suggestion, ...]
    y_limits: tuple[float, float] | None
    stopped_early: bool


def range_test_figure(test: RangeTest) -> RangeTestFigure:
    lrs, smoothed = np.asarray(test.lrs, dtype=float), np.asarray(test.smoothed, dtype=float)
    ok = np.isfinite(smoothed) & (lrs > 0)
    suggestions = []
    for name, lr in test.suggestions.items():
        loss = float(np.interp(np.log(lr), np.log(lrs[ok]), smoothed[ok])) if ok.any() and lr > 0 else None
        suggestions.append(Suggestion(name, float(lr), loss, test.reasons.get(name, "")))
    limits = None
    finite = _finite(smoothed)
    if finite.size:
        lo, hi = float(finite.min()), min(float(finite.max()), RANGE_TEST_CLIP * abs(float(finite[0])))
        pad = 0.05 * (hi - lo if hi > lo else max(abs(hi), 1.0))
        limits = (lo - pad, hi + pad)
    return RangeTestFigure(lrs, np.asarray(test.losses, dtype=float), smoothed,
                           tuple(sorted(suggestions, key=lambda s: s.lr)), limits, test.stopped_early)


# --- a recommended schedule ----------------------------------------------------------------

class ScheduleLike(Protocol):
    """What a report needs of a recommended schedule; ``RecommendedSchedule`` is one."""

    schedule: Callable[[int], float]
    total_steps: int
    reasons: Sequence[str]


@dataclass(frozen=True)
class RecommendedSchedule:
    """A schedule to train with (``schedule(step) -> lr``, e.g. from ``lrscout.schedules``),
    over ``total_steps`` steps, with the reasons for it."""

    schedule: Callable[[int], float]
    total_steps: int
    reasons: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not callable(self.schedule):
            raise InvalidConfigError(f"schedule must be a callable step -> lr, got {self.schedule!r}")
        object.__setattr__(self, "total_steps", positive_int("total_steps", self.total_steps))
        object.__setattr__(self, "reasons", tuple(str(r) for r in self.reasons))


@dataclass(frozen=True, eq=False)
class ScheduleFigure:
    steps: np.ndarray
    lrs: np.ndarray
    description: str  # the schedule's repr: it reads back as code
    reasons: tuple[str, ...]
    total_steps: int


def schedule_figure(advice: ScheduleLike) -> ScheduleFigure:
    total = positive_int("total_steps", advice.total_steps)
    steps = np.unique(np.linspace(0, total - 1, min(total, MAX_SCHEDULE_POINTS)).round().astype(int))
    lrs = np.empty(steps.size)
    for i, step in enumerate(steps.tolist()):
        try:
            lrs[i] = float(advice.schedule(step))
        except (TypeError, ValueError) as exc:
            raise InvalidConfigError(f"schedule {advice.schedule!r} failed at step {step}: {exc}") from exc
    return ScheduleFigure(steps, lrs, repr(advice.schedule), tuple(str(r) for r in advice.reasons), total)


# --- tables --------------------------------------------------------------------------------

@dataclass(frozen=True)
class CandidateRow:
    """One line of a candidate table, in every renderer."""

    lr: float
    verdict: VerdictKind
    color: str
    chosen: bool
    reason: str
    steps_used: int
    steps_planned: int | None
    pruned: bool
    error: str | None
    final_loss: float | None
    val_loss: float | None
    evidence: tuple[tuple[str, Any], ...]  # (field name, number or None), in Evidence's order


def candidate_rows(result: SweepResult) -> tuple[CandidateRow, ...]:
    rows = []
    for c in result.candidates:
        planned = result.window_of(c.lr)
        ev = c.verdict.evidence
        evidence = () if ev is None else tuple((f.name, getattr(ev, f.name)) for f in fields(ev))
        rows.append(CandidateRow(c.lr, c.kind, VERDICT_COLORS[c.kind], is_chosen(result, c.lr), c.verdict.reason,
                                 c.steps_used, planned if isinstance(planned, int) else None, c.trace.pruned,
                                 c.trace.error, c.final_train_loss, c.val_loss, evidence))
    return tuple(rows)
