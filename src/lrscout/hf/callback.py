"""``LRScoutCallback``: choose the learning rate at the start of ``Trainer.train()`` and train at it.

At ``on_train_begin`` the Trainer has built its optimizer and scheduler and no step has run.
The callback sweeps, then (``apply=True``) scales every rate of the optimizer's groups and the
scheduler's base rates by one factor so that the largest group's peak is the chosen rate (the
warm-up and decay keep their shape, the no-decay group its ratio), and with ``groups=`` gives
each named group its own rate (``lrscout.torch.apply_group_rates``). The model's weights and the
random state are left as they were, so training then runs exactly as it would have with that
rate in ``TrainingArguments``. With no good rate it leaves the Trainer's and says why.

Two ways to add it:

- ``Trainer(..., callbacks=[LRScoutCallback()])``: a callback is only handed the model, the
  optimizer, the scheduler, the training dataloader, ``args`` and ``state``. The loss is then
  the model's own (``outputs.loss``: what ``Trainer.compute_loss`` returns unless you override
  it, pass ``compute_loss_func`` or set ``label_smoothing_factor``), and validation needs
  ``val_data=`` (the Trainer builds its evaluation batches later).
- ``trainer.add_callback(LRScoutCallback(trainer))``: with the Trainer, the sweep is
  ``sweep_trainer``'s -- its ``compute_loss`` and its ``eval_dataset`` -- and the decision is
  also logged with ``trainer.log``, so every reporter (TensorBoard, W&B, MLflow...) gets it.

Either way the decision goes into ``state.log_history`` (numbers under ``lrscout/...``, and one
entry ``{"lrscout": "<decision and reasons>"}``), to the ``lrscout.hf`` Python logger, and
``callback.result`` keeps the ``SweepResult``.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping, Sequence

import torch
import transformers

from ..errors import InvalidConfigError
from ..core.result import SweepResult
from ..torch.optimizers import GROUP_TAG
from ..torch.rates import apply_group_rates, set_chosen_rate, unwrap_optimizer
from .trainer import Passes, args_config, args_defaults, sweep_setup, sweep_trainer

logger = logging.getLogger("lrscout.hf")


def model_loss(model: torch.nn.Module, batch: Any) -> Any:
    """The model's own loss on a batch of keyword inputs with labels (``outputs.loss``)."""
    outputs = model(**batch) if isinstance(batch, Mapping) else model(*batch)
    loss = outputs.get("loss") if isinstance(outputs, Mapping) else outputs[0]
    if loss is None:
        keys = sorted(batch) if isinstance(batch, Mapping) else f"{len(batch)} positional inputs"
        raise InvalidConfigError(f"{type(model).__name__} returned no loss for a batch with {keys}: the batches need "
                                 "labels, or give the callback the Trainer (LRScoutCallback(trainer)) so its "
                                 "compute_loss is used")
    return loss


class LRScoutCallback(transformers.TrainerCallback):
    """Sweep at ``on_train_begin`` and train at the chosen rate (see the module docstring).

    ``trainer``: the Trainer, when added with ``trainer.add_callback``; ``lrs``, ``steps`` and
    ``options`` (``lrscout.torch.sweep``'s keywords: ``val_data``, ``groups``, ``mode``, ...) shape
    the sweep, which chooses for the run's length (``state.max_steps``) unless ``options`` give
    ``train_steps`` (``None``: without one); ``apply=False`` only records the result.
    """

    def __init__(self, trainer: Any = None, *, lrs: Sequence[float] | None = None, steps: int | None = None,
                 apply: bool = True, **options: Any) -> None:
        if trainer is not None and not isinstance(trainer, transformers.Trainer):
            raise InvalidConfigError(f"trainer must be a transformers.Trainer or None, got {type(trainer).__name__}")
        self.trainer = trainer
        self.lrs = lrs
        self.steps = steps
        self.apply = apply
        self.options = options
        self.result: SweepResult | None = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        model, optimizer, scheduler = kwargs.get("model"), kwargs.get("optimizer"), kwargs.get("lr_scheduler")
        if self.trainer is not None:
            self.result = sweep_trainer(self.trainer, lrs=self.lrs, steps=self.steps, **self.options)
        else:
            self.result = self._sweep_from_events(args, state, model, optimizer, kwargs)
        message = self._apply(optimizer, scheduler, model)
        self._log(args, state, message)

    def _sweep_from_events(self, args: Any, state: Any, model: Any, optimizer: Any,
                           kwargs: Mapping[str, Any]) -> SweepResult:
        if getattr(args, "label_smoothing_factor", 0):
            raise InvalidConfigError(f"label_smoothing_factor={args.label_smoothing_factor} is applied by "
                                     "Trainer.compute_loss, which a callback cannot reach: add the callback with the "
                                     "Trainer, trainer.add_callback(LRScoutCallback(trainer))")
        if model is None or optimizer is None or kwargs.get("train_dataloader") is None:
            raise InvalidConfigError("the Trainer handed the callback no model, optimizer or training dataloader at "
                                     "on_train_begin; add it with the Trainer: trainer.add_callback("
                                     "LRScoutCallback(trainer))")
        evaluation = kwargs.get("eval_dataloader")
        config = {**args_config(args, int(state.max_steps), "state.max_steps (the Trainer's count)"),
                  "hf_optimizer_from": "the Trainer's optimizer", "hf_loss": "the model's outputs.loss",
                  "hf_validation": "val_data" if "val_data" in self.options else
                  "the Trainer's evaluation dataloader" if evaluation is not None else
                  "none: pass val_data= or add the callback with the Trainer"}
        return sweep_setup(model, unwrap_optimizer(optimizer), Passes(kwargs["train_dataloader"]),
                           None if evaluation is None else Passes(evaluation), model_loss, args_defaults(args),
                           config, self.lrs, self.steps, self.options)

    def _apply(self, optimizer: Any, scheduler: Any, model: Any) -> str:
        """Set the chosen rate(s) on the run; a sentence saying what was done."""
        assert self.result is not None
        chosen = self.result.chosen_lr
        if chosen is None:
            advice = " ".join(self.result.decision.advice) or "see the sweep's reasons"
            return f"no learning rate was good, so training keeps its own: {advice}"
        if not self.apply:
            return f"chose {chosen:g} (apply=False: training keeps its own rate)"
        if optimizer is None:
            return f"chose {chosen:g}, but the Trainer handed the callback no optimizer to set it on"
        schedulers = [] if scheduler is None else [scheduler]
        unchanged = set_chosen_rate(optimizer, schedulers, chosen)
        if unchanged is not None:
            return f"chose {chosen:g} but did not apply it: {unchanged}"
        if self.result.group_lrs:
            if any(GROUP_TAG in g for g in unwrap_optimizer(optimizer).param_groups):
                # a second train() reuses the optimizer the first one split: it cannot be split again
                return (f"training at {chosen:g}; the per-group rates were not applied again: the optimizer's "
                        "groups were split by an earlier run, whose ratios stay")
            apply_group_rates(optimizer, model, self.result, schedulers=schedulers)
            rates = ", ".join(f"{name} {lr:g}" for name, lr in self.result.group_lrs.items())
            return f"training at {chosen:g}, per parameter group: {rates}"
        return f"training at {chosen:g}"

    def _log(self, args: Any, state: Any, message: str) -> None:
        assert self.result is not None
        result = self.result
        numbers: dict[str, float] = {"lrscout/candidates": float(len(result.candidates)),
                                     "lrscout/search_steps": float(result.search_steps)}
        if result.chosen_lr is not None:
            numbers["lrscout/chosen_lr"] = result.chosen_lr
            numbers.update({f"lrscout/lr/{name}": lr for name, lr in result.group_lrs.items()})
        text = "; ".join([f"lrscout: {message}", result.horizon_note(), *result.decision.reasons,
                          *result.decision.advice,
                          *(r for g in result.groups for r in g.reasons)])
        if self.trainer is not None:
            self.trainer.log(dict(numbers))          # every reporter, and state.log_history
        else:
            state.log_history.append({**numbers, "step": state.global_step})
        state.log_history.append({"lrscout": text, "step": state.global_step})
        (logger.info if result.chosen_lr is not None else logger.warning)(text)
