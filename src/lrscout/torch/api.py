"""``lrscout.torch.sweep``: the core sweep on a PyTorch setup, in one call."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping, Sequence

import torch

from .._validation import Flag, InstanceOf, Int, Optional, checked
from ..core.planners import Planner
from ..core.result import SweepResult
from ..core.thresholds import DEFAULT_THRESHOLDS, Thresholds
from ..errors import InvalidConfigError
from ..workflows.sweep import BatchDone
from ..workflows.sweep import sweep as core_sweep
from .distributed import on_rank_zero
from .options import SetupOptions
from .problem import TorchProblem
from .range_test import RangeOptions, run_range_test
from .state import preserved


# what the core sweep and the workbench do not check themselves (they check the rest, by name)
_CHECKED = {"seed": Int(0), "compile": Flag(), "cuda_graphs": Flag(),
            "optimizer_kwargs": Optional(InstanceOf(lambda: (Mapping,), "a mapping of keyword arguments"))}


@checked(**_CHECKED, range_test=InstanceOf(lambda: (bool, Mapping), "True, False or a dict of range test options"))
def sweep(model: Any, optimizer: Any, loss_fn: Callable[..., Any] | None = None, train_data: Any = None, *,
          lrs: Sequence[float] | None = None, steps: int = 100, val_data: Any = None,
          range_test: bool | Mapping[str, Any] = False,
          batch_loss: Callable[[torch.nn.Module, Any], Any] | None = None,
          optimizer_kwargs: Mapping[str, Any] | None = None, batch_size: int | None = None, seed: int = 0,
          device: Any = None, dtype: Any = None, mode: str = "auto", amp: Any = None, accumulation_steps: int = 1,
          num_threads: int | None = None, chunk_size: int | None = None, compile: bool = False,
          cuda_graphs: bool = False, val_batches: int | None = None, planner: Planner | None = None,
          thresholds: Thresholds = DEFAULT_THRESHOLDS, prune: bool = True,
          on_batch: Callable[[BatchDone], None] | None = None) -> SweepResult:
    """Sweep learning rates for a PyTorch model and choose one; returns the core ``SweepResult``.

    What to train:

    - ``model``: an ``nn.Module`` (a DDP wrapper is unwrapped) or a factory called once. A copy
      trains; yours is never changed.
    - ``optimizer``: your optimizer instance (same class, groups, ratios and state), an
      optimizer class with ``optimizer_kwargs``, or a factory ``(params, lr) -> Optimizer``.
      A candidate lr scales every parameter group, keeping their ratios.
    - ``loss_fn(output, target)`` for batches ``(*inputs, target)``, or ``batch_loss(model,
      batch) -> loss`` for any other batch.
    - ``train_data`` / ``val_data``: a DataLoader, an iterable of batches, a Dataset or
      ``(inputs, targets)`` tensors (with ``batch_size``, shuffled with ``seed``). Training data
      is cycled when shorter than the window; every candidate sees the same batches.
    - ``seed`` also seeds the candidates' random draws (dropout) and the shuffling of a
      DataLoader that has no generator of its own, so the same call repeats its result; your
      own random generators are left as they were.

    How: ``lrs`` (explicit grid) or ``planner`` (default: the adaptive 1e-4..1 plan), ``steps``
    per candidate, ``prune``, ``thresholds`` and ``on_batch`` as in ``lrscout.sweep``.
    ``mode``: "auto" (time both engines, pick the faster), "vectorized" or "sequential". The
    engines agree to rounding (about 1e-7 in float32, far less closely in bfloat16), and "auto"
    decides by timing, so pass a mode when a result must repeat bit for bit;
    ``chunk_size`` caps candidates trained together; ``compile`` (torch.compile) and
    ``cuda_graphs`` (GPU only) speed up the vectorized step after a one-time compile -- which
    writes torch's kernel cache (TORCHINDUCTOR_CACHE_DIR, under /tmp by default): the only
    option that touches the disk. ``device``, ``dtype``, ``amp`` ("bf16"/"fp16"),
    ``accumulation_steps``, ``num_threads`` (CPU threads during the search; recorded in
    ``config`` either way), ``val_batches`` (cap on validation batches).

    ``range_test=True`` (or a dict of ``range_test`` options: min_lr, max_lr, steps, spacing,
    stop_factor) also runs the LR range test on the same setup and stores it in
    ``result.range_test``. Under ``torch.distributed`` rank 0 runs everything and every rank
    returns rank 0's result (``lrscout.torch.distributed``).
    """
    test_options = dict(range_test) if isinstance(range_test, Mapping) else {}
    unknown = sorted(set(test_options) - {f.name for f in dataclasses.fields(RangeOptions)})
    if unknown:
        raise InvalidConfigError(f"range_test options {unknown} are unknown; use min_lr, max_lr, steps, spacing, "
                                 "stop_factor")
    try:
        test_config = RangeOptions(**test_options)      # checked now, not after the sweep
    except InvalidConfigError as exc:
        raise InvalidConfigError(f"range_test: {exc}") from None

    setup = SetupOptions(val_data=val_data, batch_loss=batch_loss, optimizer_kwargs=optimizer_kwargs,
                         batch_size=batch_size, seed=seed, device=device, dtype=dtype, amp=amp,
                         accumulation_steps=accumulation_steps, num_threads=num_threads, val_batches=val_batches,
                         mode=mode, chunk_size=chunk_size, compile=compile, cuda_graphs=cuda_graphs)

    def run() -> SweepResult:
        problem = TorchProblem(model, optimizer, loss_fn, train_data, setup=setup)
        result = core_sweep(problem, lrs, steps, planner=planner, thresholds=thresholds, prune=prune,
                            on_batch=on_batch)
        if not range_test:
            return result
        with preserved(device, problem.num_threads):
            test = run_range_test(problem.bench, test_config)
        return dataclasses.replace(result, range_test=test)

    return on_rank_zero(run)
