"""Lightning entry points: sweep a LightningModule with its own ``configure_optimizers``.

- ``sweep_lightning(module, train_dataloaders)``: no Trainer needed. The optimizer is the one
  ``module.configure_optimizers()`` returns (one optimizer; schedulers are left out, since
  each candidate trains at a constant lr); a batch's loss is ``module.training_step(batch, 0)``
  (a tensor, or a dict's ``"loss"``); the validation loss is the same on ``val_dataloaders``,
  in eval mode. A copy of the module trains (Lightning drops the Trainer from copies, so
  ``self.log`` in the copy only warns, and that warning is silenced here).
- ``LRScoutCallback``: in a real ``Trainer.fit``, at ``on_train_start`` (the dataloaders and
  optimizers exist, no step has run), sweeps on the trainer's training dataloader and, when
  a learning rate was chosen, scales every rate of the trainer's optimizer and schedulers by
  one factor, so that the largest group's peak is the chosen one (the peak: ``OneCycleLR``'s
  ``max_lr``, another scheduler's initial lr, else the lr; ratios between groups and the
  schedule's shape are kept). The result is kept
  in ``callback.result``; the module's weights and the random state are left as they were,
  so training then starts exactly where it would have without the callback.

Lightning is imported from ``lightning.pytorch`` when installed, else ``pytorch_lightning``.
"""

from __future__ import annotations

import warnings
from typing import Any, Mapping, Sequence

import torch

from ..core.result import SweepResult
from ..errors import BackendUnavailableError, InvalidConfigError
from .api import sweep

try:
    import lightning.pytorch as pl
except ImportError:
    try:
        import pytorch_lightning as pl
    except ImportError:
        raise BackendUnavailableError("lrscout.torch.lightning", "lightning", "pytorch_lightning") from None

_LOG_WARNING = r".*self\.log\(\)` but the `self\.trainer` reference is not registered.*"


def _optimizers(conf: Any) -> list[torch.optim.Optimizer]:
    """The optimizers in any of the shapes ``configure_optimizers`` may return."""
    if isinstance(conf, torch.optim.Optimizer):
        return [conf]
    if isinstance(conf, Mapping):
        return _optimizers(conf.get("optimizer"))
    if isinstance(conf, (list, tuple)):
        if len(conf) == 2 and isinstance(conf[0], (list, tuple)) and isinstance(conf[1], (list, tuple)):
            return _optimizers(conf[0])                    # ([optimizers], [schedulers])
        return [opt for item in conf for opt in _optimizers(item)]
    return []


def module_optimizer(module: "pl.LightningModule") -> torch.optim.Optimizer:
    """The single optimizer ``module.configure_optimizers()`` returns."""
    found = _optimizers(module.configure_optimizers())
    if len(found) != 1:
        raise InvalidConfigError(f"{type(module).__name__}.configure_optimizers() returned {len(found)} optimizers; "
                                 "lrscout sweeps a module with exactly one")
    return found[0]


def training_step_loss(module: "pl.LightningModule", batch: Any) -> torch.Tensor:
    out = module.training_step(batch, 0)
    if isinstance(out, Mapping):
        out = out.get("loss")
    if out is None:
        raise InvalidConfigError(f"{type(module).__name__}.training_step returned no loss (manual optimization "
                                 "is not supported); return the loss tensor or a dict with 'loss'")
    return out


def sweep_lightning(module: "pl.LightningModule", train_dataloaders: Any = None, *, datamodule: Any = None,
                    val_dataloaders: Any = None, lrs: Sequence[float] | None = None, steps: int = 100,
                    **options: Any) -> SweepResult:
    """``lrscout.torch.sweep`` on a LightningModule; ``options`` are that function's keywords."""
    if not isinstance(module, pl.LightningModule):
        raise InvalidConfigError(f"module must be a LightningModule, got {type(module).__name__}")
    if train_dataloaders is None:
        if datamodule is None:
            raise InvalidConfigError("give train_dataloaders or a datamodule")
        train_dataloaders = datamodule.train_dataloader()
        if val_dataloaders is None:
            try:
                val_dataloaders = datamodule.val_dataloader()
            except NotImplementedError:
                val_dataloaders = None
    if isinstance(val_dataloaders, (list, tuple)) and len(val_dataloaders) == 1 \
            and isinstance(val_dataloaders[0], torch.utils.data.DataLoader):
        val_dataloaders = val_dataloaders[0]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_LOG_WARNING)
        return sweep(module, module_optimizer(module), train_data=train_dataloaders, val_data=val_dataloaders,
                     batch_loss=training_step_loss, lrs=lrs, steps=steps, **options)


class LRScoutCallback(pl.Callback):
    """Sweep at the start of ``Trainer.fit`` and train at the chosen learning rate."""

    def __init__(self, *, lrs: Sequence[float] | None = None, steps: int = 100, apply: bool = True,
                 **options: Any) -> None:
        self.lrs = lrs
        self.steps = steps
        self.apply = apply
        self.options = options
        self.result: SweepResult | None = None

    def on_train_start(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule") -> None:
        self.result = sweep_lightning(pl_module, trainer.train_dataloader, val_dataloaders=trainer.val_dataloaders,
                                      lrs=self.lrs, steps=self.steps, **self.options)
        chosen = self.result.chosen_lr
        if not self.apply or chosen is None or len(trainer.optimizers) != 1:
            return
        optimizer = trainer.optimizers[0]
        key = _peak_key(optimizer)
        peak = max(float(g[key]) for g in optimizer.param_groups)
        if not peak > 0:
            warnings.warn(f"lrscout: the chosen lr {chosen:g} was not applied: the optimizer's '{key}' is {peak:g} "
                          "in every parameter group, so there is no rate to scale", stacklevel=2)
            return
        factor = chosen / peak
        for group in optimizer.param_groups:
            for name in _GROUP_RATES:
                if name in group:
                    group[name] = float(group[name]) * factor
        for config in trainer.lr_scheduler_configs:
            for name in ("base_lrs", "max_lrs"):     # max_lrs: CyclicLR's upper bounds
                rates = getattr(config.scheduler, name, None)
                if rates is not None:
                    setattr(config.scheduler, name, [lr * factor for lr in rates])


# Every rate a torch scheduler keeps in a parameter group: a scheduler reads its own copy, so
# scaling only "lr" would be undone at its next step.
_GROUP_RATES = ("lr", "initial_lr", "max_lr", "min_lr")


def _peak_key(optimizer: torch.optim.Optimizer) -> str:
    """The group entry that holds the schedule's peak rate, which the chosen lr replaces.

    ``OneCycleLR`` peaks at its ``max_lr``; other schedulers scale their ``initial_lr`` (a
    warm-up starts below it, so the current ``lr`` would overshoot it); without a scheduler
    the ``lr`` is the rate.
    """
    group = optimizer.param_groups[0]
    return next(name for name in ("max_lr", "initial_lr", "lr") if name in group)
