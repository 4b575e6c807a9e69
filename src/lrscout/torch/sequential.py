"""Sequential engine: one candidate after another, with the user's own optimizer class.

Works for any model and any optimizer. Each candidate starts from ``Workbench.reset`` (the
shared starting weights and random state), builds a fresh optimizer at its lr and trains on
the shared batches. A step: zero the gradients; for each micro-batch, forward under autocast
and backward of loss / accumulation_steps (scaled when fp16 needs a GradScaler); record the
mean micro-batch loss; stop here, before updating, if the stop rule says so (a NaN/inf loss
always does); otherwise unscale, measure, clip to ``max_grad_norm`` when one is set (as
``torch.nn.utils.clip_grad_norm_`` does) and step.

``run`` takes the lr per step, so the LR range test reuses it with a rising lr.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch

from ..core.pruning import DivergencePruner
from ..core.types import Trace
from . import measures
from .state import ModuleState, RngState
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
        return self.run_from(lr_at, steps, stop)[0]

    def run_from(self, lr_at: Callable[[int], float], steps: int, stop: StopRule,
                 resume: SeqState | None = None) -> tuple[Run, SeqState | None]:
        """``run``, from the shared start or from ``resume`` (a state ``run_from`` returned), to
        ``steps`` steps in all; also the state to go on from (None once stopped or failed)."""
        bench = self.bench
        t0 = 0 if resume is None else len(resume.record.losses)
        schedule = bench.steps(steps)[t0:]     # before reset: pulling from a DataLoader draws random numbers
        bench.reset()
        record = Run() if resume is None else resume.record
        optimizer = bench.optimizer.build(lr_at(t0))
        scaler = bench.options.grad_scaler()
        previous_update: torch.Tensor | None = None     # the last update, flattened: (1, n)
        if resume is not None:
            resume.model.load_into(bench.model)
            optimizer.load_state_dict(copy.deepcopy(resume.optimizer))
            if scaler is not None and resume.scaler is not None:
                scaler.load_state_dict(resume.scaler)
            previous_update = None if resume.previous is None else resume.previous.to(bench.options.device)
            resume.rng.restore()
        params = [p for p in bench.model.parameters() if p.requires_grad]
        accumulation = bench.options.accumulation_steps
        try:
            for i, micro_batches in enumerate(schedule):
                t = t0 + i
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
                grad_norm = measures.norms(g.unsqueeze(0) for g in grads)
                record.grad_norm.append(float(grad_norm[0]))     # before clipping, as clip_grad_norm_ returns it
                if not math.isfinite(loss_value) or stop(t, loss_value):
                    record.stopped = True
                    break
                scale = bench.options.clip_scale(grad_norm)
                if scale is not None:     # once per step, on the accumulated (and unscaled) gradient
                    for p in params:
                        if p.grad is not None:
                            p.grad.mul_(scale.to(p.grad.dtype))
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
        if record.stopped or record.error is not None:
            return record, None
        # kept off the device: a search may hold several candidates between rounds
        state = SeqState(ModuleState.capture(bench.model, device=torch.device("cpu")),
                         _to_cpu(optimizer.state_dict()), None if scaler is None else scaler.state_dict(),
                         None if previous_update is None else previous_update.detach().cpu(), record,
                         math.nan, RngState.capture(bench.options.device))
        return record, state

    def train(self, lrs: Sequence[float], steps: int, pruner: DivergencePruner | None) -> list[Trace]:
        return self.advance(lrs, steps, pruner)[0]

    def advance(self, lrs: Sequence[float], steps: int, pruner: DivergencePruner | None,
                resume: Sequence[SeqState | None] | None = None) -> tuple[list[Trace], list[SeqState | None]]:
        """Train each rate to ``steps`` steps, from the shared start or from its ``resume`` state;
        each rate's whole trace so far, and its state to go on from (None once stopped)."""
        traces, states = [], []
        for k, lr in enumerate(lrs):
            earlier = None if resume is None else resume[k]
            start: list[float] = [] if earlier is None else [earlier.start]

            def stop(t: int, loss: float, start: list[float] = start) -> bool:
                if not start:
                    start.append(loss)
                return pruner is not None and pruner.stop_one(start[0], loss)

            def lr_at(_t: int, lr: float = lr) -> float:
                return lr

            record, state = self.run_from(lr_at, steps, stop, earlier)
            if state is not None:
                state.start = start[0] if start else math.nan
            val = None
            if record.error is None and not record.stopped:
                try:
                    out = self.bench.val_loss(lambda batch: self.bench.objective(batch).unsqueeze(0))
                    val = None if out is None else float(out[0])
                except Exception as exc:
                    record.error = f"validation raised {type(exc).__name__}: {exc}"
                    state = None
            traces.append(to_trace(lr, record, val))
            states.append(state)
        return traces, states


@dataclass
class SeqState:
    """One candidate between two ``run_from`` calls, kept in CPU memory: its parameters and
    buffers, its optimizer's (and fp16 scaler's) state, its last update, its curves so far, its
    first loss and the random state after its last step."""

    model: ModuleState
    optimizer: dict
    scaler: dict | None
    previous: torch.Tensor | None
    record: Run
    start: float
    rng: RngState


def _to_cpu(value: Any) -> Any:
    """An optimizer's state dict with every tensor copied to the CPU (loading moves them back)."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_cpu(v) for v in value)
    return copy.deepcopy(value)


def to_trace(lr: float, record: Run, val: float | None) -> Trace:
    return Trace(lr=lr, train_loss=np.array(record.losses), val_loss=val,
                 grad_norm=np.array(record.grad_norm), update_cosine=np.array(record.update_cosine),
                 update_ratio=np.array(record.update_ratio), pruned=record.stopped, error=record.error)
