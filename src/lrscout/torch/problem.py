"""``TorchProblem``: a PyTorch model, optimizer, loss and data as an lrscout ``Problem``.

It is one more problem at the edge of the core: ``lrscout.sweep(TorchProblem(...))`` runs the
core planner, curve reading and choice unchanged. ``train(lrs, steps)`` restores the shared
start before every candidate and runs them on the engine ``mode`` picks (see
``lrscout.torch.mode``). ``describe()`` reports the setup (thread count, device, optimizer
and its group ratios) and ``run_info()`` the engine that ran and why, which the core sweep
merges into the result's ``config`` once training is done.

Guarantees, whatever happens (tests/torch/test_state.py proves them bit for bit): the user's
model (parameters, buffers, gradients, train/eval flags), the user's optimizer (state,
hyperparameters), the torch/CUDA/NumPy/Python random states and torch's thread count are as
before once a call returns or raises. Nothing is written to disk.
"""

from __future__ import annotations

import hashlib
import warnings
from typing import Any, Callable, Mapping, Sequence

import torch

from ..core.grids import check_grid
from ..core.pruning import DivergencePruner
from ..core.types import Trace
from .._validation import positive_int
from ..errors import InvalidConfigError
from .mode import PROBE_SPAN, Engine, FallbackWarning, ModeChoice, check_mode, choose_mode
from .options import SetupOptions
from .range_test import RangeOptions, run_range_test
from .sequential import SequentialEngine
from .state import preserved
from .vectorized import VectorizedEngine, vectorizable
from .workbench import Workbench


class TorchProblem:
    """Train candidates of a PyTorch setup; see ``lrscout.torch.sweep`` for every argument."""

    def __init__(self, model: Any, optimizer: Any, loss_fn: Callable[..., Any] | None = None,
                 train_data: Any = None, *, setup: SetupOptions | None = None, **options: Any) -> None:
        """``options`` are ``lrscout.torch.sweep``'s keywords that set up the search (the fields of
        ``SetupOptions``: ``val_data``, ``batch_size``, ``seed``, ``device``, ``mode``, ...), or
        pass them built as ``setup=``."""
        if setup is not None and options:
            raise InvalidConfigError(f"give setup= or the options themselves, not both (got setup and "
                                     f"{', '.join(sorted(options))})")
        setup = setup if setup is not None else SetupOptions(**options)
        self.mode = check_mode(setup.mode)
        self.chunk_size = None if setup.chunk_size is None else positive_int("chunk_size", setup.chunk_size)
        self.compile = bool(setup.compile)
        self.cuda_graphs = bool(setup.cuda_graphs)
        self.num_threads = None if setup.num_threads is None else positive_int("num_threads", setup.num_threads)
        with preserved(setup.device, self.num_threads):
            self.bench = Workbench(model, optimizer, loss_fn, train_data, setup)
        if self.cuda_graphs and self.bench.options.device.type != "cuda":
            raise InvalidConfigError(f"cuda_graphs=True needs a CUDA device, got device {self.bench.options.device}")
        self.choice: ModeChoice | None = None
        self._engine: Engine | None = None
        self._probe = True

    def train(self, lrs: Sequence[float], steps: int, *, pruner: DivergencePruner | None = None) -> list[Trace]:
        check_grid(lrs, where="lrs")
        lrs = [float(lr) for lr in lrs]                     # keep the caller's order
        steps = positive_int("steps", steps)
        with preserved(self.bench.options.device, self.num_threads):
            engine = self._engine_for(lrs)
            if isinstance(engine, SequentialEngine):
                return engine.train(lrs, steps, pruner)
            return self._vectorized(engine, lrs, steps, pruner)

    def setup_steps(self, candidates: int) -> int:
        """Training steps the first ``train`` call of ``candidates`` rates spends before training them:
        the auto mode's timing probe, where it will run (a budgeted search plans around it)."""
        if self._engine is not None or self.mode != "auto" or not self._probe:
            return 0
        with preserved(self.bench.options.device, self.num_threads):
            runs_vectorized = not isinstance(vectorizable(self.bench), str)
        k = min(candidates, self.chunk_size or candidates)
        return PROBE_SPAN * (k + 1) if runs_vectorized and candidates > 0 else 0

    def cohort(self) -> "TorchCohort":
        """Candidates that keep their state between calls, so a search can train them further
        (``lrscout.problem.Cohort``): the vectorized engine keeps each candidate's rows of the
        stacked weights and optimizer state, the sequential engine a copy of the model and the
        optimizer's state in CPU memory."""
        return TorchCohort(self)

    def range_curve(self, min_lr: float, max_lr: float, steps: int,
                    stop_factor: float) -> tuple[list[float], list[float]]:
        """One LR range test on this setup (``RunsRangeTest``; ``lrscout.torch.range_test``'s run,
        exponential ramp): the rate and the training loss of every step it trained."""
        with preserved(self.bench.options.device, self.num_threads):
            test = run_range_test(self.bench, RangeOptions(min_lr, max_lr, steps, "exp", stop_factor))
        return [float(x) for x in test.lrs], [float(x) for x in test.losses]

    def skip_setup(self) -> None:
        """Choose the engine without the timing probe (a search too small to pay for it)."""
        self._probe = False

    def _engine_for(self, lrs: list[float]) -> Engine:
        if self._engine is None:
            self.choice, self._engine = choose_mode(self.mode, self.bench, lrs, chunk_size=self.chunk_size,
                                                    compile=self.compile, cuda_graphs=self.cuda_graphs,
                                                    timed=self._probe)
        return self._engine

    def _vectorized(self, engine: VectorizedEngine, lrs: list[float], steps: int,
                    pruner: DivergencePruner | None) -> list[Trace]:
        size = (self.choice.chunk_size if self.choice else None) or len(lrs)
        traces: list[Trace] = []
        for i in range(0, len(lrs), size):
            chunk = lrs[i:i + size]
            try:
                traces.extend(engine.train(chunk, steps, pruner))
            except Exception as exc:
                # vmap cannot tell which candidate raised: rerun these one by one, so only the
                # failing one is recorded as failed and the others still count
                warnings.warn(f"lrscout: the vectorized step raised ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0][:160] if str(exc) else ''}); rerunning "
                              f"{len(chunk)} candidate(s) sequentially", FallbackWarning, stacklevel=3)
                traces.extend(SequentialEngine(self.bench).train(chunk, steps, pruner))
        return traces

    def describe(self) -> Mapping[str, Any]:
        """How the problem is set up (known before training: the core uses it as the journal key)."""
        return {**self.bench.describe(), "mode_requested": self.mode, "compile": self.compile,
                "cuda_graphs": self.cuda_graphs,
                "torch_threads": self.num_threads if self.num_threads is not None else torch.get_num_threads(),
                "torch_threads_set_by": "lrscout (num_threads)" if self.num_threads is not None
                else "the environment (pass num_threads to set it)"}

    def run_info(self) -> Mapping[str, Any]:
        """What the first ``train`` call decided: the engine, why, and the probe's timings."""
        if self.choice is None:
            return {"mode": None, "mode_reason": "no candidate has been trained yet"}
        return self.choice.describe()


    def fingerprint(self) -> str:
        """A digest of the starting weights and the first training batch, so a journal resumed on
        another model or other data is caught."""
        digest = hashlib.sha256()
        for name, tensor in sorted(self.bench.initial.tensors.items()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
        with preserved(self.bench.options.device, self.num_threads):
            first = self.bench.steps(1)[0][0]
        for tensor in _tensors(first):
            digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
        return "sha256:" + digest.hexdigest()


def _tensors(batch: Any) -> list[torch.Tensor]:
    if isinstance(batch, torch.Tensor):
        return [batch]
    if isinstance(batch, dict):
        return [t for k in sorted(batch) for t in _tensors(batch[k])]
    if isinstance(batch, (list, tuple)):
        return [t for item in batch for t in _tensors(item)]
    return []


class TorchCohort:
    """A ``TorchProblem``'s candidates, each continuing from its own state (``lrscout.problem.Cohort``).

    ``train_to(lrs, steps)`` brings every rate to ``steps`` steps: a new rate starts from the
    shared start, one seen before goes on from where it stopped, on the batches that follow.
    Rates at the same step train together on the problem's engine (chunked as ``train`` does;
    a vectorized chunk that raises is trained again sequentially from the start).
    """

    def __init__(self, problem: TorchProblem) -> None:
        self.problem = problem
        self._states: dict[float, Any] = {}       # lr -> engine state to go on from (None: stopped)
        self._traces: dict[float, Trace] = {}

    def train_to(self, lrs: Sequence[float], steps: int, *, pruner: DivergencePruner | None = None) -> list[Trace]:
        check_grid(lrs, where="lrs")
        steps = positive_int("steps", steps)
        rates = [float(lr) for lr in lrs]
        problem = self.problem
        with preserved(problem.bench.options.device, problem.num_threads):
            engine = problem._engine_for(rates)
            groups: dict[int, list[float]] = {}
            for lr in rates:
                trace = self._traces.get(lr)
                done = 0 if trace is None else trace.steps_used
                if trace is None or (self._states.get(lr) is not None and done < steps):
                    groups.setdefault(done, []).append(lr)
            for done, group in sorted(groups.items()):
                self._advance(engine, group, steps, pruner, fresh=done == 0)
        return [self._traces[lr] for lr in rates]

    def _advance(self, engine: Engine, group: list[float], steps: int, pruner: DivergencePruner | None,
                 fresh: bool) -> None:
        resume = None if fresh else [self._states[lr] for lr in group]
        if isinstance(engine, SequentialEngine):
            self._keep(group, *engine.advance(group, steps, pruner, resume))
            return
        size = (self.problem.choice.chunk_size if self.problem.choice else None) or len(group)
        for i in range(0, len(group), size):
            chunk = group[i:i + size]
            try:
                self._keep(chunk, *engine.advance(chunk, steps, pruner, None if resume is None else resume[i:i + size]))
            except Exception as exc:
                warnings.warn(f"lrscout: the vectorized step raised ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0][:160] if str(exc) else ''}); rerunning "
                              f"{len(chunk)} candidate(s) sequentially from the start", FallbackWarning, stacklevel=4)
                self._keep(chunk, *SequentialEngine(self.problem.bench).advance(chunk, steps, pruner))

    def _keep(self, lrs: list[float], traces: list[Trace], states: list[Any]) -> None:
        for lr, trace, state in zip(lrs, traces, states, strict=True):
            self._traces[lr] = trace
            self._states[lr] = state
