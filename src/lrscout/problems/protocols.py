"""What the sweep needs from a training setup: the ``Problem`` protocol and the pruning rule.

A problem trains K candidates from one shared initial state for N steps, the same batches in
the same order for each, and reports a ``Trace`` per learning rate. Training twice with the
same learning rates gives the same traces, whichever batch of a plan a rate arrives in.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol, Sequence, runtime_checkable

from ..core.pruning import DivergencePruner
from ..core.types import Trace


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
      (``lrscout.executors.journal.data_fingerprint``).
    """

    def train(self, lrs: Sequence[float], steps: int, *, pruner: DivergencePruner | None = None) -> list[Trace]:
        """Train one candidate per learning rate for ``steps`` steps from the shared start."""

    def describe(self) -> Mapping[str, Any]:
        """JSON-able description of the problem for the results' ``config``."""
