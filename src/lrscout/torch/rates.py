"""Giving an optimizer and its schedulers the rates a sweep chose.

- ``set_chosen_rate(optimizer, schedulers, lr)``: the rate for a run that already has its
  optimizer (the Lightning and Hugging Face callbacks): every rate of every parameter group and
  every scheduler's base rates are multiplied by one factor, so that the largest group's peak
  is the chosen rate (the peak: ``OneCycleLR``'s ``max_lr``, another scheduler's
  ``initial_lr``, else the ``lr``); the ratios between groups and the schedule's shape are kept.
- ``apply_group_rates(optimizer, model, result)``: the per-group rates of a sweep with
  ``groups=``, by splitting the parameter groups by named group.
"""

from __future__ import annotations

from typing import Any, Iterable

import torch

from ..errors import InvalidConfigError
from ..core.types import GroupRate
from .optimizers import GROUP_RATES, GROUP_TAG, split_param_groups
from .workbench import resolve_model


def unwrap_optimizer(optimizer: Any) -> torch.optim.Optimizer:
    """The torch optimizer inside a wrapper that proxies its parameter groups (accelerate's
    ``AcceleratedOptimizer`` keeps it as ``.optimizer``)."""
    inner = getattr(optimizer, "optimizer", None)
    return inner if isinstance(inner, torch.optim.Optimizer) else optimizer


def unwrap_scheduler(scheduler: Any) -> Any:
    """The torch scheduler inside accelerate's ``AcceleratedScheduler`` (kept as ``.scheduler``)."""
    inner = getattr(scheduler, "scheduler", None)
    return inner if inner is not None and hasattr(inner, "base_lrs") else scheduler


def peak_key(optimizer: torch.optim.Optimizer) -> str:
    """The group entry that holds the schedule's peak rate, which the chosen lr replaces.

    ``OneCycleLR`` peaks at its ``max_lr``; other schedulers scale their ``initial_lr`` (a
    warm-up starts below it, so the current ``lr`` would overshoot it); without a scheduler
    the ``lr`` is the rate.
    """
    group = optimizer.param_groups[0]
    return next(name for name in ("max_lr", "initial_lr", "lr") if name in group)


def set_chosen_rate(optimizer: Any, schedulers: Iterable[Any], lr: float) -> str | None:
    """Scale every rate so the peak of the largest group is ``lr``; ``None`` when done, else the
    reason nothing was changed."""
    inner = unwrap_optimizer(optimizer)
    key = peak_key(inner)
    peak = max(float(g[key]) for g in inner.param_groups)
    if not peak > 0:
        return (f"the optimizer's '{key}' is {peak:g} in every parameter group, so there is no rate to scale to "
                f"the chosen {lr:g}")
    # lr * (rate / peak), not rate * (lr / peak): the peak group gets exactly lr
    for group in inner.param_groups:
        for name in GROUP_RATES:
            if isinstance(group.get(name), (int, float)):
                group[name] = lr * (float(group[name]) / peak)
    for scheduler in (s for top in schedulers for s in _schedulers_of(unwrap_scheduler(top))):
        for name in ("base_lrs", "max_lrs", "_last_lr"):     # max_lrs: CyclicLR's upper bounds
            rates = getattr(scheduler, name, None)
            if isinstance(rates, list):
                setattr(scheduler, name, [lr * (float(r) / peak) for r in rates])
    return None


# A scheduler's per-group lists: rates (scaled with their group) and rules (copied).
_SCHEDULER_RATES = ("base_lrs", "_last_lr", "max_lrs", "min_lrs")
_SCHEDULER_RULES = ("lr_lambdas",)


def _group_rates_of(source: Any) -> tuple[GroupRate, ...]:
    groups = getattr(source, "groups", source)
    if isinstance(groups, (list, tuple)) and groups and all(isinstance(g, GroupRate) for g in groups):
        return tuple(groups)
    raise InvalidConfigError("the rates must be a SweepResult of a sweep with groups=... (result.groups) or its "
                             f"GroupRate tuple, got {type(source).__name__} without per-group rates; sweep with "
                             "groups={'head': ..., 'body': ...} first")


def _schedulers_of(scheduler: Any) -> list[Any]:
    """A scheduler and those it drives (SequentialLR, ChainedScheduler)."""
    inner = getattr(scheduler, "_schedulers", None) or []
    return [scheduler] + [s for child in inner for s in _schedulers_of(child)]


def _check_scheduler(scheduler: Any, groups: int) -> None:
    """Refuse, before anything changes, a scheduler with per-group lists lrscout cannot split."""
    known = (*_SCHEDULER_RATES, *_SCHEDULER_RULES, "_schedulers", "_milestones", "_schedule_phases")
    unknown = [k for k, v in vars(scheduler).items() if isinstance(v, list) and len(v) == groups and k not in known]
    if unknown:
        raise InvalidConfigError(f"{type(scheduler).__name__} keeps per-group values in {unknown}, which lrscout does "
                                 "not know how to split by group; set the groups' rates yourself (result.group_lrs)")


def _split_scheduler(scheduler: Any, parents: list[tuple[int, float]], groups: int) -> None:
    """Make one scheduler's per-group lists follow the split groups (rates scaled by their factor)."""
    for key in (*_SCHEDULER_RATES, *_SCHEDULER_RULES):
        values = getattr(scheduler, key, None)
        if isinstance(values, list) and len(values) == groups:
            scale = key in _SCHEDULER_RATES
            setattr(scheduler, key, [values[i] * f if scale else values[i] for i, f in parents])


def apply_group_rates(optimizer: Any, model: Any, rates: Any, *, schedulers: Iterable[Any] = ()) -> Any:
    """Give ``optimizer`` the per-group rates of a sweep with ``groups=``; returns the optimizer.

    Every parameter group is split by named group (each part tagged ``"lrscout_group"``) and
    each part's rates (``lr``, and a scheduler's ``initial_lr``, ``max_lr``, ``min_lr``) are
    multiplied by its group's ratio to the chosen rate; other hyperparameters and the
    optimizer's state are kept. An optimizer at the chosen rate then trains each group at its
    own rate, and ``lrscout.schedules.to_torch`` (which keeps the ratios between groups) drives
    them all along one schedule. ``schedulers`` already built on the optimizer are split too
    (their base rates scaled the same way). ``model`` is the model the optimizer trains (the
    groups are stored by parameter name).
    """
    groups = _group_rates_of(rates)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise InvalidConfigError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    inner = unwrap_optimizer(optimizer)
    if any(GROUP_TAG in g for g in inner.param_groups):
        raise InvalidConfigError("the optimizer's groups are already split by named group (apply_group_rates ran on "
                                 "it before); applying the ratios again would multiply them twice")
    if any(g.ratio is None for g in groups):
        raise InvalidConfigError("the sweep chose no per-group rates (no base rate was chosen); nothing to apply")
    named = dict(resolve_model(model).named_parameters())
    missing = [p for g in groups for p in g.params if p not in named]
    if missing:
        raise InvalidConfigError(f"the model has no parameter named {missing[0]!r} ({len(missing)} of the groups' "
                                 "parameters are missing): pass the model that was swept")
    members = {g.name: g.params for g in groups}
    factors = {g.name: float(g.ratio) for g in groups if g.ratio is not None}
    by_model = {id(p): n for n, p in named.items()}
    group_of = {pname: g for g, names in members.items() for pname in names}

    def scale_of(p: torch.nn.Parameter) -> tuple[str | None, float]:
        group = group_of.get(by_model.get(id(p), ""))
        return (group, factors[group]) if group is not None else (None, 1.0)

    every = [s for scheduler in schedulers for s in _schedulers_of(unwrap_scheduler(scheduler))]
    before = len(inner.param_groups)
    for scheduler in every:
        _check_scheduler(scheduler, before)
    parents = split_param_groups(inner, scale_of)
    for scheduler in every:
        _split_scheduler(scheduler, parents, before)
    return optimizer
