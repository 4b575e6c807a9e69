"""Snapshots of the state a search could disturb, and restoring them bit for bit.

A search never trains the user's module or optimizer: it trains a working copy. What it does
touch is process-wide: the random number generators (dropout, shuffling DataLoaders, a model
factory, numpy or ``random`` inside user code) and torch's CPU thread count. ``preserved``
puts all of them back on exit, whether the search finished or raised. ``ModuleState`` holds
the working copy's starting parameters and buffers so every candidate starts from them.
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import torch


@dataclass(frozen=True)
class RngState:
    """The torch (CPU and every initialised CUDA device), NumPy and Python generator states."""

    torch_cpu: torch.Tensor
    cuda: tuple[torch.Tensor, ...] | None
    numpy: Any
    python: Any

    @classmethod
    def capture(cls, device: torch.device | None = None) -> "RngState":
        # Asking for CUDA states initialises CUDA: only do it when CUDA is in use or about to be.
        uses_cuda = torch.cuda.is_available() and (
            torch.cuda.is_initialized() or (device is not None and device.type == "cuda"))
        return cls(torch_cpu=torch.get_rng_state(),
                   cuda=tuple(torch.cuda.get_rng_state_all()) if uses_cuda else None,
                   numpy=np.random.get_state(), python=random.getstate())

    def restore(self) -> None:
        torch.set_rng_state(self.torch_cpu)
        if self.cuda is not None:
            torch.cuda.set_rng_state_all(list(self.cuda))
        np.random.set_state(self.numpy)
        random.setstate(self.python)


def _as_device(device: Any) -> torch.device | None:
    try:
        return None if device is None else torch.device(device)
    except (RuntimeError, TypeError):
        return None          # a bad device is reported by name where options are validated


@contextlib.contextmanager
def preserved(device: Any = None, num_threads: int | None = None) -> Iterator[RngState]:
    """Run a block with ``num_threads`` CPU threads; restore threads and every RNG afterwards.

    ``device`` is where the block will compute: a CUDA device's generator is saved even if
    CUDA is not initialised yet.
    """
    rng = RngState.capture(_as_device(device))
    threads = torch.get_num_threads()
    try:
        if num_threads is not None and num_threads != threads:
            torch.set_num_threads(num_threads)
        yield rng
    finally:
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        rng.restore()


@dataclass(frozen=True)
class ModuleState:
    """Clones of every parameter and buffer of a module (non-persistent buffers too), by name."""

    tensors: dict[str, torch.Tensor]

    @classmethod
    def capture(cls, module: torch.nn.Module) -> "ModuleState":
        named: dict[str, torch.Tensor] = dict(module.named_parameters(remove_duplicate=False))
        named.update(module.named_buffers(remove_duplicate=False))
        return cls({name: t.detach().clone() for name, t in named.items()})

    def load_into(self, module: torch.nn.Module) -> None:
        """Copy the snapshot into the module in place and drop its gradients."""
        with torch.no_grad():
            for name, p in module.named_parameters(remove_duplicate=False):
                p.copy_(self.tensors[name])
                p.grad = None
            for name, b in module.named_buffers(remove_duplicate=False):
                b.copy_(self.tensors[name])
