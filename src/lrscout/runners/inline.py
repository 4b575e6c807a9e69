"""The in-process runner: hands the whole batch to the problem (vectorized where it can)."""

from __future__ import annotations

from typing import Protocol, Sequence

from ..problem import DivergencePruner, Problem
from ..types import Trace


class Runner(Protocol):
    def run(self, problem: Problem, lrs: Sequence[float], steps: int,
            pruner: DivergencePruner | None) -> list[Trace]:
        """Train ``lrs`` on ``problem`` and return one trace per learning rate, in order."""


class InlineRunner:
    def run(self, problem: Problem, lrs: Sequence[float], steps: int,
            pruner: DivergencePruner | None) -> list[Trace]:
        return problem.train(lrs, steps, pruner=pruner)

    def __repr__(self) -> str:
        return "InlineRunner()"
