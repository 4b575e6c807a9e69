"""What the sweep needs from a training setup (the ``Problem`` protocol), and what else a
problem can declare it does (the capability protocols).

A problem trains K candidates from one shared initial state for N steps, the same batches in
the same order for each, and reports a ``Trace`` per learning rate. Training twice with the
same learning rates gives the same traces, whichever batch of a plan a rate arrives in.

A capability is a method with its own name, so code that uses it asks
``isinstance(problem, Capability)`` -- never which class a problem is, nor what its methods'
signatures look like:

- ``Fingerprinted``: ``fingerprint()``, a digest of what the problem trains on, so a journal is
  never resumed on other data (``lrscout.executors.journal.data_fingerprint``);
- ``ReportsRunInfo``: ``run_info()``, what the problem decided while training and can only say
  afterwards (``lrscout.torch`` reports which engine ran and why). The sweep merges it into the
  result's ``config`` once training is done (its keys win over ``describe()``'s); it is not
  part of the journal's key, since it is not known before training. With the processes and ray
  executors the problem trains in other processes, so only decisions made in this one (before
  training, or in ``run_info`` itself) can appear there;
- ``ReportsDataStats``: ``data_stats()``, the training features' conditioning and batch size
  (``lrscout.data.stats.DataStats``), which the diagnosis reads;
- ``AcceptsSchedule``: ``train_with_schedule(lrs, steps, schedule)``, training with every rate
  multiplied by ``schedule(step)``, so a recommended warm-up can be replayed on the sweep's
  window;
- ``TrainsOneAtATime``: ``train_one(lr, steps)``, for a problem whose candidates are separate
  runs anyway (a function per rate): an executor then gives it one rate per call and reports
  each as it finishes, where it would hand a stacked problem the whole batch.
- ``DeclaresConvexity``: ``loss_is_convex()``, True for the built-in regressions: gradient
  descent is then stable below 2/L whatever the data, so the default plan keeps descending to
  1e-15 until a rate is stable (``lrscout.core.planners.default_planner``).
- ``Continues``: ``cohort()``, candidates that keep their state between calls (a ``Cohort``), so
  the budgeted search (``lrscout.core.search``) trains a rate further instead of again from the
  start (``NumpyProblem`` and ``lrscout.torch``'s problem continue; the search plans for it
  whatever the executor, and counts the steps trained again where a rate cannot go on).
- ``SetsItselfUp``: ``setup_steps(k)``, the steps its first ``train`` call of ``k`` rates spends
  before training them (the torch engine's timing probe), which a budgeted search leaves room
  for, and ``skip_setup()``, to do without it where it would take over a fifth of the budget.
- ``RunsRangeTest``: ``range_curve(min_lr, max_lr, steps, stop_factor)``, one LR range test
  from the shared start (the rate rising exponentially, stopped at NaN/inf or ``stop_factor`` x
  the best smoothed loss): the rates and losses of the steps it trained, which a budgeted search
  with ``range_bracket=True`` reads to place its windows (``lrscout.torch``'s problem runs it).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Protocol, Sequence, runtime_checkable

from ..data.stats import DataStats
from ..core.pruning import DivergencePruner
from ..core.types import Trace


@runtime_checkable
class Problem(Protocol):
    """A training setup the sweep can run: ``train`` and ``describe`` are all it needs."""

    def train(self, lrs: Sequence[float], steps: int, *, pruner: DivergencePruner | None = None) -> list[Trace]:
        """Train one candidate per learning rate for ``steps`` steps from the shared start."""

    def describe(self) -> Mapping[str, Any]:
        """JSON-able description of the problem for the results' ``config``."""


@runtime_checkable
class Fingerprinted(Protocol):
    def fingerprint(self) -> str:
        """A digest of the data (and model) the problem trains on; equal digests, same data."""


@runtime_checkable
class ReportsRunInfo(Protocol):
    def run_info(self) -> Mapping[str, Any]:
        """What training decided, as JSON-able values for the result's ``config``."""


@runtime_checkable
class ReportsDataStats(Protocol):
    def data_stats(self) -> DataStats | None:
        """The training features' conditioning and the batch size, for ``lrscout.diagnose``."""


@runtime_checkable
class AcceptsSchedule(Protocol):
    def train_with_schedule(self, lrs: Sequence[float], steps: int, schedule: Callable[[int], float], *,
                            pruner: DivergencePruner | None = None) -> list[Trace]:
        """``train``, with every candidate's rate multiplied by ``schedule(step)`` at each step."""


@runtime_checkable
class TrainsOneAtATime(Protocol):
    def train_one(self, lr: float, steps: int, *, pruner: DivergencePruner | None = None) -> Trace:
        """One candidate; ``train`` of several rates is no faster than one call per rate."""


@runtime_checkable
class DeclaresConvexity(Protocol):
    def loss_is_convex(self) -> bool:
        """Whether the training loss is convex in the parameters, so that a stable rate exists for any data."""


class Cohort(Protocol):
    """A problem's candidates, each continuing from its own state (``Continues.cohort()``).

    ``train_to(lrs, steps)`` brings every rate to ``steps`` steps and returns its whole trace so
    far: a rate not seen before starts from the shared start, one seen before goes on from
    where it stopped, on the batches that follow, so its trace is the one a single
    ``train([lr], steps)`` gives (to rounding). A stopped (pruned) rate is not trained further.
    """

    def train_to(self, lrs: Sequence[float], steps: int, *,
                 pruner: DivergencePruner | None = None) -> list[Trace]:
        """Train each rate until it has ``steps`` steps; its whole trace so far, in the order asked."""


@runtime_checkable
class Continues(Protocol):
    def cohort(self) -> Cohort:
        """A fresh set of candidates that keep their state between ``train_to`` calls."""


@runtime_checkable
class SetsItselfUp(Protocol):
    def setup_steps(self, candidates: int) -> int:
        """Training steps the first ``train`` call of ``candidates`` rates spends before training them."""

    def skip_setup(self) -> None:
        """Do without that set-up (it is an optimisation, not part of any candidate's training)."""


@runtime_checkable
class RunsRangeTest(Protocol):
    def range_curve(self, min_lr: float, max_lr: float, steps: int,
                    stop_factor: float) -> tuple[Sequence[float], Sequence[float]]:
        """One range test: the rate at each step it trained and that step's training loss."""


def data_stats_of(problem: object) -> DataStats | None:
    """The problem's data statistics when it reports them (the built-in models do), else None."""
    return problem.data_stats() if isinstance(problem, ReportsDataStats) else None


__all__ = ["AcceptsSchedule", "Cohort", "Continues", "DeclaresConvexity", "Fingerprinted", "Problem",
           "ReportsDataStats", "ReportsRunInfo", "RunsRangeTest", "SetsItselfUp", "TrainsOneAtATime", "data_stats_of"]
