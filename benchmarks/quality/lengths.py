"""``python -m benchmarks.quality.lengths``: does the run's length change a task's best rate?

For each task, trains every rate of its hindsight grid for a short run (default 100 steps, one
lrscout window) at the evaluation seeds, on the same split, and scores it as hindsight scores
the full budget: the mean final validation loss over the seeds, a point where a seed blew up
excluded. Beside it, the full-budget reference from ``hindsight.json``: the best rate at each
length, how many decades apart they are, and the short run's winner judged after the full
budget (its regret, read off the full-budget grid: both winners are grid points). A task where
that regret is about zero is one where a 100-step search could not go wrong by ignoring the
budget; the ``long-*`` tasks were built to be the other kind.

    python -m benchmarks.quality.lengths --tasks long-linreg-sgd,long-mlp-sgdm
    python -m benchmarks.quality.lengths --steps 100,300       # several short lengths
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Sequence

from . import hindsight
from .evaluation import SEEDS, Score
from .pool import MAX_WORKERS, run_jobs, single_threaded
from .report import _table, lr_text, regret_text
from .tasks import TASK_NAMES, get_task
from .training import RunOutcome, train_run


def short_run(task_name: str, lr: float, seed: int, steps: int) -> RunOutcome:
    """One training run of ``steps`` steps on the task's own split (a pool job)."""
    return train_run(get_task(task_name), lr, seed, steps=steps)


def best(grid: Sequence[tuple[float, Score]]) -> tuple[float, Score] | None:
    finite = [(lr, s) for lr, s in grid if not s.diverged]
    return min(finite, key=lambda point: point[1].mean) if finite else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality.lengths", description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", help=f"comma-separated subset of: {', '.join(TASK_NAMES)} (default: all)")
    parser.add_argument("--steps", default="100", help="comma-separated short run lengths (default 100)")
    parser.add_argument("--workers", type=int, default=MAX_WORKERS, help="worker processes (1 or 2; default 2)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in (args.tasks or ",".join(TASK_NAMES)).split(",") if n.strip()]
    unknown = [n for n in names if n not in TASK_NAMES]
    if unknown or not names:
        parser.error(f"unknown task(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(TASK_NAMES)}")
    try:
        lengths = sorted({int(s) for s in args.steps.split(",") if s.strip()})
    except ValueError:
        parser.error(f"--steps takes whole numbers separated by commas, not {args.steps!r}")
    if not lengths or lengths[0] < 1:
        parser.error(f"--steps takes positive step counts, not {args.steps!r}")

    single_threaded()
    tasks = [get_task(n) for n in names]
    try:
        references = hindsight.load(tasks)
    except hindsight.StaleHindsight as exc:
        print(f"hindsight.json cannot be used:\n{exc}", file=sys.stderr)
        return 2

    jobs = [(t.name, lr, seed, steps) for t in tasks for steps in lengths if steps < t.steps
            for lr in t.grid() for seed in SEEDS]
    runs = dict(run_jobs(short_run, jobs, args.workers,
                         label=lambda job: f"{job[0]} lr={job[1]:.3g} seed={job[2]} {job[3]} steps"))

    header = ["task", "budget", "best lr, full budget"]
    for steps in lengths:
        header += [f"best lr, {steps} steps", "decades apart", "its regret at the full budget"]
    rows = []
    for task in tasks:
        full_grid = dict(references[task.name].grid)
        full_lr, full_score = references[task.name].best
        row = [task.name, str(task.steps), lr_text(full_lr)]
        for steps in lengths:
            if steps >= task.steps:
                row += ["-", "-", "-"]
                continue
            grid = [(lr, Score(tuple(runs[(task.name, lr, seed, steps)] for seed in SEEDS))) for lr in task.grid()]
            short = best(grid)
            if short is None:
                row += ["every rate blew up", "-", "-"]
                continue
            at_full = full_grid[short[0]]
            regret = math.inf if at_full.diverged else at_full.mean / full_score.mean - 1
            row += [lr_text(short[0]), f"{math.log10(short[0] / full_lr):+.2f}", regret_text(regret)]
        rows.append(row)
    print("\n".join(_table(header, rows, "lrr" + "rrr" * len(lengths))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
