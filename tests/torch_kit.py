"""Shared pieces of the torch tests (no tests here): tiny models, generated data, and a
bit-for-bit snapshot of everything a search must leave as it found it."""

from __future__ import annotations

import copy
import random
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

torch.set_num_threads(1)     # tiny models: threads only add overhead and contention on 2 cores


def classification(n: int = 256, d: int = 8, classes: int = 3, seed: int = 0,
                   dtype: Any = None) -> tuple[Any, Any]:
    """Separable-ish classes from a random linear teacher; a private generator, global RNG untouched."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=dtype or torch.float32)
    teacher = torch.randn(d, classes, generator=g, dtype=X.dtype)
    Y = (X @ teacher + 0.3 * torch.randn(n, classes, generator=g, dtype=X.dtype)).argmax(1)
    return X, Y


def mlp(d: int = 8, hidden: int = 16, classes: int = 3, seed: int = 0, *, dropout: float = 0.0,
        batchnorm: bool = False, dtype: Any = None) -> Any:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layers: list[Any] = [nn.Linear(d, hidden)]
        if batchnorm:
            layers.append(nn.BatchNorm1d(hidden))
        layers.append(nn.Tanh())
        if dropout:
            layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(hidden, classes))
        model = nn.Sequential(*layers)
    return model.to(dtype) if dtype is not None else model


def loader(X: Any, Y: Any, batch_size: int = 32, shuffle: bool = True) -> Any:
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, Y), batch_size=batch_size,
                                       shuffle=shuffle)


def cross_entropy(output: Any, target: Any) -> Any:
    return nn.functional.cross_entropy(output, target)


# -- bit-for-bit snapshots -----------------------------------------------------------------------

def _bits(t: Any) -> Any:
    return t.detach().cpu().contiguous().reshape(-1).view(torch.uint8).clone()


def _tensor_tree(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return ("tensor", value.dtype, tuple(value.shape), _bits(value))
    if isinstance(value, dict):
        return {k: _tensor_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_tensor_tree(v) for v in value)
    return copy.deepcopy(value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b)
    return bool(a == b)


def snapshot(model: Any, optimizer: Any = None) -> dict[str, Any]:
    """Everything a search could disturb, as bits: weights, buffers, gradients, modes, identities,
    the optimizer's groups and state, every RNG and torch's thread count."""
    np_state = np.random.get_state()
    return {
        "params": {n: (_bits(p), p.dtype, p.requires_grad, id(p)) for n, p in model.named_parameters()},
        "grads": {n: None if p.grad is None else _bits(p.grad) for n, p in model.named_parameters()},
        "buffers": {n: (_bits(b), b.dtype) for n, b in model.named_buffers()},
        "training": {n: m.training for n, m in model.named_modules()},
        "optimizer": None if optimizer is None else {
            "groups": [{k: ([id(p) for p in v] if k == "params" else _tensor_tree(v)) for k, v in g.items()}
                       for g in optimizer.param_groups],
            "state": _tensor_tree({id(p): s for p, s in optimizer.state.items()}),
        },
        "torch_rng": _bits(torch.get_rng_state()),
        "numpy_rng": (np_state[0], np_state[1].copy(), *np_state[2:]),
        "python_rng": random.getstate(),
        "threads": torch.get_num_threads(),
    }


def assert_unchanged(before: dict[str, Any], after: dict[str, Any]) -> None:
    for key in before:
        assert _same(before[key], after[key]), f"{key} changed"


def trained_setup(*, eval_mode: bool = False, batchnorm: bool = True) -> tuple[Any, Any]:
    """A model with dropout (and BatchNorm), an Adam optimizer with two lr groups and moments from
    three real steps, leftover gradients, and a mixed train/eval module tree: the hardest state to
    leave alone."""
    X, Y = classification()
    model = mlp(dropout=0.2, batchnorm=batchnorm)
    optimizer = torch.optim.Adam([{"params": model[0].parameters(), "lr": 1e-3},
                                  {"params": model[-1].parameters(), "lr": 1e-2}])
    with torch.random.fork_rng(devices=[]):
        for i in range(3):
            optimizer.zero_grad()
            cross_entropy(model(X[i * 32:(i + 1) * 32]), Y[i * 32:(i + 1) * 32]).backward()
            optimizer.step()
    if eval_mode:
        model.eval()
    else:
        model[1].eval()          # a frozen layer inside a model in train mode
    return model, optimizer
