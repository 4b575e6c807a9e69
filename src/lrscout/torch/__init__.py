"""lrscout for PyTorch: sweep learning rates and run the LR range test on what you already have.

    import lrscout.torch as lt
    result = lt.sweep(model, optimizer, loss_fn, train_loader, val_data=val_loader, steps=100)
    test = lt.range_test(model, optimizer, loss_fn, train_loader)

A ``TorchProblem`` is one more ``lrscout.Problem``: the core planner, curve reading, choice and
``SweepResult`` are reused unchanged. The user's model, optimizer, random states and thread
count are left exactly as they were. Importing this package imports torch; ``import lrscout``
never does. The Lightning entry point lives in ``lrscout.torch.lightning``.

Layer 6. It may import ``lrscout.core``, ``lrscout.problems``, ``lrscout.executors``,
``lrscout.workflows`` (the sweep), ``lrscout.errors`` and torch; never ``lrscout.report`` or
``lrscout.cli``.
"""

from ..errors import BackendUnavailableError

try:
    import torch as _torch  # noqa: F401  (the check; submodules import it by name)
except ImportError:
    raise BackendUnavailableError("lrscout.torch", "torch", "torch") from None

from .api import sweep
from .distributed import on_rank_zero
from .mode import FallbackWarning, ModeChoice
from .problem import TorchProblem
from .range_test import range_test
from .rates import apply_group_rates

__all__ = ["FallbackWarning", "ModeChoice", "TorchProblem", "apply_group_rates", "on_rank_zero", "range_test",
           "sweep"]
