"""Sequential engine: one candidate after another, with the user's own optimizer class.

Works for any model and any optimizer. Each candidate starts from ``Workbench.reset`` (the
shared starting weights and random state), builds a fresh optimizer at its lr and trains on
the shared batches. A step: zero the gradients; for each micro-batch, forward under autocast
and backward of loss / accumulation_steps (scaled when fp16 needs a GradScaler); record the
mean micro-batch loss; stop here, before updating, if the stop rule says so (a NaN/inf loss
always does); otherwise unscale, measure and step.

``run`` takes the lr per step, so the LR range test reuses it with a rising lr.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch

from ..core.pruning import DivergencePruner
from ..core.types import Trace
from . import measures
from .workbench import Workbench


@dataclass
class Run:
    """What one candidate did: per-step lr, loss and gradient statistics, and how it ended."""

    lrs: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    update_ratio: list[float] = field(default_factory=list)
    update_cosine: list[float] = field(default_factory=list)
    stopped: bool = False
    error: str | None = None


StopRule = Callable[[int, float], bool]


class SequentialEngine:
    def __init__(self, bench: Workbench) -> None:
        self.bench = bench

    def run(self, lr_at: Callable[[int], float], steps: int, stop: StopRule) -> Run:
        """Train one candidate from the shared start; a raising step ends the run with ``error``."""
        bench = self.bench
        schedule = bench.steps(steps)     # before reset: pulling from a DataLoader draws random numbers
        bench.reset()
        record = Run()
        optimizer = bench.optimizer.build(lr_at(0))
        scaler = bench.options.grad_scaler()
        params = [p for p in bench.model.parameters() if p.requires_grad]
        accumulation = bench.options.accumulation_steps
        previous_update: torch.Tensor | None = None     # the last update, flattened: (1, n)
        try:
            for t, micro_batches in enumerate(schedule):
                lr = lr_at(t)
                bench.optimizer.set_lr(optimizer, lr)
                optimizer.zero_grad(set_to_none=True)
                loss_sum = 0.0
                for batch in micro_batches:
                    with bench.options.autocast():
                        loss = bench.objective(batch)
                    scaled = loss / accumulation
                    (scaler.scale(scaled) if scaler is not None else scaled).backward()
                    loss_sum += float(loss.detach())
                loss_value = loss_sum / accumulation
                record.lrs.append(lr)
                record.losses.append(loss_value)
                if scaler is not None:
                    scaler.unscale_(optimizer)
                grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
                record.grad_norm.append(float(measures.norms(g.unsqueeze(0) for g in grads)[0]))
                if not math.isfinite(loss_value) or stop(t, loss_value):
                    record.stopped = True
                    break
                before = [p.detach().clone().unsqueeze(0) for p in params]
                if scaler is not None:
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    optimizer.step()
                ratio, cosine, previous_update = measures.update_stats(
                    before, [p.detach().unsqueeze(0) for p in params], previous_update)
                record.update_ratio.append(float(ratio[0]))
                if t > 0:
                    record.update_cosine.append(float(cosine[0]))
        except Exception as exc:   # a candidate's training failing is a result; the sweep goes on
            record.error = f"{type(exc).__name__}: {exc}"
        return record

    def train(self, lrs: Sequence[float], steps: int, pruner: DivergencePruner | None) -> list[Trace]:
        traces = []
        for lr in lrs:
            start: list[float] = []

            def stop(t: int, loss: float, start: list[float] = start) -> bool:
                if t == 0:
                    start.append(loss)
                return pruner is not None and pruner.stop_one(start[0], loss)

            def lr_at(_t: int, lr: float = lr) -> float:
                return lr

            record = self.run(lr_at, steps, stop)
            val = None
            if record.error is None and not record.stopped:
                try:
                    out = self.bench.val_loss(lambda batch: self.bench.objective(batch).unsqueeze(0))
                    val = None if out is None else float(out[0])
                except Exception as exc:
                    record.error = f"validation raised {type(exc).__name__}: {exc}"
            traces.append(to_trace(lr, record, val))
        return traces


def to_trace(lr: float, record: Run, val: float | None) -> Trace:
    return Trace(lr=lr, train_loss=np.array(record.losses), val_loss=val,
                 grad_norm=np.array(record.grad_norm), update_cosine=np.array(record.update_cosine),
                 update_ratio=np.array(record.update_ratio), pruned=record.stopped, error=record.error)
