"""From finder runs and full-budget evaluations to the numbers the tables show.

- **Regret** of a pick: ``val(chosen) / val(best) - 1``, where ``val`` is the mean final
  validation loss over the evaluation seeds and ``best`` the hindsight reference. It is
  negative when a pick between grid points beats the best grid point. A pick whose training
  blew up at any seed (a non-finite loss, or a training-split loss that ended above where it
  started) is *diverged*; a finder that returned no lr or raised is *no pick*. Both count as
  infinite regret. A run that fits its training rows but ends with a validation loss above the
  untrained model's has overfitted: its regret is large, and finite.
- Per task, a finder's regret is the **median over its finder seeds** (so one unlucky seed
  does not decide it; with 3 seeds one diverged seed still leaves a finite median). Over the
  suite: the median and the worst of those per-task regrets.
- **Within 5% / 20%**, **diverged**, **no pick**: counted over every (task, seed) pick.
- **Wall time** and **training steps**: medians over every (task, seed) run. A sweep's
  candidates each count their own steps (K candidates trained together for N steps are K x N).
- **Cost vs the fastest peer range test**: per task, the finder's median wall time over the
  fastest of the peers' range tests (Lightning, torch-lr-finder, fastai; median over seeds
  each); the summary is the median over tasks.
- **Stability**: per task, ``log10(max / min)`` of the lrs picked over the finder seeds (in
  decades; picks only); the summary shows the median and the largest over tasks.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from .evaluation import Evaluations
from .finders import RANGE_TESTS, FinderRun
from .hindsight import Reference

WITHIN = (0.05, 0.20)


@dataclass(frozen=True)
class Pick:
    """One finder run, judged."""

    run: FinderRun
    val: float            # mean final validation loss over the evaluation seeds; inf when diverged or no pick
    regret: float         # inf when diverged or no pick
    status: str           # "ok", "diverged", "no pick" (no lr returned) or "error" (the finder raised)


@dataclass(frozen=True)
class TaskRow:
    """One finder on one task, over its seeds."""

    finder: str
    task: str
    picks: tuple[Pick, ...]

    @property
    def regret(self) -> float:
        return statistics.median(p.regret for p in self.picks)

    @property
    def wall_s(self) -> float:
        return statistics.median(p.run.wall_s for p in self.picks)

    @property
    def spread_decades(self) -> float | None:
        lrs = [p.run.lr for p in self.picks if p.run.lr is not None]
        return math.log10(max(lrs) / min(lrs)) if lrs else None


@dataclass(frozen=True)
class Summary:
    """One finder over the suite."""

    finder: str
    median_regret: float
    worst_regret: float
    within: dict[float, int]
    picks: int
    diverged: int
    no_pick: int
    median_wall_s: float
    median_steps: float
    cost_vs_range_test: float | None
    median_spread: float | None
    max_spread: float | None


def judge(run: FinderRun, reference: Reference, evaluations: Evaluations) -> Pick:
    if run.lr is None:
        return Pick(run, math.inf, math.inf, "error" if run.error else "no pick")
    score = evaluations.score(reference.digest, run.lr, run.ratio)
    if score.diverged:
        return Pick(run, math.inf, math.inf, "diverged")
    return Pick(run, score.mean, score.mean / reference.best[1].mean - 1, "ok")


def task_rows(runs: Iterable[FinderRun], references: Mapping[str, Reference],
              evaluations: Evaluations) -> dict[tuple[str, str], TaskRow]:
    """Every (finder, task) with its judged picks, seeds in order."""
    grouped: dict[tuple[str, str], list[Pick]] = {}
    for run in sorted(runs, key=lambda r: r.seed):
        grouped.setdefault((run.finder, run.task), []).append(judge(run, references[run.task], evaluations))
    return {key: TaskRow(key[0], key[1], tuple(picks)) for key, picks in grouped.items()}


def _fastest_range_test(rows: Mapping[tuple[str, str], TaskRow], task: str) -> float | None:
    walls = [rows[(f, task)].wall_s for f in RANGE_TESTS
             if (f, task) in rows and all(p.status != "error" for p in rows[(f, task)].picks)]
    return min(walls) if walls else None


def summarize(finder: str, rows: Mapping[tuple[str, str], TaskRow], tasks: Sequence[str]) -> Summary:
    mine = [rows[(finder, t)] for t in tasks if (finder, t) in rows]
    picks = [p for row in mine for p in row.picks]
    regrets = [row.regret for row in mine]
    spreads = [s for s in (row.spread_decades for row in mine) if s is not None]
    ratios = []
    for row in mine:
        fastest = _fastest_range_test(rows, row.task)
        if fastest:
            ratios.append(row.wall_s / fastest)
    return Summary(
        finder=finder,
        median_regret=statistics.median(regrets),
        worst_regret=max(regrets),
        within={w: sum(p.regret <= w for p in picks) for w in WITHIN},
        picks=len(picks),
        diverged=sum(p.status == "diverged" for p in picks),
        no_pick=sum(p.status in ("no pick", "error") for p in picks),
        median_wall_s=statistics.median(p.run.wall_s for p in picks),
        median_steps=statistics.median(p.run.steps for p in picks),
        cost_vs_range_test=statistics.median(ratios) if ratios else None,
        median_spread=statistics.median(spreads) if spreads else None,
        max_spread=max(spreads) if spreads else None,
    )
