"""A plain PyTorch training loop: the one that judges every learning rate.

Hindsight, evaluation and Optuna's trials all train through ``train_run``, so a learning rate
is scored the same way whichever finder proposed it. The seed fixes the initial weights and
the order of the mini-batches (a private generator, reshuffled each epoch; a last partial
batch is dropped) and dropout's draws. CPU-only and single-threaded, so a run is bit-for-bit
repeatable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .tasks import Task, Tensors

VAL_CHUNK = 1024     # rows per validation forward pass (bounds the language models' logits in memory)


@dataclass(frozen=True)
class RunOutcome:
    """Validation and training-split loss before and after training, and how many steps ran."""

    init_val: float
    final_val: float
    steps: int
    init_train: float
    final_train: float

    @property
    def diverged(self) -> bool:
        """The training blew up: a non-finite loss, or a training loss that ended above where it
        started. (A run that fits its training rows and ends with a validation loss above the
        untrained model's has overfitted, not diverged: its regret is large but finite.)"""
        return not (math.isfinite(self.final_val) and math.isfinite(self.final_train)) \
            or self.final_train > self.init_train


def batches(data: Tensors, batch_size: int, steps: int, seed: int):
    """``steps`` shuffled mini-batches of ``data``, epoch after epoch."""
    x, y = data
    size = min(batch_size, x.shape[0])
    generator = torch.Generator().manual_seed(seed)
    served = 0
    while True:
        order = torch.randperm(x.shape[0], generator=generator)
        for start in range(0, x.shape[0] - size + 1, size):
            if served == steps:
                return
            idx = order[start:start + size]
            yield x[idx], y[idx]
            served += 1


@torch.no_grad()
def mean_loss(task: Task, model: torch.nn.Module, data: Tensors) -> float:
    """Row-weighted mean loss over ``data`` in eval mode."""
    model.eval()
    x, y = data
    total = 0.0
    for start in range(0, x.shape[0], VAL_CHUNK):
        xb, yb = x[start:start + VAL_CHUNK], y[start:start + VAL_CHUNK]
        total += float(task.loss_fn(model(xb), yb)) * xb.shape[0]
    model.train()
    return total / x.shape[0]


def train_run(task: Task, lr: float, seed: int, *, steps: int | None = None, train: Tensors | None = None,
              val: Tensors | None = None, ratio: float = 1.0) -> RunOutcome:
    """Train a fresh ``task`` model at ``lr`` (default: the full budget on the task's own split).

    ``ratio``: the task's named groups after the first train at ``ratio`` x ``lr`` (a per-group
    pick). A task with a ``run`` of its own (the Trainer task) trains through it; the plain loop
    stops at the first non-finite loss: nothing afterwards can recover.
    """
    steps = task.steps if steps is None else steps
    train = task.train if train is None else train
    val = task.val if val is None else val
    if ratio != 1.0 and not task.groups:
        raise ValueError(f"{task.name} has no named parameter groups to give a ratio of {ratio:g}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)      # dropout draws from the global generator: seed it, so a run repeats
        if task.run is not None:
            return task.run(task, lr, seed, steps, train, val, ratio)
        return _train(task, lr, seed, steps, train, val, ratio)


def param_groups(task: Task, model: torch.nn.Module, lr: float, ratio: float) -> list[dict]:
    """The model's parameters by the task's named groups: the first at ``lr``, the others at ``ratio`` x ``lr``."""
    if ratio == 1.0:
        return [{"params": list(model.parameters()), "lr": lr}]
    named = list(model.named_parameters())
    groups = [{"params": [p for n, p in named if n.startswith(prefix + ".")], "lr": lr * (1.0 if k == 0 else ratio)}
              for k, (_, prefix) in enumerate(task.groups)]
    if sum(len(g["params"]) for g in groups) != len(named):
        raise ValueError(f"{task.name}: the groups {task.groups} do not cover every parameter exactly once")
    return groups


def _train(task: Task, lr: float, seed: int, steps: int, train: Tensors, val: Tensors, ratio: float) -> RunOutcome:
    model = task.make_model(seed)
    optimizer = task.make_optimizer(param_groups(task, model, lr, ratio), lr)
    init_val, init_train = mean_loss(task, model, val), mean_loss(task, model, train)
    done = 0
    for xb, yb in batches(train, task.batch_size, steps, seed):
        loss = task.loss_fn(model(xb), yb)
        if not torch.isfinite(loss):
            return RunOutcome(init_val, math.inf, done, init_train, math.inf)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        done += 1
    final, final_train = mean_loss(task, model, val), mean_loss(task, model, train)
    return RunOutcome(init_val, final if math.isfinite(final) else math.inf, done, init_train,
                      final_train if math.isfinite(final_train) else math.inf)
