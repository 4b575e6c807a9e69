"""Which engine runs a sweep, and why: the choice is recorded in the result's ``config``.

``mode="sequential"`` and ``mode="vectorized"`` are taken as asked, except that a setup the
vectorized engine cannot run falls back to sequential with a ``FallbackWarning`` (one line
saying why). ``mode="auto"`` first asks the same question, then times both on the sweep's
own batches -- a step of the vectorized engine for the round's K candidates against K steps
of the sequential engine, the best of two alternating short runs each -- and picks the
faster. The probe costs about ten steps of each engine; it settles what no fixed rule can
(measured on an H100 with K=8: a small MLP's vmapped step cost 3.3x one plain run, well under
8 runs, while a ResNet-style CNN's cost 1.45x eight sequential runs; on CPU see
benchmarks/TORCH.md). Its timings are kept in ``config["mode_probe_s"]``.

On a GPU the probe also measures the vectorized engine's peak memory per candidate and caps
the number of candidates run together (``chunk_size``) to fit 80% of the free memory. On CPU
there is no cap unless ``chunk_size`` is given.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import torch

from ..errors import InvalidConfigError
from .sequential import SequentialEngine
from .vectorized import VectorizedEngine, vectorizable
from .workbench import Workbench

MODES = ("auto", "vectorized", "sequential")
PROBE_STEPS = 3
PROBE_REPEATS = 2
PROBE_WARMUP = 2
PROBE_SPAN = PROBE_WARMUP + PROBE_REPEATS * PROBE_STEPS     # steps each engine trains in the probe
MEMORY_FRACTION = 0.8


class FallbackWarning(UserWarning):
    """The vectorized engine was asked for but cannot run this setup; the message says why."""


@dataclass(frozen=True)
class ModeChoice:
    """Which engine a PyTorch sweep ran (``mode``) and why (``reason``); under "auto", the timings that decided."""

    mode: str
    reason: str
    chunk_size: int | None = None
    probe_s: Mapping[str, float] = field(default_factory=dict)
    probe_steps: int = 0       # candidate-steps the probe trained (vectorized ones each count)

    def describe(self) -> Mapping[str, Any]:
        return {"mode": self.mode, "mode_reason": self.reason, "chunk_size": self.chunk_size,
                "mode_probe_s": dict(self.probe_s), "mode_probe_steps": self.probe_steps}


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise InvalidConfigError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    return mode


def _probe(vectorized: VectorizedEngine, sequential: SequentialEngine, lr: float, k: int) -> tuple[float, float]:
    """Seconds per step: one vectorized step for ``k`` candidates, and ``k`` sequential steps.

    Each engine is warmed up (allocator, kernels, compiled graphs), then timed over
    ``PROBE_STEPS`` steps ``PROBE_REPEATS`` times, alternating which goes first; the fastest
    repetition counts, so a burst of other work on the machine does not decide the mode.
    """
    runs = {"vectorized": lambda n: vectorized.train([lr] * k, n, None),
            "sequential": lambda n: sequential.train([lr], n, None)}
    best: dict[str, float] = {}
    for run in runs.values():
        run(PROBE_WARMUP)
    for rep in range(PROBE_REPEATS):
        for name in (list(runs) if rep % 2 == 0 else list(reversed(runs))):
            t0 = time.perf_counter()
            runs[name](PROBE_STEPS)
            best[name] = min(best.get(name, math.inf), (time.perf_counter() - t0) / PROBE_STEPS)
    return best["vectorized"], best["sequential"] * k


def _memory_cap(engine: VectorizedEngine, lr: float, device: torch.device) -> int | None:
    """Candidates that fit in ``MEMORY_FRACTION`` of free GPU memory, from a 2-candidate probe (its
    shared overhead counted per candidate: an overestimate, on the safe side); None on CPU."""
    if device.type != "cuda":
        return None
    torch.cuda.synchronize(device)
    base = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    engine.train([lr, lr], 2, None)
    per_candidate = max((torch.cuda.max_memory_allocated(device) - base) / 2, 1.0)
    free, _total = torch.cuda.mem_get_info(device)
    return max(1, int(MEMORY_FRACTION * free // per_candidate))


Engine = SequentialEngine | VectorizedEngine


def choose_mode(requested: str, bench: Workbench, lrs: Sequence[float], *, chunk_size: int | None,
                compile: bool, cuda_graphs: bool) -> tuple[ModeChoice, Engine]:
    """The engine to run ``bench`` with, and the recorded choice."""
    sequential = SequentialEngine(bench)
    if requested == "sequential":
        return ModeChoice("sequential", "sequential mode was asked for", None), sequential
    rule = vectorizable(bench)
    if isinstance(rule, str):
        if requested == "vectorized":
            warnings.warn(f"lrscout: running sequentially: {rule}", FallbackWarning, stacklevel=4)
        return ModeChoice("sequential", rule, None), sequential
    vectorized = VectorizedEngine(bench, rule, compile=compile, cuda_graphs=cuda_graphs)
    probe_lr = min(lrs)                                       # the smallest: least likely to stop early
    cap = chunk_size or _memory_cap(vectorized, probe_lr, bench.options.device)
    if requested == "vectorized":
        return ModeChoice("vectorized", "vectorized mode was asked for", cap), vectorized
    k = min(len(lrs), cap or len(lrs))
    try:
        vec_s, seq_s = _probe(vectorized, sequential, probe_lr, k)
    except Exception as exc:   # a later batch the first did not show; the sequential run records it per candidate
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return ModeChoice("sequential", f"auto: timing the engines raised ({type(exc).__name__}: "
                                        f"{first_line[:160]}); running sequentially", cap), sequential
    probe = {"vectorized_step": vec_s, "sequential_steps": seq_s}
    steps = PROBE_SPAN * (k + 1)                              # k stacked candidates, then one sequential
    if vec_s <= seq_s:
        return ModeChoice("vectorized", f"auto: one vectorized step for {k} candidates took {vec_s * 1e3:.3g} ms, "
                                        f"{k} sequential steps {seq_s * 1e3:.3g} ms", cap, probe, steps), vectorized
    return ModeChoice("sequential", f"auto: {k} sequential steps took {seq_s * 1e3:.3g} ms, one vectorized step "
                                    f"for {k} candidates {vec_s * 1e3:.3g} ms", cap, probe, steps), sequential
