"""A learning rate per named parameter group: search each group's ratio to the chosen rate.

Fine-tuning trains parts of a model at different rates: a pretrained body slower than a new
head, a base model slower than its adapters. ``lrscout.torch.sweep(..., groups={"head":
model.head, "body": model.body})`` first chooses the rate as usual (every group at the same
rate, or at the ratios your optimizer already gives them). Then, with the first group held at
that rate, each other group is trained at ``group_ratios`` of it (default 1, 1/3, 1/10, 1/30),
everything else as in the sweep: the same start, the same batches, the same window. Each of
those runs is read like any candidate and the group's rate is chosen by the same rule
(``lrscout.choose``): the largest good one, re-checked on validation loss, so a smaller rate
wins only when it validates better by more than ``thresholds.val_margin``. Groups after the
second are searched one at a time, each with the ratios already chosen for the ones before it.

A group is given as a submodule of the model, a parameter-name prefix (``"bert"`` matches
``bert.*``), a predicate ``name -> bool``, or a list of these; a parameter belongs to the first
group that names it, and every trainable parameter must belong to one (a last group
``lambda name: True`` takes the rest).

``lrscout.torch.apply_group_rates(optimizer, model, result)`` (``lrscout.torch.rates``) gives
an optimizer and its schedulers the chosen per-group rates.
"""

from __future__ import annotations

import copy
import math
from dataclasses import replace
from typing import Any, Callable, Mapping, Sequence

import torch

from ..core.analysis import read_curves
from ..errors import InvalidConfigError
from ..core.pruning import DivergencePruner
from ..core.result import SweepResult
from ..core.selection import choose
from ..core.thresholds import Thresholds
from ..core.types import Candidate, GroupRate, ratio_text
from .sequential import SequentialEngine
from .state import preserved
from .workbench import resolve_model

DEFAULT_GROUP_RATIOS = (1.0, 1 / 3, 1 / 10, 1 / 30)


def _describe_spec(spec: Any) -> str:
    if isinstance(spec, torch.nn.Module):
        return f"a {type(spec).__name__} module"
    return f"{spec!r:.60}"


def _matcher(name: str, spec: Any, user_model: torch.nn.Module | None) -> Callable[[str], bool]:
    """``param name -> bool`` for one group's spec (see the module docstring for the forms)."""
    if isinstance(spec, torch.nn.Module):
        if user_model is None:
            raise InvalidConfigError(f"groups[{name!r}] is a module, but the model was given as a factory, so its "
                                     "modules cannot be found in it: name the group by a parameter-name prefix "
                                     "(e.g. 'classifier') or a predicate (lambda name: ...) instead")
        members = {id(p) for p in spec.parameters()}
        names = {n for n, p in user_model.named_parameters() if id(p) in members}
        if not names:
            raise InvalidConfigError(f"groups[{name!r}] is a {type(spec).__name__} module that holds no parameter of "
                                     "the model; pass a submodule of the model you sweep (e.g. model.classifier)")
        return names.__contains__
    if isinstance(spec, str):
        if not spec:
            raise InvalidConfigError(f"groups[{name!r}] is an empty prefix; give a parameter-name prefix such as "
                                     "'classifier', or lambda name: True for every parameter")
        prefix: str = spec

        def under(n: str) -> bool:
            return n == prefix or n.startswith(prefix + ".")
        return under
    if isinstance(spec, (list, tuple)) and spec:
        parts = [_matcher(name, s, user_model) for s in spec]
        return lambda n: any(part(n) for part in parts)
    if callable(spec) and not isinstance(spec, type):
        def predicate(n: str) -> bool:
            try:
                return bool(spec(n))
            except Exception as exc:
                raise InvalidConfigError(f"groups[{name!r}]: the predicate raised on parameter {n!r} "
                                         f"({type(exc).__name__}: {exc})") from exc
        return predicate
    raise InvalidConfigError(f"groups[{name!r}] must be a submodule of the model, a parameter-name prefix, a "
                             f"predicate name -> bool or a non-empty list of these, got {_describe_spec(spec)}")


def resolve_groups(groups: Any, model: Any, working: torch.nn.Module) -> dict[str, tuple[str, ...]]:
    """Each named group's trainable parameters (names, in the model's order); checked: at least
    two groups, each holding a parameter, every trainable parameter in one."""
    if not isinstance(groups, Mapping) or len(groups) < 2:
        raise InvalidConfigError(f"groups must be a dict of at least two named parameter groups, e.g. "
                                 f"{{'head': model.classifier, 'body': model.bert}}, got {groups!r:.80}")
    bad = [k for k in groups if not isinstance(k, str) or not k]
    if bad:
        raise InvalidConfigError(f"groups: every group needs a non-empty name (a str), got {bad[0]!r}")
    user_model = resolve_model(model) if isinstance(model, torch.nn.Module) else None
    matchers = {name: _matcher(name, spec, user_model) for name, spec in groups.items()}
    members: dict[str, list[str]] = {name: [] for name in groups}
    unclaimed = []
    for pname, p in working.named_parameters():
        if not p.requires_grad:
            continue
        owner = next((g for g, match in matchers.items() if match(pname)), None)
        if owner is None:
            unclaimed.append(pname)
        else:
            members[owner].append(pname)
    if unclaimed:
        shown = ", ".join(unclaimed[:4]) + (f" and {len(unclaimed) - 4} more" if len(unclaimed) > 4 else "")
        raise InvalidConfigError(f"groups: {len(unclaimed)} trainable parameter(s) belong to no group ({shown}); add "
                                 "them to a group, or end with a group that takes the rest: 'rest': lambda name: True")
    empty = [g for g, names in members.items() if not names]
    if empty:
        raise InvalidConfigError(f"groups[{empty[0]!r}] holds no trainable parameter (those it names are frozen or "
                                 "claimed by an earlier group); check its prefix, module or predicate")
    return {g: tuple(names) for g, names in members.items()}


def check_ratios(ratios: Any) -> tuple[float, ...]:
    """The ratios to try, largest first: positive, finite, distinct numbers."""
    try:
        values = [float(r) for r in ratios]
    except (TypeError, ValueError):
        raise InvalidConfigError(f"group_ratios must be a sequence of positive numbers such as (1, 1/3, 1/10, 1/30), "
                                 f"got {ratios!r:.80}") from None
    if not values or any(not (math.isfinite(r) and r > 0) for r in values):
        raise InvalidConfigError(f"group_ratios must be positive finite numbers, at least one, got {values}")
    if len(set(values)) != len(values):
        raise InvalidConfigError(f"group_ratios holds a ratio twice: {values}")
    return tuple(sorted(values, reverse=True))


def _scale_by_name(working: torch.nn.Module, members: Mapping[str, Sequence[str]],
                   factors: Mapping[str, float]) -> Callable[[torch.nn.Parameter], tuple[str | None, float]]:
    by_id = {id(p): n for n, p in working.named_parameters()}
    group_of = {pname: g for g, names in members.items() for pname in names}

    def scale_of(p: torch.nn.Parameter) -> tuple[str | None, float]:
        group = group_of.get(by_id.get(id(p), ""))
        return (group, factors[group]) if group is not None else (None, 1.0)

    return scale_of


def search_groups(problem: Any, result: SweepResult, members: Mapping[str, tuple[str, ...]],
                  ratios: tuple[float, ...], steps: int | None, thresholds: Thresholds, prune: bool) -> SweepResult:
    """``result`` with a rate per named group (``result.groups``), searched on ``problem``'s setup
    (a ``TorchProblem``); see the module docstring for the rule. Each ratio trains ``steps`` steps,
    or (``None``) the window the chosen rate was read over; its steps join ``result.cost``."""
    names = list(members)
    base = result.chosen_lr
    if base is None:
        why = ("not searched: the sweep chose no rate to search the groups' ratios from "
               "(see the decision's advice)",)
        return replace(result, groups=tuple(GroupRate(n, None, None, members[n], why) for n in names))
    bench = problem.bench
    steps = steps if steps is not None else (result.window_of(base) or 100)
    pruner = DivergencePruner(thresholds.diverge_ratio) if prune else None
    factors = {n: 1.0 for n in names}
    rates = [GroupRate(names[0], base, 1.0, members[names[0]],
                       (f"the first group trains at the sweep's chosen rate, {base:.3g}; the others' ratios to it "
                        "were searched",))]
    trained = 0
    with preserved(bench.options.device, problem.num_threads):
        for name in names[1:]:
            traces = []
            for ratio in ratios:
                trial = copy.copy(bench)     # the same model copy, start and batches; another optimizer
                trial.optimizer = bench.optimizer.scaled(_scale_by_name(bench.model, members,
                                                                        {**factors, name: ratio}))
                trace = SequentialEngine(trial).train([base], steps, pruner)[0]
                traces.append(replace(trace, lr=base * ratio))
                trained += trace.steps_used
            candidates = tuple(Candidate(t, v) for t, v in zip(traces, read_curves(traces, thresholds)))
            ratio_of = {t.lr: r for t, r in zip(traces, ratios)}
            decision = choose(candidates, thresholds)
            if decision.lr is not None and decision.lr == max(c.lr for c in candidates):
                # the group's largest rate is the one the sweep chose, so choose's "the largest rate
                # tried: extend the grid upward" (selection.choose) is not advice here
                decision = replace(decision, advice=tuple(a for a in decision.advice if "largest rate tried" not in a))
            tried = ", ".join(f"{ratio_text(c.lr / base)} {c.kind.value}" for c in candidates)
            if decision.lr is None:
                reasons = (f"{name} keeps the chosen rate, {base:.3g}: no ratio read good ({tried})",
                           *decision.reasons)
            else:
                factors[name] = ratio_of[decision.lr]
                reasons = (f"{name} trains at {decision.lr:.3g}, {ratio_text(factors[name])} of the chosen rate "
                           f"(tried {tried}, the other groups at their chosen rates)", *decision.reasons)
            rates.append(GroupRate(name, base * factors[name], factors[name], members[name], reasons, candidates,
                                   decision))
    config = {**result.config, "group_ratios": [float(r) for r in ratios], "group_search_steps": trained}
    return replace(result, groups=tuple(rates), config=config, cost={**result.cost, "groups": trained})
