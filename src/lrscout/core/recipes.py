"""Schedule recipes: what each kind of schedule means around a peak rate, in one place.

``build_schedule(kind, peak, total_steps)`` is shared by ``recommend_schedule`` (which chooses
the peak and the warm-up from a sweep) and ``lrscout schedule`` (where the user gives them), so
both mean the same thing by a kind.
"""

from __future__ import annotations

import math

from ..errors import InvalidConfigError
from .schedules import Schedule, constant, cosine_decay, one_cycle, step_decay, warmup_cosine
from .._validation import finite_real, non_negative_int, positive_int

KINDS = ("warmup_cosine", "cosine", "one_cycle", "step", "constant")
DEFAULT_WARMUP_FRACTION = 0.05   # a warm-up this short costs little when nothing asked for one
ONE_CYCLE_DIV = 25.0             # torch's OneCycleLR div_factor: start at max_lr / 25
ONE_CYCLE_PCT = 0.3              # torch's OneCycleLR pct_start: rise for 30% of the run
STEP_DROPS = 3                   # step decay: divide by 10 every third of the run


def build_schedule(kind: str, peak: float, total_steps: int, *, warmup_steps: int = 0) -> Schedule:
    """The schedule of ``kind`` peaking at ``peak`` over ``total_steps`` (one recipe per kind).

    Shared by ``recommend_schedule`` and ``lrscout schedule`` so both mean the same thing by a
    kind. ``warmup_steps`` applies to ``warmup_cosine`` (0 picks the default share) and sets
    the rising phase of ``one_cycle`` (its peak at step ``warmup_steps``, as ``warmup_cosine``'s;
    0: torch's 30% of the run, see ``one_cycle_rise``); any other kind takes no warm-up.
    ``peak`` is ``one_cycle``'s max_lr.
    """
    if kind not in KINDS:
        raise InvalidConfigError(f"schedule kind must be one of {', '.join(KINDS)}, got {kind!r}")
    total_steps = positive_int("total_steps", total_steps, minimum=2)
    peak = finite_real("peak", peak, low=0.0, low_open=True)
    warmup_steps = non_negative_int("warmup_steps", warmup_steps)
    if warmup_steps >= total_steps:
        raise InvalidConfigError(f"warmup_steps must be fewer than total_steps ({total_steps}), got {warmup_steps}")
    if warmup_steps and kind not in ("warmup_cosine", "one_cycle"):
        raise InvalidConfigError(f"warmup_steps={warmup_steps} does not apply to a {kind} schedule; a warm-up "
                                 "comes with warmup_cosine or one_cycle")
    if kind == "warmup_cosine":
        return warmup_cosine(peak, warmup_steps or default_warmup(total_steps), total_steps)
    if kind == "cosine":
        return cosine_decay(peak, total_steps)
    if kind == "step":
        return step_decay(peak, max(1, math.ceil(total_steps / STEP_DROPS)), 0.1)
    if kind == "constant":
        return constant(peak)
    return one_cycle(peak, total_steps, pct_start=one_cycle_rise(total_steps, warmup_steps),
                     div_factor=ONE_CYCLE_DIV)


def one_cycle_rise(total_steps: int, warmup_steps: int = 0) -> float:
    """``pct_start`` for a one-cycle run: the peak at step ``warmup_steps`` (as ``warmup_cosine``
    peaks), else torch's 30% of the run.

    torch's ``OneCycleLR`` peaks at step ``pct_start * total_steps - 1``, which must fall after
    step 0 and before the last step; a run too short for 30% to peak at least half a step in
    rises for longer.
    """
    if warmup_steps:
        if warmup_steps > total_steps - 2:
            raise InvalidConfigError(f"one_cycle: warmup_steps must be at most total_steps - 2 = {total_steps - 2} "
                                     f"(the peak needs a step after it to anneal), got {warmup_steps}")
        return (warmup_steps + 1) / total_steps
    return max(ONE_CYCLE_PCT, 1.5 / total_steps)


def default_warmup(total_steps: int) -> int:
    return max(1, round(DEFAULT_WARMUP_FRACTION * total_steps))


__all__ = ["DEFAULT_WARMUP_FRACTION", "KINDS", "ONE_CYCLE_DIV", "ONE_CYCLE_PCT", "STEP_DROPS", "build_schedule",
           "default_warmup", "one_cycle_rise"]
