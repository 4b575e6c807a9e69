"""``lrscout.schedules``, the documented home of the schedules: a re-export of
``lrscout.core.schedules`` (pure NumPy) plus ``to_torch``, whose work lives in
``lrscout.torch.schedules`` and is imported only when it is called (``import lrscout.schedules``
never imports torch)."""

from __future__ import annotations

from typing import Any, Callable

from .core.schedules import *  # noqa: F401,F403  (the public names, listed in __all__)
from .core.schedules import __all__ as _core_names
from .errors import BackendUnavailableError


def to_torch(schedule: Callable[[int], float], optimizer: Any) -> Any:
    """Drive a torch optimizer with ``schedule``: see ``lrscout.torch.schedules.to_torch``."""
    try:
        import torch  # noqa: F401  (only to say which extra is missing)
    except ImportError as error:
        raise BackendUnavailableError("to_torch", "torch", "torch") from error
    from .torch.schedules import to_torch as drive

    return drive(schedule, optimizer)


__all__ = [*_core_names, "to_torch"]
