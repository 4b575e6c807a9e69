"""Built-in NumPy models trained by gradient descent, all candidates at once.

The K candidates' parameters are stacked into one (K, P) array, so a step for every learning
rate costs one matrix product over the batch: a K-candidate sweep costs far less than K runs
(``benchmarks/vectorized_numpy.py`` measures it).

Every model starts from the best constant model (intercept at the target's mean, log-odds of
the base rate, or log class priors; weights at zero). The curves then measure only what the
features add, not how fast a rate learns the target's mean.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol, Sequence

import numpy as np

from ..core.data_stats import DataStats
from ..core.grids import check_grid
from ..core.pruning import DivergencePruner
from ..core.schedules import evaluate
from ..core.types import Trace
from ..core.validation import finite_real, non_negative_int, positive_int
from ..errors import DataError, InvalidConfigError


def _with_intercept(X: np.ndarray) -> np.ndarray:
    return np.hstack([X, np.ones((X.shape[0], 1))])


@dataclass(frozen=True)
class LinearRegression:
    """Least squares: loss = mean((Xw + b - y)^2) / 2."""

    name: str = "linear"

    def n_params(self, n_features: int) -> int:
        return n_features + 1

    def initial(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        w = np.zeros(X.shape[1] + 1)
        w[-1] = y.mean()
        return w

    def loss_grad(self, W: np.ndarray, Xb: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        err = Xb @ W.T - y[:, None]                      # (B, K)
        return 0.5 * np.mean(err**2, axis=0), err.T @ Xb / Xb.shape[0]

    def loss(self, W: np.ndarray, Xb: np.ndarray, y: np.ndarray) -> np.ndarray:
        return 0.5 * np.mean((Xb @ W.T - y[:, None]) ** 2, axis=0)


@dataclass(frozen=True)
class LogisticRegression:
    """Binary cross-entropy on labels 0/1."""

    name: str = "logistic"

    def n_params(self, n_features: int) -> int:
        return n_features + 1

    def initial(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        w = np.zeros(X.shape[1] + 1)
        p = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
        w[-1] = np.log(p / (1 - p))
        return w

    def loss_grad(self, W: np.ndarray, Xb: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z = Xb @ W.T
        loss = np.mean(np.logaddexp(0.0, z) - y[:, None] * z, axis=0)
        p = 0.5 * (1.0 + np.tanh(0.5 * z))               # a sigmoid that cannot overflow
        return loss, (p - y[:, None]).T @ Xb / Xb.shape[0]

    def loss(self, W: np.ndarray, Xb: np.ndarray, y: np.ndarray) -> np.ndarray:
        z = Xb @ W.T
        return np.mean(np.logaddexp(0.0, z) - y[:, None] * z, axis=0)


@dataclass(frozen=True)
class SoftmaxRegression:
    """Multinomial cross-entropy on integer labels 0..C-1."""

    n_classes: int
    name: str = "softmax"

    def n_params(self, n_features: int) -> int:
        return (n_features + 1) * self.n_classes

    def initial(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        w = np.zeros((X.shape[1] + 1, self.n_classes))
        prior = np.bincount(y.astype(int), minlength=self.n_classes) / y.size
        w[-1] = np.log(np.clip(prior, 1e-6, None))
        return w.ravel()

    def _logits(self, W: np.ndarray, Xb: np.ndarray) -> np.ndarray:
        K, C = W.shape[0], self.n_classes
        stacked = W.reshape(K, Xb.shape[1], C).transpose(1, 0, 2).reshape(Xb.shape[1], K * C)
        return (Xb @ stacked).reshape(Xb.shape[0], K, C)   # one product for all candidates

    def _loss_from_logits(self, Z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Zmax = Z.max(axis=2, keepdims=True)
        Zs = Z - Zmax
        logsum = np.log(np.exp(Zs).sum(axis=2, keepdims=True))
        logp = Zs - logsum
        picked = logp[np.arange(y.size), :, y.astype(int)]          # (B, K): each row's true class
        return -picked.mean(axis=0), logp

    def loss_grad(self, W: np.ndarray, Xb: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Z = self._logits(W, Xb)
        loss, logp = self._loss_from_logits(Z, y)
        G = np.exp(logp)
        G[np.arange(y.size), :, y.astype(int)] -= 1.0
        K, C = W.shape[0], self.n_classes
        # one product for all candidates: (d, B) @ (B, K*C), then back to each candidate's layout
        grad = (Xb.T @ G.reshape(y.size, K * C)).reshape(Xb.shape[1], K, C).transpose(1, 0, 2)
        return loss, grad.reshape(K, -1) / Xb.shape[0]

    def loss(self, W: np.ndarray, Xb: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._loss_from_logits(self._logits(W, Xb), y)[0]


class Model(Protocol):
    """What ``NumpyProblem`` trains: the built-in models, or any model with their interface
    (``W`` holds one flat weight vector per candidate, a row each)."""

    @property
    def name(self) -> str: ...
    def initial(self, X: np.ndarray, y: np.ndarray) -> np.ndarray: ...
    def loss_grad(self, W: np.ndarray, Xb: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...
    def loss(self, W: np.ndarray, Xb: np.ndarray, y: np.ndarray) -> np.ndarray: ...


class NumpyProblem:
    """A built-in model on arrays, trained by (mini-batch) gradient descent with optional momentum.

    ``batch_size=None`` is full-batch gradient descent. Mini-batches are drawn epoch by epoch
    from a permutation seeded by ``seed``; every candidate, in every round of a plan, sees the
    same batches in the same order. The arrays given are copied, never modified.

    ``clip_norm`` rescales any gradient whose norm exceeds it to that norm before the step (the
    usual remedy for exploding gradients); traces record the norm of the gradient as applied,
    so a spike that clipping tamed no longer reads as an explosion. ``train(..., schedule=f)``
    multiplies every candidate's rate by ``f(step)`` (e.g. ``linear_warmup(1.0, 20)`` for a
    warm-up), so a recommended schedule can be checked on the same short window.
    """

    def __init__(self, model: Model, X: np.ndarray, y: np.ndarray, *, X_val: np.ndarray | None = None,
                 y_val: np.ndarray | None = None, batch_size: int | None = None, momentum: float = 0.0,
                 clip_norm: float | None = None, seed: int = 0) -> None:
        self.model = model
        self.X = _as_matrix("X", X)
        self.y = _as_vector("y", y, self.X.shape[0])
        if (X_val is None) != (y_val is None):
            raise InvalidConfigError("give both X_val and y_val, or neither")
        self.X_val = None if X_val is None else _as_matrix("X_val", X_val)
        self.y_val = None if y_val is None or self.X_val is None else _as_vector("y_val", y_val, self.X_val.shape[0])
        if self.X_val is not None and self.X_val.shape[1] != self.X.shape[1]:
            raise DataError(f"X_val has {self.X_val.shape[1]} features but X has {self.X.shape[1]}")
        self.batch_size = None if batch_size is None else positive_int("batch_size", batch_size)
        self.momentum = finite_real("momentum", momentum, low=0.0, high=1.0, high_open=True)
        self.clip_norm = None if clip_norm is None else finite_real("clip_norm", clip_norm, low=0.0, low_open=True)
        self.seed = non_negative_int("seed", seed)
        self._Xb = _with_intercept(self.X)
        self._Xb_val = None if self.X_val is None else _with_intercept(self.X_val)
        self._w0 = model.initial(self.X, self.y)

    def describe(self) -> Mapping[str, Any]:
        return {
            "problem": "numpy",
            "model": self.model.name,
            "n_train": int(self.X.shape[0]),
            "n_val": 0 if self.X_val is None else int(self.X_val.shape[0]),
            "n_features": int(self.X.shape[1]),
            "batch_size": self.batch_size,
            "momentum": self.momentum,
            "clip_norm": self.clip_norm,
            "seed": self.seed,
        }

    def fingerprint(self) -> str:
        """A SHA-256 of the model's repr and the arrays as given (``Fingerprinted``)."""
        digest = hashlib.sha256(repr(self.model).encode())
        for array in (self.X, self.y, self.X_val, self.y_val):
            digest.update(b"-" if array is None else np.ascontiguousarray(array).tobytes())
        return "sha256:" + digest.hexdigest()

    def data_stats(self) -> DataStats:
        """Conditioning of the training features and the batch size, for ``lrscout.diagnose``."""
        batch = self.batch_size if self.batch_size is not None and self.batch_size < self.X.shape[0] else None
        return DataStats.from_features(self.X, batch_size=batch)

    def _batches(self, steps: int) -> list[slice | np.ndarray]:
        m = self.X.shape[0]
        if self.batch_size is None or self.batch_size >= m:
            return [slice(None)] * steps
        rng = np.random.default_rng(self.seed)
        out: list[slice | np.ndarray] = []
        perm, pos = rng.permutation(m), 0
        for _ in range(steps):
            if pos + self.batch_size > m:
                perm, pos = rng.permutation(m), 0
            out.append(perm[pos:pos + self.batch_size])
            pos += self.batch_size
        return out

    def train_with_schedule(self, lrs: Sequence[float], steps: int, schedule: Callable[[int], float], *,
                            pruner: DivergencePruner | None = None) -> list[Trace]:
        """``train(..., schedule=schedule)`` (``AcceptsSchedule``: a warm-up can be replayed here)."""
        return self.train(lrs, steps, pruner=pruner, schedule=schedule)

    def train(self, lrs: Sequence[float], steps: int, *, pruner: DivergencePruner | None = None,
              schedule: Callable[[int], float] | None = None) -> list[Trace]:
        check_grid(lrs, where="lrs")
        lr = np.array([float(x) for x in lrs], dtype=np.float64)  # traces come back in the order asked
        steps = positive_int("steps", steps)
        factor = _schedule_factors(schedule, steps)
        K = lr.size
        W = np.tile(self._w0, (K, 1))
        V = np.zeros_like(W)
        prev = np.zeros_like(W)
        losses = np.full((K, steps), np.nan)
        norms = np.full((K, steps), np.nan)
        cosines = np.full((K, max(steps - 1, 0)), np.nan)
        start = np.full(K, np.nan)
        active = np.ones(K, dtype=bool)
        used = np.full(K, steps)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for t, idx in enumerate(self._batches(steps)):
                a = np.flatnonzero(active)
                if a.size == 0:
                    break
                Xb, yb = self._Xb[idx], self.y[idx]
                L, G = self.model.loss_grad(W[a], Xb, yb)
                losses[a, t] = L
                norm = np.linalg.norm(G, axis=1)
                if self.clip_norm is not None:
                    shrink = np.minimum(1.0, self.clip_norm / np.where(norm > 0, norm, 1.0))
                    G, norm = G * shrink[:, None], norm * shrink
                norms[a, t] = norm
                if t == 0:
                    start[a] = L
                stop = pruner.should_stop(start[a], L) if pruner is not None else ~np.isfinite(L)
                if stop.any():
                    used[a[stop]] = t + 1
                    active[a[stop]] = False
                keep, G = a[~stop], G[~stop]
                if self.momentum:
                    V[keep] = self.momentum * V[keep] + G
                    G = V[keep]
                U = -(factor[t] * lr[keep, None]) * G
                if t > 0:
                    P = prev[keep]
                    denom = np.linalg.norm(U, axis=1) * np.linalg.norm(P, axis=1)
                    cosines[keep, t - 1] = np.where(denom > 0, np.sum(U * P, axis=1) / np.where(denom > 0, denom, 1),
                                                    np.nan)
                prev[keep] = U
                W[keep] += U
            val = np.full(K, np.nan)
            if self._Xb_val is not None and self.y_val is not None and active.any():
                val[active] = self.model.loss(W[active], self._Xb_val, self.y_val)
        return [
            Trace(
                lr=float(lr[k]),
                train_loss=losses[k, :used[k]],
                val_loss=None if self._Xb_val is None or not active[k] else float(val[k]),
                grad_norm=norms[k, :used[k]],
                update_cosine=cosines[k, :max(used[k] - 1, 0)],
                pruned=not bool(active[k]),
            )
            for k in range(K)
        ]


def _schedule_factors(schedule: Callable[[int], float] | None, steps: int) -> np.ndarray:
    """The per-step factor on every candidate's rate (all ones without a schedule), checked."""
    if schedule is None:
        return np.ones(steps)
    if not callable(schedule):
        raise InvalidConfigError(f"schedule must be a function step -> factor, got {schedule!r}")
    factor = evaluate(schedule, steps)
    bad = np.flatnonzero(~np.isfinite(factor) | (factor < 0))
    if bad.size:
        raise InvalidConfigError(f"schedule gave {factor[bad[0]]!r} at step {bad[0]}; "
                                 "the factor on the learning rate must be finite and >= 0")
    return factor


def _as_floats(name: str, values: Any) -> np.ndarray:
    try:
        return np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must hold numbers ({exc}); encode text labels as integers "
                        "(e.g. with numpy.unique(labels, return_inverse=True))") from None


def _as_matrix(name: str, X: Any) -> np.ndarray:
    arr = _as_floats(name, X)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise DataError(f"{name} must be a non-empty 2-D array of features, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise DataError(f"{name} contains NaN or inf; clean or impute it first")
    return arr


def _as_vector(name: str, y: Any, rows: int) -> np.ndarray:
    arr = _as_floats(name, y).ravel()
    if arr.size != rows:
        raise DataError(f"{name} has {arr.size} values but the features have {rows} rows")
    if not np.isfinite(arr).all():
        raise DataError(f"{name} contains NaN or inf; clean it first")
    return arr
