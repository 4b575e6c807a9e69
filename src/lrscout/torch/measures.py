"""Per-step gradient statistics for stacked candidates: gradient norm, update ratio, cosine.

Every tensor carries a leading candidate dimension K (a single run is K = 1), so the
sequential and vectorized engines report the same numbers computed the same way:

- ``grad_norm``: the global L2 norm of the gradient, over every trained parameter;
- ``update_ratio``: ||p_after - p_before|| / ||p_before|| (how much of the weights a step rewrites);
- ``update_cosine``: the cosine between this update and the previous one (near -1: each
  step undoes the last; NaN when either update is zero, e.g. a step a GradScaler skipped).
"""

from __future__ import annotations

from typing import Iterable

import torch


def _flat(t: torch.Tensor) -> torch.Tensor:
    """(K, n) view in at least float32 (half-precision sums of squares overflow)."""
    t = t.detach()
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.float()
    return t.reshape(t.shape[0], -1)


def _sum_sq(tensors: Iterable[torch.Tensor]) -> torch.Tensor:
    total = None
    for t in tensors:
        part = _flat(t).pow(2).sum(dim=1)
        total = part if total is None else total + part
    if total is None:
        raise ValueError("no tensors to measure")
    return total


def norms(tensors: Iterable[torch.Tensor]) -> torch.Tensor:
    """(K,) global L2 norms of stacked tensors."""
    return _sum_sq(tensors).sqrt()


def dots(a: Iterable[torch.Tensor], b: Iterable[torch.Tensor]) -> torch.Tensor:
    """(K,) dot products of two lists of stacked tensors, pairwise."""
    total = None
    for x, y in zip(a, b):
        part = (_flat(x) * _flat(y)).sum(dim=1)
        total = part if total is None else total + part
    if total is None:
        raise ValueError("no tensors to measure")
    return total


def update_stats(before: list[torch.Tensor], after: list[torch.Tensor],
                 previous_update: list[torch.Tensor] | None) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """(update ratio, cosine with the previous update, this update) for stacked parameters."""
    update = [a.detach() - b.detach() for a, b in zip(after, before)]
    size = norms(update)
    ratio = size / norms(before).clamp_min(torch.finfo(torch.float32).tiny)
    if previous_update is None:
        cosine = torch.full_like(size, float("nan"))
    else:
        denom = size * norms(previous_update)
        cosine = torch.where(denom > 0, dots(update, previous_update) / denom.clamp_min(torch.finfo(torch.float32).tiny),
                             torch.full_like(denom, float("nan")))
    return ratio, cosine, update
