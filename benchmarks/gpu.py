"""What a K-candidate sweep costs on one CUDA GPU: lrscout's engines against Lightning's lr_find.

For the three models of ``benchmarks.torch_sweep`` (an MLP, a small CNN and a small GPT-style
transformer, generated data), K=8 candidates x N=100 steps of Adam at rates log-spaced in
[1e-4, 3e-3] (nothing diverges; ``pruner=None``), this times

* **sequential**: lrscout's sequential engine, the K candidates one after another;
* **vectorized (eager)**: the K candidates in one ``torch.func.vmap``-ed step;
* **vectorized (compiled)**: the same step under ``torch.compile``;
* **vectorized (CUDA graphs)**: the step captured as a CUDA graph (``torch.compile``'s
  "reduce-overhead" mode);
* **Lightning lr_find**: ``Tuner.lr_find(num_training=N)``, one N-step run with a rising rate.

Each variant runs once to warm up -- that first call's time, which holds a compile or a graph
capture, is reported as "first" -- and then ``--repeats`` times; the best repetition counts
(CUDA synchronised before and after). Peak GPU memory is ``torch.cuda.max_memory_allocated``
during one timed run, less what was allocated before it (the model copy and the cached batches,
made once, are not counted). The first 20 steps of every vectorized curve are checked against the
sequential run at the same rate (rtol 1e-3 on a CPU, where only the summation order differs;
1e-2 on a GPU, whose convolutions run in TF32 by default): a bug would differ by far more. A
failed check, a candidate that did not run all N steps or a variant that raised makes the exit
status 1.

Run by ``benchmarks/gpu.sh`` (which refuses to run without CUDA). ``--device cpu --dry-run``
runs every variant at tiny sizes on the CPU -- CUDA graphs excepted, which need CUDA and are
reported as not run -- to check the script itself; its times mean nothing.

    python -m benchmarks.gpu                          # what gpu.sh runs
    python -m benchmarks.gpu --device cpu --dry-run   # a check of the code paths (the CPU compiles are slow)
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch

import lrscout
import lrscout.torch as lt

from .torch_sweep import LR_HIGH, LR_LOW, MODELS, Case, lightning_lr_find, make_case, save_json

EARLY_STEPS = 20
RTOL = 1e-3          # on the CPU: another summation order changes the last digits
RTOL_CUDA = 1e-2     # on a GPU, cuDNN's convolutions run in TF32 by default (10-bit mantissa)
VARIANTS = ("sequential", "eager", "compiled", "graphs", "lightning")
LABELS = {"sequential": "sequential", "eager": "vectorized (eager)", "compiled": "vectorized (compiled)",
          "graphs": "vectorized (CUDA graphs)", "lightning": "Lightning lr_find"}


@dataclass(frozen=True)
class Settings:
    device: str
    steps: int
    k: int
    repeats: int
    rows: int | None          # training rows kept (None: the case's own); the dry run keeps few
    seed: int = 0


FULL = Settings(device="cuda", steps=100, k=8, repeats=3, rows=None)
DRY = Settings(device="cpu", steps=EARLY_STEPS + 2, k=3, repeats=1, rows=64)


@dataclass
class Measured:
    first_s: float | None = None
    best_s: float | None = None
    peak_mb: float | None = None
    note: str = ""


@dataclass
class Row:
    model: str
    description: str
    n_params: int
    variants: dict[str, Measured] = field(default_factory=dict)
    full_length: bool = False
    curves_match: bool = False
    early_rel_diff: float = math.nan
    auto_picks: str = ""


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(fn: Callable[[], Any], device: torch.device) -> tuple[float, float | None, Any]:
    """Seconds and peak MiB (CUDA only) of one call."""
    _sync(device)
    if device.type == "cuda":
        base = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
    t0 = time.perf_counter()
    out = fn()
    _sync(device)
    seconds = time.perf_counter() - t0
    peak = (torch.cuda.max_memory_allocated(device) - base) / 2**20 if device.type == "cuda" else None
    return seconds, peak, out


def _shrunk(case: Case, rows: int | None) -> Case:
    if rows is None:
        return case
    X, Y = case.data
    return Case(case.name, case.description + f" (dry run: {rows} rows)", case.model, case.loss_fn,
                (X[:rows], Y[:rows]), min(case.batch_size, rows))


def measure(name: str, s: Settings, progress: Callable[[str], None]) -> Row:
    device = torch.device(s.device)
    case = _shrunk(make_case(name, s.seed), s.rows)
    lrs = [float(v) for v in np.geomspace(LR_LOW, LR_HIGH, s.k)]
    row = Row(name, case.description, sum(p.numel() for p in case.model.parameters()))

    def problem(mode: str, **engine: Any) -> lt.TorchProblem:
        return lt.TorchProblem(case.model, torch.optim.Adam, case.loss_fn, case.data, batch_size=case.batch_size,
                               seed=s.seed, device=device, mode=mode, **engine)

    runs: dict[str, Callable[[], Any]] = {}
    builders: dict[str, Callable[[], lt.TorchProblem]] = {
        "sequential": lambda: problem("sequential"), "eager": lambda: problem("vectorized"),
        "compiled": lambda: problem("vectorized", compile=True),
        "graphs": lambda: problem("vectorized", cuda_graphs=True)}
    for key, build in builders.items():
        try:
            built = build()
        except lrscout.InvalidConfigError as exc:      # CUDA graphs on the CPU dry run
            row.variants[key] = Measured(note=f"not run: {exc}")
            continue
        runs[key] = lambda built=built: built.train(lrs, s.steps, pruner=None)
    try:
        import pytorch_lightning  # noqa: F401
        runs["lightning"] = lambda: lightning_lr_find(case, s.steps, s.seed, device)
    except ImportError:
        row.variants["lightning"] = Measured(note="not run: pytorch_lightning is not installed")

    outputs: dict[str, Any] = {}
    for key, run in runs.items():
        progress(f"{name}: {LABELS[key]} ...")
        try:
            first, _, outputs[key] = _timed(run, device)
            best, peak = math.inf, None
            for _ in range(s.repeats):
                seconds, mib, outputs[key] = _timed(run, device)
                if seconds < best:
                    best, peak = seconds, mib
            row.variants[key] = Measured(first, best, peak)
        except Exception as exc:                      # recorded, and the exit status says so
            row.variants[key] = Measured(note=f"raised {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
            outputs.pop(key, None)
    engines = [outputs[k] for k in ("sequential", "eager", "compiled", "graphs") if k in outputs]
    row.full_length = bool(engines) and all(t.steps_used == s.steps and not t.pruned and t.error is None
                                            for traces in engines for t in traces)
    if "sequential" in outputs:
        diffs = [float(np.max(np.abs(v.train_loss[:EARLY_STEPS] - q.train_loss[:EARLY_STEPS])
                              / np.abs(q.train_loss[:EARLY_STEPS])))
                 for k in ("eager", "compiled", "graphs") if k in outputs
                 for v, q in zip(outputs[k], outputs["sequential"])]
        row.early_rel_diff = max(diffs) if diffs else math.nan
        row.curves_match = bool(diffs) and row.early_rel_diff <= (RTOL_CUDA if device.type == "cuda" else RTOL)
    auto = problem("auto")
    auto.train(lrs, 1, pruner=None)
    row.auto_picks = f"{auto.run_info()['mode']} ({auto.run_info()['mode_reason']})"
    return row


def _cell(m: Measured | None) -> str:
    if m is None or m.best_s is None:
        return "-"
    return f"{m.best_s:.3f} [{m.first_s:.1f}]"


TABLE_HEAD = ("| model | params | " + " | ".join(f"{LABELS[v]} (s) [first]" for v in VARIANTS)
              + " | peak MiB: " + " / ".join(VARIANTS)
              + f" | eager / sequential | curves equal (first {EARLY_STEPS} steps) |\n"
              + "|---|--:|" + "--:|" * len(VARIANTS) + "---|--:|:-:|")


def table_row(r: Row) -> str:
    v = r.variants
    mem = " / ".join("-" if k not in v or v[k].peak_mb is None else f"{v[k].peak_mb:.0f}" for k in VARIANTS)
    eager, sequential = v.get("eager"), v.get("sequential")
    ratio = "-" if eager is None or sequential is None or not eager.best_s or not sequential.best_s else \
        f"{eager.best_s / sequential.best_s:.2f}x"
    return (f"| {r.model} | {r.n_params:,} | " + " | ".join(_cell(v.get(k)) for k in VARIANTS)
            + f" | {mem} | {ratio} | {'yes' if r.curves_match else 'NO'} ({r.early_rel_diff:.0e}) |")


def environment(s: Settings) -> dict[str, Any]:
    env: dict[str, Any] = {"date_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                           "python": platform.python_version(), "torch": torch.__version__,
                           "lrscout": lrscout.__version__, "platform": platform.platform(), "device": s.device}
    if s.device == "cuda":
        env.update(gpu=torch.cuda.get_device_name(0), cuda=torch.version.cuda,
                   gpu_memory_gib=round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1))
    return env


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.gpu", description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cuda", choices=("cuda", "cpu"),
                    help="cuda (the benchmark) or cpu (only with --dry-run: a check of the script)")
    ap.add_argument("--dry-run", action="store_true", help="every variant at tiny sizes (K=3, 22 steps, 64 rows)")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of mlp,cnn,gpt")
    ap.add_argument("--repeats", type=int)
    ap.add_argument("--json", metavar="PATH", help="also write the rows and the environment to PATH")
    args = ap.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        print(f"benchmarks.gpu: --device cuda needs a CUDA GPU, and torch {torch.__version__} sees none "
              "(torch.cuda.is_available() is False). To check the script on a CPU: "
              "python -m benchmarks.gpu --device cpu --dry-run", file=sys.stderr)
        return 2
    if args.device == "cpu" and not args.dry_run:
        print("benchmarks.gpu: --device cpu is for --dry-run only (a check of the script, not a benchmark); "
              "see benchmarks.torch_sweep for CPU timings", file=sys.stderr)
        return 2
    models = args.models.split(",")
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        print(f"benchmarks.gpu: unknown model(s) {unknown}; choose from {', '.join(MODELS)}", file=sys.stderr)
        return 2
    base = DRY if args.dry_run else FULL
    s = Settings(**{**asdict(base), "device": args.device,
                    **({"repeats": args.repeats} if args.repeats is not None else {})})
    if args.dry_run:
        torch.set_num_threads(1)        # tiny models: more threads only contend (and the times mean nothing)
    env = environment(s)
    where = env.get("gpu", "CPU (dry run: the times mean nothing)")
    print(f"## K={s.k} candidates x {s.steps} steps on {where}\n")
    print(f"Adam, lrs log-spaced in [{LR_LOW:g}, {LR_HIGH:g}], pruner=None, fp32; best of {s.repeats} after a "
          "first call (in brackets: it holds the compile or graph capture).\n")
    print(TABLE_HEAD, flush=True)
    t0 = time.perf_counter()
    rows = []
    for m in models:              # each row as soon as it is measured: a run stopped by a time limit keeps them
        rows.append(measure(m, s, lambda msg: print(msg, file=sys.stderr, flush=True)))
        print(table_row(rows[-1]), flush=True)
    total = time.perf_counter() - t0
    table = "\n".join([TABLE_HEAD, *map(table_row, rows)])
    print()
    for r in rows:
        notes = "; ".join(f"{LABELS[k]}: {m.note}" for k, m in r.variants.items() if m.note)
        print(f"- {r.model}: {r.description}; mode='auto' picks {r.auto_picks}" + (f"; {notes}" if notes else ""))
    print(f"- total: {total:.0f} s; environment: {json.dumps(env)}")
    if args.json:
        save_json(args.json, s, rows, table, env, total)
    ran = [m for r in rows for k, m in r.variants.items() if not (k == "graphs" and s.device == "cpu")]
    raised = any(m.note.startswith("raised") for m in ran)
    return 0 if all(r.full_length and r.curves_match for r in rows) and not raised else 1


if __name__ == "__main__":
    sys.exit(main())
