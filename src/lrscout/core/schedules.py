"""Learning-rate schedules as plain values: ``schedule(step) -> lr``, with 0-based steps.

Each schedule is a frozen dataclass: immutable, picklable, comparable, with a repr that
reads back as code, and validated when built (a bad argument raises ``InvalidConfigError``,
a ``ValueError``, naming it; nothing is silently clamped). So a schedule can be stored in a
results file, sent to a worker process or plotted, and means the same thing everywhere.

Schedules (the lower-case names are what you call; each builds the class after it):

- ``constant(lr)`` -- ``Constant``
- ``linear(start, end, steps)`` -- ``Linear``; holds ``end`` after ``steps``
- ``linear_warmup(peak, steps, start=0.0)`` -- a ``Linear`` from ``start`` up to ``peak``
- ``step_decay(lr, step_size, gamma=0.1)`` -- ``StepDecay`` (torch ``StepLR``)
- ``exponential_decay(lr, gamma)`` -- ``ExponentialDecay`` (torch ``ExponentialLR``)
- ``cosine_decay(peak, steps, floor=0.0)`` -- ``CosineDecay`` (torch ``CosineAnnealingLR``)
- ``one_cycle(max_lr, total_steps, ...)`` -- ``OneCycle`` (torch ``OneCycleLR``), with
  ``.momentum(step)``
- ``cyclic(base_lr, max_lr, step_size_up, ...)`` -- ``Cyclic`` (torch ``CyclicLR``)
- ``cosine_warm_restarts(peak, period, period_mult=1, floor=0.0)`` -- ``CosineWarmRestarts``
  (torch ``CosineAnnealingWarmRestarts``)
- ``join(schedules, boundaries)`` -- ``Join`` (optax ``join_schedules``)
- ``warmup_cosine(peak, warmup_steps, total_steps, floor=0.0)`` -- a ``Join`` of a linear
  warm-up from 0 and a cosine decay

"== torch" means the same values step for step as torch's scheduler over its defined range
(the tests check it); past the end of a finite schedule the value stays at its final value,
where torch's cosine rises again and its ``OneCycleLR`` extrapolates or raises.

Using them: ``schedule.values(n)`` / ``evaluate(schedule, n)`` give the first ``n`` values
as a float64 array (for plots); ``iterate(schedule)`` yields them for any training loop;
``lrscout.schedules.to_torch(schedule, optimizer)`` drives a PyTorch optimizer (its work lives in
``lrscout.torch.schedules``; this module never imports torch).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import InvalidConfigError
from .._validation import finite_real, positive_int

VALUE_BYTES = 8   # one float64 per step

__all__ = [
    "Schedule", "Constant", "Linear", "StepDecay", "ExponentialDecay", "CosineDecay",
    "OneCycle", "Cyclic", "CosineWarmRestarts", "Join",
    "constant", "linear", "linear_warmup", "step_decay", "exponential_decay", "cosine_decay",
    "one_cycle", "cyclic", "cosine_warm_restarts", "join", "warmup_cosine",
    "evaluate", "iterate",
]


# --- checks: every message starts with the function the user called, then the argument ---

def _positive(fn: str, name: str, value: object) -> float:
    return finite_real(f"{fn}: {name}", value, low=0.0, low_open=True)


def _non_negative(fn: str, name: str, value: object) -> float:
    return finite_real(f"{fn}: {name}", value, low=0.0)


def _factor(fn: str, name: str, value: object) -> float:
    """A decay factor in (0, 1]: above 1 the lr would grow without bound."""
    return finite_real(f"{fn}: {name}", value, low=0.0, low_open=True, high=1.0)


def _count(fn: str, name: str, value: object, minimum: int = 1) -> int:
    return positive_int(f"{fn}: {name}", value, minimum=minimum)


def _not_above(fn: str, low_name: str, low: float, high_name: str, high: float) -> None:
    if low > high:
        raise InvalidConfigError(
            f"{fn}: {low_name} must not exceed {high_name}, "
            f"got {low_name}={low!r}, {high_name}={high!r}")


def _cosine(start: float, end: float, fraction: float) -> float:
    """Half a cosine from ``start`` (fraction 0) to ``end`` (fraction 1)."""
    return end + (start - end) * (1.0 + math.cos(math.pi * fraction)) / 2.0


class Schedule:
    """Base of every schedule: a pure function of the (0-based, integer) step."""

    _name: ClassVar[str]

    def __call__(self, step: int) -> float:
        return float(self._lr(_count(self._name, "step", step, minimum=0)))

    def values(self, n: int) -> np.ndarray:
        """The first ``n`` values (steps ``0 .. n-1``) as a float64 array."""
        return evaluate(self, n)

    def _lr(self, step: int) -> float:
        raise NotImplementedError

    def _set(self, **fields: Any) -> None:
        """Store normalised field values (the dataclasses are frozen)."""
        for name, value in fields.items():
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class Constant(Schedule):
    """The same lr at every step: the baseline every other schedule is compared with."""

    lr: float
    _name: ClassVar[str] = "constant"

    def __post_init__(self) -> None:
        self._set(lr=_positive(self._name, "lr", self.lr))

    def _lr(self, step: int) -> float:
        return self.lr


@dataclass(frozen=True)
class Linear(Schedule):
    """From ``start`` at step 0 to ``end`` at step ``steps``, then ``end`` for ever (up or down)."""

    start: float
    end: float
    steps: int
    _name: ClassVar[str] = "linear"

    def __post_init__(self) -> None:
        self._set(start=_non_negative(self._name, "start", self.start),
                  end=_non_negative(self._name, "end", self.end),
                  steps=_count(self._name, "steps", self.steps))
        if self.start == 0 and self.end == 0:
            raise InvalidConfigError(f"{self._name}: start and end are both 0, a learning rate of 0 at every step; "
                                     "give a positive start or end")

    def _lr(self, step: int) -> float:
        if step >= self.steps:
            return self.end  # exactly: start + (end - start) * 1 can round below a 0 end
        value = self.start + (self.end - self.start) * (step / self.steps)
        return min(max(value, min(self.start, self.end)), max(self.start, self.end))  # rounding stays inside


@dataclass(frozen=True)
class StepDecay(Schedule):
    """``lr * gamma ** (step // step_size)``: drop by ``gamma`` every ``step_size`` steps.

    Examples:
        >>> from lrscout.schedules import step_decay
        >>> s = step_decay(0.1, step_size=30)
        >>> [round(s(t), 6) for t in (0, 29, 30, 60)]
        [0.1, 0.1, 0.01, 0.001]
    """

    lr: float
    step_size: int
    gamma: float = 0.1
    _name: ClassVar[str] = "step_decay"

    def __post_init__(self) -> None:
        self._set(lr=_positive(self._name, "lr", self.lr),
                  step_size=_count(self._name, "step_size", self.step_size),
                  gamma=_factor(self._name, "gamma", self.gamma))

    def _lr(self, step: int) -> float:
        return self.lr * self.gamma ** (step // self.step_size)


@dataclass(frozen=True)
class ExponentialDecay(Schedule):
    """``lr * gamma ** step``: a smooth geometric decay."""

    lr: float
    gamma: float
    _name: ClassVar[str] = "exponential_decay"

    def __post_init__(self) -> None:
        self._set(lr=_positive(self._name, "lr", self.lr),
                  gamma=_factor(self._name, "gamma", self.gamma))

    def _lr(self, step: int) -> float:
        return self.lr * self.gamma ** step


@dataclass(frozen=True)
class CosineDecay(Schedule):
    """Half a cosine from ``peak`` at step 0 to ``floor`` at step ``steps``, then ``floor``.

    ``lr(t) = floor + (peak - floor) * (1 + cos(pi * min(t, steps) / steps)) / 2``

    Examples:
        >>> from lrscout.schedules import cosine_decay
        >>> s = cosine_decay(0.1, 100)
        >>> s(0), s(50), s(100), s(150)
        (0.1, 0.05, 0.0, 0.0)
        >>> round(cosine_decay(0.1, 100, floor=0.01)(50), 6)
        0.055
    """

    peak: float
    steps: int
    floor: float = 0.0
    _name: ClassVar[str] = "cosine_decay"

    def __post_init__(self) -> None:
        self._set(peak=_positive(self._name, "peak", self.peak),
                  steps=_count(self._name, "steps", self.steps),
                  floor=_non_negative(self._name, "floor", self.floor))
        _not_above(self._name, "floor", self.floor, "peak", self.peak)

    def _lr(self, step: int) -> float:
        return _cosine(self.peak, self.floor, min(step, self.steps) / self.steps)


@dataclass(frozen=True)
class OneCycle(Schedule):
    """The 1cycle policy (Smith & Topin), step for step like torch's ``OneCycleLR``.

    Starts at ``max_lr / div_factor``, rises to ``max_lr`` at step ``pct_start * total_steps
    - 1`` (torch's boundary, which may fall between steps), then anneals to
    ``max_lr / div_factor / final_div_factor`` at step ``total_steps - 1`` and stays there.
    With ``three_phase`` it first comes back down symmetrically to the initial lr (at step
    ``2 * pct_start * total_steps - 2``) and only then anneals to the minimum. Momentum cycles
    the other way between ``max_momentum`` and ``base_momentum``: read it with
    ``.momentum(step)``.
    """

    max_lr: float
    total_steps: int
    pct_start: float = 0.3
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    anneal: str = "cos"
    three_phase: bool = False
    base_momentum: float = 0.85
    max_momentum: float = 0.95
    _name: ClassVar[str] = "one_cycle"

    def __post_init__(self) -> None:
        fn = self._name
        self._set(max_lr=_positive(fn, "max_lr", self.max_lr),
                  total_steps=_count(fn, "total_steps", self.total_steps),
                  pct_start=finite_real(f"{fn}: pct_start", self.pct_start, low=0.0, high=1.0,
                                        low_open=True, high_open=True),
                  div_factor=finite_real(f"{fn}: div_factor", self.div_factor, low=1.0),
                  final_div_factor=finite_real(f"{fn}: final_div_factor", self.final_div_factor,
                                               low=1.0),
                  base_momentum=finite_real(f"{fn}: base_momentum", self.base_momentum,
                                            low=0.0, high=1.0, high_open=True),
                  max_momentum=finite_real(f"{fn}: max_momentum", self.max_momentum,
                                           low=0.0, high=1.0, high_open=True))
        _not_above(fn, "base_momentum", self.base_momentum, "max_momentum", self.max_momentum)
        if self.anneal not in ("cos", "linear"):
            raise InvalidConfigError(f"{fn}: anneal must be 'cos' or 'linear', got {self.anneal!r}")
        if not isinstance(self.three_phase, bool):
            raise InvalidConfigError(
                f"{fn}: three_phase must be True or False, got {self.three_phase!r}")
        ends = self._phase_ends()
        if not all(a < b for a, b in zip((0.0, *ends), ends)):
            raise InvalidConfigError(
                f"{fn}: pct_start={self.pct_start!r} with total_steps={self.total_steps} leaves a "
                f"phase without steps (phases end at steps {ends}); need pct_start * total_steps > 1"
                + (" and 2 * pct_start * total_steps < total_steps + 1" if self.three_phase else ""))

    def _phase_ends(self) -> tuple[float, ...]:
        # Exactly torch's float expressions, so the phases switch at the same steps.
        peak = float(self.pct_start * self.total_steps) - 1
        last = self.total_steps - 1
        if self.three_phase:
            return peak, float(2 * self.pct_start * self.total_steps) - 2, last
        return peak, last

    def _anneal(self, step: int, knots: tuple[float, ...]) -> float:
        """Interpolate ``knots`` (the values at 0 and at each phase end) at ``step``."""
        step = min(step, self.total_steps - 1)
        start = 0.0
        ends = self._phase_ends()
        for i, end in enumerate(ends):
            if step <= end or i == len(ends) - 1:
                fraction = (step - start) / (end - start)
                a, b = knots[i], knots[i + 1]
                return _cosine(a, b, fraction) if self.anneal == "cos" else a + (b - a) * fraction
            start = end
        raise AssertionError("unreachable")

    def _lr(self, step: int) -> float:
        initial = self.max_lr / self.div_factor
        low = initial / self.final_div_factor
        knots = (initial, self.max_lr, initial, low) if self.three_phase else (initial, self.max_lr, low)
        return self._anneal(step, knots)

    def momentum(self, step: int) -> float:
        """The momentum (or Adam's beta1) to pair with ``self(step)``: low when the lr is high."""
        step = _count(self._name, "step", step, minimum=0)
        hi, lo = self.max_momentum, self.base_momentum
        return float(self._anneal(step, (hi, lo, hi, hi) if self.three_phase else (hi, lo, hi)))


_CYCLIC_MODES = ("triangular", "triangular2", "exp_range")


@dataclass(frozen=True)
class Cyclic(Schedule):
    """Triangular cycles between ``base_lr`` and ``max_lr`` (Smith's CLR), like torch's ``CyclicLR``.

    Each cycle rises for ``step_size_up`` steps and falls for ``step_size_down`` (default: the
    same). ``triangular2`` halves the amplitude every cycle; ``exp_range`` scales it by
    ``gamma ** step`` -- the global step, as torch does, not the step within the cycle.
    """

    base_lr: float
    max_lr: float
    step_size_up: int
    step_size_down: int | None = None
    mode: str = "triangular"
    gamma: float = 1.0
    _name: ClassVar[str] = "cyclic"

    def __post_init__(self) -> None:
        fn = self._name
        self._set(base_lr=_non_negative(fn, "base_lr", self.base_lr),
                  max_lr=_positive(fn, "max_lr", self.max_lr),
                  step_size_up=_count(fn, "step_size_up", self.step_size_up),
                  gamma=_factor(fn, "gamma", self.gamma))
        if self.step_size_down is not None:
            self._set(step_size_down=_count(fn, "step_size_down", self.step_size_down))
        if self.base_lr > self.max_lr:
            raise InvalidConfigError(f"{fn}: max_lr must be at least base_lr, "
                                     f"got max_lr={self.max_lr!r}, base_lr={self.base_lr!r}")
        if self.mode not in _CYCLIC_MODES:
            raise InvalidConfigError(f"{fn}: mode must be one of {_CYCLIC_MODES}, got {self.mode!r}")
        if self.mode != "exp_range" and self.gamma != 1.0:
            raise InvalidConfigError(f"{fn}: gamma only applies to mode='exp_range', "
                                     f"got gamma={self.gamma!r} with mode={self.mode!r}")

    def _lr(self, step: int) -> float:
        up = float(self.step_size_up)
        total = up + float(self.step_size_up if self.step_size_down is None else self.step_size_down)
        ratio = up / total
        cycle = math.floor(1 + step / total)
        x = 1.0 + step / total - cycle  # position within the cycle, in [0, 1)
        rise = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        if self.mode == "triangular":
            scale = 1.0
        elif self.mode == "triangular2":
            scale = 0.5 ** (cycle - 1)  # torch's 1 / 2.0 ** (cycle - 1), without its overflow
        else:
            scale = self.gamma ** step
        return self.base_lr + (self.max_lr - self.base_lr) * rise * scale


@dataclass(frozen=True)
class CosineWarmRestarts(Schedule):
    """SGDR: cosine from ``peak`` towards ``floor`` over ``period`` steps, then restart at ``peak``.

    Each period is ``period_mult`` times longer than the one before (torch's ``T_mult``).
    """

    peak: float
    period: int
    period_mult: int = 1
    floor: float = 0.0
    _name: ClassVar[str] = "cosine_warm_restarts"

    def __post_init__(self) -> None:
        fn = self._name
        self._set(peak=_positive(fn, "peak", self.peak),
                  period=_count(fn, "period", self.period),
                  period_mult=_count(fn, "period_mult", self.period_mult),
                  floor=_non_negative(fn, "floor", self.floor))
        _not_above(fn, "floor", self.floor, "peak", self.peak)

    def _lr(self, step: int) -> float:
        length = self.period
        if self.period_mult == 1:
            step %= length
        else:
            while step >= length:  # integer arithmetic: restarts land on exact steps
                step -= length
                length *= self.period_mult
        return _cosine(self.peak, self.floor, step / length)


@dataclass(frozen=True)
class Join(Schedule):
    """Run ``schedules[i]`` from ``boundaries[i-1]`` on, each with its own step counter from 0.

    Like optax's ``join_schedules``: at step ``boundaries[i-1]`` schedule ``i`` sees step 0.
    Any callable ``int -> float`` can be joined, not only the schedules here.

    ``lr(t) = schedules[i](t - b)``, where ``i`` is how many boundaries are ``<= t`` and ``b``
    the last of them (0 when ``i = 0``).

    Examples:
        A 10-step warm-up, then 0.1 until step 100, then 0.01:

        >>> from lrscout.schedules import constant, join, linear_warmup
        >>> s = join([linear_warmup(0.1, 10), constant(0.1), constant(0.01)], [10, 100])
        >>> [s(t) for t in (0, 5, 10, 99, 100, 1000)]
        [0.0, 0.05, 0.1, 0.1, 0.01, 0.01]
    """

    schedules: tuple[Callable[[int], float], ...]
    boundaries: tuple[int, ...]
    _name: ClassVar[str] = "join"

    def __post_init__(self) -> None:
        fn = self._name
        try:
            schedules, boundaries = tuple(self.schedules), tuple(self.boundaries)
        except TypeError:
            raise InvalidConfigError(f"{fn}: schedules and boundaries must be sequences, got "
                                     f"{self.schedules!r} and {self.boundaries!r}") from None
        if not schedules or not all(callable(s) for s in schedules):
            raise InvalidConfigError(
                f"{fn}: schedules must be a non-empty sequence of schedules, got {self.schedules!r}")
        if len(boundaries) != len(schedules) - 1:
            raise InvalidConfigError(
                f"{fn}: boundaries must have len(schedules) - 1 = {len(schedules) - 1} entries, "
                f"got {len(boundaries)}: {boundaries!r}")
        boundaries = tuple(_count(fn, "boundaries", b) for b in boundaries)
        if not all(a < b for a, b in zip(boundaries, boundaries[1:])):
            raise InvalidConfigError(f"{fn}: boundaries must be strictly increasing, got {boundaries!r}")
        self._set(schedules=schedules, boundaries=boundaries)

    def _lr(self, step: int) -> float:
        i = bisect.bisect_right(self.boundaries, step)
        return self.schedules[i](step - (self.boundaries[i - 1] if i else 0))


# The names to call. They are the classes themselves, so there is one signature to keep.
constant = Constant
linear = Linear
step_decay = StepDecay
exponential_decay = ExponentialDecay
cosine_decay = CosineDecay
one_cycle = OneCycle
cyclic = Cyclic
cosine_warm_restarts = CosineWarmRestarts
join = Join


def linear_warmup(peak: float, steps: int, start: float = 0.0) -> Linear:
    """Climb linearly from ``start`` to ``peak`` over ``steps`` steps, then hold ``peak``.

    ``lr(t) = start + (peak - start) * min(t, steps) / steps``

    Examples:
        >>> from lrscout.schedules import linear_warmup
        >>> s = linear_warmup(0.1, 4)
        >>> s
        Linear(start=0.0, end=0.1, steps=4)
        >>> [round(s(t), 6) for t in range(6)]
        [0.0, 0.025, 0.05, 0.075, 0.1, 0.1]
    """
    fn = "linear_warmup"
    peak, start = _positive(fn, "peak", peak), _non_negative(fn, "start", start)
    _not_above(fn, "start", start, "peak", peak)
    return Linear(start, peak, _count(fn, "steps", steps))


def warmup_cosine(peak: float, warmup_steps: int, total_steps: int, floor: float = 0.0) -> Join:
    """Warm up linearly from 0 to ``peak``, then cosine-decay to ``floor`` at ``total_steps``.

    The usual transformer recipe in one line; ``total_steps`` counts the warm-up too: a
    ``join`` of ``linear_warmup(peak, warmup_steps)`` and
    ``cosine_decay(peak, total_steps - warmup_steps, floor)`` at ``warmup_steps``.

    Examples:
        >>> from lrscout.schedules import warmup_cosine
        >>> s = warmup_cosine(0.1, warmup_steps=10, total_steps=110)
        >>> s.boundaries
        (10,)
        >>> [round(s(t), 6) for t in (0, 5, 10, 60, 110)]
        [0.0, 0.05, 0.1, 0.05, 0.0]
        >>> int(s.values(111).argmax())    # the peak, at the end of the warm-up
        10
    """
    fn = "warmup_cosine"
    peak, floor = _positive(fn, "peak", peak), _non_negative(fn, "floor", floor)
    _not_above(fn, "floor", floor, "peak", peak)
    warmup_steps = _count(fn, "warmup_steps", warmup_steps)
    total_steps = _count(fn, "total_steps", total_steps)
    if total_steps <= warmup_steps:
        raise InvalidConfigError(f"{fn}: total_steps must exceed warmup_steps, "
                                 f"got total_steps={total_steps}, warmup_steps={warmup_steps}")
    decay = CosineDecay(peak, total_steps - warmup_steps, floor)
    return Join((linear_warmup(peak, warmup_steps), decay), (warmup_steps,))


def evaluate(schedule: Callable[[int], float], n: int) -> np.ndarray:
    """The first ``n`` values of any ``int -> float`` callable as a float64 array (for plots).

    Works for ``one_cycle(...).momentum`` and hand-written schedules too.
    """
    from ..data import memory

    n = _count("evaluate", "n", n, minimum=0)
    schedule = _schedule_arg("evaluate", schedule)
    available = memory.available_bytes()
    if available is not None and n * VALUE_BYTES > available:   # refused before allocating, not half-way
        raise InvalidConfigError(f"evaluate: n={n:,} values take {memory.format_bytes(n * VALUE_BYTES)} of memory "
                                 f"and about {memory.format_bytes(available)} is available; evaluate fewer steps, "
                                 "or call the schedule at the steps you need (schedule(step))")
    try:
        return np.fromiter(map(schedule, range(n)), dtype=np.float64, count=n)
    except (MemoryError, OverflowError):   # numpy cannot hold that many values
        raise InvalidConfigError(f"evaluate: n={n} values do not fit in memory; ask for fewer steps") from None


def iterate(schedule: Callable[[int], float], steps: int | None = None) -> Iterator[float]:
    """Yield ``schedule(0), schedule(1), ...`` (``steps`` values, or for ever) for any framework."""
    schedule = _schedule_arg("iterate", schedule)
    if steps is None:
        return map(schedule, itertools.count())
    return map(schedule, range(_count("iterate", "steps", steps, minimum=0)))


def _schedule_arg(fn: str, schedule: object) -> Callable[[int], float]:
    if isinstance(schedule, type) or not callable(schedule):
        raise InvalidConfigError(f"{fn}: schedule must be a function step -> lr (e.g. lrscout.schedules."
                                 f"cosine_decay(0.1, 1000)), got {schedule!r:.80}")
    return schedule
