"""How much a K-candidate sweep with the built-in NumPy models costs, against K single runs.

``NumpyProblem.train`` stacks all K candidates' parameters into one (K, P) array, so each step
is one matrix product over the batch for every learning rate at once. This script times

* the vectorized call: ``NumpyProblem(...).train(lrs, steps, pruner=None)`` with K rates, and
* the same work done one by one: K calls ``train([lr], steps, pruner=None)``,

for linear, logistic and softmax regression, full batch and mini-batch, K in (1, 4, 8, 16).
Each cell is warmed up, then measured several times with the two variants alternating (which
goes first flips every repetition), and the best time of each is kept. It also checks that
every candidate ran every step and that each vectorized loss curve equals the single run at
the same rate (``rtol=1e-10``).

Run from the repository root::

    python -m benchmarks.vectorized_numpy              # default set, under ~2 minutes on 2 cores
    python -m benchmarks.vectorized_numpy --quick      # CI smoke run, a few seconds
    python -m benchmarks.vectorized_numpy --json out.json

The markdown table goes to stdout, progress to stderr. The exit status is 1 when a check fails.
Thread settings are left exactly as the environment has them; they are only reported.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from lrscout import LinearRegression, LogisticRegression, NumpyProblem, SoftmaxRegression

from .timing import timed

N_CLASSES = 10
LR_LOW, LR_HIGH = 1e-3, 1e-1        # small enough that no candidate diverges on these data
RTOL = 1e-10
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "OPENBLAS_CORETYPE")


@dataclass(frozen=True)
class Settings:
    models: tuple[str, ...]
    batch_sizes: tuple[int | None, ...]
    ks: tuple[int, ...]
    steps: int
    n: int
    d: int
    max_repeats: int
    min_repeats: int
    cell_budget_s: float
    seed: int = 0


DEFAULT = Settings(models=("linear", "logistic", "softmax"), batch_sizes=(None, 64), ks=(1, 4, 8, 16),
                   steps=200, n=5000, d=50, max_repeats=5, min_repeats=2, cell_budget_s=6.0)
QUICK = Settings(models=("linear", "softmax"), batch_sizes=(None, 64), ks=(1, 8),
                 steps=100, n=2000, d=50, max_repeats=3, min_repeats=1, cell_budget_s=0.5)


@dataclass
class Row:
    model: str
    batch: str
    K: int
    lrs: list[float]
    vectorized_s: float
    k_singles_s: float
    one_single_s: float                 # k_singles_s / K: the cost of one single-candidate run
    vec_over_one_single: float
    vec_over_k_singles: float
    repeats: int
    vectorized_all_s: list[float] = field(default_factory=list)
    k_singles_all_s: list[float] = field(default_factory=list)
    full_length: bool = False
    curves_match: bool = False
    max_rel_diff: float = float("nan")


# --------------------------------------------------------------------------------------- data

def make_problem(kind: str, n: int, d: int, batch_size: int | None, seed: int) -> NumpyProblem:
    """Deterministic synthetic data (standard-normal features) with a known generating model."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if kind == "linear":
        w = rng.standard_normal(d) / np.sqrt(d)
        y = X @ w + 3.0 + 0.5 * rng.standard_normal(n)
        model: Any = LinearRegression()
    elif kind == "logistic":
        w = 2.0 * rng.standard_normal(d) / np.sqrt(d)
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(X @ w)))).astype(np.float64)
        model = LogisticRegression()
    elif kind == "softmax":
        W = 2.0 * rng.standard_normal((d, N_CLASSES)) / np.sqrt(d)
        y = np.argmax(X @ W + rng.gumbel(size=(n, N_CLASSES)), axis=1).astype(np.float64)
        model = SoftmaxRegression(n_classes=N_CLASSES)
    else:
        raise ValueError(f"unknown model {kind!r}")
    return NumpyProblem(model, X, y, batch_size=batch_size, seed=seed)


def lr_grid(k: int) -> list[float]:
    if k == 1:
        return [float(np.sqrt(LR_LOW * LR_HIGH))]
    return [float(v) for v in np.geomspace(LR_LOW, LR_HIGH, k)]


# ------------------------------------------------------------------------------------- timing


def measure(problem: NumpyProblem, lrs: Sequence[float], s: Settings) -> tuple[list[float], list[float], Any, Any]:
    """Alternate vectorized and K-singles runs; stop after max_repeats, or after min_repeats once
    the cell has used cell_budget_s. Returns all times and the last traces of each variant."""
    steps = s.steps

    def vectorized() -> Any:
        return problem.train(lrs, steps, pruner=None)

    def singles() -> Any:
        return [problem.train([lr], steps, pruner=None)[0] for lr in lrs]

    warm = min(steps, 5)                # warm-up: allocators, BLAS thread pool, code paths
    problem.train(lrs, warm, pruner=None)
    problem.train([lrs[0]], warm, pruner=None)

    vec_times: list[float] = []
    single_times: list[float] = []
    vec_traces = single_traces = None
    started = time.perf_counter()
    rep = 0
    while rep < s.max_repeats and (rep < s.min_repeats or time.perf_counter() - started < s.cell_budget_s):
        order = ("vec", "singles") if rep % 2 == 0 else ("singles", "vec")
        for which in order:
            if which == "vec":
                dt, vec_traces = timed(vectorized)
                vec_times.append(dt)
            else:
                dt, single_traces = timed(singles)
                single_times.append(dt)
        rep += 1
    return vec_times, single_times, vec_traces, single_traces


def check(vec: Any, singles: Any, lrs: Sequence[float], steps: int) -> tuple[bool, bool, float]:
    """(every trace ran every step, every vectorized curve equals its single run, max rel diff)."""
    full = all(len(t.train_loss) == steps and not t.pruned and t.error is None for t in [*vec, *singles])
    by_lr = {t.lr: t for t in singles}
    match = len(vec) == len(lrs) and sorted(by_lr) == sorted(t.lr for t in vec)
    worst = 0.0
    for t in vec:
        s = by_lr.get(t.lr)
        if s is None or len(s.train_loss) != len(t.train_loss):
            match = False
            continue
        try:
            np.testing.assert_allclose(t.train_loss, s.train_loss, rtol=RTOL, atol=0)
        except AssertionError:
            match = False
        denom = np.maximum(np.abs(s.train_loss), np.finfo(float).tiny)
        worst = max(worst, float(np.max(np.abs(t.train_loss - s.train_loss) / denom)))
    return full, match, worst


# -------------------------------------------------------------------------------- environment

def environment() -> dict[str, Any]:
    env: dict[str, Any] = {
        "date_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_model": _cpu_model(),
        "os_cpu_count": os.cpu_count(),
        "env": {k: os.environ[k] for k in THREAD_VARS if k in os.environ},
        "load_average_at_start": _loadavg(),
    }
    try:
        import threadpoolctl
        from threadpoolctl import threadpool_info
    except ImportError:
        env["threadpoolctl"] = None
        env["threadpools"] = None       # not installed: os_cpu_count and the env vars are what we know
    else:
        env["threadpoolctl"] = getattr(threadpoolctl, "__version__", "unknown")
        env["threadpools"] = [
            {k: info.get(k) for k in ("user_api", "internal_api", "num_threads", "version", "architecture",
                                      "threading_layer")}
            for info in threadpool_info()
        ]
    return env


def _loadavg() -> list[float] | None:
    """1/5/15-minute load average: other work on the machine shows up as noise in the timings."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def environment_markdown(env: dict[str, Any]) -> str:
    pools = env.get("threadpools")
    if pools:
        blas = "; ".join(f"{p['internal_api']} {p['version']} ({p['architecture']}), {p['num_threads']} threads"
                         for p in pools) + f" (threadpoolctl {env['threadpoolctl']})"
    elif pools == []:
        blas = "threadpoolctl found no thread pool"
    else:
        blas = "threadpoolctl not installed"
    thread_env = ", ".join(f"{k}={v}" for k, v in env["env"].items()) or "none set"
    lines = [
        f"- date (UTC): {env['date_utc']}",
        f"- python {env['python']} ({env['python_implementation']}), numpy {env['numpy']}",
        f"- BLAS: {blas}",
        f"- os.cpu_count(): {env['os_cpu_count']}; thread/BLAS env vars: {thread_env}",
        f"- machine: {env['machine']}, processor: {env['processor'] or '(empty)'}, cpu: {env['cpu_model']}",
        f"- platform: {env['platform']}",
        f"- load average (1/5/15 min) at start: {env['load_average_at_start']}, "
        f"at end: {env.get('load_average_at_end')}",
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ reports

def table_markdown(rows: Sequence[Row]) -> str:
    head = ("| model | batch | K | vectorized (s) | K singles (s) | vectorized / one single | "
            "vectorized / K singles | reps | full length | curves equal |")
    sep = "|---|---|--:|--:|--:|--:|--:|--:|:-:|:-:|"
    body = [
        f"| {r.model} | {r.batch} | {r.K} | {r.vectorized_s:.4f} | {r.k_singles_s:.4f} | "
        f"{r.vec_over_one_single:.2f}x | {100 * r.vec_over_k_singles:.0f}% | {r.repeats} | "
        f"{'yes' if r.full_length else 'NO'} | {'yes' if r.curves_match else 'NO'} |"
        for r in rows
    ]
    return "\n".join([head, sep, *body])


def headlines(rows: Sequence[Row], k: int = 8) -> list[str]:
    return [
        f"{r.model}, {r.batch}: a K={k} sweep costs {r.vec_over_one_single:.2f}x one single run, "
        f"{100 * r.vec_over_k_singles:.0f}% of {k} single runs"
        for r in rows if r.K == k
    ]


def run(s: Settings, progress: Callable[[str], None]) -> list[Row]:
    rows: list[Row] = []
    for kind in s.models:
        for bs in s.batch_sizes:
            problem = make_problem(kind, s.n, s.d, bs, s.seed)
            batch = "full" if bs is None or bs >= s.n else str(bs)
            for k in s.ks:
                lrs = lr_grid(k)
                vec_t, single_t, vec, singles = measure(problem, lrs, s)
                full, match, worst = check(vec, singles, lrs, s.steps)
                v, ks = min(vec_t), min(single_t)
                row = Row(model=kind, batch=batch, K=k, lrs=lrs, vectorized_s=v, k_singles_s=ks,
                          one_single_s=ks / k, vec_over_one_single=v / (ks / k), vec_over_k_singles=v / ks,
                          repeats=len(vec_t), vectorized_all_s=vec_t, k_singles_all_s=single_t,
                          full_length=full, curves_match=match, max_rel_diff=worst)
                rows.append(row)
                progress(f"{kind:8s} batch={batch:4s} K={k:2d}: vectorized {v:.4f}s, {k} singles {ks:.4f}s "
                         f"({row.vec_over_one_single:.2f}x one run), reps={len(vec_t)}, "
                         f"full={full}, equal={match} (max rel diff {worst:.1e})")
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.vectorized_numpy", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="reduced set for CI smoke use: linear + softmax, K in (1, 8), 100 steps, n=2000")
    ap.add_argument("--json", metavar="PATH", help="also write the table, numbers and environment to PATH")
    ap.add_argument("--repeats", type=int, help="maximum repetitions per cell (best time kept)")
    ap.add_argument("--cell-budget", type=float,
                    help="seconds per cell after which no further repetition starts (min repeats still run)")
    args = ap.parse_args(argv)

    s = QUICK if args.quick else DEFAULT
    if args.repeats is not None:
        s = Settings(**{**asdict(s), "max_repeats": max(1, args.repeats),
                        "min_repeats": min(s.min_repeats, max(1, args.repeats))})
    if args.cell_budget is not None:
        s = Settings(**{**asdict(s), "cell_budget_s": args.cell_budget})

    env = environment()
    t0 = time.perf_counter()
    rows = run(s, lambda msg: print(msg, file=sys.stderr, flush=True))
    total = time.perf_counter() - t0
    env["load_average_at_end"] = _loadavg()

    table = table_markdown(rows)
    heads = headlines(rows)
    all_full = all(r.full_length for r in rows)
    all_equal = all(r.curves_match for r in rows)
    worst = max(r.max_rel_diff for r in rows)
    batches = ", ".join("full batch" if b is None else f"batch_size={b}" for b in s.batch_sizes)

    print(f"## Vectorized NumPy sweep vs K single runs ({'quick' if args.quick else 'default'} set)\n")
    print(f"n={s.n} rows x d={s.d} features (+ intercept), softmax with {N_CLASSES} classes, {batches}, "
          f"{s.steps} steps, learning rates log-spaced in [{LR_LOW:g}, {LR_HIGH:g}], pruner=None. "
          f"Best of up to {s.max_repeats} alternating repetitions per cell (at least {s.min_repeats}; "
          f"no new repetition after {s.cell_budget_s:g} s in a cell), after a warm-up.\n")
    print(table)
    print()
    for h in heads:
        print(f"- {h}")
    print()
    print(f"- every candidate ran all {s.steps} steps (no pruning, no divergence): {'yes' if all_full else 'NO'}")
    print(f"- every vectorized loss curve equals its single run (assert_allclose rtol={RTOL:g}): "
          f"{'yes' if all_equal else 'NO'}; largest relative difference {worst:.1e}")
    print(f"- total benchmark time: {total:.1f} s\n")
    print("Environment:\n")
    print(environment_markdown(env))

    if args.json:
        payload = {
            "command": "python -m benchmarks.vectorized_numpy " + " ".join(sys.argv[1:] if argv is None else argv),
            "mode": "quick" if args.quick else "default",
            "settings": asdict(s),
            "n_classes": N_CLASSES,
            "lr_range": [LR_LOW, LR_HIGH],
            "rtol": RTOL,
            "rows": [asdict(r) for r in rows],
            "headlines": heads,
            "all_full_length": all_full,
            "all_curves_equal": all_equal,
            "max_rel_diff": worst,
            "total_s": total,
            "table_markdown": table,
            "environment": env,
        }
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=2)
            fh.write("\n")
        print(f"\nwrote {args.json}", file=sys.stderr)
    return 0 if all_full and all_equal else 1


if __name__ == "__main__":
    sys.exit(main())
