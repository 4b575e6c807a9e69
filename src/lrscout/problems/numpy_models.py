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
import math
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping, Protocol, Sequence

import numpy as np

from .._validation import Int, Optional, Real, checked, positive_int
from ..core.grids import check_grid
from ..core.pruning import DivergencePruner
from ..core.schedules import evaluate
from ..core.types import Trace
from ..data.stats import DataStats
from ..data.validation import check_features, check_labels, check_split_sizes, check_target
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

    def check_target(self, y: np.ndarray, *, name: str) -> np.ndarray:
        return y    # any finite real target


@dataclass(frozen=True)
class LogisticRegression:
    """Binary cross-entropy on labels 0/1."""

    name: str = "logistic"
    n_classes: ClassVar[int] = 2

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

    def check_target(self, y: np.ndarray, *, name: str) -> np.ndarray:
        return check_labels(y, 2, name=name, model="LogisticRegression()")


@dataclass(frozen=True)
class SoftmaxRegression:
    """Multinomial cross-entropy on integer labels 0..C-1."""

    n_classes: int
    name: str = "softmax"

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_classes", positive_int("SoftmaxRegression: n_classes", self.n_classes, minimum=2))

    def check_target(self, y: np.ndarray, *, name: str) -> np.ndarray:
        return check_labels(y, self.n_classes, name=name, model=f"SoftmaxRegression({self.n_classes})")

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
    def n_params(self, n_features: int) -> int: ...
    def initial(self, X: np.ndarray, y: np.ndarray) -> np.ndarray: ...
    def loss_grad(self, W: np.ndarray, Xb: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...
    def loss(self, W: np.ndarray, Xb: np.ndarray, y: np.ndarray) -> np.ndarray: ...


def is_convex(model: object) -> bool:
    """Whether ``model`` is one of the built-in regressions, whose losses are convex."""
    return isinstance(model, (LinearRegression, LogisticRegression, SoftmaxRegression))


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

    The data go through ``lrscout.data.validation`` (numbers, shapes, finite, not so large that
    squares overflow; a classifier's labels; at least ``MIN_TRAIN_ROWS`` training rows and,
    when validating, ``MIN_VAL_ROWS`` validation rows): a mistake there raises ``DataError``
    naming the argument, the column and rows, and the fix. ``class_names`` (a classifier's
    label names, in label order) only names classes in findings.
    """

    @checked(batch_size=Optional(Int(1)), momentum=Real(0.0, 1.0, high_open=True),
             clip_norm=Optional(Real(0.0, low_open=True)), seed=Int(0))
    def __init__(self, model: Model, X: np.ndarray, y: np.ndarray, *, X_val: np.ndarray | None = None,
                 y_val: np.ndarray | None = None, batch_size: int | None = None, momentum: float = 0.0,
                 clip_norm: float | None = None, seed: int = 0, class_names: Sequence[str] | None = None) -> None:
        self.model = _check_model(model)
        self.X = check_features(X, name="X")
        self.y = _target(self.model, y, "y", self.X, "X")
        if (X_val is None) != (y_val is None):
            raise InvalidConfigError(f"give both X_val and y_val, or neither (got only "
                                     f"{'X_val' if y_val is None else 'y_val'})")
        self.X_val = self.y_val = None
        if X_val is not None:
            self.X_val = check_features(X_val, name="X_val")
            if self.X_val.shape[1] != self.X.shape[1]:
                raise DataError(f"X_val has {self.X_val.shape[1]} feature column(s) but X has {self.X.shape[1]}; "
                                "give the validation rows the same columns")
            self.y_val = _target(self.model, y_val, "y_val", self.X_val, "X_val")
        if np.ptp(self.y) == 0:
            raise DataError(f"y has the same value ({self.y[0]:g}) in every training row; there is nothing to learn")
        check_split_sizes(self.X.shape[0], 0 if self.X_val is None else self.X_val.shape[0])
        self.batch_size = batch_size
        self.momentum = momentum
        self.clip_norm = clip_norm
        self.seed = seed
        self._Xb = _with_intercept(self.X)
        self._Xb_val = None if self.X_val is None else _with_intercept(self.X_val)
        self._w0 = _initial(self.model, self.X, self.y)
        self.class_names = None if class_names is None else tuple(str(n) for n in class_names)

    def loss_is_convex(self) -> bool:
        """Whether the model is a built-in regression (linear, logistic, softmax), whose loss is
        convex: the default plan then descends as far as it takes to find a stable rate
        (``lrscout.core.planners.default_planner``). A model of one's own is not assumed convex."""
        return is_convex(self.model)

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
        """Conditioning of the training features, the batch size and (for a classifier) the rows of
        each class in both splits, for ``lrscout.diagnose``."""
        batch = self.batch_size if self.batch_size is not None and self.batch_size < self.X.shape[0] else None
        classes = getattr(self.model, "n_classes", None)
        if not isinstance(classes, int):
            return DataStats.from_features(self.X, batch_size=batch)
        return DataStats.from_features(
            self.X, batch_size=batch, class_counts=np.bincount(self.y.astype(int), minlength=classes),
            val_class_counts=None if self.y_val is None else np.bincount(self.y_val.astype(int), minlength=classes),
            class_names=self.class_names)

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

    def range_curve(self, min_lr: float, max_lr: float, steps: int,
                    stop_factor: float) -> tuple[list[float], list[float]]:
        """One LR range test (``RunsRangeTest``): one candidate from the shared start, its rate
        rising exponentially from ``min_lr`` to ``max_lr`` over ``steps`` steps, stopped at a
        NaN/inf loss or ``stop_factor`` x its first loss (the divergence pruner's rule: the whole
        run is one vectorized call, so it cannot stop on a running best as ``lrscout.torch``'s does)."""
        ratio = max_lr / min_lr
        last = max(1, steps - 1)
        trace = self.train_with_schedule([min_lr], steps, lambda t: ratio ** (t / last),
                                         pruner=DivergencePruner(stop_factor))[0]
        losses = [float(x) for x in trace.train_loss]
        return [min_lr * ratio ** (t / last) for t in range(len(losses))], losses

    def train(self, lrs: Sequence[float], steps: int, *, pruner: DivergencePruner | None = None,
              schedule: Callable[[int], float] | None = None) -> list[Trace]:
        check_grid(lrs, where="lrs")
        steps = positive_int("steps", steps)
        return NumpyCohort(self, schedule=schedule).train_to(lrs, steps, pruner=pruner)

    def cohort(self) -> "NumpyCohort":
        """Candidates that keep their weights between calls, so a search can train them further
        (``lrscout.problems.protocols.Cohort``): the same steps as ``train`` on one call, to rounding."""
        return NumpyCohort(self)


class _State:
    """One candidate of a ``NumpyCohort``: its weights, momentum, last update and curves so far."""

    def __init__(self, w0: np.ndarray) -> None:
        self.w = w0.copy()
        self.v = np.zeros_like(w0)
        self.prev = np.zeros_like(w0)
        self.losses: list[float] = []
        self.norms: list[float] = []
        self.cosines: list[float] = []
        self.start = math.nan
        self.active = True
        self.val: float | None = None


class NumpyCohort:
    """``NumpyProblem``'s candidates, each continuing from its own state (``lrscout.problems.protocols.Cohort``).

    ``train_to(lrs, steps)`` trains every rate until it has ``steps`` steps: a new rate starts at
    the shared start, a rate seen before goes on from where it stopped, on the batches that
    follow (the batch order is the problem's, so a rate trained 30 then 70 more steps sees the
    batches a 100-step window would). Rates at the same step train as one stacked computation.
    """

    def __init__(self, problem: NumpyProblem, *, schedule: Callable[[int], float] | None = None) -> None:
        self.problem = problem
        self.schedule = schedule
        self._states: dict[float, _State] = {}

    def train_to(self, lrs: Sequence[float], steps: int, *,
                 pruner: DivergencePruner | None = None) -> list[Trace]:
        check_grid(lrs, where="lrs")
        steps = positive_int("steps", steps)
        rates = [float(x) for x in lrs]
        for lr in rates:
            self._states.setdefault(lr, _State(self.problem._w0))
        behind: dict[int, list[float]] = {}
        for lr in rates:   # rates at the same step (and still training) move together
            state = self._states[lr]
            if state.active and len(state.losses) < steps:
                behind.setdefault(len(state.losses), []).append(lr)
        if behind:
            K = max(len(group) for group in behind.values())
            try:   # the curves of the largest group, allocated up front: a window memory cannot hold fails here
                np.empty((3, K, steps))
            except (MemoryError, ValueError):   # numpy refuses a shape this large, or memory runs out
                raise InvalidConfigError(f"steps={steps} is more than memory holds: {K} candidate(s) x {steps} "
                                         f"steps of curves need {3 * 8 * K * steps / 1e9:.3g} GB; use fewer steps "
                                         "(a sweep's windows are short: 100-1000 steps)") from None
            factor = _schedule_factors(self.schedule, steps)
            batches = self.problem._batches(steps)
            for at, group in sorted(behind.items()):
                self._advance(group, at, steps, batches, factor, pruner)
        return [self._trace(lr) for lr in rates]

    def _advance(self, rates: list[float], at: int, steps: int, batches: list[slice | np.ndarray],
                 factor: np.ndarray, pruner: DivergencePruner | None) -> None:
        problem, model = self.problem, self.problem.model
        states = [self._states[lr] for lr in rates]
        lr = np.array(rates, dtype=np.float64)
        K = len(rates)
        W = np.stack([s.w for s in states])
        V = np.stack([s.v for s in states])
        prev = np.stack([s.prev for s in states])
        start = np.array([s.start for s in states])
        active = np.ones(K, dtype=bool)
        n = steps - at
        losses = np.full((K, n), np.nan)
        norms = np.full((K, n), np.nan)
        cosines = np.full((K, n), np.nan)
        used = np.full(K, n)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for i, idx in enumerate(batches[at:steps]):
                t = at + i
                a = np.flatnonzero(active)
                if a.size == 0:
                    break
                Xb, yb = problem._Xb[idx], problem.y[idx]
                L, G = model.loss_grad(W[a], Xb, yb)
                losses[a, i] = L
                norm = np.linalg.norm(G, axis=1)
                if problem.clip_norm is not None:
                    shrink = np.minimum(1.0, problem.clip_norm / np.where(norm > 0, norm, 1.0))
                    G, norm = G * shrink[:, None], norm * shrink
                norms[a, i] = norm
                if t == 0:
                    start[a] = L
                stop = pruner.should_stop(start[a], L) if pruner is not None else ~np.isfinite(L)
                if stop.any():
                    used[a[stop]] = i + 1
                    active[a[stop]] = False
                keep, G = a[~stop], G[~stop]
                if problem.momentum:
                    V[keep] = problem.momentum * V[keep] + G
                    G = V[keep]
                U = -(factor[t] * lr[keep, None]) * G
                if t > 0:
                    P = prev[keep]
                    denom = np.linalg.norm(U, axis=1) * np.linalg.norm(P, axis=1)
                    cosines[keep, i] = np.where(denom > 0, np.sum(U * P, axis=1) / np.where(denom > 0, denom, 1),
                                                np.nan)
                prev[keep] = U
                W[keep] += U
            val = np.full(K, np.nan)
            if problem._Xb_val is not None and problem.y_val is not None and active.any():
                val[active] = model.loss(W[active], problem._Xb_val, problem.y_val)
        for k, state in enumerate(states):
            state.w, state.v, state.prev, state.start = W[k], V[k], prev[k], float(start[k])
            state.losses.extend(losses[k, :used[k]].tolist())
            state.norms.extend(norms[k, :used[k]].tolist())
            # one cosine per step after the first (NaN where no update was made: a pruned run's last step)
            state.cosines.extend(cosines[k, (1 if at == 0 else 0):used[k]].tolist())
            state.active = bool(active[k])
            state.val = None if problem._Xb_val is None or not active[k] else float(val[k])

    def _trace(self, lr: float) -> Trace:
        state = self._states[lr]
        return Trace(lr=lr, train_loss=np.array(state.losses), val_loss=state.val,
                     grad_norm=np.array(state.norms), update_cosine=np.array(state.cosines),
                     pruned=not state.active)


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


_MODEL_METHODS = ("n_params", "initial", "loss_grad", "loss")


def _check_model(model: Any) -> Model:
    """A model instance with the methods training calls; a class, or anything else, is named."""
    if isinstance(model, type):
        call = "SoftmaxRegression(n_classes)" if model is SoftmaxRegression else f"{model.__name__}()"
        raise InvalidConfigError(f"model must be a model instance, got the class {model.__name__} itself: "
                                 f"pass {call}")
    missing = [m for m in _MODEL_METHODS if not callable(getattr(model, m, None))]
    if missing or not isinstance(getattr(model, "name", None), str):
        lacks = ", ".join(missing) if missing else "a name (str)"
        raise InvalidConfigError(f"model must be LinearRegression(), LogisticRegression() or "
                                 f"SoftmaxRegression(n_classes) (or an object with a name and the methods "
                                 f"{', '.join(_MODEL_METHODS)}), got {model!r:.80} (it lacks {lacks})")
    return model


def _target(model: Model, y: Any, name: str, X: np.ndarray, features_name: str) -> np.ndarray:
    """The target checked as data, then as labels for the model (a classifier's own check)."""
    y = check_target(y, name=name, rows=X.shape[0], features_name=features_name)
    own = getattr(model, "check_target", None)
    return own(y, name=name) if callable(own) else y


def _initial(model: Model, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The shared starting parameters, checked: a custom model's ``initial`` must fit ``n_params``."""
    w0 = np.asarray(model.initial(X, y), dtype=np.float64).ravel()
    expected = model.n_params(X.shape[1])
    if w0.size != expected:
        raise InvalidConfigError(f"{type(model).__name__}.initial returned {w0.size} parameters but n_params says "
                                 f"{expected} for {X.shape[1]} features")
    return w0
