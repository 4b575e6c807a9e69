"""What every executor shares: the ``Runner`` protocol, its two capabilities, and the small
helpers the sweep uses to drive any runner the same way.

A runner trains the learning rates it is given and reports one ``Trace`` per rate; it never
chooses a rate, reads a curve or decides what to run next. Two capabilities, each a method of
its own that the sweep finds with ``isinstance`` (every built-in runner has both):

- ``ReportsEachTrace``: ``run_reporting(..., on_trace)`` calls ``on_trace(trace)`` as each
  candidate finishes, so the sweep can journal it at once (a crash then loses only the
  candidates still training);
- ``HasSession``: ``session()``, a context manager yielding a runner that keeps its workers (a
  process pool, a Ray connection) alive across the planner's rounds, and releases them on exit.
"""

from __future__ import annotations

import os
import pickle
from contextlib import contextmanager, nullcontext
from typing import Callable, ContextManager, Iterable, Iterator, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np

from ..core.pruning import DivergencePruner
from ..core.types import Trace
from ..errors import InvalidConfigError
from ..problems.protocols import Problem

OnTrace = Callable[[Trace], None]


@runtime_checkable
class Runner(Protocol):
    def run(self, problem: Problem, lrs: Sequence[float], steps: int,
            pruner: DivergencePruner | None) -> list[Trace]:
        """Train ``lrs`` on ``problem`` and return one trace per learning rate, in order."""


@runtime_checkable
class ReportsEachTrace(Protocol):
    def run_reporting(self, problem: Problem, lrs: Sequence[float], steps: int, pruner: DivergencePruner | None,
                      on_trace: OnTrace | None) -> list[Trace]:
        """``run``, calling ``on_trace(trace)`` (when given) as each candidate finishes."""


@runtime_checkable
class HasSession(Protocol):
    def session(self) -> ContextManager[Runner]:
        """A runner that keeps its workers across calls until the context exits."""


def opened(runner: Runner) -> ContextManager[Runner]:
    """The runner's session if it has one (workers kept across rounds), else the runner itself."""
    return runner.session() if isinstance(runner, HasSession) else nullcontext(runner)


def run_batch(runner: Runner, problem: Problem, lrs: Sequence[float], steps: int,
              pruner: DivergencePruner | None, on_trace: OnTrace) -> list[Trace]:
    """Run one batch, reporting each trace through ``on_trace`` exactly once.

    A runner that cannot report as it goes (a user's own, written against the plain protocol)
    has its traces reported when the whole batch returns.
    """
    if isinstance(runner, ReportsEachTrace):
        return runner.run_reporting(problem, lrs, steps, pruner, on_trace)
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
        raise InvalidConfigError(
            f"the {executor} executor sends the problem to worker processes by pickling it, and the "
            f"{type(problem).__name__} cannot be pickled ({exc}). A lambda, or a function defined inside another "
            "function, cannot travel: define the train function at module level in an importable module, or "
            "use executor='inline' (or 'ray', which pickles closures by value)") from exc


@contextmanager
def restored_environment(names: Iterable[str]) -> Iterator[Mapping[str, str | None]]:
    """Yield the current values of the environment variables ``names`` (None: unset); whatever
    the block sets or removes among them is put back as it was on exit."""
    saved = {name: os.environ.get(name) for name in names}
    try:
        yield saved
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
