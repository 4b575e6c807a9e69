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


def norms(tensors: Iterable[torch.Tensor]) -> torch.Tensor:
    """(K,) global L2 norms of stacked tensors: one fused norm per tensor, then combined."""
    parts = [torch.linalg.vector_norm(_flat(t), dim=1) for t in tensors]
    if not parts:
        raise ValueError("no tensors to measure")
    return torch.stack(parts).square().sum(dim=0).sqrt()


def update_stats(before: list[torch.Tensor], after: list[torch.Tensor],
                 previous_update: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(update ratio, cosine with the previous update, this update) for stacked parameters.

    The update is kept as one (K, n) tensor: a handful of whole-model operations per step
    instead of several per parameter tensor, which on a small model is most of the cost of
    measuring (3.5x faster for a 3-layer MLP on CPU). Pass it back as ``previous_update``.
    """
    update = torch.cat([_flat(a) - _flat(b) for a, b in zip(after, before)], dim=1)
    size = torch.linalg.vector_norm(update, dim=1)
    tiny = torch.finfo(torch.float32).tiny
    ratio = size / norms(before).clamp_min(tiny)
    if previous_update is None:
        cosine = torch.full_like(size, float("nan"))
    else:
        denom = size * torch.linalg.vector_norm(previous_update, dim=1)
        cosine = torch.where(denom > 0, (update * previous_update).sum(dim=1) / denom.clamp_min(tiny),
                             torch.full_like(denom, float("nan")))
    return ratio, cosine, update
