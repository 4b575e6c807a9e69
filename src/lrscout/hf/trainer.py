"""``sweep_trainer(trainer)``: ``lrscout.torch.sweep`` on what a ``transformers.Trainer`` would train.

Everything is read through the Trainer's public API, and the Trainer is left as it was:

- the model: ``trainer.model`` (a copy trains, as in every lrscout sweep);
- the optimizer: ``trainer.optimizer`` when there is one (yours, from ``optimizers=``, or the
  one a run built), else the one ``trainer.create_optimizer()`` builds -- AdamW by default, with
  the Trainer's no-decay parameter groups, or ``optimizer_cls_and_kwargs`` / ``args.optim`` --
  after which ``trainer.optimizer`` is put back to ``None``, so ``train()`` builds its own;
- the batches: ``trainer.get_train_dataloader()`` (its sampler, batch size and collator) and,
  with an evaluation set, ``trainer.get_eval_dataloader()`` (the first of a dict of them);
- the loss: ``trainer.compute_loss(model, batch)``, so a subclass's loss or a
  ``compute_loss_func`` is what the sweep minimises;
- ``args``: ``seed``, ``gradient_accumulation_steps``, ``bf16``/``fp16`` (as ``amp``) and
  ``max_grad_norm`` (the sweep clips each candidate's gradients as the Trainer does; ``None``
  or a norm <= 0, which the Trainer does not clip with, gives no clipping); any
  ``lrscout.torch.sweep`` keyword passed to ``sweep_trainer`` wins over them.

The run's length (``args.max_steps``, else epochs x optimizer steps per epoch, as the Trainer
counts them) is passed to ``lrscout.torch.sweep`` as ``train_steps``: the rate is chosen for
that run and the search spends at most ``budget_share`` of it (``config["train_steps"]``,
``config["train_steps_from"]``). ``train_steps=N`` chooses for another length instead, and
``train_steps=None`` chooses without one (windows of ``steps``, as a plain sweep).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Iterator, Mapping, Sequence

import torch
import transformers

from ..errors import InvalidConfigError
from ..core.result import SweepResult
from ..core.search import DEFAULT_SHARE, MIN_BUDGET, search_budget, share_for_a_read_run
from ..torch.api import sweep as torch_sweep
from ..torch.rates import unwrap_optimizer

# what sweep_trainer reads from the Trainer itself
_FROM_TRAINER = ("model", "optimizer", "loss_fn", "train_data", "batch_loss")


class Passes:
    """A dataloader as lrscout pulls it, which can end the passes it leaves unfinished.

    A sweep pulls only the batches its window needs. accelerate's prepared dataloaders register
    with accelerate's process-wide gradient state when a pass starts and unregister when it
    ends; ``close`` ends the passes the sweep left open, so nothing of the sweep remains there.
    """

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self._unfinished: list[Iterator[Any]] = []

    @property
    def batch_size(self) -> Any:
        return getattr(self.loader, "batch_size", None)

    @property
    def generator(self) -> Any:
        return getattr(self.loader, "generator", None)

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[Any]:
        inner = iter(self.loader)
        self._unfinished.append(inner)
        yield from inner
        self._unfinished.remove(inner)

    def close(self) -> None:
        end = getattr(self.loader, "end", None)      # accelerate's DataLoaderStateMixin.end
        while self._unfinished:
            inner = self._unfinished.pop()
            close = getattr(inner, "close", None)
            if callable(close):
                close()
            if callable(end):
                end()


def run_length(args: Any, train_loader: Any) -> tuple[int | None, str]:
    """The optimizer steps a ``Trainer.train()`` with these ``args`` runs, and where the number
    comes from: ``args.max_steps`` when positive, else ``num_train_epochs`` x the optimizer
    steps in one pass (batches / gradient accumulation, rounded up); ``None`` when the loader
    has no length and ``max_steps`` is unset."""
    if args.max_steps is not None and args.max_steps > 0:
        return int(args.max_steps), "args.max_steps"
    try:
        batches = len(train_loader)
    except TypeError:
        return None, "unknown: the training data has no length and args.max_steps is not set"
    per_epoch = max(math.ceil(batches / args.gradient_accumulation_steps), 1)
    return math.ceil(args.num_train_epochs * per_epoch), (
        f"args.num_train_epochs ({args.num_train_epochs:g}) x {per_epoch} optimizer steps per epoch")


def trainer_clipping(args: Any) -> float | None:
    """The norm the Trainer clips gradients to, or None when it does not clip (it clips only when
    ``args.max_grad_norm`` is set and above 0)."""
    norm = getattr(args, "max_grad_norm", None)
    return float(norm) if norm is not None and norm > 0 else None


def args_defaults(args: Any) -> dict[str, Any]:
    """``lrscout.torch.sweep`` keywords from ``TrainingArguments``: seed, accumulation, mixed
    precision and gradient clipping."""
    amp = "bf16" if getattr(args, "bf16", False) else "fp16" if getattr(args, "fp16", False) else None
    return {"seed": int(args.seed), "accumulation_steps": int(args.gradient_accumulation_steps), "amp": amp,
            "max_grad_norm": trainer_clipping(args)}


def args_config(args: Any, run_steps: int | None, where: str) -> dict[str, Any]:
    """What the sweep records of ``args``: the run's length as read (``hf_run_steps``), its
    batch size, its clipping and the transformers version."""
    return {"hf_run_steps": run_steps, "hf_run_steps_from": where,
            "hf_batch_size": int(args.per_device_train_batch_size),
            "hf_max_grad_norm": float(args.max_grad_norm) if args.max_grad_norm is not None else None,
            "hf_max_grad_norm_note": ("the Trainer clips gradients to this norm, and so does the sweep "
                                      "(config['max_grad_norm'], unless max_grad_norm= was passed)"
                                      if trainer_clipping(args) is not None else
                                      "the Trainer does not clip gradients (max_grad_norm None or <= 0)"),
            "transformers_version": transformers.__version__}


def run_train_steps(config: Mapping[str, Any], lrs: Sequence[float] | None, steps: int | None,
                    options: Mapping[str, Any]) -> tuple[int | None, str, float | None]:
    """The ``train_steps`` the sweep is given, where it comes from, and the ``budget_share`` it
    needs (None: the caller's or the default): the caller's ``train_steps=`` (``None``
    included) when passed, else the run's length read from the Trainer -- checked here, so that
    a run too short for the search says where its length came from and how to choose without it.

    A run read from the Trainer that is too short for the default share gets the smallest
    search (``lrscout.core.search.share_for_a_read_run``)."""
    if "train_steps" in options:
        given = options["train_steps"]
        return given, "none: train_steps=None was passed" if given is None else "the caller (train_steps=)", None
    run_steps, where = config["hf_run_steps"], config["hf_run_steps_from"]
    if run_steps is None:
        return None, where, None
    share = None
    if lrs is None and options.get("planner") is None:
        share = share_for_a_read_run(run_steps, options.get("budget_share"))
        try:
            search_budget(steps, run_steps, share if share is not None else options.get("budget_share"))
        except InvalidConfigError as exc:
            raise InvalidConfigError(f"the Trainer's run is {run_steps} steps ({where}), which the choice is made "
                                     f"for: {exc}; or pass train_steps=None to choose without a run length") from None
    elif (100 if steps is None else steps) > run_steps:
        raise InvalidConfigError(f"steps={100 if steps is None else steps} is longer than the Trainer's run "
                                 f"({run_steps} steps, {where}): pass steps of at most {run_steps}, or "
                                 "train_steps=None to read the grid without a run length")
    return run_steps, where, share


def sweep_setup(model: Any, optimizer: Any, train: Passes, val: Passes | None,
                loss: Callable[[torch.nn.Module, Any], Any], defaults: Mapping[str, Any],
                config: Mapping[str, Any], lrs: Sequence[float] | None, steps: int | None,
                options: Mapping[str, Any]) -> SweepResult:
    """``lrscout.torch.sweep`` on a Trainer's pieces, for the run's length (``config["hf_run_steps"]``)
    unless ``options`` say ``train_steps``; the dataloaders' open passes are ended after."""
    reserved = sorted(set(options) & set(_FROM_TRAINER))
    if reserved:
        raise InvalidConfigError(f"{', '.join(reserved)} come from the Trainer; pass the other lrscout.torch.sweep "
                                 "options (val_data, mode, groups, ...), or call lrscout.torch.sweep yourself")
    try:
        train_steps, steps_from, share = run_train_steps(config, lrs, steps, options)
        keywords = {**defaults, **options, "train_steps": train_steps}
        if share is not None:
            keywords["budget_share"] = share
            steps_from += (f"; a run this short gets the smallest search, {MIN_BUDGET} steps "
                           f"({100 * share:.0f}% of it, over the default {100 * DEFAULT_SHARE:.0f}%)")
        val_data = keywords.pop("val_data", val)
        result = torch_sweep(model, optimizer, train_data=train, val_data=val_data, batch_loss=loss, lrs=lrs,
                             steps=steps, **keywords)
    finally:
        train.close()
        if val is not None:
            val.close()
    return dataclasses.replace(result, config={**result.config, **config, "train_steps_from": steps_from})


def _check_trainer(trainer: Any) -> transformers.Trainer:
    if not isinstance(trainer, transformers.Trainer):
        raise InvalidConfigError(f"trainer must be a transformers.Trainer, got {type(trainer).__name__}")
    if trainer.train_dataset is None:
        raise InvalidConfigError("the Trainer has no train_dataset: give Trainer(train_dataset=...) so the sweep has "
                                 "batches to train on")
    return trainer


def trainer_optimizer(trainer: transformers.Trainer) -> tuple[torch.optim.Optimizer, str]:
    """The optimizer a ``train()`` would use, and where it came from; the Trainer keeps what it had."""
    if trainer.optimizer is not None:
        return unwrap_optimizer(trainer.optimizer), "the Trainer's optimizer"
    try:
        built = trainer.create_optimizer()
    finally:
        trainer.optimizer = None          # train() builds its own, as it would have
    return unwrap_optimizer(built), "Trainer.create_optimizer()"


def trainer_loss(trainer: transformers.Trainer) -> Callable[[torch.nn.Module, Any], Any]:
    """A batch's loss as the Trainer computes it (a shallow copy of the batch: ``compute_loss``
    pops the labels when a label smoother or ``compute_loss_func`` is set)."""
    def loss(model: torch.nn.Module, batch: Any) -> Any:
        return trainer.compute_loss(model, dict(batch) if isinstance(batch, Mapping) else batch)
    return loss


def eval_loader(trainer: transformers.Trainer) -> tuple[Passes | None, str | None]:
    """The Trainer's evaluation batches (the first set of a dict of them) and which set it is."""
    if trainer.eval_dataset is None:
        return None, None
    if isinstance(trainer.eval_dataset, Mapping):
        if not trainer.eval_dataset:
            return None, None
        name = next(iter(trainer.eval_dataset))
        where = f"eval_dataset[{name!r}] (the first of {len(trainer.eval_dataset)})"
        return Passes(trainer.get_eval_dataloader(name)), where
    return Passes(trainer.get_eval_dataloader()), "eval_dataset"


def sweep_trainer(trainer: Any, *, lrs: Sequence[float] | None = None, steps: int | None = None,
                  **options: Any) -> SweepResult:
    """Sweep learning rates on a ``transformers.Trainer``'s own setup; returns the usual ``SweepResult``.

    The rate is chosen for the Trainer's run (``train_steps``: ``args.max_steps``, or epochs x
    optimizer steps per epoch); ``steps`` caps the longest window read (with ``lrs``, the
    grid's window: 100 by default). ``options`` are ``lrscout.torch.sweep``'s keywords
    (``train_steps``, ``budget_share``, ``val_data``, ``mode``, ``groups``, ``val_batches``,
    ...); they win over what the Trainer's ``args`` say. The module docstring
    lists what is read from the Trainer; the Trainer, its model and its optimizer are left
    exactly as they were.
    """
    trainer = _check_trainer(trainer)
    optimizer, optimizer_from = trainer_optimizer(trainer)
    train = Passes(trainer.get_train_dataloader())
    val, val_from = eval_loader(trainer)
    train_steps, where = run_length(trainer.args, train)
    config = {**args_config(trainer.args, train_steps, where), "hf_trainer": type(trainer).__name__,
              "hf_optimizer_from": optimizer_from, "hf_loss": f"{type(trainer).__name__}.compute_loss",
              "hf_validation": val_from or "none (the Trainer has no eval_dataset)"}
    return sweep_setup(trainer.model, optimizer, train, val, trainer_loss(trainer), args_defaults(trainer.args),
                       config, lrs, steps, options)
