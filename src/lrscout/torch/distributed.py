"""Under ``torch.distributed``: rank 0 searches, every rank gets the same result.

Each rank would otherwise search on its own data shard and could choose a different learning
rate. ``on_rank_zero(fn)``: when a process group is initialised with more than one process,
rank 0 runs ``fn`` (the whole sweep or range test, on its own shard) while the other ranks
wait in ``broadcast_object_list``; then every rank returns rank 0's result, or raises if
rank 0 raised. Without a process group (or with one process) it simply calls ``fn``.

What to know: rank 0's data decides; the other ranks wait up to the process group's timeout
(``init_process_group(timeout=...)``, 30 minutes by default); with NCCL, set each rank's CUDA
device first (``torch.cuda.set_device``), as ``broadcast_object_list`` requires.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

import torch.distributed as dist

T = TypeVar("T")


def active_group() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def on_rank_zero(fn: Callable[[], T]) -> T:
    """``fn()`` run on rank 0 only, its result (or failure) returned on every rank (module docstring)."""
    if not active_group():
        return fn()
    payload: tuple[str, object] | None = None
    error: BaseException | None = None
    if dist.get_rank() == 0:
        try:
            payload = ("ok", fn())
        except Exception as exc:
            error = exc
            # exceptions do not always unpickle (custom __init__): send their type and message
            payload = ("error", f"{type(exc).__name__}: {exc}")
    box: list[Any] = [payload]   # what rank 0 sent, unpickled
    dist.broadcast_object_list(box, src=0)
    kind, value = box[0]
    if error is not None:
        raise error
    if kind == "error":
        raise RuntimeError(f"lrscout: the search failed on rank 0, so no rank has a result ({value})")
    return value


__all__ = ["active_group", "on_rank_zero"]
