"""The validated setup every search works on: a working copy of the model and how to train it.

Built once from the user's objects (the boundary: every check with a message naming the bad
value happens here), then shared by the sweep engines and the range test:

- the model (an instance, a ``DistributedDataParallel`` wrapper or a factory called once) is
  deep-copied; the copy is what trains, so the user's parameters, buffers, gradients and
  ``training`` flags are never written;
- the copy's starting parameters and buffers, and a random state seeded with ``seed``, which
  ``reset`` restores before every candidate: every candidate starts from the same weights
  and draws the same dropout masks, and the same ``seed`` draws them again in another run
  (the caller's own generators are restored afterwards, by ``state.preserved``);
- the objective (model + loss rule), the optimizer spec and the training/validation batches.
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Mapping

import torch

from .._validation import positive_int
from ..errors import DataError, InvalidConfigError, LrscoutError
from .data import BatchSource, batch_size_of
from .objective import Objective
from .optimizers import OptimizerSpec
from .options import SetupOptions, TrainOptions
from .state import ModuleState, RngState


def resolve_model(model: Any) -> torch.nn.Module:
    """The user's module: an instance, unwrapped from DDP/DataParallel, or a factory's product."""
    if not isinstance(model, torch.nn.Module):
        if not callable(model):
            raise InvalidConfigError(f"model must be a torch.nn.Module or a factory returning one, "
                                     f"got {type(model).__name__}")
        try:
            built = model()
        except Exception as exc:   # a module class that needs arguments, or a factory that fails
            hint = (f"; pass an instance, {model.__name__}(...), or a function that builds one"
                    if isinstance(model, type) else "")
            raise InvalidConfigError(f"model: calling the model factory {getattr(model, '__name__', model)!r} with "
                                     f"no arguments raised {type(exc).__name__}: {exc}{hint}") from exc
        if not isinstance(built, torch.nn.Module):
            raise InvalidConfigError(f"the model factory returned {type(built).__name__}, not a torch.nn.Module")
        model = built
    # a wrapper's forward would run collectives: search on the wrapped module (same parameters)
    while isinstance(model, (torch.nn.parallel.DistributedDataParallel, torch.nn.DataParallel)):
        model = model.module
    return model


class Workbench:
    def __init__(self, model: Any, optimizer: Any, loss_fn: Callable[..., Any] | None, train_data: Any,
                 setup: SetupOptions) -> None:
        """Call inside ``state.preserved``: a model factory and the data may draw random numbers."""
        if train_data is None:
            raise InvalidConfigError("train_data is required: a DataLoader, an iterable of batches or "
                                     "(inputs, targets) tensors")
        user_model = resolve_model(model)
        if any(p.is_meta for p in user_model.parameters()):
            raise InvalidConfigError(f"the model ({type(user_model).__name__}) has parameters on the meta device, "
                                     "which hold no values to train: materialise it first (model.to_empty(device=...) "
                                     "and initialise it) or pass a factory that builds it")
        self.options = TrainOptions.resolve(user_model, device=setup.device, dtype=setup.dtype, amp=setup.amp,
                                            accumulation_steps=setup.accumulation_steps,
                                            max_grad_norm=setup.max_grad_norm, num_threads=setup.num_threads)
        if not any(p.requires_grad for p in user_model.parameters()):
            raise InvalidConfigError(f"the model ({type(user_model).__name__}) has no trainable parameters, so no "
                                     "learning rate can change it; pass the model whose weights you train")
        try:
            working = copy.deepcopy(user_model)
        except Exception as exc:
            raise InvalidConfigError(f"cannot copy the model ({type(exc).__name__}: {exc}); lrscout trains a copy "
                                     "so yours is never changed: pass a factory that builds the model instead") from exc
        self.model = working.to(device=self.options.device, dtype=self.options.dtype).train()
        self.model_name = type(user_model).__name__
        self.objective = Objective(self.model, loss_fn, setup.batch_loss)
        self.optimizer = OptimizerSpec.from_user(optimizer, setup.optimizer_kwargs, user_model, self.model)
        self.val_batches = None if setup.val_batches is None else positive_int("val_batches", setup.val_batches)
        self.initial = ModuleState.capture(self.model)
        torch.manual_seed(setup.seed)   # the candidates' random draws (dropout) follow ``seed``, so a sweep repeats
        self.rng = RngState.capture(self.options.device)
        self.train_source = BatchSource(train_data, name="train_data", device=self.options.device,
                                        dtype=self.options.dtype, batch_size=setup.batch_size, seed=setup.seed)
        self.val_source = None if setup.val_data is None else BatchSource(
            setup.val_data, name="val_data", device=self.options.device, dtype=self.options.dtype,
            batch_size=setup.batch_size, seed=setup.seed, evaluation=True)
        self.n_params = sum(p.numel() for p in self.model.parameters() if p.requires_grad)
        self._preflight()

    def reset(self) -> None:
        """Starting weights, no gradients, train mode, and the random state at construction."""
        self.initial.load_into(self.model)
        self.objective.train()
        self.rng.restore()

    def steps(self, n: int) -> list[list[Any]]:
        """The micro-batches of ``n`` steps (``accumulation_steps`` each), the same on every call."""
        k = self.options.accumulation_steps
        batches = self.train_source.take(n * k)
        return [batches[i * k:(i + 1) * k] for i in range(n)]

    def validation(self) -> list[Any]:
        return [] if self.val_source is None else self.val_source.one_pass(self.val_batches)

    def _preflight(self) -> None:
        """One forward pass on the first batch: bad data or a bad loss is reported now, by name."""
        first = self.steps(1)[0][0]
        self.reset()
        try:
            with self.options.autocast():
                loss = self.objective(first)
        except LrscoutError:
            raise
        except Exception as exc:
            raise InvalidConfigError(
                f"the model's forward or the {self.objective.source} raised on the first training batch "
                f"({type(exc).__name__}: {exc}); check that the batch matches what the model expects") from exc
        if not loss.requires_grad:
            raise InvalidConfigError(f"the {self.objective.source}'s result does not depend on the model's "
                                     "parameters (computed under torch.no_grad, or detached?)")
        if not bool(torch.isfinite(loss.detach()).all()):
            # before any update no learning rate is to blame: every candidate would read as diverged
            raise DataError(f"the loss on the first training batch is {float(loss.detach()):g} at the starting "
                            "weights, before any step: check the data (NaN/inf inputs or targets) and the model's "
                            "initialisation")
        self.reset()

    def val_loss(self, losses_of: Callable[[Any], torch.Tensor], limit: int | None = None) -> torch.Tensor | None:
        """Mean validation loss in eval mode, weighted by batch size; ``losses_of(batch)`` gives the
        loss of each candidate (a (K,) tensor), over at most ``limit`` batches. ``None`` without
        validation data."""
        batches = self.validation()[:limit]
        if not batches:
            return None
        self.objective.eval()
        try:
            total = None
            rows = 0
            with torch.no_grad(), self.options.autocast():
                for batch in batches:
                    n = batch_size_of(batch)
                    part = losses_of(batch).double() * n
                    total = part if total is None else total + part
                    rows += n
        finally:
            self.objective.train()
        assert total is not None   # there was at least one batch
        return total / rows

    def describe(self) -> Mapping[str, Any]:
        return {"problem": "torch", "model": self.model_name, "n_params": self.n_params,
                "torch_version": torch.__version__, "batch_size": self.train_source.batch_size,
                **self.optimizer.describe(), **self.options.describe()}
