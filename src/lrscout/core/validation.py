"""Small boundary checks shared by the constructors of every layer (messages name the bad
value), and how a message names an argument: as the Python keyword, or as the caller spells it
(the command line spells ``val_fraction`` as ``--val-fraction``)."""

from __future__ import annotations

import math
from contextlib import contextmanager
from contextvars import ContextVar
from numbers import Integral, Real
from typing import Callable, Iterator

from ..errors import InvalidConfigError

# How messages spell an argument: a Python keyword as it is, unless a caller says otherwise
_SPELLING: ContextVar[Callable[[str], str]] = ContextVar("lrscout_argument_spelling", default=str)


def argument(name: str) -> str:
    """The argument ``name`` as the user gave it: the Python keyword (``val_fraction``), or, inside
    ``spelled_as(...)``, that caller's spelling of it (``--val-fraction`` on the command line)."""
    return _SPELLING.get()(name)


@contextmanager
def spelled_as(spelling: Callable[[str], str]) -> Iterator[None]:
    """Messages raised inside the block name arguments as ``spelling(name)`` does."""
    token = _SPELLING.set(spelling)
    try:
        yield
    finally:
        _SPELLING.reset(token)


def positive_int(name: str, value: object, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise InvalidConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def non_negative_int(name: str, value: object) -> int:
    """An integer >= 0 (a seed, a count that may be zero)."""
    return positive_int(name, value, minimum=0)


def finite_real(name: str, value: object, *, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise InvalidConfigError(f"{name} must be a finite number, got {value!r}")
    v = float(value)
    if low is not None and (v < low or (low_open and v == low)):
        raise InvalidConfigError(f"{name} must be {'>' if low_open else '>='} {low}, got {v!r}")
    if high is not None and (v > high or (high_open and v == high)):
        raise InvalidConfigError(f"{name} must be {'<' if high_open else '<='} {high}, got {v!r}")
    return v
