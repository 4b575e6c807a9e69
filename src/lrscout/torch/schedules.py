"""``to_torch``: a schedule of ``lrscout.schedules`` driving a PyTorch optimizer.

Public as ``lrscout.schedules.to_torch``, which imports this module only when called, so the
schedules themselves stay pure NumPy.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import torch

from ..core.schedules import _schedule_arg
from ..errors import InvalidConfigError


def _relative(schedule: Callable[[int], float], reference: float, step: int) -> float:
    return schedule(step) / reference


def to_torch(schedule: Callable[[int], float], optimizer: Any) -> Any:
    """Drive a torch optimizer with ``schedule``, keeping the ratios between its param groups.

    Returns a ``torch.optim.lr_scheduler.LambdaLR``; call its ``step()`` once per training
    step, after ``optimizer.step()``. Precisely: the reference is the largest initial lr
    among the groups (``group["initial_lr"]`` if a scheduler already set it, else
    ``group["lr"]``). The group(s) at the reference get ``schedule(step)``; every
    other group gets ``schedule(step) * its_lr / reference``. So groups built at 1x and
    0.1x stay at 1x and 0.1x of the schedule, the optimizer's own lrs only matter as
    ratios, and a schedule that starts at 0 (a warm-up) is fine: nothing divides by
    ``schedule(0)``. Only the lr is set; for ``one_cycle`` momentum, apply
    ``schedule.momentum(step)`` yourself.

    The lambda is a ``functools.partial``, so ``state_dict()`` holds plain values only and a
    checkpoint loads with ``torch.load(weights_only=True)``; rebuild the scheduler with
    ``to_torch`` and ``load_state_dict`` to resume.
    """
    schedule = _schedule_arg("to_torch", schedule)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise InvalidConfigError(
            f"to_torch: optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    reference = max(float(g.get("initial_lr", g["lr"])) for g in optimizer.param_groups)
    if not reference > 0:
        raise InvalidConfigError(f"to_torch: the optimizer's largest param-group lr must be "
                                 f"positive to set the ratios, got {reference!r}")
    factor = functools.partial(_relative, schedule, reference)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


__all__ = ["to_torch"]
