"""Replaying a recommended warm-up: the next larger rate trained again on the sweep's window
with the warm-up, and read, so ``recommend_schedule(..., problem=)`` can say whether the
warm-up made it stable. It trains, so it lives here and not in the core, which calls it
through ``lrscout.core.recommendation.register_warmup_replay`` (set by lrscout/__init__.py).
"""

from __future__ import annotations

from typing import Any

from ..core.analysis import read_curve
from ..core.pruning import DivergencePruner
from ..core.recommendation import WarmupCheck
from ..core.result import SweepResult
from ..core.schedules import linear_warmup
from ..core.types import Candidate, Verdict, VerdictKind
from ..problems.protocols import AcceptsSchedule


def replay_warmup(problem: Any, candidate: Candidate, warmup_steps: int, result: SweepResult) -> WarmupCheck | None:
    """Train ``candidate``'s rate again on the sweep's window with a linear warm-up, and read it;
    None when the problem cannot train with a schedule (``AcceptsSchedule``)."""
    if not isinstance(problem, AcceptsSchedule):
        return None
    steps = int(result.config.get("steps", candidate.steps_used))
    pruner = DivergencePruner(result.thresholds.diverge_ratio)
    trace = problem.train_with_schedule([candidate.lr], steps, linear_warmup(1.0, warmup_steps), pruner=pruner)[0]
    verdict = (Verdict(VerdictKind.FAILED, f"training raised: {trace.error}") if trace.error is not None
               else read_curve(trace.train_loss, result.thresholds, update_cosine=trace.update_cosine))
    return WarmupCheck(candidate.lr, warmup_steps, steps, candidate.verdict, verdict)


__all__ = ["replay_warmup"]
