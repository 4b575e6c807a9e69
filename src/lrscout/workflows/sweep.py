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

from .._validation import Flag, Function, InstanceOf, Int, Optional, PathArg, Real, checked
from .._version import __version__
from ..core.analysis import read_curves
from ..core.diagnosis import diagnose
from ..core.grids import check_grid
from ..core.planners import FixedGrid, Planner
from ..core.pruning import DivergencePruner
from ..core.result import SweepResult
from ..core.search import LADDER, BudgetedSearch, search_budget
from ..core.selection import choose
from ..core.thresholds import DEFAULT_THRESHOLDS, Thresholds
from ..core.types import Candidate, Decision, Trace
from ..data.stats import DataStats
from ..errors import DataError, InvalidConfigError
from ..executors import runner_for
from ..executors.base import Runner, opened, run_batch
from ..executors.inline import InlineRunner
from ..executors.journal import Journal, data_fingerprint
from ..problems.protocols import (Continues, DeclaresConvexity, Problem, ReportsRunInfo, RunsRangeTest, SetsItselfUp,
                                  data_stats_of)


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


@checked(steps=Optional(Int(1)), train_steps=Optional(Int(1)), budget_share=Optional(Real(0.0, 1.0, low_open=True)),
         thresholds=InstanceOf(lambda: (Thresholds,), "a lrscout.Thresholds"), prune=Flag(),
         on_batch=Optional(Function("a function taking a lrscout.BatchDone")),
         config=Optional(InstanceOf(lambda: (Mapping,), "a mapping of plain JSON values")),
         workers=Optional(Int(1)), journal=Optional(PathArg()), resume=Flag(), max_points=Optional(Int(3)))
def sweep(
    problem: Problem,
    lrs: Sequence[float] | None = None,
    steps: int | None = None,
    *,
    train_steps: int | None = None,
    budget_share: float | None = None,
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

    Leave out ``lrs`` and ``planner`` for the budgeted search (``lrscout.core.search``): the adaptive
    plan (start at 1e-4, up by x10, refine by x3; ``lrscout.core.planners.default_planner``) on short
    windows, then the chosen rate and
    the next good one below it trained on to a longer window, where the choice is read. It
    spends at most ``3 x steps`` training steps (``steps`` defaults to 100: 300 steps), and the
    choice is good for runs of about ``steps`` steps. Give ``train_steps`` (the length of the
    run you will train) to choose for that run instead: the search then spends at most
    ``budget_share`` of it (default 0.3) and reads its finalists over windows up to the
    run's length (or ``steps``, when given). ``result.search_steps`` counts every step trained.

    ``lrs`` is an explicit grid, run as given (each rate ``steps`` steps, default 100); any
    other ``planner`` (e.g. ``AdaptivePlanner()``, the plan without a budget) runs every
    candidate ``steps`` steps. Every candidate starts from the same initial state; one that
    diverges is pruned (``prune=False`` trains it to the end).

    ``executor`` is where candidates train: ``"inline"`` (default), ``"processes"`` (a local
    pool of ``workers`` processes), ``"ray"``, or a runner instance. ``journal`` is a file
    that records each candidate as it finishes; with ``resume=True`` the candidates it already
    holds for the same configuration are not trained again. Ctrl-C raises
    ``SweepInterrupted`` carrying the partial result (a plain ``KeyboardInterrupt`` while the
    sweep is still setting up, before any candidate could begin).

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
        ``L = 10`` is its largest curvature. The adaptive plan without a budget
        (``AdaptivePlanner``, every candidate the whole window) runs 1e-4 ... 1 by x10, goes up
        once, then refines the x10 gap above the largest good rate, and chooses the rate below
        the first one that fails:

        >>> import lrscout
        >>> def train(lr, steps):
        ...     w1 = w2 = 1.0
        ...     losses = []
        ...     for _ in range(steps):
        ...         losses.append((w1 * w1 + 10 * w2 * w2) / 2)
        ...         w1, w2 = w1 - lr * w1, w2 - lr * 10 * w2
        ...     return losses
        >>> result = lrscout.sweep(lrscout.CallableProblem(train), steps=50, planner=lrscout.AdaptivePlanner())
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
        >>> result.search_steps                  # 8 candidates: 4 trained all 50 steps, 4 pruned early
        214

        The default, the budgeted search, reads the same curves on shorter windows first and
        trains only the finalists to the whole window, for a run of about 50 steps:

        >>> result = lrscout.sweep(lrscout.CallableProblem(train), steps=50)
        >>> result.chosen_lr, result.search_steps <= 3 * 50
        (0.1, True)
    """
    if isinstance(problem, type) or not callable(getattr(problem, "train", None)) \
            or not callable(getattr(problem, "describe", None)):
        given = f"the class {problem.__name__} itself" if isinstance(problem, type) else f"{problem!r:.80}"
        raise InvalidConfigError(f"problem must be a problem instance with train(lrs, steps) and describe() methods "
                                 f"(e.g. lrscout.NumpyProblem(...)), got {given}; wrap a training function with "
                                 "lrscout.CallableProblem")
    if lrs is not None and planner is not None:
        raise InvalidConfigError("give lrs or planner, not both")
    if planner is not None and not isinstance(planner, BudgetedSearch) and (
            isinstance(planner, type) or not callable(getattr(planner, "ask", None))
            or not callable(getattr(planner, "tell", None))):
        raise InvalidConfigError(f"planner must be a planner instance with ask() and tell(candidates) methods (e.g. "
                                 f"lrscout.AdaptivePlanner()), got {planner!r:.80}")
    if resume and journal is None:
        raise InvalidConfigError("resume=True needs the journal to resume from: pass journal=PATH")
    search: BudgetedSearch | None = None
    plan: Planner | None = None
    if lrs is None and (planner is None or isinstance(planner, BudgetedSearch)):
        budget = search_budget(steps, train_steps, budget_share)
        search = (planner if isinstance(planner, BudgetedSearch) else BudgetedSearch()).with_budget(budget)
        window = budget.horizon
    else:
        if budget_share is not None:
            raise InvalidConfigError("budget_share sets the budgeted search's share of the run; with lrs= or "
                                     "planner= every candidate trains its whole window, so leave it out")
        window = 100 if steps is None else steps
        if train_steps is not None and window > train_steps:
            raise InvalidConfigError(f"steps={window} is longer than the run (train_steps={train_steps}); a "
                                     "window of at most the run's length says how the run will go")
        plan = planner if planner is not None else FixedGrid(check_grid(lrs if lrs is not None else (), where="lrs"))
    run = runner_for(executor if executor is not None else "inline", workers=workers)
    pruner = DivergencePruner(thresholds.diverge_ratio) if prune else None

    stats = data_stats_of(problem)
    run_config: dict[str, Any] = dict(problem.describe())
    run_config.update({"steps": window, "planner": repr(search if search is not None else plan),
                       "runner": repr(run), "prune": prune, "lrscout_version": __version__})
    if train_steps is not None:
        run_config["train_steps"] = train_steps
    if search is not None:
        run_config.update(search.budget.describe())
    if max_points is not None:
        run_config["max_points"] = max_points
    run_config.update(config or {})
    run_config = _as_plain_json(run_config)
    book = None if journal is None else Journal.open(journal, _resume_key(problem, run_config, pruner),
                                                       resume=resume)

    def finished(trace: Trace) -> None:
        if book is not None:  # the journal first: what a result holds is always on disk too
            book.append(trace, read_curves([trace], thresholds)[0])

    training: _Training | None = None   # Ctrl-C may land before it exists
    try:
        with opened(run) as active:
            training = _Training(active, problem, pruner, {} if book is None else book.finished_all, finished,
                                 continuing=search is not None)
            if search is not None:
                def searched(lrs: Sequence[float], steps: int) -> list[Trace]:
                    traces = training.train_to(lrs, steps)
                    if on_batch is not None:
                        on_batch(BatchDone(len(training.rounds), tuple(lrs),
                                           _read(list(training.latest.values()), thresholds)))
                    return traces

                convex = isinstance(problem, DeclaresConvexity) and problem.loss_is_convex()
                ranged = training.range_test if isinstance(problem, RunsRangeTest) else None
                outcome = search.run(searched, training.spent, training.continues, thresholds,
                                     _setup_steps(problem, LADDER, search.budget.steps), convex=convex,
                                     range_test=ranged)
                candidates, decision = outcome.candidates, outcome.decision
                run_config.update(_as_plain_json({"search": dict(outcome.notes)}))
            else:
                assert plan is not None
                candidates = ()
                while True:
                    batch = tuple(plan.ask())
                    if not batch:
                        break
                    training.train_to(batch, window)
                    candidates = _read(list(training.latest.values()), thresholds)
                    plan.tell(candidates)
                    if on_batch is not None:
                        on_batch(BatchDone(len(training.rounds), batch, candidates))
                decision = None
        return _result(candidates, thresholds, {**run_config, **_run_info(problem)}, training, stats, max_points,
                       decision)
    except KeyboardInterrupt:
        if training is None:
            raise  # still setting up: no candidate began, nothing to carry
        partial = {**run_config, **_run_info(problem), "interrupted": True}
        training.flush_in_flight()
        raise SweepInterrupted(_result(_read(list(training.latest.values()), thresholds), thresholds, partial,
                                       training, stats, max_points, None)) from None
    finally:
        if book is not None:
            book.close()


class _Training:
    """Trains what the plan or the search asks for, and keeps the books: the latest trace of each
    rate, the rounds with their windows, the steps trained, and what the journal already held.

    ``train_to(lrs, steps)`` brings each rate to ``steps`` steps. A problem that can continue its
    candidates (``cohort()``) is planned for as continuing them, whatever the executor, so a
    search decides the same inline, on a process pool or resumed from a journal: in this process
    a rate seen before goes on from its own state; on another executor it is trained again from
    the shared start, and the steps trained twice are counted apart (``restarts``). A journal
    entry of the same length is reused without training, and counted as the search that
    trained it counted it.
    """

    def __init__(self, runner: Runner, problem: Problem, pruner: DivergencePruner | None,
                 earlier: Mapping[float, Sequence[Trace]], finished: Callable[[Trace], None], *,
                 continuing: bool) -> None:
        self.runner, self.problem, self.pruner = runner, problem, pruner
        self.earlier, self._finished = earlier, finished
        self.continues = continuing and isinstance(problem, Continues)
        # continuing in this process: the default in-process runner (one that trains per candidate was asked for)
        here = isinstance(runner, InlineRunner) and runner.per_candidate is None
        self.cohort = problem.cohort() if self.continues and here and isinstance(problem, Continues) else None
        self.latest: dict[float, Trace] = {}
        self.rounds: list[tuple[float, ...]] = []
        self.windows: list[int] = []
        self.trained = 0           # steps the plan spent: a continued rate its new steps, a journaled one as trained
        self.restarts = 0          # steps trained again because the rate could not continue where it ran
        self.reused = 0            # candidates taken from the journal
        self.range_steps = 0       # steps of the search's range test (``BudgetedSearch(range_bracket=True)``)
        self._accounted: dict[float, int] = {}
        self._in_cohort: dict[float, int] = {}
        self._in_flight: list[Trace] = []     # finished in the round under way, kept if Ctrl-C comes

    def spent(self) -> int:
        """Steps the search has spent: its candidates', and any the problem trained to set itself
        up (the torch engine's timing probe, ``run_info()["mode_probe_steps"]``)."""
        return self.trained + self.range_steps + self.probe_steps()

    def range_test(self, min_lr: float, max_lr: float, steps: int,
                   stop_factor: float) -> tuple[Sequence[float], Sequence[float]]:
        """The problem's range test (``RunsRangeTest``), its steps counted."""
        assert isinstance(self.problem, RunsRangeTest)
        lrs, losses = self.problem.range_curve(min_lr, max_lr, steps, stop_factor)
        self.range_steps += len(losses)
        return lrs, losses

    def probe_steps(self) -> int:
        info = _run_info(self.problem)
        probe = info.get("mode_probe_steps")
        return probe if isinstance(probe, int) and not isinstance(probe, bool) and probe > 0 else 0

    def _done(self, trace: Trace) -> None:
        self._finished(trace)
        self._in_flight.append(trace)

    def flush_in_flight(self) -> None:
        for trace in self._in_flight:
            self.latest[trace.lr] = trace
        self._in_flight.clear()

    def train_to(self, lrs: Sequence[float], steps: int) -> list[Trace]:
        lrs = tuple(float(lr) for lr in lrs)
        self.rounds.append(lrs)
        self.windows.append(steps)
        by_lr: dict[float, Trace] = {}
        for lr in lrs:
            kept = [t for t in self.earlier.get(lr, ())
                    if t.steps_used == steps or (t.pruned and t.steps_used <= steps)]
            if kept:
                by_lr[lr] = kept[0]
                self.reused += 1
        todo = [lr for lr in lrs if lr not in by_lr]
        if todo and self.cohort is not None:
            fresh = self.cohort.train_to(todo, steps, pruner=self.pruner)
            for trace in fresh:
                self._done(trace)
        elif todo:
            fresh = run_batch(self.runner, self.problem, todo, steps, self.pruner, self._done)
        else:
            fresh = []
        if len(fresh) != len(todo):
            raise InvalidConfigError(f"the runner returned {len(fresh)} traces for {len(todo)} learning rates")
        by_lr.update({t.lr: t for t in fresh})
        missing = [lr for lr in lrs if lr not in by_lr]
        if missing:
            raise InvalidConfigError(f"the runner returned no trace for learning rate(s) "
                                     f"{', '.join(f'{lr:g}' for lr in missing)}")
        self._in_flight.clear()
        for trace in fresh:   # planned to go on from its own state, but trained again from the start here
            held = self._in_cohort.get(trace.lr, 0) if self.cohort is not None else 0
            if self.continues:
                self.restarts += max(0, min(self._accounted.get(trace.lr, 0), trace.steps_used) - held)
            if self.cohort is not None:
                self._in_cohort[trace.lr] = trace.steps_used
        for lr in lrs:
            trace = by_lr[lr]
            before = self._accounted.get(lr, 0) if self.continues else 0
            self.trained += max(0, trace.steps_used - before)
            self._accounted[lr] = trace.steps_used
            self.latest[lr] = trace
        _check_shared_start(list(self.latest.values()))
        return [by_lr[lr] for lr in lrs]


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


SETUP_SHARE = 0.2    # a problem's set-up may take at most this share of a search's budget


def _setup_steps(problem: Problem, candidates: int, budget: int) -> int:
    """What the problem trains on its first call, before its candidates (its optional
    ``SetsItselfUp``; the torch engine probe): a budgeted search leaves room for it, or, when it
    would take more than ``SETUP_SHARE`` of the budget, asks the problem to skip it."""
    if not isinstance(problem, SetsItselfUp):
        return 0
    steps = problem.setup_steps(candidates)
    steps = steps if isinstance(steps, int) and not isinstance(steps, bool) and steps > 0 else 0
    if steps > SETUP_SHARE * budget:
        problem.skip_setup()
        return 0
    return steps


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


def _result(candidates: Sequence[Candidate], thresholds: Thresholds, run_config: dict[str, Any],
            training: "_Training", data_stats: DataStats | None, max_points: int | None,
            decision: Decision | None) -> SweepResult:
    """The result: ``decision`` when the search made it (its finalists read over a longer
    window), else the choice among every candidate; every step trained in ``cost``."""
    candidates = tuple(candidates)
    if training.reused:
        run_config = dict(run_config, resumed_candidates=training.reused)
    run_config = dict(run_config, round_windows=list(training.windows))
    if decision is None:
        decision = choose(candidates, thresholds)
    findings = diagnose(candidates, decision, data_stats=data_stats, reading=thresholds)
    if max_points is not None:  # only now: the verdicts, the choice and the findings read every step
        candidates = tuple(replace(c, trace=c.trace.compact(max_points)) for c in candidates)
    cost = {"candidates": training.trained}
    if training.restarts:
        cost["restarts"] = training.restarts
    if training.range_steps:
        cost["search_range_test"] = training.range_steps
    probe = run_config.get("mode_probe_steps")
    if isinstance(probe, int) and probe > 0:
        cost["engine_probe"] = probe
    return SweepResult(candidates=candidates, decision=decision, thresholds=thresholds, config=run_config,
                       rounds=tuple(training.rounds), findings=findings, cost=cost)


def _resume_key(problem: Problem, run_config: Mapping[str, Any], pruner: DivergencePruner | None) -> dict[str, Any]:
    """What must match for a journal's candidates to be reused: everything that shapes a curve
    (problem, data, steps, pruning) or the plan, but not where it ran (the executor), how the
    result keeps its curves (``max_points``: the journal keeps every step either way) or which
    lrscout version ran it (a trace is the same data whichever version trained it)."""
    key = {k: v for k, v in run_config.items() if k not in ("runner", "max_points", "lrscout_version")}
    key.update(data_fingerprint=data_fingerprint(problem), prune=None if pruner is None else pruner.ratio)
    return key
