"""A plain callable as a problem: ``train(lr, steps) -> per-step losses``, for any framework.

JAX, Keras or scikit-learn users get the sweep, the verdicts and the choice without an
adapter. The callable must start from the same initial state on every call (build the model
inside it). It may return:

- a sequence of per-step training losses;
- a pair ``(losses, val_loss)``;
- a mapping with ``"train_loss"`` and optionally ``"val_loss"``.

If it accepts a keyword argument ``should_stop``, it is given a function
``should_stop(loss) -> bool`` to call after each step, so a diverging candidate can be
stopped early; otherwise the curve is cut where it would have been pruned. An exception
records that candidate as failed, and the sweep goes on with the others.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .._validation import Function, InstanceOf, Optional, checked, positive_int
from ..core.pruning import DivergencePruner
from ..core.types import Trace
from ..errors import InvalidConfigError


class CallableProblem:
    """``train_fn(lr, steps)`` as a problem: the module docstring says what it may return.

    ``train_fn`` must train from the same initial state on every call and report ``steps``
    per-step training losses (fewer only when it stopped a diverging run: ``should_stop`` said
    so, or its last loss is NaN/inf or past the pruning ratio).
    ``name`` is the model's name in the results (default: the function's name).
    """

    @checked(train_fn=Function("a function train_fn(lr, steps) returning per-step losses"),
             name=Optional(InstanceOf(lambda: (str,), "a str")))
    def __init__(self, train_fn: Callable[..., Any], *, name: str | None = None) -> None:
        self.train_fn = train_fn
        self.name = name or getattr(train_fn, "__name__", type(train_fn).__name__)
        params: Mapping[str, inspect.Parameter]
        try:
            params = inspect.signature(train_fn).parameters
        except (TypeError, ValueError):
            params = {}
        self._takes_should_stop = "should_stop" in params or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())

    def describe(self) -> Mapping[str, Any]:
        return {"problem": "callable", "model": self.name}

    def train(self, lrs: Sequence[float], steps: int, *, pruner: DivergencePruner | None = None) -> list[Trace]:
        steps = positive_int("steps", steps)
        return [self._train_one(float(lr), steps, pruner) for lr in lrs]

    def train_one(self, lr: float, steps: int, *, pruner: DivergencePruner | None = None) -> Trace:
        """One candidate: the function called once (``TrainsOneAtATime``; ``train`` calls it once per rate)."""
        return self.train([lr], steps, pruner=pruner)[0]

    def fingerprint(self) -> str:
        """The function's module and qualified name (``Fingerprinted``). What lives inside it, such
        as a data version, is not seen: pass ``config=`` to ``sweep`` to guard that too."""
        fn = self.train_fn
        return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"

    def _train_one(self, lr: float, steps: int, pruner: DivergencePruner | None) -> Trace:
        seen: list[float] = []
        told_to_stop = False

        def should_stop(loss: float) -> bool:
            nonlocal told_to_stop
            seen.append(float(loss))
            stop = pruner.stop_one(seen[0], float(loss)) if pruner else not math.isfinite(float(loss))
            told_to_stop = told_to_stop or stop
            return stop

        try:
            out = self.train_fn(lr, steps, should_stop=should_stop) if self._takes_should_stop \
                else self.train_fn(lr, steps)
            losses, val = _unpack(out)
        except Exception as exc:  # a user's training code failing is a result, not a crash
            return Trace(lr=lr, train_loss=np.array(seen), error=f"{type(exc).__name__}: {exc}")
        problem = _count_problem(losses, steps, told_to_stop, pruner)
        if problem is not None:   # a wrong count would read as a curve it is not: a failed candidate says so
            return Trace(lr=lr, train_loss=losses[:steps], error=problem)
        used = losses.size
        if pruner is not None and used:
            stops = pruner.should_stop(np.full(used, losses[0]), losses)
            if stops.any():
                used = int(np.argmax(stops)) + 1
        pruned = told_to_stop or used < losses.size
        return Trace(lr=lr, train_loss=losses[:used], val_loss=None if pruned else val, pruned=pruned)


def _count_problem(losses: np.ndarray, steps: int, told_to_stop: bool,
                   pruner: DivergencePruner | None) -> str | None:
    """Why the number of losses returned does not fit a ``steps``-step window, or None.

    Fewer are fine when the function stopped a diverging run: it was told to, or its last loss
    is non-finite or past the pruning ratio.
    """
    if losses.size > steps:
        return f"the training function returned {losses.size} losses for a {steps}-step window; return one per step"
    if losses.size == 0:
        return f"the training function returned no losses; return one per step ({steps})"
    if losses.size < steps and not told_to_stop:
        last = float(losses[-1])
        diverged = not math.isfinite(last) or (pruner is not None and pruner.stop_one(float(losses[0]), last))
        if not diverged:
            return (f"the training function returned {losses.size} losses for a {steps}-step window and was "
                    "not told to stop; train every step it is given, or accept should_stop= to be told when")
    return None


def _unpack(out: Any) -> tuple[np.ndarray, float | None]:
    val = None
    if isinstance(out, Mapping):
        if "train_loss" not in out:
            raise InvalidConfigError("train_fn returned a mapping without 'train_loss'")
        losses, val = out["train_loss"], out.get("val_loss")
    elif isinstance(out, tuple) and len(out) == 2 and np.ndim(out[1]) == 0:
        losses, val = out
    else:
        losses = out
    arr = np.asarray(losses, dtype=np.float64)
    if arr.ndim != 1:
        raise InvalidConfigError(f"train_fn must return a 1-D sequence of per-step losses, got shape {arr.shape}")
    return arr, None if val is None else float(val)
