"""Log-spaced learning-rate grids, and validation of grids the user writes by hand."""

from __future__ import annotations

import math
from typing import Iterable

from ..errors import InvalidGridError
from .._validation import argument

# The seeds' x3 increments: 1e-4, 3e-4, 1e-3, 3e-3, ... (not exact powers of 3, which drift).
_X3_MANTISSAS = (1.0, 3.0)


def log_grid(start: float, stop: float, factor: float | None = None, *,
             per_decade: int | None = None) -> tuple[float, ...]:
    """Learning rates from ``start`` to ``stop`` (both included when on the grid), log-spaced.

    ``factor=10`` gives 1e-4, 1e-3, ..., 1; ``factor=3`` gives the 1-3-10 ladder
    (1e-4, 3e-4, 1e-3, ...); ``per_decade=N`` gives N evenly log-spaced points per decade.

    The points are ``m * 10**k`` for every integer ``k`` and every mantissa ``m`` of the
    spacing (``1``; ``1, 3``; or ``10**(i / N)`` for ``i = 0 .. N-1``), rounded to 12
    significant digits, that lie in ``[start, stop]`` (to a relative 1e-9). A bad argument
    raises ``InvalidGridError``.

    Examples:
        >>> from lrscout import log_grid
        >>> log_grid(1e-4, 1)
        (0.0001, 0.001, 0.01, 0.1, 1.0)
        >>> log_grid(1e-3, 0.1, 3)
        (0.001, 0.003, 0.01, 0.03, 0.1)
        >>> log_grid(0.01, 0.1, per_decade=4)
        (0.01, 0.0177827941004, 0.0316227766017, 0.056234132519, 0.1)
    """
    for name, value in (("start", start), ("stop", stop)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise InvalidGridError(f"log_grid: {name} must be a positive finite number, got {value!r}")
    if stop < start:
        raise InvalidGridError(f"log_grid: stop ({stop:g}) must not be below start ({start:g})")
    if factor is not None and per_decade is not None:
        raise InvalidGridError("log_grid: give factor or per_decade, not both")
    if per_decade is None:
        factor = 10 if factor is None else factor
        if factor == 10:
            mantissas: tuple[float, ...] = (1.0,)
        elif factor == 3:
            mantissas = _X3_MANTISSAS
        else:
            raise InvalidGridError(f"log_grid: factor must be 10 or 3 (x10, or about x3 within a decade), "
                                   f"got {factor!r}; use per_decade=N for other spacings")
    else:
        if isinstance(per_decade, bool) or not isinstance(per_decade, int) or per_decade < 1:
            raise InvalidGridError(f"log_grid: per_decade must be a positive integer, got {per_decade!r}")
        mantissas = tuple(10 ** (i / per_decade) for i in range(per_decade))
    lo = math.floor(math.log10(start)) - 1
    hi = math.ceil(math.log10(stop)) + 1
    tol = 1e-9
    values = [float(f"{m * 10.0 ** e:.12g}") for e in range(lo, hi + 1) for m in mantissas]
    grid = tuple(v for v in values if start * (1 - tol) <= v <= stop * (1 + tol))
    if not grid:
        raise InvalidGridError(f"log_grid: no grid point between {start:g} and {stop:g}")
    return grid


def check_grid(lrs: Iterable[float], *, where: str = "learning rates") -> tuple[float, ...]:
    """Validate a hand-written grid and return it sorted; the message names the bad value."""
    try:
        if isinstance(lrs, (str, bytes)):   # a string iterates over its characters
            raise TypeError
        values = list(lrs)
    except TypeError as exc:
        raise InvalidGridError(f"{where}: expected a list of numbers, got {lrs!r}") from exc
    if not values:
        raise InvalidGridError(f"{where}: the grid is empty; give at least one learning rate")
    out = []
    for i, v in enumerate(values):
        if isinstance(v, bool):
            raise InvalidGridError(f"{where}: entry {i} is {v!r}, not a number")
        try:
            f = float(v)
        except (TypeError, ValueError) as exc:
            raise InvalidGridError(f"{where}: entry {i} ({v!r}) is not a number") from exc
        if not math.isfinite(f):
            raise InvalidGridError(f"{where}: entry {i} is {v!r}; learning rates must be finite")
        if f <= 0:
            raise InvalidGridError(f"{where}: entry {i} is {v!r}; learning rates must be positive")
        out.append(f)
    ordered = sorted(out)
    dupes = sorted({a for a, b in zip(ordered, ordered[1:]) if a == b})
    if dupes:
        raise InvalidGridError(f"{where}: duplicate learning rate(s) {', '.join(f'{d:g}' for d in dupes)}; "
                               "each rate may appear once")
    return tuple(ordered)


def parse_grid(text: str) -> tuple[float, ...]:
    """Parse ``"1e-3,1e-2,0.1"`` (commas and/or spaces) into a checked grid."""
    where = argument("lrs")    # ``--lrs`` on the command line
    parts = [p for p in text.replace(",", " ").split() if p]
    values = []
    for p in parts:
        try:
            values.append(float(p))
        except ValueError as exc:
            raise InvalidGridError(f"{where}: {p!r} is not a number (expected e.g. 1e-3,1e-2,0.1)") from exc
    return check_grid(values, where=where)
