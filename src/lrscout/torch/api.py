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
from .groups import DEFAULT_GROUP_RATIOS, check_ratios, resolve_groups, search_groups
from .options import SetupOptions
from .problem import TorchProblem
from .range_test import RangeOptions, run_range_test
from .state import preserved


# what the core sweep and the workbench do not check themselves (they check the rest, by name)
_CHECKED = {"seed": Int(0), "compile": Flag(), "cuda_graphs": Flag(),
            "optimizer_kwargs": Optional(InstanceOf(lambda: (Mapping,), "a mapping of keyword arguments"))}


@checked(**_CHECKED, range_test=InstanceOf(lambda: (bool, Mapping), "True, False or a dict of range test options"))
def sweep(model: Any, optimizer: Any, loss_fn: Callable[..., Any] | None = None, train_data: Any = None, *,
          lrs: Sequence[float] | None = None, steps: int | None = None, train_steps: int | None = None,
          budget_share: float | None = None, val_data: Any = None,
          range_test: bool | Mapping[str, Any] = False,
          batch_loss: Callable[[torch.nn.Module, Any], Any] | None = None,
          optimizer_kwargs: Mapping[str, Any] | None = None, batch_size: int | None = None, seed: int = 0,
          device: Any = None, dtype: Any = None, mode: str = "auto", amp: Any = None, accumulation_steps: int = 1,
          max_grad_norm: float | None = None, num_threads: int | None = None, chunk_size: int | None = None,
          compile: bool = False, cuda_graphs: bool = False, val_batches: int | None = None,
          planner: Planner | None = None, thresholds: Thresholds = DEFAULT_THRESHOLDS, prune: bool = True,
          on_batch: Callable[[BatchDone], None] | None = None, groups: Mapping[str, Any] | None = None,
          group_ratios: Sequence[float] = DEFAULT_GROUP_RATIOS) -> SweepResult:
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

    How: the budgeted search by default, or ``lrs`` (explicit grid) or ``planner``; ``steps``,
    ``train_steps`` (the length of the run you will train: the choice is made for it, and the
    search spends at most ``budget_share`` of it, default 0.3), ``prune``, ``thresholds`` and
    ``on_batch`` as in ``lrscout.sweep``. ``result.search_steps`` counts every step trained,
    the engine probe and the range test included.
    ``mode``: "auto" (time both engines, pick the faster), "vectorized" or "sequential". The
    engines agree to rounding (about 1e-7 in float32, far less closely in bfloat16), and "auto"
    decides by timing, so pass a mode when a result must repeat bit for bit;
    ``chunk_size`` caps candidates trained together; ``compile`` (torch.compile) and
    ``cuda_graphs`` (GPU only) speed up the vectorized step after a one-time compile -- which
    writes torch's kernel cache (TORCHINDUCTOR_CACHE_DIR, under /tmp by default): the only
    option that touches the disk. ``device``, ``dtype``, ``amp`` ("bf16"/"fp16"),
    ``accumulation_steps``, ``num_threads`` (CPU threads during the search; recorded in
    ``config`` either way), ``val_batches`` (cap on validation batches).
    ``max_grad_norm``: clip every candidate's gradient to this total L2 norm after the backward
    pass (and after accumulation) and before its optimizer step, exactly as
    ``torch.nn.utils.clip_grad_norm_(params, max_grad_norm)``: pass your run's value when your
    run clips, so the sweep trains as it does (``None``, the default: no clipping). Both
    engines and the range test clip; ``config["max_grad_norm"]`` records it, and the curves'
    gradient norms are measured before clipping.

    ``range_test=True`` (or a dict of ``range_test`` options: min_lr, max_lr, steps, spacing,
    stop_factor) also runs the LR range test on the same setup and stores it in
    ``result.range_test``. Under ``torch.distributed`` rank 0 runs everything and every rank
    returns rank 0's result (``lrscout.torch.distributed``).

    ``groups={"head": model.head, "body": model.body}`` (submodules, parameter-name prefixes or
    predicates ``name -> bool``) then searches a rate per named group: the first keeps the
    chosen rate, each other is trained at ``group_ratios`` of it (default 1, 1/3, 1/10, 1/30),
    read and chosen like any candidate; ``result.groups`` holds each group's rate and evidence,
    ``result.group_lrs`` the rates (``lrscout.torch.groups`` says how, and
    ``lrscout.torch.apply_group_rates`` gives them to an optimizer).
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
    ratios = check_ratios(group_ratios)

    setup = SetupOptions(val_data=val_data, batch_loss=batch_loss, optimizer_kwargs=optimizer_kwargs,
                         batch_size=batch_size, seed=seed, device=device, dtype=dtype, amp=amp,
                         accumulation_steps=accumulation_steps, max_grad_norm=max_grad_norm,
                         num_threads=num_threads, val_batches=val_batches,
                         mode=mode, chunk_size=chunk_size, compile=compile, cuda_graphs=cuda_graphs)

    def run() -> SweepResult:
        problem = TorchProblem(model, optimizer, loss_fn, train_data, setup=setup)
        members = None if groups is None else resolve_groups(groups, model, problem.bench.model)
        result = core_sweep(problem, lrs, steps, train_steps=train_steps, budget_share=budget_share,
                            planner=planner, thresholds=thresholds, prune=prune, on_batch=on_batch)
        if members is not None:
            result = search_groups(problem, result, members, ratios, steps, thresholds, prune)
        if not range_test:
            return result
        with preserved(device, problem.num_threads):
            test = run_range_test(problem.bench, test_config)
        return dataclasses.replace(result, range_test=test, cost={**result.cost, "range_test": int(test.lrs.size)})

    return on_rank_zero(run)
