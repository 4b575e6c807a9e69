"""The in-process runner: hands the whole batch to the problem (vectorized where it can)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..core.pruning import DivergencePruner
from ..core.types import Trace
from ..problems.callable import CallableProblem
from ..problems.protocols import Problem
from .base import OnTrace, Runner

__all__ = ["InlineRunner", "Runner"]


@dataclass(frozen=True)
class InlineRunner:
    """Train in this process.

    ``per_candidate=None`` (auto) gives the built-in models the whole batch, which they train
    as one stacked computation, and a ``CallableProblem`` one learning rate per call: its
    candidates are separate calls anyway, and this way each is reported (journaled) as soon as
    it finishes. ``True``/``False`` force either way for any problem.
    """

    per_candidate: bool | None = None

    def run(self, problem: Problem, lrs: Sequence[float], steps: int,
            pruner: DivergencePruner | None, *, on_trace: OnTrace | None = None) -> list[Trace]:
        split = isinstance(problem, CallableProblem) if self.per_candidate is None else self.per_candidate
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
