"""The sweep: a planner proposes learning rates, a runner trains them, analysis reads the
curves, selection chooses. This module only wires those together, and keeps what finished:
every candidate goes to the journal as it finishes, a resumed sweep takes it back from there,
and Ctrl-C returns the candidates finished so far instead of discarding them."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping, Sequence

from .._validation import Flag, Function, InstanceOf, Int, Optional, PathArg, checked
from .._version import __version__
from ..core.analysis import read_curves
from ..core.diagnosis import diagnose
from ..core.grids import check_grid
from ..core.planners import FixedGrid, Planner, default_planner
from ..core.pruning import DivergencePruner
from ..core.result import SweepResult
from ..core.selection import choose
from ..core.thresholds import DEFAULT_THRESHOLDS, Thresholds
from ..core.types import Candidate, Trace
from ..data.stats import DataStats
from ..errors import DataError, InvalidConfigError
from ..executors import runner_for
from ..executors.base import Runner, opened, run_batch
from ..executors.journal import Journal, data_fingerprint
from ..problems.protocols import DeclaresConvexity, Problem, ReportsRunInfo, data_stats_of


@dataclass(frozen=True)
class BatchDone:
    """Progress event after each planner round."""

    round: int
    lrs: tuple[float, ...]
    candidates: tuple[Candidate, ...]


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped the sweep. ``result`` holds every candidate finished before it, read and
    decided on as usual, with ``config["interrupted"] = True``; the journal holds them too.

    It is a ``KeyboardInterrupt``, so code that does not look for it still stops."""

    def __init__(self, result: SweepResult) -> None:
        super().__init__(f"sweep interrupted after {len(result.candidates)} finished candidate(s)")
        self.result = result


@checked(steps=Int(1), thresholds=InstanceOf(lambda: (Thresholds,), "a lrscout.Thresholds"), prune=Flag(),
         on_batch=Optional(Function("a function taking a lrscout.BatchDone")),
         config=Optional(InstanceOf(lambda: (Mapping,), "a mapping of plain JSON values")),
         workers=Optional(Int(1)), journal=Optional(PathArg()), resume=Flag(), max_points=Optional(Int(3)))
def sweep(
    problem: Problem,
    lrs: Sequence[float] | None = None,
    steps: int = 100,
    *,
    planner: Planner | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    prune: bool = True,
    on_batch: Callable[[BatchDone], None] | None = None,
    config: Mapping[str, Any] | None = None,
    executor: str | Runner | None = None,
    workers: int | None = None,
    journal: str | os.PathLike[str] | None = None,
    resume: bool = False,
    max_points: int | None = None,
) -> SweepResult:
    """Run short training windows at several learning rates and choose one.

    ``lrs`` is an explicit grid (run as given); leave it out for the adaptive plan (start at
    1e-4, up by x10, refine by x3; ``lrscout.core.planners.default_planner``), or pass any
    ``planner``. Every candidate starts from the same initial state; one that diverges is
    pruned (``prune=False`` trains it to the end).

    ``executor`` is where candidates train: ``"inline"`` (default), ``"processes"`` (a local
    pool of ``workers`` processes), ``"ray"``, or a runner instance. ``journal`` is a file
    that records each candidate as it finishes; with ``resume=True`` the candidates it already
    holds for the same configuration are not trained again. Ctrl-C raises
    ``SweepInterrupted`` carrying the partial result.

    ``max_points`` keeps each candidate's curves in the result to at most that many points
    (``Trace.compact``: block means, first and last step exact), for long windows whose every
    step would only cost memory. Verdicts, decision and findings are read from every step
    first, so they are the same with or without it; the journal keeps every step, so a
    resumed sweep reads them again at full resolution.

    Every candidate's first loss is taken at the shared starting point, before any update: one
    that is NaN or inf cannot be the learning rate's doing, so the sweep stops with a
    ``DataError`` saying so instead of blaming the rate (see ``_check_shared_start``).

    Examples:
        Gradient descent ``w <- w - lr * grad f(w)`` on the quadratic
        ``f(w) = (w1**2 + 10 * w2**2) / 2`` is stable for ``lr < 2 / L = 0.2``, where
        ``L = 10`` is its largest curvature. The adaptive plan runs 1e-4 ... 1 by x10, goes up once,
        then refines the x10 gap above the largest good rate, and chooses the rate below
        the first one that fails:

        >>> import lrscout
        >>> def train(lr, steps):
        ...     w1 = w2 = 1.0
        ...     losses = []
        ...     for _ in range(steps):
        ...         losses.append((w1 * w1 + 10 * w2 * w2) / 2)
        ...         w1, w2 = w1 - lr * w1, w2 - lr * 10 * w2
        ...     return losses
        >>> result = lrscout.sweep(lrscout.CallableProblem(train), steps=50)
        >>> result.rounds
        ((0.0001, 0.001, 0.01, 0.1, 1.0), (10.0,), (0.22, 0.46))
        >>> for c in result.candidates:
        ...     print(f"{c.lr:g} {c.kind.value}")
        0.0001 too_slow
        0.001 too_slow
        0.01 good
        0.1 good
        0.22 diverged
        0.46 diverged
        1 diverged
        10 diverged
        >>> result.chosen_lr
        0.1
        >>> result.decision.reasons[1]
        'the next larger, 0.22, is diverged: the loss exploded to 11.7x its start'
    """
    if isinstance(problem, type) or not callable(getattr(problem, "train", None)) \
            or not callable(getattr(problem, "describe", None)):
        given = f"the class {problem.__name__} itself" if isinstance(problem, type) else f"{problem!r:.80}"
        raise InvalidConfigError(f"problem must be a problem instance with train(lrs, steps) and describe() methods "
                                 f"(e.g. lrscout.NumpyProblem(...)), got {given}; wrap a training function with "
                                 "lrscout.CallableProblem")
    if lrs is not None and planner is not None:
        raise InvalidConfigError("give lrs or planner, not both")
    if planner is not None and (isinstance(planner, type) or not callable(getattr(planner, "ask", None))
                                or not callable(getattr(planner, "tell", None))):
        raise InvalidConfigError(f"planner must be a planner instance with ask() and tell(candidates) methods (e.g. "
                                 f"lrscout.AdaptivePlanner()), got {planner!r:.80}")
    if resume and journal is None:
        raise InvalidConfigError("resume=True needs the journal to resume from: pass journal=PATH")
    plan: Planner = planner if planner is not None else (
        FixedGrid(check_grid(lrs, where="lrs")) if lrs is not None
        else default_planner(convex=isinstance(problem, DeclaresConvexity) and problem.loss_is_convex()))
    run = runner_for(executor if executor is not None else "inline", workers=workers)
    pruner = DivergencePruner(thresholds.diverge_ratio) if prune else None

    stats = data_stats_of(problem)
    run_config: dict[str, Any] = dict(problem.describe())
    run_config.update({"steps": steps, "planner": repr(plan), "runner": repr(run), "prune": prune,
                       "lrscout_version": __version__})
    if max_points is not None:
        run_config["max_points"] = max_points
    run_config.update(config or {})
    run_config = _as_plain_json(run_config)
    book = None if journal is None else Journal.open(journal, _resume_key(problem, run_config, pruner),
                                                       resume=resume)
    earlier = {} if book is None else book.finished
    reused = {id(t) for t in earlier.values()}

    traces: list[Trace] = []
    in_flight: list[Trace] = []      # this round's candidates that finished, kept if Ctrl-C comes
    candidates: tuple[Candidate, ...] = ()
    rounds: list[tuple[float, ...]] = []

    def finished(trace: Trace) -> None:
        if book is not None:  # the journal first: what a result holds is always on disk too
            book.append(trace, read_curves([trace], thresholds)[0])
        in_flight.append(trace)

    try:
        with opened(run) as active:
            while True:
                batch = tuple(plan.ask())
                if not batch:
                    break
                rounds.append(batch)
                traces.extend(_train(active, problem, batch, steps, pruner, earlier, finished))
                in_flight.clear()
                _check_shared_start(traces)
                candidates = _read(traces, thresholds)
                plan.tell(candidates)
                if on_batch is not None:
                    on_batch(BatchDone(len(rounds), batch, candidates))
        return _result(candidates, thresholds, {**run_config, **_run_info(problem)}, rounds,
                       sum(id(t) in reused for t in traces), stats, max_points)
    except KeyboardInterrupt:
        partial = {**run_config, **_run_info(problem), "interrupted": True}
        counted = {id(t) for t in traces}  # Ctrl-C may land after a round's traces joined `traces`
        partial_traces = traces + [t for t in in_flight if id(t) not in counted]
        raise SweepInterrupted(_result(_read(partial_traces, thresholds), thresholds, partial, rounds,
                                       sum(id(t) in reused for t in partial_traces), stats, max_points)) from None
    finally:
        if book is not None:
            book.close()


def _as_plain_json(run_config: Mapping[str, Any]) -> dict[str, Any]:
    """The config as its saved results will hold it (a tuple becomes a list, so a loaded result
    equals the returned one); what could not be saved is refused now, not after training."""
    plain: dict[str, Any] = {}
    for key, value in run_config.items():
        try:
            plain[key] = json.loads(json.dumps(value, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise InvalidConfigError(f"config[{key!r}] = {value!r} cannot be saved with the results ({exc}); "
                                     "give plain JSON values: str, int, float (finite), bool, None, "
                                     "lists and dicts of them") from None
    return plain


def _train(runner: Runner, problem: Problem, batch: tuple[float, ...], steps: int,
           pruner: DivergencePruner | None, earlier: Mapping[float, Trace],
           finished: Callable[[Trace], None]) -> list[Trace]:
    """One round: candidates the journal already holds are taken from it, the rest are run."""
    todo = [lr for lr in batch if lr not in earlier]
    fresh = run_batch(runner, problem, todo, steps, pruner, finished) if todo else []
    if len(fresh) != len(todo):
        raise InvalidConfigError(f"the runner returned {len(fresh)} traces for {len(todo)} learning rates")
    by_lr = {**{lr: earlier[lr] for lr in batch if lr in earlier}, **{t.lr: t for t in fresh}}
    missing = [lr for lr in batch if lr not in by_lr]
    if missing:
        raise InvalidConfigError(f"the runner returned no trace for learning rate(s) "
                                 f"{', '.join(f'{lr:g}' for lr in missing)}")
    return [by_lr[lr] for lr in batch]


# First losses closer than this (relative) are the same starting point: a trace keeps float32
# curves, and another engine or device can round the first step differently.
_SAME_START = 1e-4


def _check_shared_start(traces: Sequence[Trace]) -> None:
    """Stop when a first loss is NaN or inf: it was taken before any update, so no rate caused it.

    Every candidate starts from the same weights on the same first batch (the ``Problem``
    contract), so its first loss is the same whatever its rate. A non-finite one where other
    candidates started finite means the data or the loss changed between calls (typically a
    ``train`` function that is not deterministic); one that is non-finite for every rate means
    the data or the loss are broken. Either way, extending the grid downward would only repeat it.
    """
    firsts = [(t.lr, float(t.train_loss[0])) for t in traces if t.error is None and t.train_loss.size]
    bad = [(lr, v) for lr, v in firsts if not math.isfinite(v)]
    if not bad:
        return
    good = [(lr, v) for lr, v in firsts if math.isfinite(v)]
    rates = _listed([lr for lr, _ in bad])
    values = " or ".join(sorted({str(v) for _, v in bad}))
    report = "report each step's loss before that step's update"
    if not good:
        raise DataError(f"the first loss, before any update, is {values} at every learning rate tried ({rates}): no "
                        "learning rate can cause that, so the data or the loss function are broken. Check the data "
                        f"for NaN/inf and the loss for log(0) or division by zero, and {report}.")
    finite = [v for _, v in good]
    spread = max(finite) - min(finite) > _SAME_START * max(abs(v) for v in finite)
    raise DataError(
        f"the first loss of lr {rates} was {values}, before any update, while lr {good[0][0]:g} started from "
        f"{good[0][1]:.6g}" + (f" (and the finite first losses differ, from {min(finite):.6g} to {max(finite):.6g})"
                               if spread else "")
        + ". Every candidate starts from the same weights on the same first batch, so no learning rate can cause "
        "that: the data or the loss changed between calls. Make train(lr, steps) start from the same state on every "
        f"call (seed the model's initialisation and the data order), {report}, and check the data for NaN/inf.")


def _listed(lrs: Sequence[float]) -> str:
    shown = [f"{lr:g}" for lr in lrs[:4]]
    if len(lrs) > 4:
        return ", ".join(shown) + f" and {len(lrs) - 4} more"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _run_info(problem: Problem) -> dict[str, Any]:
    """What the problem decided while training, when it reports it (``ReportsRunInfo``)."""
    if not isinstance(problem, ReportsRunInfo):
        return {}
    info = problem.run_info()
    if not isinstance(info, Mapping):
        raise InvalidConfigError(f"{type(problem).__name__}.run_info() must return a mapping to merge into the "
                                 f"result's config, got {type(info).__name__}")
    return dict(info)


def _read(traces: Sequence[Trace], thresholds: Thresholds) -> tuple[Candidate, ...]:
    return tuple(Candidate(t, v) for t, v in zip(traces, read_curves(traces, thresholds), strict=True))


def _result(candidates: tuple[Candidate, ...], thresholds: Thresholds, run_config: dict[str, Any],
            rounds: list[tuple[float, ...]], resumed: int, data_stats: DataStats | None,
            max_points: int | None) -> SweepResult:
    if resumed:
        run_config = dict(run_config, resumed_candidates=resumed)
    decision = choose(candidates, thresholds)
    findings = diagnose(candidates, decision, data_stats=data_stats, reading=thresholds)
    if max_points is not None:  # only now: the verdicts, the choice and the findings read every step
        candidates = tuple(replace(c, trace=c.trace.compact(max_points)) for c in candidates)
    return SweepResult(candidates=candidates, decision=decision, thresholds=thresholds, config=run_config,
                       rounds=tuple(rounds), findings=findings)


def _resume_key(problem: Problem, run_config: Mapping[str, Any], pruner: DivergencePruner | None) -> dict[str, Any]:
    """What must match for a journal's candidates to be reused: everything that shapes a curve
    (problem, data, steps, pruning) or the plan, but not where it ran (the executor), how the
    result keeps its curves (``max_points``: the journal keeps every step either way) or which
    lrscout version ran it (a trace is the same data whichever version trained it)."""
    key = {k: v for k, v in run_config.items() if k not in ("runner", "max_points", "lrscout_version")}
    key.update(data_fingerprint=data_fingerprint(problem), prune=None if pruner is None else pruner.ratio)
    return key
