"""torch.optim's SGD, Adam and AdamW update rules on stacked parameters, one lr per candidate.

The vectorized engine holds K candidates' parameters as tensors with a leading K dimension
and a learning-rate vector ``lr`` of shape (K,). ``StackedOptimizer.step`` applies, to every
candidate at once, the same arithmetic as the single-tensor code path of ``torch.optim``
(``torch/optim/sgd.py``, ``torch/optim/adam.py``; AdamW is Adam with decoupled weight decay):

SGD (momentum mu, dampening tau, weight decay lambda, Nesterov)::

    g = -g if maximize;  g = g + lambda * p
    b = g (first step)  or  b = mu * b + (1 - tau) * g
    g = g + mu * b (Nesterov)  or  g = b
    p = p - lr * g

Adam / AdamW (beta1, beta2, eps, weight decay lambda, step t)::

    g = -g if maximize
    p = p * (1 - lr * lambda) (AdamW)   or   g = g + lambda * p (Adam)
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g;  vmax = max(vmax, v) (AMSGrad)
    p = p - (lr / (1 - beta1^t)) * m / (sqrt(v or vmax) / sqrt(1 - beta2^t) + eps)

Each parameter uses its own group's hyperparameters and ``lr * ratio`` of its group, so
per-group learning-rate ratios and weight decays carry over. ``rule_for`` says why an
optimizer cannot be vectorized instead (another class, state from earlier training).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import torch

Tensors = dict[str, torch.Tensor]


@dataclass(frozen=True)
class SGDHyper:
    momentum: float
    dampening: float
    nesterov: bool
    weight_decay: float
    maximize: bool


@dataclass(frozen=True)
class AdamHyper:
    beta1: float
    beta2: float
    eps: float
    weight_decay: float
    decoupled: bool
    amsgrad: bool
    maximize: bool


@dataclass(frozen=True)
class ParamRule:
    ratio: float                    # this parameter's group lr / the candidate lr
    hyper: SGDHyper | AdamHyper


def _per_candidate(lr: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """(K,) -> (K, 1, ..., 1) so it broadcasts against a stacked parameter."""
    return lr.to(like.dtype).reshape(lr.shape + (1,) * (like.dim() - 1))


class StackedOptimizer:
    """The update rule of every trained parameter, applied to all candidates in one call."""

    def __init__(self, rules: Mapping[str, ParamRule]) -> None:
        self.rules = dict(rules)
        self.kind = "sgd" if all(isinstance(r.hyper, SGDHyper) for r in rules.values()) else "adam"

    def init_state(self, params: Tensors) -> Tensors:
        """Zero moment buffers, named ``<param>/<buffer>``."""
        state: Tensors = {}
        for name, rule in self.rules.items():
            p = params[name]
            h = rule.hyper
            if isinstance(h, SGDHyper):
                if h.momentum:
                    state[f"{name}/momentum"] = torch.zeros_like(p)
            else:
                state[f"{name}/exp_avg"] = torch.zeros_like(p)
                state[f"{name}/exp_avg_sq"] = torch.zeros_like(p)
                if h.amsgrad:
                    state[f"{name}/max_exp_avg_sq"] = torch.zeros_like(p)
        return state

    def step(self, params: Tensors, grads: Tensors, state: Tensors, lr: torch.Tensor,
             step: int) -> tuple[Tensors, Tensors]:
        """New parameters and state after update number ``step`` (1-based); inputs are not modified."""
        new_params = dict(params)
        new_state = dict(state)
        for name, rule in self.rules.items():
            p, g = params[name], grads[name]
            lr_p = _per_candidate(lr * rule.ratio, p)
            if isinstance(rule.hyper, SGDHyper):
                new_params[name] = self._sgd(name, p, g, lr_p, rule.hyper, state, new_state, step)
            else:
                new_params[name] = self._adam(name, p, g, lr_p, rule.hyper, state, new_state, step)
        return new_params, new_state

    @staticmethod
    def _sgd(name: str, p: torch.Tensor, g: torch.Tensor, lr: torch.Tensor, h: SGDHyper, state: Tensors,
             out: Tensors, step: int) -> torch.Tensor:
        if h.maximize:
            g = -g
        if h.weight_decay:
            g = g.add(p, alpha=h.weight_decay)
        if h.momentum:
            key = f"{name}/momentum"
            buf = g if step == 1 else state[key].mul(h.momentum).add(g, alpha=1 - h.dampening)
            out[key] = buf
            g = g.add(buf, alpha=h.momentum) if h.nesterov else buf
        return p - lr * g

    @staticmethod
    def _adam(name: str, p: torch.Tensor, g: torch.Tensor, lr: torch.Tensor, h: AdamHyper, state: Tensors,
              out: Tensors, step: int) -> torch.Tensor:
        if h.maximize:
            g = -g
        if h.weight_decay:
            if h.decoupled:
                p = p * (1 - lr * h.weight_decay)
            else:
                g = g.add(p, alpha=h.weight_decay)
        m = state[f"{name}/exp_avg"].lerp(g, 1 - h.beta1)
        v = state[f"{name}/exp_avg_sq"].mul(h.beta2).addcmul(g, g, value=1 - h.beta2)
        out[f"{name}/exp_avg"], out[f"{name}/exp_avg_sq"] = m, v
        if h.amsgrad:
            v = torch.maximum(state[f"{name}/max_exp_avg_sq"], v)
            out[f"{name}/max_exp_avg_sq"] = v
        bias1 = 1 - h.beta1 ** step
        bias2_sqrt = (1 - h.beta2 ** step) ** 0.5
        denom = (v.sqrt() / bias2_sqrt).add(h.eps)
        return p + (-lr / bias1) * m / denom


def rule_for(optimizer: torch.optim.Optimizer, names: Mapping[int, str],
             ratios: tuple[float, ...]) -> StackedOptimizer | str:
    """The stacked rule matching ``optimizer``, or a sentence saying why there is none.

    ``names`` maps ``id(parameter)`` to its name in the stacked dicts; ``ratios`` are the
    groups' lr ratios to the candidate lr.
    """
    cls = type(optimizer)
    if cls not in (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW):
        return (f"the vectorized update rules cover SGD, Adam and AdamW; {cls.__name__} runs its own step, "
                "so candidates train one after another")
    if optimizer.state:
        return "the optimizer carries state from earlier training, which the vectorized rules do not load"
    rules: dict[str, ParamRule] = {}
    for group, ratio in zip(optimizer.param_groups, ratios):
        if group.get("differentiable"):
            return "differentiable=True optimizers are not vectorized"
        if cls is torch.optim.SGD:
            hyper: SGDHyper | AdamHyper = SGDHyper(float(group["momentum"]), float(group["dampening"]),
                                                   bool(group["nesterov"]), float(group["weight_decay"]),
                                                   bool(group.get("maximize", False)))
        else:
            beta1, beta2 = (float(b) for b in group["betas"])
            decoupled = cls is torch.optim.AdamW or bool(group.get("decoupled_weight_decay", False))
            hyper = AdamHyper(beta1, beta2, float(group["eps"]), float(group["weight_decay"]), decoupled,
                              bool(group["amsgrad"]), bool(group.get("maximize", False)))
        for p in group["params"]:
            if p.requires_grad:
                rules[names[id(p)]] = ParamRule(float(ratio), hyper)
    if not rules:
        return "the optimizer holds no trainable parameter"
    return StackedOptimizer(rules)
