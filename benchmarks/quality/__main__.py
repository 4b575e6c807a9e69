"""``python -m benchmarks.quality``: how good is the lr each finder picks, and what does it cost?

Runs every finder on every task with each finder seed (in a pool of at most two
single-threaded workers), trains each pick for the task's full budget at the evaluation seeds,
compares with the cached hindsight reference, prints the suite summary and per-task tables
and writes ``results.json`` and ``results.md`` (with lrscout's per-candidate diagnostics).

    python -m benchmarks.quality                                  # the whole suite
    python -m benchmarks.quality --tasks mlp-sgdm,cnn-adam --finders lrscout,lightning --seeds 1
    python -m benchmarks.quality --recompute-hindsight --tasks deep-tanh   # after changing a task
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import json
import math
import os
import platform
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Mapping, Sequence

import torch

from . import hindsight, report
from .evaluation import SEEDS, Evaluations
from .finders import FINDERS, REFERENCES, FinderRun, run_finder
from .hindsight import Reference
from .metrics import Summary, TaskRow, summarize, task_rows
from .pool import MAX_WORKERS, run_jobs, single_threaded
from .tasks import TASK_NAMES, Task, get_task

DEFAULT_OUT = Path(__file__).parent / "out"
TOOLS = ("lrscout", "torch", "pytorch-lightning", "torch-lr-finder", "fastai", "optuna", "scikit-learn", "transformers",
         "accelerate")


def _names(text: str | None, known: Sequence[str], what: str, default: Sequence[str] | None = None) -> list[str]:
    if text is None:
        return list(known if default is None else default)
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise SystemExit(f"unknown {what} {', '.join(unknown) or '(none given)'}; choose from {', '.join(known)}")
    return names


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality", description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", help=f"comma-separated subset of: {', '.join(TASK_NAMES)}")
    parser.add_argument("--finders", help=f"comma-separated subset of: {', '.join(FINDERS)} (default: all but "
                                          f"{', '.join(REFERENCES)}, a reference that trains every grid rate)")
    parser.add_argument("--seeds", type=int, default=3, help="finder seeds 0..N-1 (default 3)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where results.json/.md go")
    parser.add_argument("--workers", type=int, default=MAX_WORKERS, help="worker processes (1 or 2; default 2)")
    parser.add_argument("--recompute-hindsight", action="store_true",
                        help="retrain the hindsight grids of the chosen tasks and update hindsight.json")
    args = parser.parse_args(argv)
    args.tasks = _names(args.tasks, TASK_NAMES, "task(s)")
    args.finders = _names(args.finders, list(FINDERS), "finder(s)", [f for f in FINDERS if f not in REFERENCES])
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    return args


def machine() -> dict[str, Any]:
    """The facts a reader needs to compare timings: CPU, cores, load, versions, lrscout's code state."""
    root = Path(__file__).resolve().parents[2]

    def output(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=root).stdout.strip()
        except OSError:                 # the tool is not installed
            return ""

    model = next((line.split(":", 1)[1].strip() for line in output("lscpu").splitlines()
                  if line.startswith("Model name")), platform.processor() or "unknown")
    dirty = output("git", "status", "--porcelain", "--", "src")

    return {"date_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), "cpu": model,
            "nproc": os.cpu_count(), "load_average": list(os.getloadavg()), "python": platform.python_version(),
            "torch_threads": torch.get_num_threads(), "versions": {t: _version(t) for t in TOOLS},
            "git_commit": output("git", "rev-parse", "--short", "HEAD"),
            "src_uncommitted_changes": len(dirty.splitlines()) if dirty else 0}


def _version(dist: str) -> str | None:
    """A tool's installed version; None where it is not installed (a run of lrscout's finders alone)."""
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def run_finders(args: argparse.Namespace) -> list[FinderRun]:
    # the slowest tasks first, so the two workers finish together
    jobs = sorted(((f, t, s) for t in args.tasks for f in args.finders for s in range(args.seeds)),
                  key=lambda job: -get_task(job[1]).step_ms)
    return [run for _, run in run_jobs(run_finder, jobs, args.workers,
                                       label=lambda job: f"{job[0]} on {job[1]}, seed {job[2]}")]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    single_threaded()
    started = time.perf_counter()
    facts = machine()
    tasks = [get_task(name) for name in args.tasks]
    timings: dict[str, float] = {}

    if args.recompute_hindsight:
        print(f"hindsight: training {sum(len(t.grid()) for t in tasks) * len(SEEDS)} full-budget runs",
              file=sys.stderr)
        t0 = time.perf_counter()
        hindsight.save(hindsight.compute(tasks, Evaluations(path=None), args.workers), tasks)
        timings["hindsight_s"] = time.perf_counter() - t0
    try:
        references = hindsight.load(tasks)
    except hindsight.StaleHindsight as exc:
        print(f"hindsight.json cannot be used:\n{exc}", file=sys.stderr)
        return 2
    for note in hindsight.edge_warnings(references):
        print(f"warning: {note}", file=sys.stderr)

    evaluations = Evaluations()
    hindsight.remember(references, evaluations)
    print(f"finders: {len(args.finders)} x {len(tasks)} tasks x {args.seeds} seeds", file=sys.stderr)
    t0 = time.perf_counter()
    runs = run_finders(args)
    timings["finders_s"] = time.perf_counter() - t0

    print("evaluating the picks at the full budget", file=sys.stderr)
    t0 = time.perf_counter()
    digests = {name: ref.digest for name, ref in references.items()}
    evaluations.ensure([(r.task, r.lr, r.ratio) for r in runs if r.lr is not None], digests, args.workers)
    timings["evaluation_s"] = time.perf_counter() - t0

    rows = task_rows(runs, references, evaluations)
    summaries = [summarize(f, rows, args.tasks) for f in args.finders]
    timings["total_s"] = time.perf_counter() - started
    facts["load_average_end"] = list(os.getloadavg())

    tables = ["## Suite summary", "", *report.summary_table(summaries), "",
              "## Regret per task (median over finder seeds)", "",
              *report.regret_table(tasks, args.finders, rows, references), "",
              f"## Chosen learning rates (finder seeds {', '.join(map(str, range(args.seeds)))})", "",
              *report.picks_table(tasks, args.finders, rows), ""]
    print("\n".join(tables))
    print(f"total wall time {timings['total_s']:.0f} s", file=sys.stderr)

    args.out.mkdir(parents=True, exist_ok=True)
    command = " ".join(["python -m benchmarks.quality", *(sys.argv[1:] if argv is None else argv)])
    how = (f"`{command}` on {facts['cpu']} ({facts['nproc']} cores, torch on 1 thread per process, "
           f"{args.workers} workers); wall time {timings['total_s']:.0f} s.")
    header = [f"# lrscout quality benchmark ({facts['date_utc']})", "", how, ""]
    (args.out / "results.md").write_text("\n".join(header + tables + report.errors_section(rows)
                                                   + report.lrscout_diagnostics(tasks, rows, references)) + "\n")
    record = results_json(args, facts, timings, tasks, references, rows, summaries)
    (args.out / "results.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out / 'results.md'} and {args.out / 'results.json'}", file=sys.stderr)
    return 0


def results_json(args: argparse.Namespace, facts: Mapping[str, Any], timings: Mapping[str, float],
                 tasks: Sequence[Task], references: Mapping[str, Reference],
                 rows: Mapping[tuple[str, str], TaskRow], summaries: Sequence[Summary]) -> dict[str, Any]:
    """Everything behind the tables, with non-finite numbers as null."""
    return {
        "args": {"tasks": args.tasks, "finders": args.finders, "seeds": args.seeds, "workers": args.workers,
                 "recompute_hindsight": args.recompute_hindsight},
        "machine": facts, "timings_s": timings, "evaluation_seeds": list(SEEDS),
        "tasks": {t.name: {"summary": t.summary, "optimizer": t.optimizer_label(), "batch_size": t.batch_size,
                           "steps": t.steps, "default_lr": t.default_lr, "digest": references[t.name].digest,
                           "best_lr": references[t.name].best[0], "best_val": references[t.name].best[1].mean,
                           "hindsight": [[lr, _finite(s.mean)] for lr, s in references[t.name].grid]}
                  for t in tasks},
        "picks": [{**dataclasses.asdict(p.run), "val": _finite(p.val), "regret": _finite(p.regret), "status": p.status}
                  for row in rows.values() for p in row.picks],
        "per_task": [{"finder": row.finder, "task": row.task, "median_regret": _finite(row.regret),
                      "spread_decades": row.spread_decades, "median_wall_s": row.wall_s} for row in rows.values()],
        "summary": [{**dataclasses.asdict(s), "median_regret": _finite(s.median_regret),
                     "worst_regret": _finite(s.worst_regret), "within": {str(k): v for k, v in s.within.items()}}
                    for s in summaries],
    }


if __name__ == "__main__":
    sys.exit(main())
