"""Smith's LR range test on a PyTorch setup: one run with a rising lr, three suggestions.

One candidate trains from the shared start on the sweep's batches (the sequential engine,
so any optimizer, mixed precision and accumulation work) while its lr rises from ``min_lr``
to ``max_lr`` over ``steps`` steps, exponentially (``spacing="exp"``, equal ratios) or
linearly. Every parameter group keeps its lr ratio. The run stops at a NaN/inf loss or when
the smoothed loss exceeds ``stop_factor`` x its best; ``range_rules`` documents the smoothing
and the suggestion formulas. The user's objects and random state are restored as in a sweep.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np
import torch

from .._validation import InstanceOf, Int, Optional, checked, finite_real, positive_int
from ..core.types import RangeTest
from ..errors import InvalidConfigError
from .distributed import on_rank_zero
from .options import SetupOptions
from .range_rules import EarlyStop, smooth, suggest
from .sequential import SequentialEngine
from .state import preserved
from .workbench import Workbench

SPACINGS = ("exp", "linear")


def lr_ramp(min_lr: float, max_lr: float, steps: int, spacing: str) -> Callable[[int], float]:
    """lr at step t: ``min * (max/min)^(t/(steps-1))`` (exp) or ``min + (max-min) t/(steps-1)`` (linear)."""
    if spacing == "exp":
        ratio = max_lr / min_lr
        return lambda t: min_lr * ratio ** (t / (steps - 1))
    return lambda t: min_lr + (max_lr - min_lr) * t / (steps - 1)


@dataclass(frozen=True)
class RangeOptions:
    """The range test's own options, validated (messages name the bad value)."""

    min_lr: float = 1e-7
    max_lr: float = 10.0
    steps: int = 100
    spacing: str = "exp"
    stop_factor: float = 4.0

    def __post_init__(self) -> None:
        finite_real("min_lr", self.min_lr, low=0.0, low_open=True)
        finite_real("max_lr", self.max_lr, low=0.0, low_open=True)
        if self.max_lr <= self.min_lr:
            raise InvalidConfigError(f"max_lr ({self.max_lr:g}) must be above min_lr ({self.min_lr:g})")
        positive_int("range test steps", self.steps, minimum=2)
        if self.spacing not in SPACINGS:
            raise InvalidConfigError(f"spacing must be 'exp' or 'linear', got {self.spacing!r}")
        finite_real("stop_factor", self.stop_factor, low=1.0, low_open=True)


def run_range_test(bench: Workbench, options: RangeOptions = RangeOptions()) -> RangeTest:
    """The range test on a built workbench (``lrscout.torch.sweep(range_test=...)`` shares its own)."""
    min_lr, max_lr, steps = float(options.min_lr), float(options.max_lr), int(options.steps)
    stop = EarlyStop(float(options.stop_factor), steps)
    record = SequentialEngine(bench).run(lr_ramp(min_lr, max_lr, steps, options.spacing), steps,
                                         lambda _t, loss: stop(loss))
    losses = np.array(record.losses)
    smoothed = smooth(losses)
    stopped = record.stopped or record.error is not None
    suggestions, reasons = suggest(np.array(record.lrs), losses, smoothed, stopped)
    if record.error is not None:
        reasons["error"] = f"training raised at step {len(record.losses)}: {record.error}"
    finite = smoothed[np.isfinite(smoothed)]
    if not stopped and finite.size and float(finite.min()) <= 0:
        reasons["stop"] = (f"the early stop ({options.stop_factor:g}x the best smoothed loss) was off: the loss "
                           "went to zero or below, where a multiple of it means nothing; shift the loss to stay "
                           "positive for the stop and the suggestions to read it")
    return RangeTest(lrs=np.array(record.lrs), losses=losses, smoothed=smoothed, suggestions=suggestions,
                     reasons=reasons, stopped_early=stopped)


@checked(seed=Int(0), optimizer_kwargs=Optional(InstanceOf(lambda: (Mapping,), "a mapping of keyword arguments")))
def range_test(model: Any, optimizer: Any, loss_fn: Callable[..., Any] | None = None, train_data: Any = None, *,
               min_lr: float = 1e-7, max_lr: float = 10.0, steps: int = 100, spacing: str = "exp",
               stop_factor: float = 4.0, batch_loss: Callable[[torch.nn.Module, Any], Any] | None = None,
               optimizer_kwargs: Mapping[str, Any] | None = None, batch_size: int | None = None, seed: int = 0,
               device: Any = None, dtype: Any = None, amp: Any = None, accumulation_steps: int = 1,
               max_grad_norm: float | None = None, num_threads: int | None = None) -> RangeTest:
    """Run the LR range test; returns ``lrscout.RangeTest`` (``suggestions`` and ``reasons``).

    The arguments after ``stop_factor`` mean what they mean in ``lrscout.torch.sweep``. Under
    ``torch.distributed``, rank 0 runs it and every rank returns rank 0's result.
    """
    options = RangeOptions(min_lr, max_lr, steps, spacing, stop_factor)
    threads = None if num_threads is None else positive_int("num_threads", num_threads)

    def run() -> RangeTest:
        with preserved(device, threads):
            setup = SetupOptions(batch_loss=batch_loss, optimizer_kwargs=optimizer_kwargs, batch_size=batch_size,
                                 seed=seed, device=device, dtype=dtype, amp=amp,
                                 accumulation_steps=accumulation_steps, max_grad_norm=max_grad_norm,
                                 num_threads=threads)
            bench = Workbench(model, optimizer, loss_fn, train_data, setup)
            return run_range_test(bench, options)

    return on_rank_zero(run)


__all__ = ["SPACINGS", "RangeOptions", "lr_ramp", "range_test", "run_range_test"]
