"""The one function both engines differentiate: (model parameters, batch) -> scalar loss.

``Objective`` wraps the working copy of the model and the rule that turns a batch into a
loss, as an ``nn.Module`` whose only parameters are the model's (under the ``model.``
prefix). The sequential engine calls it directly; the vectorized engine calls it through
``torch.func.functional_call`` with stacked parameters. Two rules:

- ``loss_fn(output, target)``: a batch is a sequence ``(*inputs, target)``; the model is
  called as ``model(*inputs)``.
- ``batch_loss(model, batch)``: anything else (dict batches, language-model batches whose
  targets are the shifted inputs, a LightningModule's ``training_step``).
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from ..errors import DataError, InvalidConfigError

PREFIX = "model."


def _shape(value: Any) -> str:
    return f"shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) else type(value).__name__


def as_scalar_loss(value: Any, source: str) -> torch.Tensor:
    """The loss as a 0-d floating tensor; anything else is a user error named here."""
    if not isinstance(value, torch.Tensor):
        raise InvalidConfigError(f"{source} returned {type(value).__name__}, not a tensor; return the loss "
                                 "as a scalar torch tensor")
    if value.numel() != 1:
        raise InvalidConfigError(f"{source} returned a tensor of {_shape(value)}, not a scalar: reduce it to "
                                 "one number per batch (e.g. reduction='mean')")
    if not value.is_floating_point():
        raise InvalidConfigError(f"{source} returned a {value.dtype} tensor; a loss must be floating point")
    return value.reshape(())


class Objective(torch.nn.Module):
    def __init__(self, model: torch.nn.Module, loss_fn: Callable[..., Any] | None = None,
                 batch_loss: Callable[[torch.nn.Module, Any], Any] | None = None) -> None:
        super().__init__()
        if (loss_fn is None) == (batch_loss is None):
            raise InvalidConfigError("give loss_fn(output, target) or batch_loss(model, batch), exactly one")
        for name, fn in (("loss_fn", loss_fn), ("batch_loss", batch_loss)):
            if fn is not None and not callable(fn):
                raise InvalidConfigError(f"{name} must be callable, got {fn!r}")
        self.model = model
        # kept outside the module tree: the user's loss module is never copied, moved or trained
        self._rule = (loss_fn, batch_loss)

    @property
    def source(self) -> str:
        loss_fn, batch_loss = self._rule
        return "loss_fn" if loss_fn is not None else "batch_loss"

    def forward(self, batch: Any) -> torch.Tensor:
        loss_fn, batch_loss = self._rule
        if batch_loss is not None:
            return as_scalar_loss(batch_loss(self.model, batch), "batch_loss")
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            found = f"a dict with keys {sorted(batch)}" if isinstance(batch, dict) else _shape(batch) \
                if isinstance(batch, torch.Tensor) else f"a {type(batch).__name__}"
            raise DataError(f"with loss_fn, a batch must be a sequence (*inputs, target); got {found}. "
                            "Pass batch_loss=lambda model, batch: ... to say how such a batch becomes a loss, "
                            "and loss_fn=None")
        assert loss_fn is not None   # exactly one of the two is set (checked in __init__)
        *inputs, target = batch
        return as_scalar_loss(loss_fn(self.model(*inputs), target), "loss_fn")
