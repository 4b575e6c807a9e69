"""What a vectorized PyTorch sweep costs, against a plain run, sequential runs and Lightning's lr_find.

For three small models on generated data -- an MLP, a small CNN and a small GPT-style
transformer -- this script times a K-candidate, N-step sweep (K=8, N=100 by default) run by
``lrscout.torch``'s vectorized engine, and compares it with

* one plain N-step training run (a hand-written loop: zero_grad, forward, backward, step,
  ``loss.item()``) on the same batches;
* the same K candidates run one after another by lrscout's sequential engine (the same
  per-step statistics as the vectorized engine; ``K x plain`` is also printed);
* Lightning's ``Tuner.lr_find`` with ``num_training=N`` (when pytorch_lightning is installed);
* the vectorized step compiled with ``torch.compile`` (default set only; the one-time compile
  is reported apart from the steady-state time).

Every candidate uses Adam at learning rates log-spaced in [1e-4, 3e-3] (nothing diverges),
``pruner=None``. Times are the best of ``repeats`` alternating repetitions after a warm-up,
with the garbage collector off during a measurement. The script also checks that every
candidate ran all N steps and that each vectorized curve matches the sequential run at the
same lr over its first ``EARLY_STEPS`` steps (fp32, rtol 1e-4; later, fp32 rounding differences
-- vmap turns a convolution into a grouped one, with another summation order -- grow as
training amplifies them, so the whole-curve difference is reported, not checked; the float64
tests match to 1e-9), and measures each variant's peak memory in a fresh subprocess (the
rise of peak RSS, VmHWM reset after set-up, over the RSS after set-up; Linux only -- on CPU
there is no allocator counter to read).

torch's CPU thread count is set explicitly (``--threads``, default 2) and printed with the
results. Run from the repository root::

    python -m benchmarks.torch_sweep              # default set (several minutes on 2 cores)
    python -m benchmarks.torch_sweep --quick      # smoke run: N=20, K=4, no compile, no memory
    python -m benchmarks.torch_sweep --json out.json

The markdown table goes to stdout, progress to stderr; the exit status is 1 when a check fails.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as _dt
import gc
import json
import logging
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import lrscout.torch as lt

from .timing import timed

LR_LOW, LR_HIGH = 1e-4, 3e-3
RTOL = 1e-4
EARLY_STEPS = 20
MODELS = ("mlp", "cnn", "gpt")


@dataclass(frozen=True)
class Settings:
    steps: int
    k: int
    repeats: int
    compile: bool
    memory: bool
    threads: int
    seed: int = 0


DEFAULT = Settings(steps=100, k=8, repeats=3, compile=True, memory=True, threads=2)
QUICK = Settings(steps=20, k=4, repeats=1, compile=False, memory=False, threads=2)


# ------------------------------------------------------------------------------ models and data

class Block(nn.Module):
    """Pre-norm transformer block; attention written out (vmap has no batching rule for CPU SDPA)."""

    def __init__(self, d: int, heads: int, ctx: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.register_buffer("mask", torch.tril(torch.ones(ctx, ctx, dtype=torch.bool)), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = (z.reshape(b, t, self.heads, d // self.heads).transpose(1, 2)
                   for z in self.qkv(self.ln1(x)).split(d, dim=-1))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.heads)
        att = att.masked_fill(~self.mask[:t, :t], float("-inf")).softmax(dim=-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(b, t, d))
        return x + self.mlp(self.ln2(x))


class TinyGPT(nn.Module):
    def __init__(self, vocab: int = 64, ctx: int = 32, d: int = 64, layers: int = 2, heads: int = 4) -> None:
        super().__init__()
        self.vocab = vocab
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(0.02 * torch.randn(ctx, d))
        self.blocks = nn.Sequential(*[Block(d, heads, ctx) for _ in range(layers)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.head(self.ln(self.blocks(self.tok(idx) + self.pos[:idx.shape[1]])))


def lm_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))


@dataclass
class Case:
    name: str
    description: str
    model: nn.Module
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    data: tuple[torch.Tensor, torch.Tensor]
    batch_size: int


def make_case(name: str, seed: int) -> Case:
    """Deterministic generated data with something to learn, and a freshly seeded model."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    if name == "mlp":
        X = torch.randn(4096, 64, generator=g)
        Y = (X @ torch.randn(64, 10, generator=g)).argmax(1)
        model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
        return Case(name, "MLP 64-256-256-10, batch 128", model, F.cross_entropy, (X, Y), 128)
    if name == "cnn":
        X = torch.randn(2048, 3, 32, 32, generator=g)
        Y = (F.avg_pool2d(X, 8).flatten(1) @ torch.randn(48, 10, generator=g)).argmax(1)
        model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(32 * 8 * 8, 10))
        return Case(name, "CNN conv16-conv32-linear on 3x32x32, batch 64", model, F.cross_entropy, (X, Y), 64)
    if name == "gpt":
        vocab, ctx = 64, 32
        transitions = torch.softmax(3.0 * torch.randn(vocab, vocab, generator=g), dim=1)   # a random Markov chain
        seq = torch.empty(1024, ctx + 1, dtype=torch.long)
        seq[:, 0] = torch.randint(0, vocab, (1024,), generator=g)
        for t in range(ctx):
            seq[:, t + 1] = torch.multinomial(transitions[seq[:, t]], 1, generator=g).squeeze(1)
        model = TinyGPT(vocab, ctx)
        return Case(name, "GPT 2 layers, d=64, 4 heads, context 32, vocab 64, batch 16", model, lm_loss,
                    (seq[:, :-1].contiguous(), seq[:, 1:].contiguous()), 16)
    raise ValueError(f"unknown model {name!r}")


def lr_grid(k: int) -> list[float]:
    return [float(v) for v in np.geomspace(LR_LOW, LR_HIGH, k)]


# --------------------------------------------------------------------------------------- variants

class Bench:
    """One model's problems (data and batches built once) and the variants to time."""

    def __init__(self, case: Case, s: Settings) -> None:
        self.case, self.s = case, s
        self.lrs = lr_grid(s.k)
        make = lambda mode, compile=False: lt.TorchProblem(  # noqa: E731
            case.model, torch.optim.Adam, case.loss_fn, case.data, batch_size=case.batch_size, seed=s.seed,
            mode=mode, compile=compile, num_threads=s.threads)
        self.vectorized = make("vectorized")
        self.sequential = make("sequential")
        self.compiled = make("vectorized", compile=True) if s.compile else None
        self.batches = [b[0] for b in self.sequential.bench.steps(s.steps)]

    def plain(self) -> list[float]:
        """A hand-written training loop over the same batches."""
        model = _clone(self.case.model)
        opt = torch.optim.Adam(model.parameters(), lr=self.lrs[len(self.lrs) // 2])
        losses = []
        for x, y in self.batches:
            opt.zero_grad(set_to_none=True)
            loss = self.case.loss_fn(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses

    def run_vectorized(self) -> Any:
        return self.vectorized.train(self.lrs, self.s.steps, pruner=None)

    def run_sequential(self) -> Any:
        return self.sequential.train(self.lrs, self.s.steps, pruner=None)

    def run_compiled(self) -> Any:
        return self.compiled.train(self.lrs, self.s.steps, pruner=None)

    def run_lightning(self) -> Any:
        return lightning_lr_find(self.case, self.s.steps, self.s.seed)


def _clone(model: nn.Module) -> nn.Module:
    return copy.deepcopy(model)


def save_json(path: str, settings: Any, rows: Sequence[Any], table: str, env: dict[str, Any], total: float) -> None:
    """A run's settings, rows, markdown table and environment as JSON (this benchmark's and gpu.py's)."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"settings": asdict(settings), "rows": [asdict(r) for r in rows], "table_markdown": table,
                   "environment": env, "total_s": total}, fh, indent=2)
        fh.write("\n")


def lightning_available() -> bool:
    try:
        import pytorch_lightning  # noqa: F401
    except ImportError:
        return False
    return True


def lightning_lr_find(case: Case, steps: int, seed: int, device: torch.device | None = None) -> Any:
    """Lightning's Tuner.lr_find, num_training=steps, no early stop, on a module wrapping the case.

    ``device``: where Lightning trains (default: the CPU); ``benchmarks/gpu.py`` passes its GPU.
    """
    import pytorch_lightning as pl
    from pytorch_lightning.tuner import Tuner

    class Module(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = _clone(case.model)
            self.lr = LR_LOW

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            return case.loss_fn(self.net(batch[0]), batch[1])

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.Adam(self.parameters(), lr=self.lr)

    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*case.data), batch_size=case.batch_size,
                                         shuffle=True, generator=torch.Generator().manual_seed(seed))
    accelerator = "gpu" if device is not None and device.type == "cuda" else "cpu"
    # lr_find draws its own progress bar and Lightning logs its set-up: neither belongs in the table
    quiet = open(os.devnull, "w")
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings(), quiet, \
            contextlib.redirect_stderr(quiet), contextlib.redirect_stdout(quiet):
        warnings.simplefilter("ignore")
        for name in ("pytorch_lightning", "lightning", "lightning.pytorch"):
            logging.getLogger(name).setLevel(logging.ERROR)
        trainer = pl.Trainer(accelerator=accelerator, devices=1, logger=False, enable_checkpointing=False,
                             enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp)
        return Tuner(trainer).lr_find(Module(), train_dataloaders=loader, min_lr=1e-6, max_lr=1.0,
                                      num_training=steps, early_stop_threshold=None)


# -------------------------------------------------------------------------------------- measuring


@dataclass
class Row:
    model: str
    description: str
    n_params: int
    plain_s: float
    vectorized_s: float
    sequential_s: float
    lightning_s: float | None
    compiled_s: float | None
    compile_once_s: float | None
    vec_over_plain: float
    vec_over_sequential: float
    vec_over_k_plain: float
    vec_over_lightning: float | None
    peak_mb: dict[str, float] = field(default_factory=dict)
    full_length: bool = False
    curves_match: bool = False
    early_rel_diff: float = float("nan")
    max_rel_diff: float = float("nan")
    mode_auto_would_pick: str = ""
    times: dict[str, list[float]] = field(default_factory=dict)


def measure(name: str, s: Settings, progress: Callable[[str], None]) -> Row:
    case = make_case(name, s.seed)
    bench = Bench(case, s)
    variants: dict[str, Callable[[], Any]] = {"plain": bench.plain, "vectorized": bench.run_vectorized,
                                              "sequential": bench.run_sequential}
    if lightning_available():
        variants["lightning"] = bench.run_lightning
    compile_once = None
    if bench.compiled is not None:
        compile_once, _ = timed(bench.run_compiled)      # the first call compiles
        variants["compiled"] = bench.run_compiled
    for key, fn in variants.items():                       # warm-up (lr_find's repetitions warm it up)
        if key != "lightning":
            fn()
    times: dict[str, list[float]] = {k: [] for k in variants}
    outputs: dict[str, Any] = {}
    for rep in range(s.repeats):
        order = list(variants) if rep % 2 == 0 else list(reversed(variants))
        for key in order:
            dt, outputs[key] = timed(variants[key])
            times[key].append(dt)
    best = {k: min(v) for k, v in times.items()}
    vec, seq = outputs["vectorized"], outputs["sequential"]
    full = all(t.steps_used == s.steps and not t.pruned and t.error is None for t in [*vec, *seq])
    rel = [np.abs(v.train_loss - q.train_loss) / np.abs(q.train_loss) for v, q in zip(vec, seq)]
    early = max(float(np.max(r[:EARLY_STEPS])) for r in rel)
    worst = max(float(np.max(r)) for r in rel)
    probe = lt.TorchProblem(case.model, torch.optim.Adam, case.loss_fn, case.data, batch_size=case.batch_size,
                            num_threads=s.threads)
    probe.train(bench.lrs, 1, pruner=None)
    row = Row(model=name, description=case.description, n_params=sum(p.numel() for p in case.model.parameters()),
              plain_s=best["plain"], vectorized_s=best["vectorized"], sequential_s=best["sequential"],
              lightning_s=best.get("lightning"), compiled_s=best.get("compiled"), compile_once_s=compile_once,
              vec_over_plain=best["vectorized"] / best["plain"],
              vec_over_sequential=best["vectorized"] / best["sequential"],
              vec_over_k_plain=best["vectorized"] / (s.k * best["plain"]),
              vec_over_lightning=best["vectorized"] / best["lightning"] if "lightning" in best else None,
              full_length=full, curves_match=early <= RTOL, early_rel_diff=early, max_rel_diff=worst,
              mode_auto_would_pick=f"{probe.run_info()['mode']} ({probe.run_info()['mode_reason']})", times=times)
    if s.memory:
        for key in variants:
            row.peak_mb[key] = peak_memory_mb(name, key, s)
    progress(f"{name}: plain {row.plain_s:.3f}s, vectorized {row.vectorized_s:.3f}s ({row.vec_over_plain:.2f}x plain, "
             f"{row.vec_over_sequential:.2f}x sequential), first {EARLY_STEPS} steps equal={row.curves_match} "
             f"({early:.1e}; whole curve {worst:.1e})")
    return row


def peak_memory_mb(model: str, variant: str, s: Settings) -> float:
    """Run one variant once in a fresh process; return its peak RSS rise over the RSS after set-up."""
    out = subprocess.run([sys.executable, "-m", "benchmarks.torch_sweep", "--memory-child", model, variant,
                          "--steps", str(s.steps), "--k", str(s.k), "--threads", str(s.threads)],
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"memory child {model}/{variant} failed:\n{out.stderr}")
    return float(out.stdout.strip().splitlines()[-1])


def memory_child(model: str, variant: str, s: Settings) -> None:
    torch.set_num_threads(s.threads)
    bench = Bench(make_case(model, s.seed), s)
    fn = {"plain": bench.plain, "vectorized": bench.run_vectorized, "sequential": bench.run_sequential,
          "lightning": bench.run_lightning, "compiled": bench.run_compiled}[variant]
    if variant == "lightning":
        import pytorch_lightning  # noqa: F401   (its import is set-up, not the search)
    gc.collect()
    # the peak-RSS mark from here on (getrusage's ru_maxrss would carry the parent's across exec)
    with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
        fh.write("5")
    base = _proc_status_mb("VmRSS")
    fn()
    print(max(0.0, _proc_status_mb("VmHWM") - base))


def _proc_status_mb(field_name: str) -> float:
    """VmRSS (now) or VmHWM (peak since the last reset) from /proc/self/status, in MiB (Linux)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field_name}; peak memory is measured on Linux only")


# ---------------------------------------------------------------------------------------- reports

def environment(s: Settings) -> dict[str, Any]:
    return {
        "date_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
        "lightning": _lightning_version(), "platform": platform.platform(), "os_cpu_count": os.cpu_count(),
        "torch_threads": s.threads, "torch_interop_threads": torch.get_num_interop_threads(),
        "cuda": torch.cuda.is_available(), "load_average_at_start": _loadavg(),
    }


def _lightning_version() -> str | None:
    try:
        import pytorch_lightning
    except ImportError:
        return None
    return pytorch_lightning.__version__


def _loadavg() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def table_markdown(rows: Sequence[Row], s: Settings) -> str:
    head = (f"| model | params | plain run (s) | vectorized K={s.k} (s) | / 1 plain run | / {s.k} sequential "
            f"(lrscout) | / {s.k} plain runs | / Lightning lr_find | compiled vectorized (s) [compile once] | "
            "peak RSS rise MB: plain / vectorized / sequential / lr_find | curves equal (first "
            f"{EARLY_STEPS} steps; whole curve) |")
    sep = "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|:-:|"
    body = []
    for r in rows:
        mem = " / ".join(f"{r.peak_mb[k]:.0f}" if k in r.peak_mb else "-"
                         for k in ("plain", "vectorized", "sequential", "lightning"))
        comp = "-" if r.compiled_s is None else f"{r.compiled_s:.3f} [{r.compile_once_s:.0f} s]"
        body.append(f"| {r.model} | {r.n_params:,} | {r.plain_s:.3f} | {r.vectorized_s:.3f} | {_x(r.vec_over_plain)} | "
                    f"{_x(r.vec_over_sequential)} | {_x(r.vec_over_k_plain)} | {_x(r.vec_over_lightning)} | {comp} | "
                    f"{mem} | {'yes' if r.curves_match else 'NO'} ({r.early_rel_diff:.0e}; {r.max_rel_diff:.0e}) |")
    return "\n".join([head, sep, *body])


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.torch_sweep", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: 20 steps, K=4, one repetition, no compile/memory")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of mlp,cnn,gpt")
    ap.add_argument("--threads", type=int, help="torch CPU threads (default 2)")
    ap.add_argument("--steps", type=int)
    ap.add_argument("--k", type=int)
    ap.add_argument("--repeats", type=int)
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--json", metavar="PATH", help="also write rows, all timings and the environment to PATH")
    ap.add_argument("--memory-child", nargs=2, metavar=("MODEL", "VARIANT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    s = QUICK if args.quick else DEFAULT
    overrides = {k: v for k, v in (("threads", args.threads), ("steps", args.steps), ("k", args.k),
                                   ("repeats", args.repeats)) if v is not None}
    if args.no_compile:
        overrides["compile"] = False
    if args.no_memory:
        overrides["memory"] = False
    s = Settings(**{**asdict(s), **overrides})
    if args.memory_child:
        memory_child(*args.memory_child, s)
        return 0

    torch.set_num_threads(s.threads)
    env = environment(s)
    t0 = time.perf_counter()
    rows = [measure(m, s, lambda msg: print(msg, file=sys.stderr, flush=True)) for m in args.models.split(",")]
    env["load_average_at_end"] = _loadavg()
    total = time.perf_counter() - t0
    table = table_markdown(rows, s)
    print(f"## Vectorized PyTorch sweep on CPU ({'quick' if args.quick else 'default'} set)\n")
    print(f"K={s.k} candidates x {s.steps} steps, Adam, lrs log-spaced in [{LR_LOW:g}, {LR_HIGH:g}], pruner=None, "
          f"fp32, torch threads = {s.threads}; best of {s.repeats} alternating repetitions after a warm-up.\n")
    print(table)
    print()
    for r in rows:
        print(f"- {r.model}: {r.description}; mode='auto' picks {r.mode_auto_would_pick}")
    print(f"- total benchmark time: {total:.0f} s")
    print(f"- environment: {json.dumps(env)}")
    if args.json:
        save_json(args.json, s, rows, table, env, total)
    return 0 if all(r.full_length and r.curves_match for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
