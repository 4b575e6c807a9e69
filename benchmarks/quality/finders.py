"""Learning-rate finders: lrscout and the tools people use, one small adapter each.

Every adapter gets the task, a fresh model built from the finder seed and that seed (which
also orders its mini-batches), and sees only the task's training split: finders that validate
(lrscout's sweep, Optuna) use the inner split ``Task.inner_split`` carved from it, and train on
the rest. Each returns the chosen lr (``None``: no pick), the training steps it ran and what
else it reported; ``run_finder`` adds the wall time and turns an exception into a recorded
error, so one failing finder never stops the suite. Settings are each tool's defaults unless
stated; their output is silenced.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from .pool import quiet_loggers
from .tasks import Task, Tensors, get_task
from .training import train_run

RANGE_STEPS = 100          # every range test ramps over 100 steps (each tool's default)
OPTUNA_TRIALS = 12
OPTUNA_STEPS = 100         # a trial trains as long as one lrscout candidate
OPTUNA_RANGE = (1e-5, 10.0)
OPTUNA_PENALTY = 1e12      # the score of a trial whose loss became NaN/inf (TPE ranks, so any large value works)


@dataclass
class Found:
    """What an adapter returns."""

    lr: float | None
    steps: int
    info: dict[str, Any] = field(default_factory=dict)
    ratio: float = 1.0         # a per-group pick: the task's other named groups train at ratio x lr


@dataclass
class FinderRun:
    """One finder on one task with one seed."""

    finder: str
    task: str
    seed: int
    lr: float | None
    wall_s: float
    steps: int
    info: dict[str, Any]
    error: str | None = None
    ratio: float = 1.0


def _loader(data: Tensors, batch_size: int, seed: int) -> DataLoader:
    """Shuffled mini-batches in a seeded order, full batches only (as lrscout and the evaluation use)."""
    return DataLoader(TensorDataset(*data), batch_size=batch_size, shuffle=True, drop_last=True,
                      generator=torch.Generator().manual_seed(seed))


# ------------------------------------------------------------------------------ lrscout

def lrscout_sweep(task: Task, model: nn.Module, seed: int, steps: int | None = None, train_steps: bool = False,
                  **options: Any) -> Found:
    """``lrscout.torch.sweep`` with its defaults (the budgeted search: 300 steps at most, its
    choice read over windows of up to 100 steps, auto engine). ``train_steps=True`` tells it the
    task's budget (``lrscout-train-steps``: at most 30% of it); ``steps`` and ``options`` make
    the design variants below."""
    import lrscout.torch as lt

    import lrscout

    if task.run is not None:          # a task trained through its own loop (the Trainer): swept on it
        return lrscout_own_run(task, model, seed, steps, train_steps, **options)
    fit, inner = task.inner_split()
    search = options.pop("search", None)
    if search is not None:
        options["planner"] = lrscout.BudgetedSearch(**search)
    if options.pop("classic", False):        # the plan before the budget: every candidate 100 steps
        options["planner"], steps = lrscout.AdaptivePlanner(), 100
    result = lt.sweep(model, task.optimizer, task.loss_fn, fit, val_data=inner, batch_size=task.batch_size,
                      seed=seed, optimizer_kwargs=task.optimizer_kwargs, steps=steps,
                      train_steps=task.steps if train_steps else None, **options)
    return lrscout_found(result)


def lrscout_range(task: Task, model: nn.Module, seed: int, rule: str = "steepest") -> Found:
    """``lrscout.torch.range_test`` with its defaults (1e-7 to 10 over 100 steps); the pick is its
    ``rule`` suggestion: ``steepest`` (the rule the peers' range tests use) for ``lrscout-range``,
    the others under their own names, so the three rules can be compared."""
    import lrscout.torch as lt

    test = lt.range_test(model, task.optimizer, task.loss_fn, task.train, batch_size=task.batch_size, seed=seed,
                         optimizer_kwargs=task.optimizer_kwargs)
    info = {"suggestions": dict(test.suggestions), "reasons": dict(test.reasons), "stopped_early": test.stopped_early}
    return Found(test.suggestions.get(rule), int(test.lrs.size), info)


# ------------------------------------------------------------------------------ peers

def lightning(task: Task, model: nn.Module, seed: int) -> Found:
    """PyTorch Lightning's ``Tuner.lr_find`` (1e-8 to 1, 100 steps, early stop at 4x) ``.suggestion()``."""
    import pytorch_lightning as pl
    from pytorch_lightning.tuner import Tuner

    class Module(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = model
            self.lr = task.default_lr              # lr_find overwrites it; it is only the attribute's start

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            return task.loss_fn(self.net(batch[0]), batch[1])

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return task.make_optimizer(self.parameters(), self.lr)

    with tempfile.TemporaryDirectory() as tmp:
        trainer = pl.Trainer(accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                             enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp)
        finder = Tuner(trainer).lr_find(Module(), train_dataloaders=_loader(task.train, task.batch_size, seed),
                                        num_training=RANGE_STEPS)
    return Found(finder.suggestion(), len(finder.results["lr"]))


def torch_lr_finder(task: Task, model: nn.Module, seed: int) -> Found:
    """torch-lr-finder's ``range_test`` (1e-7 to 10, 100 steps, its README's start) and its
    steepest-gradient suggestion, which only ``plot(suggest_lr=True)`` computes (on an Agg figure)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from torch_lr_finder import LRFinder

    finder = LRFinder(model, task.make_optimizer(model.parameters(), 1e-7), task.loss_fn, device="cpu")
    finder.range_test(_loader(task.train, task.batch_size, seed), end_lr=10, num_iter=RANGE_STEPS)
    figure, axes = plt.subplots()
    try:
        _, lr = finder.plot(ax=axes, suggest_lr=True)
    finally:
        plt.close(figure)
    return Found(float(lr), len(finder.history["lr"]))


def fastai(task: Task, model: nn.Module, seed: int) -> Found:
    """fastai's ``Learner.lr_find`` (1e-7 to 10, 100 steps) ``valley`` suggestion, its default,
    with the task's torch optimizer wrapped by ``OptimWrapper``. Only the pieces of fastai that
    need no torchvision are imported."""
    from fastai.callback.schedule import valley
    from fastai.data.core import DataLoaders
    from fastai.learner import Learner
    from fastai.optimizer import OptimWrapper

    def opt_func(params: Any, lr: float) -> OptimWrapper:
        return OptimWrapper(params, task.optimizer, lr=lr, **task.optimizer_kwargs)

    _, inner = task.inner_split()
    # lr_find never validates (its callback cancels validation); fastai still wants a valid loader
    loaders = DataLoaders(_loader(task.train, task.batch_size, seed), DataLoader(TensorDataset(*inner)))
    with tempfile.TemporaryDirectory() as tmp:
        learner = Learner(loaders, model, loss_func=task.loss_fn, opt_func=opt_func, path=tmp)
        with learner.no_bar():
            found = learner.lr_find(num_it=RANGE_STEPS, show_plot=False, suggest_funcs=(valley,))
    return Found(float(found.valley), len(learner.recorder.lrs))


def optuna(task: Task, model: nn.Module, seed: int) -> Found:
    """Optuna's TPE (seeded), 12 trials of a log-uniform lr in 1e-5..10, each training the finder
    seed's model for 100 steps on the fit split and scored by the inner-validation loss.

    The ``model`` instance is not reused: every trial needs its own fresh copy of the same
    seed's weights, which ``train_run`` builds.
    """
    import optuna as op

    op.logging.set_verbosity(op.logging.WARNING)
    fit, inner = task.inner_split()
    steps = 0

    def objective(trial: Any) -> float:
        nonlocal steps
        lr = trial.suggest_float("lr", *OPTUNA_RANGE, log=True)
        outcome = train_run(task, lr, seed, steps=OPTUNA_STEPS, train=fit, val=inner)
        steps += outcome.steps
        # train_run stops at the first NaN/inf loss (the trial is pruned there); score it worst
        return outcome.final_val if math.isfinite(outcome.final_val) else OPTUNA_PENALTY

    study = op.create_study(direction="minimize", sampler=op.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=OPTUNA_TRIALS)
    trials = [{"lr": t.params["lr"], "inner_val": t.value} for t in study.trials]
    return Found(study.best_params["lr"], steps, {"trials": trials})


def inner_oracle(task: Task, model: nn.Module, seed: int) -> Found:
    """A reference, not a tool: every rate of the hindsight grid trained for the full budget on
    the fit split, the pick the best inner-validation loss. It is what a finder that judges on
    the inner split could pick at best, so its regret is the part of any such finder's regret
    that comes from the split, not from the finder's rule."""
    fit, inner = task.inner_split()
    steps = 0
    scored = []
    for lr in task.grid():
        outcome = train_run(task, lr, seed, train=fit, val=inner)
        steps += outcome.steps
        if not outcome.diverged:
            scored.append((outcome.final_val, lr))
    return Found(min(scored)[1] if scored else None, steps, {"inner_val": [(lr, v) for v, lr in sorted(scored)]})


def default(task: Task, model: nn.Module, seed: int) -> Found:
    """The optimizer's common default: no search."""
    return Found(task.default_lr, 0)


FINDERS: dict[str, Callable[[Task, nn.Module, int], Found]] = {
    "lrscout": lrscout_sweep,
    "lrscout-train-steps": functools.partial(lrscout_sweep, train_steps=True),
    "lrscout-50": functools.partial(lrscout_sweep, steps=50),
    # design variants of the budgeted search (benchmarks/quality/README.md, "What the search costs")
    "lrscout-classic": functools.partial(lrscout_sweep, classic=True),
    "lrscout-f2bracket": functools.partial(lrscout_sweep, search=dict(spacing=None)),
    "lrscout-f2bracket-ts": functools.partial(lrscout_sweep, train_steps=True, search=dict(spacing=None)),
    "lrscout-f2s2": functools.partial(lrscout_sweep, search=dict(long_runs_only=False)),
    "lrscout-f2s2-ts": functools.partial(lrscout_sweep, train_steps=True, search=dict(long_runs_only=False)),
    "lrscout-f3s18": functools.partial(lrscout_sweep, search=dict(finalists=3, spacing=1.78, long_runs_only=False)),
    "lrscout-f3s18-ts": functools.partial(lrscout_sweep, train_steps=True,
                                          search=dict(finalists=3, spacing=1.78, long_runs_only=False)),
    "lrscout-ts-m0": functools.partial(lrscout_sweep, train_steps=True,
                                       search=dict(long_runs_only=False, long_run_margin=0.0)),
    "lrscout-f2bracket-ts-m0": functools.partial(lrscout_sweep, train_steps=True,
                                                 search=dict(spacing=None, long_run_margin=0.0)),
    # a range test places the windows (BudgetedSearch(range_bracket=True)): 3 rates x3 apart below its edge
    "lrscout-rtb": functools.partial(lrscout_sweep, search=dict(range_bracket=True)),
    "lrscout-rtb-ts": functools.partial(lrscout_sweep, train_steps=True, search=dict(range_bracket=True)),
    # its variants: 3 rates x3 apart from the edge itself; 4 rates x2 apart from the edge
    "lrscout-rtb-t1": functools.partial(lrscout_sweep, search=dict(range_bracket=True, range_top=1.0)),
    "lrscout-rtb-t1-ts": functools.partial(lrscout_sweep, train_steps=True,
                                           search=dict(range_bracket=True, range_top=1.0)),
    "lrscout-rtb-r4": functools.partial(lrscout_sweep, search=dict(range_bracket=True, range_rates=4,
                                                                   range_ratio=2.0, range_top=1.0)),
    "lrscout-rtb-r4-ts": functools.partial(lrscout_sweep, train_steps=True,
                                           search=dict(range_bracket=True, range_rates=4, range_ratio=2.0,
                                                       range_top=1.0)),
    "lrscout-range": lrscout_range,
    "lrscout-range-valley": functools.partial(lrscout_range, rule="valley"),
    "lrscout-range-min10": functools.partial(lrscout_range, rule="min_over_10"),
    "lightning": lightning,
    "torch-lr-finder": torch_lr_finder,
    "fastai": fastai,
    "optuna": optuna,
    "default": default,
    "inner-oracle": inner_oracle,
}
# ------------------------------------------------------------------------------ fine-tuning (issue #16)

def lrscout_found(result: Any) -> Found:
    """A ``SweepResult`` as the benchmark records it; with per-group rates, the pick is the first
    group's rate and the others' ratio to it."""
    found = Found(result.chosen_lr, result.search_steps, {
        "candidates": [{"lr": c.lr, "verdict": c.kind.value, "reason": c.verdict.reason, "steps": c.steps_used,
                        "inner_val": c.val_loss if c.val_loss is not None and math.isfinite(c.val_loss) else None}
                       for c in result.candidates],
        "decision": list(result.decision.reasons) + [f"advice: {a}" for a in result.decision.advice],
        "findings": [f.kind.value for f in result.findings],
        "mode": result.config.get("mode"), "rounds": [list(r) for r in result.rounds],
        "round_windows": result.config.get("round_windows"), "cost": dict(result.cost),
        "candidate_steps": result.cost.get("candidates", 0),
        "probe_steps": result.cost.get("engine_probe", 0), "config": dict(result.config)})
    rates = result.group_lrs
    if result.chosen_lr is not None and len(rates) > 1:
        first, *others = rates.values()
        found.ratio = others[0] / first
        found.info["group_lrs"] = dict(rates)
        found.info["group_reasons"] = [r for g in result.groups for r in g.reasons]
    return found


def lrscout_own_run(task: Task, model: nn.Module, seed: int, steps: int | None, train_steps: bool,
                    **options: Any) -> Found:
    """lrscout on a task trained through ``transformers.Trainer``: ``lrscout.hf.sweep_trainer`` on
    a Trainer built as the task's full-budget runs build it (``finetune.make_trainer``), on the
    fit split with the inner split as its evaluation set. ``sweep_trainer`` chooses for the
    Trainer's run (``max_steps``) unless told ``train_steps=None``: ``lrscout`` and
    ``lrscout-groups`` pass None, as on every other task; ``lrscout-train-steps`` lets it read
    the run's length."""
    from lrscout.hf import sweep_trainer

    from .finetune import make_trainer

    if set(options) - {"groups"}:
        raise ValueError(f"the design variants ({sorted(options)}) are not run on the Trainer task")
    fit, inner = task.inner_split()
    if "groups" in options:        # the task names parameters from its wrapper; the Trainer trains wrapper.hf
        options["groups"] = {name: prefix.removeprefix("hf.") for name, prefix in options["groups"].items()}
    with tempfile.TemporaryDirectory() as tmp:
        trainer = make_trainer(task, model, task.default_lr, seed, task.steps, fit, inner, tmp)
        result = sweep_trainer(trainer, steps=steps, **({} if train_steps else {"train_steps": None}), **options)
    return lrscout_found(result)


def lrscout_groups(task: Task, model: nn.Module, seed: int) -> Found:
    """lrscout with a rate per named group (``groups=``: the fine-tuning tasks' head, then body),
    searched after the base rate at 1, 1/3, 1/10, 1/30 of it; on a task without named groups, the
    same as ``lrscout``."""
    if not task.groups:
        return lrscout_sweep(task, model, seed)
    return lrscout_sweep(task, model, seed, groups=dict(task.groups))


FINDERS["lrscout-groups"] = lrscout_groups


RANGE_TESTS = ("lightning", "torch-lr-finder", "fastai")     # the peers' range tests, for the cost ratio
REFERENCES = ("inner-oracle",)      # not tools: run only when named (it trains the whole grid per seed)


# the modules each finder imports (lrscout's own finders need nothing beyond lrscout and torch)
TOOL_MODULES: dict[str, tuple[tuple[str, str], ...]] = {
    "lightning": (("pytorch_lightning", "pytorch-lightning"),),
    "torch-lr-finder": (("torch_lr_finder", "torch-lr-finder"), ("matplotlib.pyplot", "matplotlib")),
    "fastai": (("fastai.learner", "fastai"), ("fastai.callback.schedule", "fastai")),
    "optuna": (("optuna", "optuna"),),
}


def import_tools(finders: Any = None) -> dict[str, str]:
    """Import the tools ``finders`` use (default: every tool) before any clock starts (a first
    import costs seconds); their versions. Naming only lrscout's finders needs no peer installed."""
    import importlib
    from importlib.metadata import version

    names = list(FINDERS) if finders is None else list(finders)
    modules = [("lrscout.torch", "lrscout")] + [m for name in names for m in TOOL_MODULES.get(name, ())]
    versions = {}
    for module, dist in modules:
        importlib.import_module(module)
        versions[dist] = version(dist)
    quiet_loggers()                 # after the imports: Lightning sets its loggers' levels when imported
    return versions


def run_finder(finder: str, task_name: str, seed: int) -> FinderRun:
    """Run one finder (a pool job): build the seed's model, time the adapter, catch its failure."""
    import_tools([finder])
    task = get_task(task_name)
    model = task.make_model(seed)
    threads = torch.get_num_threads()
    sink = io.StringIO()
    torch.manual_seed(seed)       # every tool's dropout draws follow the finder seed, so a run repeats
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            found = FINDERS[finder](task, model, seed)
        error = None
    except Exception as exc:                      # recorded, not raised: the suite goes on
        found = Found(None, 0, {"traceback": traceback.format_exc(limit=-3)})
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]
    wall = time.perf_counter() - start
    if torch.get_num_threads() != threads:        # a tool changed it: note it and restore for the next job
        found.info["threads_changed_to"] = torch.get_num_threads()
        torch.set_num_threads(threads)
    lr = found.lr if found.lr is not None and math.isfinite(found.lr) and found.lr > 0 else None
    return FinderRun(finder, task_name, seed, lr, wall, found.steps, found.info, error,
                     found.ratio if lr is not None else 1.0)
