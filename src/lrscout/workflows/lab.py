"""The failure-mode lab: each scenario builds a pathology for real, sweeps it, reads the finding,
then applies the remedy that finding names and sweeps again (the seeds' "Failure Mode Lab:
trigger an edge case and explain remediation decisions").

Both runs go through the same code a user's sweep does (``sweep_table`` for tables,
``sweep`` on a ``NumpyProblem`` otherwise); the remedy's numbers come from the finding's
evidence (the clipping threshold, the batch size, the grid to try), so the lab also shows
that the advice is actionable. Every scenario runs in about a second on a laptop CPU.

=========  ======================================  ===========================================
scenario   pathology                               remedy applied
=========  ======================================  ===========================================
scaling    the seeds' housing lots, raw units      standardize the features
exploding  a deep tanh net (12 layers, gain 1.2)   clip the gradient norm where the finding says
noise      housing, mini-batches of 4              batches of the size the finding suggests
overfit    40 rows for 30 features                 50x more rows from the same source
too-high   a grid from 3 to 300                    the lower grid the finding suggests
too-low    a grid from 1e-6 to 1e-4                the higher grid the finding suggests
=========  ======================================  ===========================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..core.diagnosis import suggested_grid
from ..core.grids import log_grid
from ..core.result import SweepResult
from ..core.types import Finding, FindingKind
from ..data.housing import BATCH_SIZE, STEPS, housing
from ..errors import InvalidConfigError
from ..problems.numpy_models import LinearRegression, NumpyProblem
from .sweep import sweep
from .tabular import sweep_table


@dataclass(frozen=True)
class DeepTanhRegression:
    """A deep, unnormalised tanh network for regression: the lab's exploding-gradient pathology.

    ``depth`` hidden layers of ``width`` tanh units, weights drawn (seeded) with standard
    deviation ``gain / sqrt(fan_in)`` and no normalisation, so with depth and a gain above 1 the
    back-propagated gradient can grow by orders of magnitude within a step. It follows the
    built-in models' interface, so ``NumpyProblem`` trains every candidate at once, reports
    gradient norms and update cosines, and applies ``clip_norm``. The intercept column the
    problem appends serves as the first layer's bias.
    """

    depth: int = 12
    width: int = 8
    gain: float = 1.2
    seed: int = 0
    name: str = "deep_tanh"

    def _shapes(self, n_features: int) -> list[tuple[int, int]]:
        dims = [n_features + 1] + [self.width] * self.depth + [1]
        return list(zip(dims[:-1], dims[1:]))

    def n_params(self, n_features: int) -> int:
        return sum(a * b for a, b in self._shapes(n_features))

    def initial(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        return np.concatenate([rng.normal(0.0, self.gain / np.sqrt(a), size=a * b)
                               for a, b in self._shapes(X.shape[1])])

    def _layers(self, W: np.ndarray, n_features: int) -> list[np.ndarray]:
        layers, i = [], 0
        for a, b in self._shapes(n_features):
            layers.append(W[:, i:i + a * b].reshape(-1, a, b))
            i += a * b
        return layers

    def loss_grad(self, W: np.ndarray, Xb: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        layers = self._layers(W, Xb.shape[1] - 1)
        acts = [np.broadcast_to(Xb, (W.shape[0],) + Xb.shape)]          # (K, B, inputs)
        for i, M in enumerate(layers):
            z = acts[-1] @ M
            acts.append(np.tanh(z) if i < len(layers) - 1 else z)
        err = acts[-1][..., 0] - y[None, :]
        delta = err[..., None] / Xb.shape[0]
        grads = []
        for i in range(len(layers) - 1, -1, -1):
            grads.append(np.swapaxes(acts[i], 1, 2) @ delta)
            if i:
                delta = (delta @ np.swapaxes(layers[i], 1, 2)) * (1.0 - acts[i] ** 2)
        flat = np.concatenate([g.reshape(W.shape[0], -1) for g in reversed(grads)], axis=1)
        return 0.5 * np.mean(err**2, axis=1), flat

    def loss(self, W: np.ndarray, Xb: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self.loss_grad(W, Xb, y)[0]


@dataclass(frozen=True)
class Scenario:
    """One pathology: how it is built, the finding it should raise, and the remedy's second run."""

    name: str
    title: str
    pathology: str
    remedy: str
    expects: FindingKind
    before: Callable[[], SweepResult]
    after: Callable[[Finding | None], tuple[str, SweepResult]]


@dataclass(frozen=True, eq=False)
class LabRun:
    """A scenario's two sweeps and what the lab changed between them."""

    scenario: Scenario
    before: SweepResult
    after: SweepResult
    applied: str

    @property
    def finding(self) -> Finding | None:
        """The finding the pathology should raise, as the first run reported it."""
        return finding_of(self.before, self.scenario.expects)

    @property
    def cured(self) -> bool:
        """The finding fired, the remedy removed it, and the second run chose a rate."""
        return (self.finding is not None and finding_of(self.after, self.scenario.expects) is None
                and self.after.decision.chosen)

    def titled(self) -> list[tuple[str, SweepResult]]:
        return [(f"{self.scenario.name}: before", self.before), (f"after: {self.applied}", self.after)]


def finding_of(result: SweepResult, kind: FindingKind) -> Finding | None:
    return next((f for f in result.findings if f.kind is kind), None)


# --- the pathologies ------------------------------------------------------------------------

_LADDER = log_grid(1e-4, 1, 10)


def _housing(scale: str, *, lrs: Sequence[float] = _LADDER, batch_size: int = BATCH_SIZE) -> SweepResult:
    return sweep_table(housing(), "price", scale=scale, lrs=lrs, steps=STEPS, batch_size=batch_size)


def deep_net_problem(depth: int = 12, clip_norm: float | None = None) -> NumpyProblem:
    """A ``depth``-layer unnormalised tanh net regressing a smooth target (the exploding scenario)."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(512, 8))
    y = 3.0 * (2.0 * np.tanh(X @ rng.normal(size=8) / 2.0) + 0.1 * rng.normal(size=512))
    return NumpyProblem(DeepTanhRegression(depth=depth, width=8, gain=1.2, seed=2), X[:400], y[:400],
                        X_val=X[400:], y_val=y[400:], batch_size=BATCH_SIZE, clip_norm=clip_norm)


def few_rows_problem(n_train: int) -> NumpyProblem:
    """Linear regression on 30 features of which 3 matter, with noise: few rows let it fit the noise."""
    rng = np.random.default_rng(0)
    weights = np.zeros(30)
    weights[:3] = 1.0
    X = rng.normal(size=(n_train + 1000, 30))
    y = X @ weights + rng.normal(size=n_train + 1000)
    return NumpyProblem(LinearRegression(), X[:n_train], y[:n_train], X_val=X[n_train:], y_val=y[n_train:])


# The ladder with 0.2: there the deep net's gradients meet the cliff at step 16, on every
# CPU. At 0.1 alone, whether they meet it within the window is chaotic: the last digit of the
# arithmetic (another CPU's BLAS kernels, a rate 1e-12 larger) decides, and with it the finding.
DEEP_GRID = (1e-3, 1e-2, 0.1, 0.2, 1.0)


def _deep(clip_norm: float | None = None) -> SweepResult:
    return sweep(deep_net_problem(clip_norm=clip_norm), DEEP_GRID, STEPS)


def _few_rows(n_train: int) -> SweepResult:
    return sweep(few_rows_problem(n_train), log_grid(1e-3, 3, 3), STEPS)


def _evidence(finding: Finding | None, key: str, fallback: float) -> tuple[float, str]:
    """A number from the finding's evidence, or the fallback (and a note) when it did not fire."""
    if finding is not None and key in finding.evidence:
        return float(finding.evidence[key]), "as the finding suggests"
    return fallback, "the finding did not fire: a default"


def _scaling_after(finding: Finding | None) -> tuple[str, SweepResult]:
    return "standardized features", _housing("standard")


def _exploding_after(finding: Finding | None) -> tuple[str, SweepResult]:
    clip, why = _evidence(finding, "clip_norm", 10.0)
    return f"gradient norm clipped at {clip:.3g} ({why})", _deep(clip_norm=clip)


def _noise_after(finding: Finding | None) -> tuple[str, SweepResult]:
    batch, why = _evidence(finding, "suggested_batch_size", 64)
    return f"batches of {int(batch)} ({why})", _housing("standard", batch_size=int(batch))


def _grid_after(finding: Finding | None, fallback: Sequence[float]) -> tuple[str, SweepResult]:
    grid = suggested_grid(finding) if finding is not None else ()
    why = "as the finding suggests" if grid else "the finding did not fire: a default"
    grid = grid or tuple(fallback)
    return f"grid {grid[0]:.3g} to {grid[-1]:.3g} ({why})", _housing("standard", lrs=grid)


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("scaling", "badly scaled features",
             "the house-price example's lots (frontage and depth in hundreds of feet, means far from 0), "
             "linear regression, batches of 32",
             "standardize the features (mean 0, standard deviation 1)",
             FindingKind.FEATURE_SCALING, lambda: _housing("none"), _scaling_after),
    Scenario("exploding", "exploding gradients",
             "a deep unnormalised tanh network (12 layers of 8 units, init gain 1.2) regressing a "
             "smooth target; its gradient can jump by orders of magnitude in one step",
             "clip the gradient norm at the threshold the finding computes",
             FindingKind.EXPLODING_GRADIENTS, _deep, _exploding_after),
    Scenario("noise", "noisy mini-batches",
             "standardized housing with batches of 4: the loss jumps between batches by more than the "
             "divergence test allows, even at rates that barely move the model",
             "use the batch size the finding suggests",
             FindingKind.NOISY_BATCHES, lambda: _housing("standard", batch_size=4), _noise_after),
    Scenario("overfit", "overfitting",
             "linear regression with 30 features (3 matter) on 40 noisy rows, full batch: a fast rate "
             "fits the noise",
             "train on 50x more rows from the same source",
             FindingKind.OVERFITTING, lambda: _few_rows(40), lambda f: ("2000 training rows", _few_rows(2000))),
    Scenario("too-high", "grid above the good range",
             "standardized housing swept at 3, 30 and 300 only: every rate diverges",
             "extend the grid downward as the finding suggests",
             FindingKind.GRID_EDGE, lambda: _housing("standard", lrs=(3.0, 30.0, 300.0)),
             lambda f: _grid_after(f, (3e-4, 3e-3, 3e-2, 0.3, 3.0))),
    Scenario("too-low", "grid below the good range",
             "standardized housing swept at 1e-6, 1e-5 and 1e-4 only: every rate is too slow",
             "extend the grid upward as the finding suggests",
             FindingKind.GRID_EDGE, lambda: _housing("standard", lrs=(1e-6, 1e-5, 1e-4)),
             lambda f: _grid_after(f, (1e-4, 1e-3, 1e-2, 0.1, 1.0))),
)}


def scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise InvalidConfigError(f"unknown lab scenario {name!r}; choose one of {', '.join(SCENARIOS)}") from None


def run_scenario(name: str) -> LabRun:
    """Build the pathology, sweep it, then sweep again with the remedy its finding names."""
    chosen = scenario(name)
    before = chosen.before()
    applied, after = chosen.after(finding_of(before, chosen.expects))
    return LabRun(chosen, before, after, applied)


__all__ = ["DeepTanhRegression", "LabRun", "SCENARIOS", "Scenario", "deep_net_problem", "few_rows_problem",
           "finding_of", "run_scenario", "scenario"]
