"""``TorchProblem``: a PyTorch model, optimizer, loss and data as an lrscout ``Problem``.

It is one more problem at the edge of the core: ``lrscout.sweep(TorchProblem(...))`` runs the
core planner, curve reading and choice unchanged. ``train(lrs, steps)`` restores the shared
start before every candidate and runs them on the engine ``mode`` picks (see
``lrscout.torch.mode``). ``describe()`` reports the setup (thread count, device, optimizer
and its group ratios) and ``run_info()`` the engine that ran and why, which the core sweep
merges into the result's ``config`` once training is done.

Guarantees, whatever happens (tests/torch/test_state.py proves them bit for bit): the user's
model (parameters, buffers, gradients, train/eval flags), the user's optimizer (state,
hyperparameters), the torch/CUDA/NumPy/Python random states and torch's thread count are as
before once a call returns or raises. Nothing is written to disk.
"""

from __future__ import annotations

import hashlib
import warnings
from typing import Any, Callable, Mapping, Sequence

import torch

from ..core.grids import check_grid
from ..core.pruning import DivergencePruner
from ..core.types import Trace
from .._validation import positive_int
from ..errors import InvalidConfigError
from .mode import Engine, FallbackWarning, ModeChoice, check_mode, choose_mode
from .options import SetupOptions
from .sequential import SequentialEngine
from .state import preserved
from .vectorized import VectorizedEngine
from .workbench import Workbench


class TorchProblem:
    """Train candidates of a PyTorch setup; see ``lrscout.torch.sweep`` for every argument."""

    def __init__(self, model: Any, optimizer: Any, loss_fn: Callable[..., Any] | None = None,
                 train_data: Any = None, *, setup: SetupOptions | None = None, **options: Any) -> None:
        """``options`` are ``lrscout.torch.sweep``'s keywords that set up the search (the fields of
        ``SetupOptions``: ``val_data``, ``batch_size``, ``seed``, ``device``, ``mode``, ...), or
        pass them built as ``setup=``."""
        if setup is not None and options:
            raise InvalidConfigError(f"give setup= or the options themselves, not both (got setup and "
                                     f"{', '.join(sorted(options))})")
        setup = setup if setup is not None else SetupOptions(**options)
        self.mode = check_mode(setup.mode)
        self.chunk_size = None if setup.chunk_size is None else positive_int("chunk_size", setup.chunk_size)
        self.compile = bool(setup.compile)
        self.cuda_graphs = bool(setup.cuda_graphs)
        self.num_threads = None if setup.num_threads is None else positive_int("num_threads", setup.num_threads)
        with preserved(setup.device, self.num_threads):
            self.bench = Workbench(model, optimizer, loss_fn, train_data, setup)
        if self.cuda_graphs and self.bench.options.device.type != "cuda":
            raise InvalidConfigError(f"cuda_graphs=True needs a CUDA device, got device {self.bench.options.device}")
        self.choice: ModeChoice | None = None
        self._engine: Engine | None = None

    def train(self, lrs: Sequence[float], steps: int, *, pruner: DivergencePruner | None = None) -> list[Trace]:
        check_grid(lrs, where="lrs")
        lrs = [float(lr) for lr in lrs]                     # keep the caller's order
        steps = positive_int("steps", steps)
        with preserved(self.bench.options.device, self.num_threads):
            if self._engine is None:
                self.choice, self._engine = choose_mode(self.mode, self.bench, lrs, chunk_size=self.chunk_size,
                                                        compile=self.compile, cuda_graphs=self.cuda_graphs)
            if isinstance(self._engine, SequentialEngine):
                return self._engine.train(lrs, steps, pruner)
            return self._vectorized(self._engine, lrs, steps, pruner)

    def _vectorized(self, engine: VectorizedEngine, lrs: list[float], steps: int,
                    pruner: DivergencePruner | None) -> list[Trace]:
        size = (self.choice.chunk_size if self.choice else None) or len(lrs)
        traces: list[Trace] = []
        for i in range(0, len(lrs), size):
            chunk = lrs[i:i + size]
            try:
                traces.extend(engine.train(chunk, steps, pruner))
            except Exception as exc:
                # vmap cannot tell which candidate raised: rerun these one by one, so only the
                # failing one is recorded as failed and the others still count
                warnings.warn(f"lrscout: the vectorized step raised ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0][:160] if str(exc) else ''}); rerunning "
                              f"{len(chunk)} candidate(s) sequentially", FallbackWarning, stacklevel=3)
                traces.extend(SequentialEngine(self.bench).train(chunk, steps, pruner))
        return traces

    def describe(self) -> Mapping[str, Any]:
        """How the problem is set up (known before training: the core uses it as the journal key)."""
        return {**self.bench.describe(), "mode_requested": self.mode, "compile": self.compile,
                "cuda_graphs": self.cuda_graphs,
                "torch_threads": self.num_threads if self.num_threads is not None else torch.get_num_threads(),
                "torch_threads_set_by": "lrscout (num_threads)" if self.num_threads is not None
                else "the environment (pass num_threads to set it)"}

    def run_info(self) -> Mapping[str, Any]:
        """What the first ``train`` call decided: the engine, why, and the probe's timings."""
        if self.choice is None:
            return {"mode": None, "mode_reason": "no candidate has been trained yet"}
        return self.choice.describe()

    def fingerprint(self) -> str:
        """A digest of the starting weights and the first training batch, so a journal resumed on
        another model or other data is caught."""
        digest = hashlib.sha256()
        for name, tensor in sorted(self.bench.initial.tensors.items()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
        with preserved(self.bench.options.device, self.num_threads):
            first = self.bench.steps(1)[0][0]
        for tensor in _tensors(first):
            digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
        return "sha256:" + digest.hexdigest()


def _tensors(batch: Any) -> list[torch.Tensor]:
    if isinstance(batch, torch.Tensor):
        return [batch]
    if isinstance(batch, dict):
        return [t for k in sorted(batch) for t in _tensors(batch[k])]
    if isinstance(batch, (list, tuple)):
        return [t for item in batch for t in _tensors(item)]
    return []
