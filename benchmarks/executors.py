"""What the executors cost and gain: process-pool speed-up, Ray overhead, streaming memory.

Run from the repository root (figures and the machine go to benchmarks/EXECUTORS.md)::

    python -m benchmarks.executors                     # everything but the big CSV, ~3 minutes
    python -m benchmarks.executors --only processes,torch
    python -m benchmarks.executors --csv big.csv       # also stream this CSV (target column "y")
    python -m benchmarks.executors --make-csv big.csv --gb 3   # generate one first

Sections:

* ``processes``: the built-in models, K candidates trained one per task, sequentially inline
  (``InlineRunner(per_candidate=True)``) against a pool of 2 and of 1 workers; and the
  vectorized inline figure (all K stacked). Workers are pinned to cores // workers threads;
  the inline run keeps this process's default (all cores), as a user's would.
* ``torch``: a small MLP trained through ``CallableProblem``, the same comparison.
* ``ray``: a local cluster's start and stop, and the overhead per candidate (near-empty tasks).
* ``journal``: the cost of one fsynced journal entry.
* ``streaming``: one pass over a CSV and a sweep, in a fresh process, with its peak memory.

Each timing is the best of ``--repeats`` runs after a warm-up (the variants of a comparison
taking turns), except cluster start-up (cold). The machine's load is recorded beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable

import numpy as np

import lrscout
from lrscout.executors import InlineRunner, ProcessRunner, RayRunner
from lrscout.executors.threads import THREAD_ENV_VARS, available_cores

LRS = [float(x) for x in np.geomspace(1e-3, 1e-1, 8)]


# ---------------------------------------------------------------------------- problems

def numpy_problem(kind: str, n: int = 20_000, d: int = 100) -> lrscout.NumpyProblem:
    """Mini-batch (256 rows) gradient descent on n x d standard-normal features: small matrix
    products, so a candidate keeps about one core busy (0.4-0.8 s for 6000 steps here)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    if kind == "linear":
        return lrscout.NumpyProblem(lrscout.LinearRegression(), X, X @ rng.standard_normal(d) / 10, batch_size=256)
    if kind == "logistic":
        y = (X @ rng.standard_normal(d) > 0).astype(float)
        return lrscout.NumpyProblem(lrscout.LogisticRegression(), X, y, batch_size=256)
    y = np.argmax(X @ rng.standard_normal((d, 10)), axis=1).astype(float)
    return lrscout.NumpyProblem(lrscout.SoftmaxRegression(n_classes=10), X, y, batch_size=256)


def torch_mlp(lr: float, steps: int) -> list[float]:
    """A 2-layer MLP (64-256-256-10, 85k parameters) on a fixed synthetic batch stream."""
    import torch

    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    X = torch.randn(4096, 64, generator=gen)
    y = (X @ torch.randn(64, 10, generator=gen)).argmax(dim=1)
    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                                torch.nn.ReLU(), torch.nn.Linear(256, 10))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses = []
    for step in range(steps):
        idx = slice((step * 256) % 4096, (step * 256) % 4096 + 256)
        loss = torch.nn.functional.cross_entropy(model(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def tiny(lr: float, steps: int) -> list[float]:
    return [1.0 / (1.0 + lr * t) for t in range(steps)]


# ---------------------------------------------------------------------------- timing

def best_of(fn: Callable[[], Any], repeats: int) -> float:
    fn()  # warm-up: imports, thread pools, page cache
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def interleaved(variants: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Best time of each variant, the variants taking turns (the order rotating every round),
    so load from elsewhere on a shared machine hits them alike rather than one of them."""
    for fn in variants.values():
        fn()  # warm-up
    names = list(variants)
    times: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(repeats):
        for name in names[rep % len(names):] + names[:rep % len(names)]:
            t0 = time.perf_counter()
            variants[name]()
            times[name].append(time.perf_counter() - t0)
    return {name: min(ts) for name, ts in times.items()}


def compare(name: str, problem: Any, steps: int, repeats: int, vectorized: bool) -> dict[str, Any]:
    """Inline one candidate after another, against pools of 1 and 2 workers: warm (started and
    sent the problem before the timing, as every round after a sweep's first finds them) and
    cold (started inside the timing, as a sweep's first round pays once)."""
    with ProcessRunner(workers=1).session() as one, ProcessRunner(workers=2).session() as two:
        variants = {
            "inline_sequential_s": lambda: InlineRunner(per_candidate=True).run(problem, LRS, steps, None),
            "processes_1_warm_s": lambda: one.run(problem, LRS, steps, None),
            "processes_2_warm_s": lambda: two.run(problem, LRS, steps, None),
            "processes_2_cold_s": lambda: ProcessRunner(workers=2).run(problem, LRS, steps, None),
        }
        if vectorized:
            variants["inline_vectorized_s"] = lambda: InlineRunner().run(problem, LRS, steps, None)
        times = interleaved(variants, repeats)
    row: dict[str, Any] = {"case": name, "K": len(LRS), "steps": steps, **times,
                           "load_average_after": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}
    row["speedup_2_warm_vs_inline_sequential"] = row["inline_sequential_s"] / row["processes_2_warm_s"]
    row["speedup_2_cold_vs_inline_sequential"] = row["inline_sequential_s"] / row["processes_2_cold_s"]
    return row


def bench_processes(repeats: int) -> list[dict[str, Any]]:
    return [compare(kind, numpy_problem(kind), 6000, repeats, vectorized=True)
            for kind in ("linear", "logistic", "softmax")]


def bench_torch(repeats: int) -> list[dict[str, Any]]:
    import torch

    problem = lrscout.CallableProblem(torch_mlp, name="torch-mlp")
    row = compare("torch MLP (CallableProblem)", problem, 400, repeats, vectorized=False)
    row["torch_threads_inline"] = torch.get_num_threads()
    return [row]


def bench_ray(repeats: int) -> list[dict[str, Any]]:
    import ray  # noqa: F401  (import time is not cluster start-up)

    n = 200
    problem = lrscout.CallableProblem(tiny)
    t0 = time.perf_counter()
    session = RayRunner(local_cpus=available_cores(), object_store_mb=100).session()
    session.__enter__()
    start = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        session.run(problem, [0.1], 10, None)
        first = time.perf_counter() - t0
        ray_s = best_of(lambda: session.run(problem, [1e-3 * (1 + i) for i in range(n)], 10, None), repeats)
        pool = ProcessRunner(workers=available_cores()).session()
        with pool:
            pool_s = best_of(lambda: pool.run(problem, [1e-3 * (1 + i) for i in range(n)], 10, None), repeats)
        inline_s = best_of(lambda: InlineRunner().run(problem, [1e-3 * (1 + i) for i in range(n)], 10, None),
                           repeats)
    finally:
        t0 = time.perf_counter()
        session.__exit__(None, None, None)
        stop = time.perf_counter() - t0
    return [{"cluster_start_s": start, "cluster_stop_s": stop, "first_task_s": first, "tasks": n,
             "ray_per_candidate_ms": 1e3 * ray_s / n, "processes_per_candidate_ms": 1e3 * pool_s / n,
             "inline_per_candidate_ms": 1e3 * inline_s / n}]


def bench_journal(repeats: int) -> list[dict[str, Any]]:
    from lrscout.executors.journal import Journal

    trace = lrscout.Trace(lr=0.1, train_loss=np.linspace(1, 0.1, 200))
    verdict = lrscout.read_curve(trace.train_loss)
    n = 200
    with tempfile.TemporaryDirectory() as folder:
        def write() -> None:
            path = os.path.join(folder, f"j{time.perf_counter_ns()}.jsonl")
            with Journal.open(path, {"steps": 200}, resume=False) as journal:
                for _ in range(n):
                    journal.append(trace, verdict)
        total = best_of(write, repeats)
    return [{"entries": n, "steps_per_curve": 200, "per_entry_ms": 1e3 * total / n}]


STREAM_SCRIPT = """
import resource, sys, time, json
from lrscout import LinearRegression, sweep
from lrscout.problems.streaming import StreamingProblem
t0 = time.perf_counter()
p = StreamingProblem(LinearRegression(), sys.argv[1], "y", batch_size=64, max_steps=1000)
read = time.perf_counter() - t0
t0 = time.perf_counter()
r = sweep(p, steps=200)
print(json.dumps({"pass_s": read, "sweep_s": time.perf_counter() - t0, "rows": p.n_rows,
                  "chosen_lr": r.chosen_lr, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def bench_streaming(paths: list[str]) -> list[dict[str, Any]]:
    rows = []
    for path in paths:
        out = subprocess.run([sys.executable, "-c", STREAM_SCRIPT, path], capture_output=True, text=True, check=True)
        row = json.loads(out.stdout)
        row.update(file=os.path.basename(path), size_gb=os.path.getsize(path) / 1e9)
        rows.append(row)
    return rows


def make_csv(path: str, gigabytes: float, d: int = 10) -> None:
    """Linear data (y = Xw + 3 + noise), about 104 bytes a row at d=10."""
    rows = int(gigabytes * 1e9 / (11 * 9.5))
    rng = np.random.default_rng(0)
    w = rng.standard_normal(d)
    with open(path, "w") as fh:
        fh.write(",".join([f"x{i}" for i in range(d)] + ["y"]) + "\n")
        for start in range(0, rows, 200_000):
            X = rng.standard_normal((min(200_000, rows - start), d))
            np.savetxt(fh, np.column_stack([X, X @ w + 3.0 + 0.5 * rng.standard_normal(len(X))]),
                       fmt="%.6f", delimiter=",")


# ---------------------------------------------------------------------------- report

def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor()) if os.path.exists("/proc/cpuinfo") else platform.processor()
    return {"cpu": cpu, "cores": available_cores(), "python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform(), "env": {k: os.environ[k] for k in THREAD_ENV_VARS if k in os.environ},
            # other work on a shared machine shows here; timings under load are slower, not faster
            "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="processes,torch,ray,journal,streaming")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--csv", action="append", default=[], help="CSV files to stream (target column y)")
    parser.add_argument("--make-csv", default=None, help="generate a CSV of --gb gigabytes here and exit")
    parser.add_argument("--gb", type=float, default=0.1)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    if args.make_csv:
        make_csv(args.make_csv, args.gb)
        return 0
    sections = {"processes": lambda: bench_processes(args.repeats), "torch": lambda: bench_torch(args.repeats),
                "ray": lambda: bench_ray(args.repeats), "journal": lambda: bench_journal(args.repeats)}
    report: dict[str, Any] = {"machine": machine()}
    for name in args.only.split(","):
        if name == "streaming":
            if args.csv:
                report[name] = bench_streaming(args.csv)
            continue
        print(f"running {name} ...", file=sys.stderr)
        report[name] = sections[name]()
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        with open(args.json, "w") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
