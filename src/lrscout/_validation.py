"""Argument checks for the public API, declared once per argument instead of written as ifs, and
how a message names an argument: as the Python keyword, or as the caller spells it (the
command line spells ``val_fraction`` as ``--val-fraction``).

Each public entry point states what every argument must be (``Int(minimum=1)``,
``Real(low=0)``, ``OneOf(...)``, ``Function("...")``, ``PathArg()``...), either with the
``checked`` decorator or by calling a constraint directly. A value that does not fit raises
``InvalidConfigError`` naming the argument, the value given and what it must be instead, so
no user mistake reaches NumPy or Python as a bare ``TypeError`` or ``ValueError``.

``positive_int`` and ``finite_real`` are the two constraints most constructors use, kept as
functions for the many call sites that check one value.
"""

from __future__ import annotations

import functools
import inspect
import math
import os
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from numbers import Integral, Real as RealNumber
from typing import Any, Callable, Iterator, TypeVar

import numpy as np

from .errors import InvalidConfigError

F = TypeVar("F", bound=Callable[..., Any])

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


def _shown(value: object) -> str:
    """A value as a message shows it: its repr, cut short, with its type when that is not obvious."""
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    if isinstance(value, (str, bytes, bool, int, float, type(None))):
        return text
    return f"{text} ({type(value).__name__})"


class Constraint:
    """What one argument must be; calling it checks a value and returns it normalised."""

    expected: str = "valid"

    def __call__(self, name: str, value: object) -> Any:
        raise NotImplementedError

    def fail(self, name: str, value: object, detail: str = "") -> InvalidConfigError:
        return InvalidConfigError(f"{name} must be {self.expected}{detail}, got {_shown(value)}")


@dataclass(frozen=True)
class Int(Constraint):
    """An integer (not a bool) in ``[minimum, maximum]``."""

    minimum: int = 1
    maximum: int | None = None

    @property
    def expected(self) -> str:  # type: ignore[override]
        if self.maximum is None:
            return f"an integer >= {self.minimum}"
        return f"an integer from {self.minimum} to {self.maximum}"

    def __call__(self, name: str, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise self.fail(name, value)
        number = int(value)
        if number < self.minimum or (self.maximum is not None and number > self.maximum):
            raise self.fail(name, value)
        return number


@dataclass(frozen=True)
class Real(Constraint):
    """A finite real number (not a bool) within optional bounds, each open or closed."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    @property
    def expected(self) -> str:  # type: ignore[override]
        return "a finite number"

    def __call__(self, name: str, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, RealNumber) or not math.isfinite(float(value)):
            raise self.fail(name, value)
        v = float(value)
        if self.low is not None and (v < self.low or (self.low_open and v == self.low)):
            raise InvalidConfigError(f"{name} must be {'>' if self.low_open else '>='} {self.low}, got {v!r}")
        if self.high is not None and (v > self.high or (self.high_open and v == self.high)):
            raise InvalidConfigError(f"{name} must be {'<' if self.high_open else '<='} {self.high}, got {v!r}")
        return v


@dataclass(frozen=True)
class Flag(Constraint):
    """``True`` or ``False`` (NumPy's booleans too); a number or a string is not a flag."""

    expected: str = "True or False"

    def __call__(self, name: str, value: object) -> bool:
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        raise self.fail(name, value)


@dataclass(frozen=True)
class OneOf(Constraint):
    """One of a few fixed values (compared with ``==``)."""

    options: tuple[Any, ...]

    @property
    def expected(self) -> str:  # type: ignore[override]
        return "one of " + ", ".join(repr(o) for o in self.options)

    def __call__(self, name: str, value: object) -> Any:
        for option in self.options:
            if type(value) is type(option) and value == option:
                return value
        raise self.fail(name, value)


@dataclass(frozen=True)
class Function(Constraint):
    """Something callable; ``expected`` says how it is called (``"a function step -> factor"``)."""

    expected: str = "a function"

    def __call__(self, name: str, value: object) -> Callable[..., Any]:
        if isinstance(value, type) or not callable(value):
            raise self.fail(name, value)
        return value


@dataclass(frozen=True)
class InstanceOf(Constraint):
    """An instance of one of ``types`` (given lazily as a callable, so that checking an
    argument never imports a module the caller did not)."""

    types: Callable[[], tuple[type, ...]]
    expected: str = "an instance of the right type"

    def __call__(self, name: str, value: object) -> Any:
        if not isinstance(value, self.types()):
            hint = f" (the class itself was given: call it, {value.__name__}(...))" if isinstance(value, type) else ""
            raise self.fail(name, value, hint)
        return value


@dataclass(frozen=True)
class SequenceOf(Constraint):
    """A list or tuple (any sequence but a string) whose every item is one of ``types`` (lazy, as in
    ``InstanceOf``); returned as a tuple."""

    types: Callable[[], tuple[type, ...]]
    expected: str = "a sequence of the right type"

    def __call__(self, name: str, value: object) -> tuple[Any, ...]:
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__") or not hasattr(value, "__len__"):
            raise self.fail(name, value)
        items = tuple(value)
        wrong = next((i for i, item in enumerate(items) if not isinstance(item, self.types())), None)
        if wrong is not None:
            raise self.fail(name, value, f" (item {wrong} is a {type(items[wrong]).__name__})")
        return items


@dataclass(frozen=True)
class PathArg(Constraint):
    """A file path: a non-empty ``str`` or ``os.PathLike``."""

    expected: str = "a file path (a str or pathlib.Path)"

    def __call__(self, name: str, value: object) -> str | os.PathLike[str]:
        if isinstance(value, os.PathLike):
            value_text = os.fspath(value)
        elif isinstance(value, str):
            value_text = value
        else:
            raise self.fail(name, value)
        if not isinstance(value_text, str) or not value_text.strip():
            raise self.fail(name, value)
        return value


@dataclass(frozen=True)
class Optional(Constraint):
    """``None``, or what ``inner`` accepts."""

    inner: Constraint

    @property
    def expected(self) -> str:  # type: ignore[override]
        return f"None or {self.inner.expected}"

    def __call__(self, name: str, value: object) -> Any:
        return None if value is None else self.inner(name, value)


def checked(**constraints: Constraint) -> Callable[[F], F]:
    """Check the named arguments of every call against their constraints before the body runs.

    The body receives the normalised values (an ``Int`` gives an ``int``, a ``Real`` a
    ``float``). Arguments that Python itself cannot bind (a missing or unknown one) still
    raise Python's ``TypeError``: that is a call written wrongly, not a bad value.
    """
    def decorate(fn: F) -> F:
        signature = inspect.signature(fn)
        unknown = set(constraints) - set(signature.parameters)
        if unknown:
            raise AssertionError(f"{fn.__qualname__} has no argument(s) {sorted(unknown)}")

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            for name, constraint in constraints.items():
                if name in bound.arguments:
                    bound.arguments[name] = constraint(name, bound.arguments[name])
            return fn(*bound.args, **bound.kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def positive_int(name: str, value: object, *, minimum: int = 1) -> int:
    return Int(minimum)(name, value)


def non_negative_int(name: str, value: object) -> int:
    """An integer >= 0 (a seed, a count that may be zero)."""
    return Int(0)(name, value)


def finite_real(name: str, value: object, *, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False) -> float:
    return Real(low, high, low_open, high_open)(name, value)
