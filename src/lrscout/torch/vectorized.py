"""Vectorized engine: K candidates in one batched computation with ``torch.func``.

The working model's trained parameters are stacked into tensors with a leading K dimension;
``vmap(grad_and_value(functional_call(objective, ...)))`` gives every candidate's loss and
gradient in one call, and ``optim_rules.StackedOptimizer`` applies torch.optim's update with a
per-candidate lr vector; with ``max_grad_norm``, each candidate's gradients are first scaled
by its own clipping factor (its total norm over its rows alone, as the sequential engine's).
Untrained parameters and buffers are shared, unbatched. Random ops
use ``randomness="same"``: every candidate draws the same dropout mask, as the sequential
engine's candidates do (they all restart from one random state).

Losses go to the host every ``sync_every`` steps (every step on CPU, where it is free; every
8 on a GPU, to keep it busy). A candidate whose loss is NaN/inf or that the pruner stops is
cut at that step: its trace ends there and its rows are removed from the stacked tensors at
the next sync, so its values never mix with the others' (candidates are independent under
vmap, and a stopped one no longer costs compute). On a GPU the step can be compiled
(``compile=True``) or captured as a CUDA graph (``cuda_graphs=True``: torch.compile's
"reduce-overhead" mode); shapes only change when candidates stop.

``vectorizable`` gives the stacked rule, or says in one sentence why a setup cannot run here
(the caller falls back to the sequential engine): another optimizer, optimizer state, mixed
precision or gradient accumulation (sequential only), or layers vmap cannot batch --
BatchNorm in training mode updates its running statistics in place.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch
from torch.func import functional_call, grad_and_value, vmap

from ..core.pruning import DivergencePruner
from ..core.types import Trace
from . import measures
from .optim_rules import StackedOptimizer, rule_for
from .sequential import Run, to_trace
from .state import RngState
from .workbench import Workbench

Tensors = dict[str, torch.Tensor]


@dataclass
class VecState:
    """One candidate between two ``advance`` calls: its parameters and optimizer state (its rows
    of the stacked tensors), its last update, its curves so far, its first loss and the random
    state after its last step."""

    params: Tensors
    state: Tensors
    previous: torch.Tensor | None
    record: Run
    start: float
    rng: RngState
# new params, new optimizer state, update, loss, grad norm, update/param ratio, update cosine
StepResult = tuple[Tensors, Tensors, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


def stacked_rule(bench: Workbench) -> StackedOptimizer | str:
    names = {id(p): n for n, p in bench.objective.named_parameters(remove_duplicate=False)}
    return rule_for(bench.optimizer.build(1.0), names, bench.optimizer.ratios)


def vectorizable(bench: Workbench) -> StackedOptimizer | str:
    """The stacked update rule when this setup can run vectorized, else one sentence saying why not."""
    if bench.options.amp is not None:
        return "mixed precision runs on the sequential engine"
    if bench.options.accumulation_steps > 1:
        return "gradient accumulation runs on the sequential engine"
    for name, module in bench.model.named_modules():
        if isinstance(getattr(module, "running_mean", None), torch.Tensor):
            return (f"{type(module).__name__} layer {name!r} updates its running statistics in place in "
                    "training mode, which vmap cannot batch")
    shared = len(list(bench.model.named_parameters(remove_duplicate=False))) - len(list(bench.model.parameters()))
    if shared:
        return (f"the model ties {shared} parameter(s) to another layer's (shared weights), which the stacked "
                "update rules do not follow")
    rule = stacked_rule(bench)
    if isinstance(rule, str):
        return rule
    try:
        VectorizedEngine(bench, rule).probe()
    except Exception as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return f"vmap cannot batch this model ({type(exc).__name__}: {first_line[:160]})"
    return rule


class VectorizedEngine:
    def __init__(self, bench: Workbench, rule: StackedOptimizer, *, compile: bool = False,
                 cuda_graphs: bool = False, sync_every: int | None = None) -> None:
        self.bench = bench
        self.rule = rule
        self.cuda_graphs = cuda_graphs
        self.sync_every = sync_every or (1 if bench.options.device.type == "cpu" else 8)
        self._grad = vmap(grad_and_value(self._loss), in_dims=(0, None, None), randomness="same")
        self._eval = vmap(self._loss, in_dims=(0, None, None), randomness="same")
        self._compiled = compile or cuda_graphs
        self._step_fn = torch.compile(self._step, mode="reduce-overhead" if cuda_graphs else None) \
            if self._compiled else self._step

    # -- the batched computation ------------------------------------------------------------
    def _loss(self, trained: Tensors, shared: Tensors, batch: Any) -> torch.Tensor:
        return functional_call(self.bench.objective, (trained, shared), (batch,))

    def _step(self, params: Tensors, state: Tensors, previous: torch.Tensor | None, lr: torch.Tensor, batch: Any,
              step: int) -> StepResult:
        grads, loss = self._grad(params, self._shared, batch)
        names = list(params)
        grad_norm = measures.norms(grads[n] for n in names)      # (K,): each candidate's own total norm
        scale = self.bench.options.clip_scale(grad_norm)
        if scale is not None:
            grads = {n: g * scale.to(g.dtype).view(-1, *([1] * (g.dim() - 1))) for n, g in grads.items()}
        new_params, new_state = self.rule.step(params, grads, state, lr, step)
        ratio, cosine, update = measures.update_stats([params[n] for n in names], [new_params[n] for n in names],
                                                      previous)
        return new_params, new_state, update, loss.detach(), grad_norm, ratio, cosine

    def _start(self, k: int) -> tuple[Tensors, Tensors]:
        """Stacked copies of the starting weights; shared (unbatched) untrained tensors."""
        self.bench.reset()
        params, self._shared = {}, {}
        for name, p in self.bench.objective.named_parameters():
            if name in self.rule.rules:
                params[name] = p.detach().unsqueeze(0).expand(k, *p.shape).clone()
            else:
                self._shared[name] = p.detach()
        self._shared.update({n: b for n, b in self.bench.objective.named_buffers()})
        return params, self.rule.init_state(params)

    def probe(self) -> None:
        """One batched gradient for two candidates on the first batch, and one batched validation
        loss in eval mode without gradients (a different kernel for some layers, e.g. a GRU's):
        raises if vmap cannot run either."""
        batch = self.bench.steps(1)[0][0]
        params, _ = self._start(2)
        self._grad(params, self._shared, batch)
        self.bench.val_loss(lambda val_batch: self._eval(params, self._shared, val_batch), limit=1)
        self.bench.reset()

    def _call(self, *args: Any) -> tuple[Any, ...]:
        if self.cuda_graphs:
            torch.compiler.cudagraph_mark_step_begin()
        try:
            out: tuple[Any, ...] = self._step_fn(*args)
        except Exception as exc:
            if not self._compiled:
                raise
            warnings.warn(f"lrscout: the compiled vectorized step failed ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0][:160]}); running it eagerly", RuntimeWarning, stacklevel=3)
            self._step_fn, self._compiled, self.cuda_graphs = self._step, False, False
            out = self._step(*args)
        if self.cuda_graphs:   # a graph's outputs are overwritten by its next replay: keep copies
            out = tuple({k: v.clone() for k, v in o.items()} if isinstance(o, dict) else o.clone() for o in out)
        return out

    # -- a chunk of candidates --------------------------------------------------------------
    def train(self, lrs: Sequence[float], steps: int, pruner: DivergencePruner | None) -> list[Trace]:
        return self.advance(lrs, steps, pruner)[0]

    def advance(self, lrs: Sequence[float], steps: int, pruner: DivergencePruner | None,
                resume: Sequence[VecState] | None = None) -> tuple[list[Trace], list[VecState | None]]:
        """Train ``lrs`` to ``steps`` steps: from the shared start, or from ``resume`` (one state per
        rate, all at the same step). Returns each rate's whole trace so far, and its state to go on
        from (None for a rate that stopped)."""
        k = len(lrs)
        t0 = 0 if resume is None else len(resume[0].record.losses)
        schedule = self.bench.steps(steps)[t0:]     # before _start's reset: a DataLoader draws random numbers
        previous: torch.Tensor | None               # the last update, flattened: (K, n)
        if resume is None:
            params, state = self._start(k)
            previous = None
            records = [Run() for _ in lrs]
            start = np.full(k, np.nan)
        else:
            self._start(0)                           # the shared (untrained) tensors
            params = {n: torch.stack([r.params[n] for r in resume]) for n in resume[0].params}
            state = {n: torch.stack([r.state[n] for r in resume]) for n in resume[0].state}
            updates = [r.previous for r in resume if r.previous is not None]
            previous = torch.stack(updates) if len(updates) == len(resume) else None
            records = [r.record for r in resume]
            start = np.array([r.start for r in resume], dtype=np.float64)
            resume[0].rng.restore()                  # every candidate at this step drew the same numbers
        lr = torch.tensor(list(lrs), dtype=torch.float64, device=self.bench.options.device)
        rows = np.arange(k)                       # which candidate each stacked row holds
        pending: list[tuple[Any, ...]] = []
        for i, micro_batches in enumerate(schedule):
            t = t0 + i
            params, state, previous, loss, grad_norm, ratio, cosine = self._call(
                params, state, previous, lr, micro_batches[0], t + 1)
            pending.append((t, loss, grad_norm, ratio, cosine))
            if (i + 1) % self.sync_every and i + 1 < len(schedule):
                continue
            keep = self._record(pending, rows, records, start, pruner)
            pending.clear()
            if not keep.all():
                index = torch.as_tensor(np.flatnonzero(keep), device=lr.device)
                params, state = ({n: v.index_select(0, index) for n, v in d.items()} for d in (params, state))
                previous = None if previous is None else previous.index_select(0, index)
                lr, rows = lr.index_select(0, index), rows[keep]
            if rows.size == 0:
                break
        rng = RngState.capture(self.bench.options.device)
        val = np.full(k, np.nan)
        if rows.size:
            out = self.bench.val_loss(lambda batch: self._eval(params, self._shared, batch))
            if out is not None:
                val[rows] = out.cpu().numpy()
        has_val = self.bench.val_source is not None
        traces = [to_trace(lrs[i], records[i], float(val[i]) if has_val and not records[i].stopped else None)
                  for i in range(k)]
        states: list[VecState | None] = [None] * k
        for j, row in enumerate(rows.tolist()):
            i = int(row)
            states[i] = VecState({n: v[j] for n, v in params.items()}, {n: v[j] for n, v in state.items()},
                                 None if previous is None else previous[j], records[i], float(start[i]), rng)
        return traces, states

    @staticmethod
    def _record(pending: list[tuple[Any, ...]], rows: np.ndarray, records: list[Run], start: np.ndarray,
                pruner: DivergencePruner | None) -> np.ndarray:
        """Copy the pending steps to the host records; return which stacked rows go on."""
        alive = np.ones(rows.size, dtype=bool)
        for t, *values in pending:
            loss, grad_norm, ratio, cosine = (v.double().cpu().numpy() for v in values)
            idx = np.flatnonzero(alive)
            if t == 0:
                start[rows] = loss
            with np.errstate(invalid="ignore", over="ignore"):
                stop = pruner.should_stop(start[rows[idx]], loss[idx]) if pruner is not None \
                    else ~np.isfinite(loss[idx])
            for j, stopped in zip(idx, stop):
                rec = records[rows[j]]
                rec.losses.append(float(loss[j]))
                rec.grad_norm.append(float(grad_norm[j]))
                if stopped:
                    rec.stopped = True
                    alive[j] = False
                    continue
                rec.update_ratio.append(float(ratio[j]))
                if t > 0:
                    rec.update_cosine.append(float(cosine[j]))
        return alive
