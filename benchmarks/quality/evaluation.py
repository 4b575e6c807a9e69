"""Full-budget runs at a learning rate, remembered: in memory for a run, on disk across runs.

A learning rate is judged by training the task's model for its whole budget at that rate,
once per evaluation seed (the hindsight seeds), and averaging the final validation losses.
The result of ``(task digest, exact lr, seed)`` never changes (single-threaded CPU training is
deterministic), so it is kept in a JSON-lines file under ``.cache/`` (gitignored) and reused
by later runs; a changed task has a new digest, so its old entries are simply never asked for.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from .pool import run_jobs
from .tasks import get_task
from .training import RunOutcome, train_run

SEEDS = (1000, 1001)        # init + data order of every full-budget run, hindsight and evaluation alike
CACHE_FILE = Path(__file__).parent / ".cache" / "evaluations-2.jsonl"   # -2: runs record training loss too

Key = tuple[str, str, int]  # (task digest, lr as float.hex [x the groups' ratio as float.hex], seed): exact


def run_point(task_name: str, lr: float, seed: int, ratio: float = 1.0) -> RunOutcome:
    """One full-budget training run (a pool job); ``ratio``: a per-group pick's (``train_run``)."""
    return train_run(get_task(task_name), lr, seed, ratio=ratio)


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _float(value: float | int | None) -> float:
    return math.inf if value is None else float(value)


def outcome_to_json(outcome: RunOutcome) -> dict[str, float | int | None]:
    return {"init_val": outcome.init_val, "final_val": _finite_or_none(outcome.final_val), "steps": outcome.steps,
            "init_train": outcome.init_train, "final_train": _finite_or_none(outcome.final_train)}


def outcome_from_json(data: Mapping[str, float | int | None]) -> RunOutcome:
    return RunOutcome(_float(data["init_val"]), _float(data["final_val"]), int(data["steps"]),
                      _float(data["init_train"]), _float(data["final_train"]))


@dataclass(frozen=True)
class Score:
    """A learning rate's result over the evaluation seeds."""

    per_seed: tuple[RunOutcome, ...]

    @property
    def diverged(self) -> bool:
        """Any seed's training blew up (see ``RunOutcome.diverged``)."""
        return any(o.diverged for o in self.per_seed)

    @property
    def mean(self) -> float:
        return math.inf if self.diverged else sum(o.final_val for o in self.per_seed) / len(self.per_seed)


class Evaluations:
    """The memo of full-budget runs, backed by ``path`` (appended to, one JSON object a line)."""

    def __init__(self, path: Path | None = CACHE_FILE) -> None:
        self.path = path
        self._runs: dict[Key, RunOutcome] = {}
        if path is not None and path.exists():
            for line in path.read_text().splitlines():
                entry = json.loads(line)
                rate = entry["lr"] if "ratio" not in entry else f"{entry['lr']}x{entry['ratio']}"
                self._runs[(entry["digest"], rate, entry["seed"])] = outcome_from_json(entry)

    @staticmethod
    def key(digest: str, lr: float, seed: int, ratio: float = 1.0) -> Key:
        rate = float(lr).hex() if ratio == 1.0 else f"{float(lr).hex()}x{float(ratio).hex()}"
        return digest, rate, seed

    def remember(self, digest: str, lr: float, seed: int, outcome: RunOutcome, ratio: float = 1.0) -> None:
        """Keep a run in memory (``ensure`` also appends what it trains to the file; hindsight's grid
        points are remembered from hindsight.json instead)."""
        self._runs[self.key(digest, lr, seed, ratio)] = outcome

    def get(self, digest: str, lr: float, seed: int, ratio: float = 1.0) -> RunOutcome | None:
        return self._runs.get(self.key(digest, lr, seed, ratio))

    def score(self, digest: str, lr: float, ratio: float = 1.0) -> Score:
        return Score(tuple(self._runs[self.key(digest, lr, seed, ratio)] for seed in SEEDS))

    def ensure(self, points: Iterable[tuple[str, float] | tuple[str, float, float]], digests: Mapping[str, str],
               workers: int) -> None:
        """Train every ``(task name, lr)`` or ``(task name, lr, groups' ratio)`` at every seed not yet
        known, in the pool, and save them."""
        full = {(p[0], float(p[1]), float(p[2]) if len(p) > 2 else 1.0) for p in points}
        jobs = sorted({(name, lr, seed, ratio) for name, lr, ratio in full for seed in SEEDS
                       if self.get(digests[name], lr, seed, ratio) is None},
                      key=lambda job: (-get_task(job[0]).steps * get_task(job[0]).step_ms, job))
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        def label(job: tuple[str, float, int, float]) -> str:
            ratio = "" if job[3] == 1.0 else f" x{job[3]:.3g}"
            return f"evaluate {job[0]} lr={job[1]:.3g}{ratio} seed={job[2]}"

        for (name, lr, seed, ratio), outcome in run_jobs(run_point, jobs, workers, label=label):
            self.remember(digests[name], lr, seed, outcome, ratio)
            if self.path is not None:
                extra = {} if ratio == 1.0 else {"ratio": float(ratio).hex()}
                with self.path.open("a") as fh:
                    fh.write(json.dumps({"digest": digests[name], "task": name, "lr": float(lr).hex(), "seed": seed,
                                         **extra, **outcome_to_json(outcome)}) + "\n")

