"""How to build one candidate's optimizer at a learning rate, from what the user has.

Three ways in, one way out (``OptimizerSpec.build(lr)``, over the working copy's parameters):

- an optimizer **instance** (the one the user trains with): rebuilt with the same class,
  parameter groups (mapped to the working copy by parameter name), hyperparameters and
  state (deep-copied, so the user's moments are never written). The candidate lr is the
  largest group's lr; every group keeps its ratio to it (a 0.1x backbone group stays 0.1x).
- a **factory** ``(params, lr) -> Optimizer``: called with the working copy's parameters.
  Checked once: it must honour ``lr`` (group lrs proportional to it) and must only hold the
  parameters it was given (a closure over the user's ``model.parameters()`` would train the
  user's model). Groups keep whatever ratios the factory gives them.
- an optimizer **class** plus ``optimizer_kwargs``: ``cls(params, lr=lr, **kwargs)``.

During a run the lr is changed with ``set_lr``, which scales every group by the same ratios.
"""

from __future__ import annotations

import copy
import inspect
import math
from typing import Any, Callable, Mapping

import torch

from ..errors import InvalidConfigError

Factory = Callable[[list[torch.nn.Parameter], float], torch.optim.Optimizer]
_PROBE_LRS = (1e-3, 1e-2)


def _group_lrs(optimizer: torch.optim.Optimizer) -> list[float]:
    return [float(g["lr"]) for g in optimizer.param_groups]


def _accepted_kwargs(cls: type[Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The defaults its constructor accepts (AdamW's defaults hold a flag its __init__ does not)."""
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return dict(values)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return dict(values)
    return {k: v for k, v in values.items() if k in params}


class OptimizerSpec:
    def __init__(self, factory: Factory, working: torch.nn.Module, kind: str, name: str) -> None:
        self._factory = factory
        self._working = working
        self.kind = kind
        self.name = name
        self.ratios = self._check_factory()

    # -- the three ways in -------------------------------------------------------------------
    @classmethod
    def from_user(cls, optimizer: Any, optimizer_kwargs: Mapping[str, Any] | None, user_model: torch.nn.Module,
                  working: torch.nn.Module) -> "OptimizerSpec":
        kwargs = dict(optimizer_kwargs or {})
        if issubclass(optimizer if isinstance(optimizer, type) else type(optimizer), torch.optim.LBFGS):
            raise InvalidConfigError("LBFGS steps with a closure that re-evaluates the loss several times per step; "
                                     "lrscout steps once per batch without one, so it cannot sweep LBFGS (its "
                                     "line search chooses the step size anyway). Sweep SGD, Adam or AdamW instead")
        if isinstance(optimizer, torch.optim.Optimizer):
            if kwargs:
                raise InvalidConfigError("optimizer_kwargs go with an optimizer class, not an optimizer instance")
            return cls(_rebuild_factory(optimizer, user_model, working), working, "instance",
                       type(optimizer).__name__)
        if isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer):
            if "lr" in kwargs:
                raise InvalidConfigError("optimizer_kwargs must not hold 'lr': the sweep sets it")
            unknown = sorted(set(kwargs) - set(_accepted_kwargs(optimizer, kwargs)))
            if unknown:
                raise InvalidConfigError(f"optimizer_kwargs: {optimizer.__name__} takes no argument(s) "
                                         f"{', '.join(map(repr, unknown))}; check the names against its signature")
            # an optimizer class takes the rate as ``lr`` (the base class's __init__ does not)
            opt_cls: Callable[..., torch.optim.Optimizer] = optimizer

            def from_class(params: list[torch.nn.Parameter], lr: float) -> torch.optim.Optimizer:
                return opt_cls(params, lr=lr, **kwargs)

            return cls(from_class, working, "class", optimizer.__name__)
        if callable(optimizer):
            if kwargs:
                raise InvalidConfigError("optimizer_kwargs go with an optimizer class; a factory sets its own")
            return cls(optimizer, working, "factory", getattr(optimizer, "__name__", type(optimizer).__name__))
        raise InvalidConfigError(
            f"optimizer must be a torch.optim.Optimizer, an optimizer class (with optimizer_kwargs) or a factory "
            f"(params, lr) -> Optimizer, got {type(optimizer).__name__}")

    # -- building ------------------------------------------------------------------------------
    def _call(self, lr: float) -> torch.optim.Optimizer:
        try:
            opt = self._factory(list(self._working.parameters()), lr)
        except InvalidConfigError:
            raise
        except Exception as exc:
            raise InvalidConfigError(f"the optimizer {self.kind} {self.name!r} raised when built with lr={lr:g}: "
                                     f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(opt, torch.optim.Optimizer):
            raise InvalidConfigError(f"the optimizer {self.kind} {self.name!r} returned {type(opt).__name__}, "
                                     "not a torch.optim.Optimizer")
        return opt

    def _check_factory(self) -> tuple[float, ...]:
        """Check the factory once; return each group's lr as a ratio to the candidate lr."""
        low, high = (self._call(lr) for lr in _PROBE_LRS)
        own = {id(p) for p in self._working.parameters()}
        for group in low.param_groups:
            if any(id(p) not in own for p in group["params"]):
                raise InvalidConfigError(
                    f"the optimizer {self.kind} {self.name!r} holds parameters it was not given (a closure over "
                    "model.parameters()?); build it from the params argument, so the user's model is never trained")
        lows, highs = _group_lrs(low), _group_lrs(high)
        scale = _PROBE_LRS[1] / _PROBE_LRS[0]
        if not all(math.isclose(h, scale * lo, rel_tol=1e-9) for lo, h in zip(lows, highs)) or max(lows) <= 0:
            raise InvalidConfigError(
                f"the optimizer {self.kind} {self.name!r} ignores its lr argument: built with lr={_PROBE_LRS[0]:g} "
                f"and lr={_PROBE_LRS[1]:g} its group lrs were {lows} and {highs}; pass lr on, e.g. "
                "lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9)")
        return tuple(lo / _PROBE_LRS[0] for lo in lows)

    def build(self, lr: float) -> torch.optim.Optimizer:
        """A fresh optimizer over the working copy's parameters at candidate lr ``lr``."""
        opt = self._call(lr)
        self.set_lr(opt, lr)       # a float-exact lr per group, whatever the factory computed
        return opt

    def set_lr(self, optimizer: torch.optim.Optimizer, lr: float) -> None:
        for group, ratio in zip(optimizer.param_groups, self.ratios):
            group["lr"] = lr * ratio

    def scaled(self, scale_of: Callable[[torch.nn.Parameter], tuple[str | None, float]]) -> "OptimizerSpec":
        """The same optimizer with each parameter group split by named group, each part's rates
        multiplied by its group's factor: ``scale_of(param) -> (group name, factor)``. The
        per-group search trains these; candidate lrs still scale every part together."""
        def build(params: list[torch.nn.Parameter], lr: float) -> torch.optim.Optimizer:
            optimizer = self._call(lr)
            split_param_groups(optimizer, scale_of)
            return optimizer

        return OptimizerSpec(build, self._working, self.kind, self.name)

    def describe(self) -> Mapping[str, Any]:
        return {"optimizer": self.name, "optimizer_from": self.kind,
                "param_group_lr_ratios": [float(f"{r:.6g}") for r in self.ratios]}


def _rebuild_factory(optimizer: torch.optim.Optimizer, user_model: torch.nn.Module,
                     working: torch.nn.Module) -> Factory:
    """A factory that rebuilds ``optimizer`` over the working copy, ratios and state included."""
    names = {id(p): n for n, p in user_model.named_parameters(remove_duplicate=False)}
    groups: list[tuple[list[str], dict[str, Any]]] = []
    for i, group in enumerate(optimizer.param_groups):
        missing = [tuple(p.shape) for p in group["params"] if id(p) not in names]
        if missing:
            raise InvalidConfigError(f"the optimizer's parameter group {i} holds {len(missing)} tensor(s) that are "
                                     f"not parameters of the model (shapes {missing[:3]}); build the optimizer over "
                                     "model.parameters()")
        groups.append(([names[id(p)] for p in group["params"]],
                       {k: v for k, v in group.items() if k != "params"}))
    # a scheduler keeps each group's base rate as "initial_lr": a warm-up may have set "lr" to 0 for now
    lrs = [float(h.get("initial_lr", h["lr"])) for _, h in groups]
    reference = max(lrs)
    if reference <= 0:
        raise InvalidConfigError(f"every parameter group of the optimizer has lr 0 ({lrs}); nothing would train")
    ratios = [lr / reference for lr in lrs]
    state = copy.deepcopy(optimizer.state_dict()) if optimizer.state else None
    cls = type(optimizer)
    defaults = _accepted_kwargs(cls, optimizer.defaults)

    def rebuild(params: list[torch.nn.Parameter], lr: float) -> torch.optim.Optimizer:
        by_name = dict(working.named_parameters(remove_duplicate=False))
        param_groups = [{**hyper, "params": [by_name[n] for n in group_names], "lr": lr * ratio}
                        for (group_names, hyper), ratio in zip(groups, ratios)]
        try:
            opt = cls(param_groups, **defaults)
        except Exception as exc:
            raise InvalidConfigError(
                f"cannot rebuild {cls.__name__} from its parameter groups and defaults ({type(exc).__name__}: "
                f"{exc}); pass a factory instead: optimizer=lambda params, lr: {cls.__name__}(params, lr=lr, ...)"
            ) from exc
        if state is not None:
            # load a copy each time: the user's moment buffers must never be updated in place
            opt.load_state_dict(copy.deepcopy(state))
            for group, ratio in zip(opt.param_groups, ratios):
                group["lr"] = lr * ratio
        return opt

    return rebuild


# Every rate a torch scheduler keeps in a parameter group: a scheduler reads its own copy, so
# scaling only "lr" would be undone at its next step.
GROUP_RATES = ("lr", "initial_lr", "max_lr", "min_lr")
GROUP_TAG = "lrscout_group"     # the named group a split parameter group belongs to


def split_param_groups(optimizer: torch.optim.Optimizer,
                       scale_of: Callable[[torch.nn.Parameter], tuple[str | None, float]]) -> list[tuple[int, float]]:
    """Split every parameter group of ``optimizer`` in place by named group, and scale each part.

    ``scale_of(param)`` gives the parameter's named group (``None``: none) and the factor for its
    rates. Each part keeps its group's other hyperparameters (a no-decay group stays no-decay),
    is tagged with ``GROUP_TAG``, and has every rate in ``GROUP_RATES`` multiplied by the factor.
    The optimizer's state is keyed by parameter, so it stays valid. Returns, for each new
    group, the index of the group it came from and its factor (a scheduler's per-group lists
    follow them).
    """
    new_groups: list[dict[str, Any]] = []
    parents: list[tuple[int, float]] = []
    for index, group in enumerate(optimizer.param_groups):
        parts: dict[str | None, tuple[float, list[torch.nn.Parameter]]] = {}
        for p in group["params"]:
            name, factor = scale_of(p)
            if name in parts and parts[name][0] != factor:
                raise InvalidConfigError(f"parameter group {name!r} was given two factors ({parts[name][0]:g} and "
                                         f"{factor:g})")
            parts.setdefault(name, (factor, []))[1].append(p)
        for name, (factor, params) in parts.items():
            part = {k: v for k, v in group.items() if k != "params"}
            for key in GROUP_RATES:
                if isinstance(part.get(key), torch.Tensor):      # a tensor lr (capturable optimizers)
                    part[key] = part[key] * factor
                elif isinstance(part.get(key), (int, float)):
                    part[key] = float(part[key]) * factor
            part["params"] = params
            if name is not None:
                part[GROUP_TAG] = name
            new_groups.append(part)
            parents.append((index, factor))
    optimizer.param_groups[:] = new_groups      # the same list object: wrappers that proxy it see the split
    return parents
