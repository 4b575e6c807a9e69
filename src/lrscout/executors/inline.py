"""The in-process runner: hands the whole batch to the problem (vectorized where it can)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..core.pruning import DivergencePruner
from ..core.types import Trace
from ..problems.protocols import Problem, TrainsOneAtATime
from .base import OnTrace, Runner

__all__ = ["InlineRunner", "Runner"]


@dataclass(frozen=True)
class InlineRunner:
    """Train in this process.

    ``per_candidate=None`` (auto) gives a stacked problem (the built-in models) the whole
    batch, which it trains as one computation, and a problem that trains one rate at a time
    anyway (``TrainsOneAtATime``, e.g. a ``CallableProblem``) one learning rate per call: this
    way each candidate is reported (journaled) as soon as it finishes. ``True``/``False`` force
    either way for any problem.
    """

    per_candidate: bool | None = None

    def run(self, problem: Problem, lrs: Sequence[float], steps: int,
            pruner: DivergencePruner | None) -> list[Trace]:
        return self.run_reporting(problem, lrs, steps, pruner, None)

    def run_reporting(self, problem: Problem, lrs: Sequence[float], steps: int, pruner: DivergencePruner | None,
                      on_trace: OnTrace | None) -> list[Trace]:
        split = isinstance(problem, TrainsOneAtATime) if self.per_candidate is None else self.per_candidate
        calls = [[lr] for lr in lrs] if split else [list(lrs)] if len(lrs) else []
        traces: list[Trace] = []
        for chunk in calls:
            for trace in problem.train(chunk, steps, pruner=pruner):
                if on_trace is not None:
                    on_trace(trace)
                traces.append(trace)
        return traces

    def __repr__(self) -> str:
        return "InlineRunner()" if self.per_candidate is None else f"InlineRunner(per_candidate={self.per_candidate})"
