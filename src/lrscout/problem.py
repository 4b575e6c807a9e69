"""What the sweep needs from a training setup: the ``Problem`` protocol and the pruning rule.

A problem trains K candidates from one shared initial state for N steps, the same batches in
the same order for each, and reports a ``Trace`` per learning rate. Training twice with the
same learning rates gives the same traces, whichever batch of a plan a rate arrives in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np

from ._validation import finite_real
from .types import Trace


@dataclass(frozen=True)
class DivergencePruner:
    """Stop a candidate once its loss is NaN/inf or ``ratio`` x its starting loss.

    Such a curve has clearly diverged (or exploded after a gain); training it further only
    costs time. The steps it used are recorded in its trace.
    """

    ratio: float = 10.0

    def __post_init__(self) -> None:
        finite_real("prune ratio", self.ratio, low=1.0, low_open=True)

    def should_stop(self, start: np.ndarray, loss: np.ndarray) -> np.ndarray:
        """Element-wise: which candidates (start loss, current loss) to stop now."""
        start = np.asarray(start, dtype=np.float64)
        loss = np.asarray(loss, dtype=np.float64)
        scale = np.where(start != 0, np.abs(start), 1.0)
        with np.errstate(invalid="ignore", over="ignore"):
            return ~np.isfinite(loss) | (loss - start >= (self.ratio - 1.0) * scale)

    def stop_one(self, start: float, loss: float) -> bool:
        """``should_stop`` for one candidate, in plain floats (engines call it every step)."""
        if not (math.isfinite(start) and math.isfinite(loss)):
            return True
        scale = abs(start) if start != 0 else 1.0
        return loss - start >= (self.ratio - 1.0) * scale


@runtime_checkable
class Problem(Protocol):
    """A training setup the sweep can run: ``train`` and ``describe`` are all it needs.

    Optional, read only where present (so they are not part of the checked protocol):

    - ``run_info() -> Mapping``: what the problem decided while training and can only say
      afterwards (``lrscout.torch`` reports which engine ran and why). The sweep merges it into
      the result's ``config`` once training is done (its keys win over ``describe()``'s); it is
      not part of the journal's key, since it is not known before training. With the processes and ray
      executors the problem trains in other processes, so only decisions made in this one
      (before training, or in ``run_info`` itself) can appear there;
    - ``fingerprint() -> str``: a digest of the data, guarding a resumed journal
      (``lrscout.runners.journal.data_fingerprint``);
    - ``cohort() -> Cohort``: candidates that keep their state between calls, so the budgeted
      search (``lrscout.search``) trains a rate further instead of again from the start
      (``NumpyProblem`` and ``lrscout.torch``'s problem have one);
    - ``setup_steps(k) -> int``: steps the first ``train`` call of ``k`` rates spends before
      training them (the torch engine's timing probe), which a budgeted search leaves room for;
      ``skip_setup()``: do without it, when it would take more than a quarter of the budget.
    """

    def train(self, lrs: Sequence[float], steps: int, *, pruner: DivergencePruner | None = None) -> list[Trace]:
        """Train one candidate per learning rate for ``steps`` steps from the shared start."""

    def describe(self) -> Mapping[str, Any]:
        """JSON-able description of the problem for the results' ``config``."""


class Cohort(Protocol):
    """A problem's candidates, each continuing from its own state (``Problem.cohort()``).

    ``train_to(lrs, steps)`` brings every rate to ``steps`` steps and returns its whole trace so
    far: a rate not seen before starts from the shared start, one seen before goes on from
    where it stopped, on the batches that follow, so its trace is the one a single
    ``train([lr], steps)`` gives (to rounding). A stopped (pruned) rate is not trained further.
    """

    def train_to(self, lrs: Sequence[float], steps: int, *,
                 pruner: DivergencePruner | None = None) -> list[Trace]:
        """Train each rate until it has ``steps`` steps; its whole trace so far, in the order asked."""
