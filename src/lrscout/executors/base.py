"""What every executor shares: the ``Runner`` protocol and the small helpers the sweep uses to
drive any runner the same way.

A runner trains the learning rates it is given and reports one ``Trace`` per rate; it never
chooses a rate, reads a curve or decides what to run next. Two optional extensions:

- ``run(..., on_trace=f)``: call ``f(trace)`` as each candidate finishes, so the sweep can
  journal it at once (a crash then loses only the candidates still training);
- ``session()``: a context manager yielding a runner that keeps its workers (a process pool, a
  Ray connection) alive across the planner's rounds, and releases them on exit.
"""

from __future__ import annotations

import inspect
import pickle
from contextlib import nullcontext
from typing import Callable, ContextManager, Protocol, Sequence

import numpy as np

from ..core.pruning import DivergencePruner
from ..core.types import Trace
from ..errors import InvalidConfigError
from ..problems.protocols import Problem

OnTrace = Callable[[Trace], None]


class Runner(Protocol):
    def run(self, problem: Problem, lrs: Sequence[float], steps: int,
            pruner: DivergencePruner | None) -> list[Trace]:
        """Train ``lrs`` on ``problem`` and return one trace per learning rate, in order."""


def opened(runner: Runner) -> ContextManager[Runner]:
    """The runner's session if it has one (workers kept across rounds), else the runner itself."""
    session = getattr(runner, "session", None)
    return session() if callable(session) else nullcontext(runner)


def run_batch(runner: Runner, problem: Problem, lrs: Sequence[float], steps: int,
              pruner: DivergencePruner | None, on_trace: OnTrace) -> list[Trace]:
    """Run one batch, reporting each trace through ``on_trace`` exactly once.

    A runner that cannot report as it goes (a user's own, written against the plain protocol)
    has its traces reported when the whole batch returns.
    """
    try:
        streams = "on_trace" in inspect.signature(runner.run).parameters
    except (TypeError, ValueError):
        streams = False
    if streams:
        return runner.run(problem, lrs, steps, pruner, on_trace=on_trace)  # type: ignore[call-arg]
    traces = runner.run(problem, lrs, steps, pruner)
    for trace in traces:
        on_trace(trace)
    return traces


def failed_trace(lr: float, reason: str) -> Trace:
    """A candidate the executor could not train (its worker kept dying): nothing to read."""
    return Trace(lr=lr, train_loss=np.empty(0), error=reason)


def pickled_problem(problem: Problem, executor: str) -> bytes:
    """The problem as bytes for worker processes, or a clear error when it cannot travel."""
    try:
        return pickle.dumps(problem, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        fn = getattr(problem, "train_fn", None)
        what = f"its train function {getattr(fn, '__qualname__', fn)!r}" if fn is not None \
            else f"the {type(problem).__name__}"
        raise InvalidConfigError(
            f"the {executor} executor sends the problem to worker processes by pickling it, and {what} "
            f"cannot be pickled ({exc}). A lambda, or a function defined inside another function, "
            "cannot travel: define the train function at module level in an importable module, or "
            "use executor='inline' (or 'ray', which pickles closures by value)") from exc
