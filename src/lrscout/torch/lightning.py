"""Lightning entry points: sweep a LightningModule with its own ``configure_optimizers``.

- ``sweep_lightning(module, train_dataloaders)``: no Trainer needed. The optimizer is the one
  ``module.configure_optimizers()`` returns (one optimizer; schedulers are left out, since
  each candidate trains at a constant lr); a batch's loss is ``module.training_step(batch, 0)``
  (a tensor, or a dict's ``"loss"``); the validation loss is the same on ``val_dataloaders``,
  in eval mode. A copy of the module trains (Lightning drops the Trainer from copies, so
  ``self.log`` in the copy only warns, and that warning is silenced here).
- ``LRScoutCallback``: in a real ``Trainer.fit``, at ``on_train_start`` (the dataloaders and
  optimizers exist, no step has run), sweeps on the trainer's training dataloader, choosing
  for the run the trainer will train (``trainer.estimated_stepping_batches`` steps, its
  search spending at most ``budget_share`` of them) and, when
  a learning rate was chosen, scales every rate of the trainer's optimizer and schedulers by
  one factor, so that the largest group's peak is the chosen one (the peak: ``OneCycleLR``'s
  ``max_lr``, another scheduler's initial lr, else the lr; ratios between groups and the
  schedule's shape are kept). With ``groups=...`` the per-group rates are applied too
  (``lrscout.torch.apply_group_rates``). The result is kept
  in ``callback.result``; the module's weights and the random state are left as they were,
  so training then starts exactly where it would have without the callback.

Lightning is imported from ``lightning.pytorch`` when installed, else ``pytorch_lightning``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Mapping, Sequence

import torch

from ..core.result import SweepResult
from ..core.search import share_for_a_read_run
from ..errors import BackendUnavailableError, InvalidConfigError
from .api import sweep
from .rates import apply_group_rates, set_chosen_rate

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


def run_length(trainer: Any) -> int | None:
    """The run's length in optimizer steps, as the trainer estimates it
    (``trainer.estimated_stepping_batches``: max_steps, or epochs x batches / accumulation);
    None when it cannot say (an endless run, or a trainer not yet set up)."""
    try:
        steps = trainer.estimated_stepping_batches
    except Exception:       # Lightning raises when the trainer has no data or strategy yet
        return None
    if not isinstance(steps, (int, float)) or isinstance(steps, bool) or not math.isfinite(steps) or steps < 1:
        return None
    return int(steps)


def sweep_lightning(module: "pl.LightningModule", train_dataloaders: Any = None, *, datamodule: Any = None,
                    val_dataloaders: Any = None, lrs: Sequence[float] | None = None, steps: int | None = None,
                    trainer: Any = None, train_steps: int | None = None, **options: Any) -> SweepResult:
    """``lrscout.torch.sweep`` on a LightningModule; ``options`` are that function's keywords.

    The rate is chosen for a run of ``train_steps`` steps; given a ``trainer`` (or with the
    module attached to one) and no ``train_steps``, the run's length is the trainer's
    ``estimated_stepping_batches``.
    """
    if not isinstance(module, pl.LightningModule):
        raise InvalidConfigError(f"module must be a LightningModule, got {type(module).__name__}")
    if train_steps is None and lrs is None and options.get("planner") is None:
        attached = trainer if trainer is not None else getattr(module, "_trainer", None)
        train_steps = None if attached is None else run_length(attached)
        share = None if train_steps is None else share_for_a_read_run(train_steps, options.get("budget_share"))
        if share is not None:    # a short run read from the trainer: the smallest search
            options = {**options, "budget_share": share}
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
                     batch_loss=training_step_loss, lrs=lrs, steps=steps, train_steps=train_steps, **options)


class LRScoutCallback(pl.Callback):
    """Sweep at the start of ``Trainer.fit`` and train at the chosen learning rate."""

    def __init__(self, *, lrs: Sequence[float] | None = None, steps: int | None = None, apply: bool = True,
                 train_steps: int | None = None, **options: Any) -> None:
        self.lrs = lrs
        self.steps = steps
        self.apply = apply
        self.train_steps = train_steps
        self.options = options
        self.result: SweepResult | None = None

    def on_train_start(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule") -> None:
        # the run the rate is for: the one this trainer is about to train, unless told otherwise
        self.result = sweep_lightning(pl_module, trainer.train_dataloader, val_dataloaders=trainer.val_dataloaders,
                                      lrs=self.lrs, steps=self.steps, trainer=trainer, train_steps=self.train_steps,
                                      **self.options)
        chosen = self.result.chosen_lr
        if not self.apply or chosen is None or len(trainer.optimizers) != 1:
            return
        schedulers = [config.scheduler for config in trainer.lr_scheduler_configs]
        unchanged = set_chosen_rate(trainer.optimizers[0], schedulers, chosen)
        if unchanged is not None:
            warnings.warn(f"lrscout: the chosen lr {chosen:g} was not applied: {unchanged}", stacklevel=2)
            return
        if self.result.group_lrs:
            apply_group_rates(trainer.optimizers[0], pl_module, self.result, schedulers=schedulers)
