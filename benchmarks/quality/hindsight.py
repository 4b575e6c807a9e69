"""The hindsight reference: the best learning rate on a dense grid, trained for the full budget.

For each task, every rate of its grid (4 per decade over ``Task.grid_decades``, from clearly
too slow up to divergence) trains for the task's full budget at each evaluation seed. The
reference is the grid point with the lowest mean final validation loss over the seeds among
those that did not blow up. Computing it costs a few minutes of CPU per task, so the result
is kept in ``hindsight.json`` (committed) with every grid point's per-seed values and the
task's digest: a task whose definition changed is refused with a message saying how to
recompute it, never silently compared against a stale reference.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import platform
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import torch

from .evaluation import SEEDS, Evaluations, Score, outcome_from_json, outcome_to_json
from .tasks import Task

HINDSIGHT_FILE = Path(__file__).parent / "hindsight.json"
SCHEMA = "lrscout-benchmarks.hindsight/2"        # /2: runs record the training-split loss, which decides divergence
# per grid point, a list each, in seed order
RUN_FIELDS = ("init_val", "final_val", "steps", "init_train", "final_train")


class StaleHindsight(Exception):
    """The cached reference is missing or was computed for another definition of a task."""


@dataclass(frozen=True)
class Reference:
    """A task's hindsight: every grid point's score, and the best one."""

    digest: str
    grid: tuple[tuple[float, Score], ...]

    @property
    def best(self) -> tuple[float, Score]:
        finite = [(lr, s) for lr, s in self.grid if not s.diverged]
        if not finite:
            raise ValueError("every grid point diverged; extend the task's grid downwards")
        return min(finite, key=lambda point: point[1].mean)

    def nearest(self, lr: float) -> tuple[float, Score]:
        """The grid point closest to ``lr`` on a log scale."""
        return min(self.grid, key=lambda point: abs(math.log(point[0] / lr)))


def compute(tasks: Sequence[Task], evaluations: Evaluations, workers: int) -> dict[str, Reference]:
    """Train every grid point of ``tasks`` at every seed (reusing any run already known)."""
    digests = {t.name: t.digest() for t in tasks}
    evaluations.ensure([(t.name, lr) for t in tasks for lr in t.grid()], digests, workers)
    return {t.name: Reference(digests[t.name], tuple((lr, evaluations.score(digests[t.name], lr)) for lr in t.grid()))
            for t in tasks}


def load(tasks: Sequence[Task], path: Path = HINDSIGHT_FILE) -> dict[str, Reference]:
    """The cached references of ``tasks``; raises ``StaleHindsight`` naming every task to recompute."""
    data = json.loads(path.read_text()) if path.exists() else {}
    stored = data.get("tasks", {}) if data.get("schema") == SCHEMA else {}
    references, problems = {}, []
    for task in tasks:
        entry = stored.get(task.name)
        digest = task.digest()
        if entry is None:
            problems.append(f"{task.name}: no hindsight stored in {path.name}"
                            + ("" if data.get("schema") in (None, SCHEMA) else f" (it holds {data['schema']})"))
        elif entry["digest"] != digest:
            problems.append(f"{task.name}: the task changed since its hindsight was computed "
                            f"(digest {entry['digest']} stored, {digest} now)")
        else:
            grid = tuple((float(p["lr"]), Score(tuple(outcome_from_json({k: p[k][i] for k in RUN_FIELDS})
                                                      for i in range(len(SEEDS)))))
                         for p in entry["grid"])
            references[task.name] = Reference(digest, grid)
    if problems:
        names = ",".join(sorted({p.split(":")[0] for p in problems}))
        raise StaleHindsight("\n".join(problems) + f"\nrecompute with: python -m benchmarks.quality "
                                                    f"--recompute-hindsight --tasks {names}")
    return references


def save(references: Mapping[str, Reference], tasks: Sequence[Task], path: Path = HINDSIGHT_FILE) -> None:
    """Merge ``references`` into the file (other tasks' entries are kept when their schema is current)."""
    data = json.loads(path.read_text()) if path.exists() else {}
    stored = data.get("tasks", {}) if data.get("schema") == SCHEMA else {}
    by_name = {t.name: t for t in tasks}
    for name, ref in references.items():
        task = by_name[name]
        best_lr, best = ref.best
        stored[name] = {
            "digest": ref.digest, "summary": task.summary, "steps": task.steps, "batch_size": task.batch_size,
            "best_lr": best_lr, "best_val": best.mean,
            "grid": [{"lr": lr, "mean_val": None if s.diverged else s.mean, "diverged": s.diverged,
                      **{k: [outcome_to_json(o)[k] for o in s.per_seed] for k in RUN_FIELDS}} for lr, s in ref.grid],
        }
    data = {"schema": SCHEMA, "seeds": list(SEEDS), "updated": _dt.date.today().isoformat(),
            "torch": torch.__version__, "python": platform.python_version(), "torch_threads": 1,
            "tasks": dict(sorted(stored.items()))}
    path.write_text(_compact(json.dumps(data, indent=1)) + "\n")


def _compact(text: str) -> str:
    """Indented JSON with each grid point on one line (lists of numbers first, then innermost objects)."""
    text = re.sub(r"\[[^\[\]{}]*\]", lambda m: " ".join(m.group().split()), text)
    return re.sub(r"\{[^{}]*\}", lambda m: " ".join(m.group().split()), text)


def remember(references: Mapping[str, Reference], evaluations: Evaluations) -> None:
    """Put every grid run in the evaluation memo: a finder that picks a grid rate costs nothing."""
    for ref in references.values():
        for lr, score in ref.grid:
            for seed, outcome in zip(SEEDS, score.per_seed, strict=True):
                evaluations.remember(ref.digest, lr, seed, outcome)


def edge_warnings(references: Mapping[str, Reference]) -> list[str]:
    """Grids that do not bracket the optimum: the best is at an end, or the top never blew up."""
    notes = []
    for name, ref in references.items():
        best_lr = ref.best[0]
        if best_lr in (ref.grid[0][0], ref.grid[-1][0]):
            notes.append(f"{name}: the best grid rate {best_lr:.3g} is at the edge of the grid")
        if not ref.grid[-1][1].diverged:
            notes.append(f"{name}: the largest grid rate {ref.grid[-1][0]:.3g} did not diverge")
    return notes
