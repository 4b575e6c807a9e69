"""A schedule around the chosen rate, from what the sweep saw: ``recommend_schedule(result, total_steps)``.

The seeds' production pattern: "pair a good initial alpha with schedule logic (warm-up then
decay) so early training moves fast and late training fine-tunes safely". The numbers come
from the sweep, and every one is explained in ``Recommendation.reasons``:

- **Peak**: the chosen rate (the largest stable one, re-checked on validation).
- **Warm-up** (``warmup_cosine``): the next larger candidate is read again from later and later
  steps (every twentieth of its window, up to half of it); when its curve from step ``s`` on
  reads stable although the whole curve was too high, it was unstable or oscillating only
  early, and ``s`` steps of warm-up is what it needed -- the Google tuning playbook's use of
  warm-up. Otherwise the warm-up is a short default (``DEFAULT_WARMUP_FRACTION`` of the run).
- **Check** (optional, pass ``problem``): the next larger rate is trained again on the sweep's
  window with that warm-up, and the reasons say whether it is now stable. This needs a problem
  that trains with a schedule (``AcceptsSchedule``: a per-step factor on every rate); the
  built-in NumPy models do. The core never trains: the replay is the workflows layer's
  (``lrscout.workflows.warmup``), registered here by lrscout/__init__.py.
- **One-cycle**: with an LR range test in the result, ``max_lr`` is ``one_cycle_fraction``
  (default ``ONE_CYCLE_FRACTION``, a third: below the divergence point, where the loss still
  falls) of the rate at which its smoothed loss first rose to ``RANGE_DIVERGENCE`` x its minimum (the
  divergence point), and the start is ``max_lr / ONE_CYCLE_DIV`` (torch's ``div_factor``);
  without one, ``max_lr`` is the chosen rate.
- **Cosine** decays from the peak to 0 over the run; **step** divides it by 10 every third of
  the run; **constant** keeps it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from .._validation import InstanceOf, checked, finite_real, positive_int
from ..errors import InvalidConfigError
from .analysis import read_curve
from .result import SweepResult
from .recipes import (DEFAULT_WARMUP_FRACTION, KINDS, ONE_CYCLE_DIV, ONE_CYCLE_PCT, STEP_DROPS, build_schedule,
                      default_warmup, one_cycle_rise)
from .schedules import Schedule
from .types import Candidate, RangeTest, Verdict, VerdictKind, ratio_text

ONE_CYCLE_FRACTION = 1 / 3       # max_lr below the divergence point, where the loss still falls
RANGE_DIVERGENCE = 4.0           # smoothed loss at 4x its minimum: the range test's divergence point
_WARMUP_PROBES = 20              # read the next rate from every twentieth of its window
_MAX_WARMUP_SHARE = 0.5          # instability past half the window is not "early"


@dataclass(frozen=True)
class WarmupCheck:
    """The next larger rate trained again with the recommended warm-up: did it become stable?"""

    lr: float
    warmup_steps: int
    steps: int
    without: Verdict
    with_warmup: Verdict
    trained: int = 0           # the steps the replay trained (fewer than ``steps`` when it diverged)

    @property
    def stable(self) -> bool:
        return self.with_warmup.kind is VerdictKind.GOOD

    @property
    def reason(self) -> str:
        outcome = "made it stable" if self.stable else "did not make it stable"
        return (f"check: lr {self.lr:.3g} trained again for {self.steps} steps with a {self.warmup_steps}-step "
                f"warm-up is {self.with_warmup.kind.value} ({self.with_warmup.reason}); without it, "
                f"{self.without.kind.value}: warm-up {outcome}")


@dataclass(frozen=True)
class Recommendation:
    """A schedule, the numbers it was built from, and the reasons shown to the user.

    ``group_peaks`` gives each named parameter group's peak when the sweep searched a rate per
    group (``lrscout.torch.sweep(groups=...)``): the schedule's shape, scaled by the group's
    ratio; ``group_schedule(name)`` is that group's schedule.
    """

    kind: str
    schedule: Schedule
    total_steps: int
    peak_lr: float
    warmup_steps: int
    reasons: tuple[str, ...]
    numbers: Mapping[str, float] = field(default_factory=dict)
    check: WarmupCheck | None = None
    group_peaks: Mapping[str, float] = field(default_factory=dict)

    def group_schedule(self, name: str) -> Callable[[int], float]:
        """The schedule of parameter group ``name``: this schedule times the group's ratio."""
        if name not in self.group_peaks:
            known = ", ".join(map(repr, self.group_peaks)) or "none: the sweep searched no groups"
            raise InvalidConfigError(f"no parameter group named {name!r}; the groups are {known}")
        return functools.partial(_scaled, self.schedule, self.group_peaks[name] / self.peak_lr)

    @property
    def search_steps(self) -> int:
        """Training steps this recommendation spent: the warm-up replay's, when ``problem=`` ran one."""
        return 0 if self.check is None else self.check.trained

    def values(self) -> np.ndarray:
        """The learning rate at every step of the run (for plots)."""
        return self.schedule.values(self.total_steps)


def _scaled(schedule: Schedule, factor: float, step: int) -> float:
    return factor * schedule(step)


def _read_from(candidate: Candidate, start: int, result: "SweepResult") -> Verdict:
    trace = candidate.trace
    cosine = None if trace.update_cosine is None else trace.update_cosine[start:]
    return read_curve(trace.train_loss[start:], result.thresholds, update_cosine=cosine)


def early_instability(candidate: Candidate, result: "SweepResult") -> tuple[int, Verdict] | None:
    """``(s, verdict from s on)`` when a too-high curve reads stable from step ``s`` (early only).

    Never for a compacted curve (``sweep(max_points=...)``): its block means are not the steps
    the analysis reads, so the curve cannot be read again from a later step.
    """
    window = result.window_of(candidate.lr) or candidate.steps_used
    if not candidate.kind.is_too_high or candidate.trace.pruned or candidate.steps_used < window:
        return None  # a curve cut short never recovered
    if candidate.trace.stride > 1:
        return None
    probe = max(1, window // _WARMUP_PROBES)
    for start in range(probe, int(_MAX_WARMUP_SHARE * window) + 1, probe):
        verdict = _read_from(candidate, start, result)
        if verdict.kind.is_stable:
            return start, verdict
    return None


def _not_early(candidate: Candidate) -> str:
    """Why a candidate asks for no longer warm-up, after "the next larger rate is <verdict>"."""
    if candidate.kind.is_stable:
        return ""
    if candidate.trace.stride > 1:
        return (", and its curve was kept compacted (max_points), so whether it went wrong only early "
                "cannot be read")
    return ", and not only early in its window"


def divergence_point(test: RangeTest) -> float | None:
    """The rate at which the range test's smoothed loss first rose to ``RANGE_DIVERGENCE`` x its minimum."""
    loss = np.asarray(test.smoothed, dtype=float)
    finite = np.isfinite(loss)
    if not finite.any():
        return None
    low = int(np.nanargmin(np.where(finite, loss, np.nan)))
    # a ratio to the minimum needs a positive minimum; NaN/inf after it is divergence either way
    risen = loss[low:] >= RANGE_DIVERGENCE * loss[low] if loss[low] > 0 else np.zeros(loss.size - low, bool)
    after = np.flatnonzero(~finite[low:] | risen)
    if after.size:
        return float(test.lrs[low + after[0]])
    return float(test.lrs[-1]) if test.stopped_early else None


@checked(result=InstanceOf(lambda: (SweepResult,), "a lrscout.SweepResult (what lrscout.sweep returns)"))
def recommend_schedule(result: "SweepResult", total_steps: int, kind: str = "warmup_cosine", *,
                       problem: Any = None, one_cycle_fraction: float = ONE_CYCLE_FRACTION) -> Recommendation:
    """A ``kind`` schedule for a ``total_steps`` run around the sweep's chosen rate, with its reasons.

    Pass the sweep's ``problem`` to check the warm-up on it (see the module docstring).
    ``kind`` is one of ``warmup_cosine``, ``cosine``, ``one_cycle``, ``step``, ``constant``;
    a sweep that chose no rate raises ``InvalidConfigError`` with its advice.

    Examples:
        On the quadratic of ``lrscout.sweep``'s example the sweep chose 0.1 and the next
        larger rate diverged from the start, so nothing asks for a long warm-up: the default,
        5% of the run, then a cosine decay to 0.

        >>> import lrscout
        >>> def train(lr, steps):
        ...     w1 = w2 = 1.0
        ...     losses = []
        ...     for _ in range(steps):
        ...         losses.append((w1 * w1 + 10 * w2 * w2) / 2)
        ...         w1, w2 = w1 - lr * w1, w2 - lr * 10 * w2
        ...     return losses
        >>> result = lrscout.sweep(lrscout.CallableProblem(train), steps=50)
        >>> rec = lrscout.recommend_schedule(result, total_steps=1000)
        >>> rec.peak_lr, rec.warmup_steps
        (0.1, 50)
        >>> [round(rec.schedule(t), 6) for t in (0, 25, 50, 1000)]
        [0.0, 0.05, 0.1, 0.0]
        >>> rec.reasons[0]
        "peak 0.1: the sweep's chosen rate, the largest stable one"
    """
    if kind not in KINDS:
        raise InvalidConfigError(f"schedule kind must be one of {', '.join(KINDS)}, got {kind!r}")
    total_steps = positive_int("total_steps", total_steps, minimum=2)
    one_cycle_fraction = finite_real("one_cycle_fraction", one_cycle_fraction, low=0.0, high=1.0, low_open=True)
    decision = result.decision
    if not decision.chosen or decision.lr is None:
        advice = " ".join(decision.advice) or "run a sweep that finds a good rate first"
        raise InvalidConfigError(f"cannot recommend a schedule: the sweep chose no learning rate ({advice})")

    peak = decision.lr
    reasons = [f"peak {peak:.3g}: the sweep's chosen rate, the largest stable one"]
    numbers: dict[str, float] = {"peak_lr": peak, "total_steps": float(total_steps)}
    above = [c for c in result.candidates if c.lr > peak]
    nxt = above[0] if above else None
    early = early_instability(nxt, result) if nxt is not None else None

    warmup = 0
    check = None
    if kind == "warmup_cosine":
        if early is not None and nxt is not None:   # (an early reading implies a next rate)
            warmup, later = early
            numbers.update(next_lr=nxt.lr, measured_warmup=float(warmup))
            reasons.append(f"warm-up {warmup} steps: the next larger rate, {nxt.lr:.3g}, was {nxt.kind.value} "
                           f"({nxt.verdict.reason}) but from step {warmup} on its curve reads "
                           f"{later.kind.value} ({later.reason}): it was unstable only early")
            if warmup * 2 > total_steps:
                warmup = max(1, total_steps // 4)
                reasons.append(f"the measured warm-up is more than half of a {total_steps}-step run; "
                               f"capped at a quarter, {warmup} steps")
        else:
            warmup = default_warmup(total_steps)
            why = ("no larger rate was tried" if nxt is None else
                   f"the next larger rate, {nxt.lr:.3g}, is {nxt.kind.value}" + _not_early(nxt))
            reasons.append(f"warm-up {warmup} steps, a short default ({100 * DEFAULT_WARMUP_FRACTION:.0f}% of "
                           f"the run): {why}, so nothing measured asks for a longer one")
        reasons.append(f"then a cosine decay from {peak:.3g} to 0 at step {total_steps}, so late training "
                       "fine-tunes with small steps")
        if early is not None and nxt is not None and problem is not None:
            check = _replay_warmup(problem, nxt, warmup, result)   # the warm-up recommended, capped or not
            if check is not None:
                reasons.append(check.reason)
                numbers["check_stable"] = float(check.stable)
            else:
                reasons.append(f"check skipped: {type(problem).__name__} cannot train with a schedule (a per-step "
                               "factor on the rate: train_with_schedule), so the warm-up cannot be replayed on it")
    elif kind == "one_cycle":
        divergence = divergence_point(result.range_test) if result.range_test is not None else None
        if divergence is not None:
            peak = one_cycle_fraction * divergence
            numbers.update(divergence_lr=divergence)
            reasons[0] = (f"max_lr {peak:.3g}: {one_cycle_fraction:.2g} of {divergence:.3g}, where the range test's "
                          f"smoothed loss rose to {RANGE_DIVERGENCE:g}x its minimum (the sweep chose "
                          f"{decision.lr:.3g} for a constant rate)")
        elif result.range_test is not None:
            reasons[0] = (f"max_lr {peak:.3g}: the sweep's chosen rate (the range test never diverged, so its "
                          "divergence point is unknown)")
        else:
            reasons[0] = (f"max_lr {peak:.3g}: the sweep's chosen rate (no range test was run; one would "
                          "place max_lr from its divergence point)")
        numbers.update(max_lr=peak, base_lr=peak / ONE_CYCLE_DIV)
        rise = one_cycle_rise(total_steps)
        reasons.append(f"starts at max_lr / {ONE_CYCLE_DIV:g} = {peak / ONE_CYCLE_DIV:.3g}, rises for "
                       f"{100 * rise:.0f}% of the run, then anneals to {peak / ONE_CYCLE_DIV / 1e4:.3g} (torch's "
                       "OneCycleLR defaults" + (")" if rise == ONE_CYCLE_PCT else
                                                 f", but a 30% rise of a {total_steps}-step run would peak less "
                                                 "than half a step in)"))
    elif kind == "cosine":
        reasons.append(f"cosine decay from {peak:.3g} to 0 at step {total_steps}")
    elif kind == "step":
        reasons.append(f"divided by 10 every {math.ceil(total_steps / STEP_DROPS)} steps (every third of the run)")
    else:
        reasons.append("held for the whole run: no decay, so late training keeps the same step size")
    if kind != "warmup_cosine" and early is not None and nxt is not None:
        reasons.append(f"the next larger rate, {nxt.lr:.3g}, was {nxt.kind.value} only before step {early[0]}: "
                       f"kind='warmup_cosine' would add a {early[0]}-step warm-up")

    schedule = build_schedule(kind, peak, total_steps, warmup_steps=warmup)
    numbers["warmup_steps"] = float(warmup)
    group_peaks = {g.name: peak * g.ratio for g in result.groups if g.ratio is not None}
    if group_peaks:
        reasons.append("per parameter group, the same schedule scaled by the group's searched ratio: "
                       + ", ".join(f"{g.name} peaks at {peak * g.ratio:.3g} ({ratio_text(g.ratio)})"
                                   for g in result.groups if g.ratio is not None)
                       + " (lrscout.torch.apply_group_rates gives an optimizer these ratios; to_torch keeps them)")
    return Recommendation(kind, schedule, total_steps, peak, warmup, tuple(reasons), numbers, check, group_peaks)


# Replaying a warm-up trains, which the core never does: the workflows layer's replay
# (``lrscout.workflows.warmup.replay_warmup``) is registered here by lrscout/__init__.py.
WarmupReplay = Callable[[Any, Candidate, int, "SweepResult"], "WarmupCheck | None"]
_REPLAY: list[WarmupReplay] = []


def register_warmup_replay(replay: WarmupReplay) -> None:
    """Set how ``recommend_schedule(..., problem=)`` trains the next rate again with a warm-up:
    ``replay(problem, candidate, warmup_steps, result)``, None when the problem cannot."""
    _REPLAY[:] = [replay]


def _replay_warmup(problem: Any, candidate: Candidate, warmup_steps: int, result: "SweepResult") -> WarmupCheck | None:
    if not _REPLAY:
        raise RuntimeError("no warm-up replay is registered; lrscout/__init__.py registers "
                           "lrscout.workflows.warmup's when lrscout is imported")
    return _REPLAY[0](problem, candidate, warmup_steps, result)


__all__ = ["Recommendation", "WarmupCheck", "divergence_point", "early_instability", "recommend_schedule",
           "register_warmup_replay"]
