"""The sweep: a planner proposes learning rates, a runner trains them, analysis reads the
curves, selection chooses. This module only wires those together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from ._validation import positive_int
from .analysis import read_curves
from .errors import InvalidConfigError
from .planners import AdaptivePlanner, FixedGrid, Planner
from .problem import DivergencePruner, Problem
from .result import SweepResult
from .runners.inline import InlineRunner, Runner
from .selection import choose
from .thresholds import DEFAULT_THRESHOLDS, Thresholds
from .types import Candidate, Trace


@dataclass(frozen=True)
class BatchDone:
    """Progress event after each planner round."""

    round: int
    lrs: tuple[float, ...]
    candidates: tuple[Candidate, ...]


def sweep(
    problem: Problem,
    lrs: Sequence[float] | None = None,
    steps: int = 100,
    *,
    planner: Planner | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    runner: Runner | None = None,
    prune: bool = True,
    on_batch: Callable[[BatchDone], None] | None = None,
    config: Mapping[str, Any] | None = None,
) -> SweepResult:
    """Run short training windows at several learning rates and choose one.

    ``lrs`` is an explicit grid (run as given); leave it out for the adaptive plan (start at
    1e-4, up by x10, refine by x3), or pass any ``planner``. Every candidate starts from the
    same initial state; one that diverges is pruned (``prune=False`` trains it to the end).
    """
    if not hasattr(problem, "train"):
        raise InvalidConfigError(f"problem must have a train(lrs, steps) method, got {type(problem).__name__}; "
                                 "wrap a function with lrscout.CallableProblem")
    if lrs is not None and planner is not None:
        raise InvalidConfigError("give lrs or planner, not both")
    if not isinstance(thresholds, Thresholds):
        raise InvalidConfigError(f"thresholds must be a lrscout.Thresholds, got {type(thresholds).__name__}")
    steps = positive_int("steps", steps)
    plan: Planner = planner if planner is not None else (FixedGrid(lrs) if lrs is not None else AdaptivePlanner())
    run = runner if runner is not None else InlineRunner()
    pruner = DivergencePruner(thresholds.diverge_ratio) if prune else None

    traces: list[Trace] = []
    candidates: tuple[Candidate, ...] = ()
    rounds: list[tuple[float, ...]] = []
    while True:
        batch = tuple(plan.ask())
        if not batch:
            break
        new = run.run(problem, batch, steps, pruner)
        if len(new) != len(batch):
            raise InvalidConfigError(f"the runner returned {len(new)} traces for {len(batch)} learning rates")
        traces.extend(new)
        rounds.append(batch)
        verdicts = read_curves(traces, thresholds)
        candidates = tuple(Candidate(t, v) for t, v in zip(traces, verdicts))
        plan.tell(candidates)
        if on_batch is not None:
            on_batch(BatchDone(len(rounds), batch, candidates))

    run_config: dict[str, Any] = dict(problem.describe())
    run_config.update({"steps": steps, "planner": repr(plan), "runner": repr(run), "prune": prune})
    run_config.update(config or {})
    return SweepResult(candidates=candidates, decision=choose(candidates, thresholds),
                       thresholds=thresholds, config=run_config, rounds=tuple(rounds))
