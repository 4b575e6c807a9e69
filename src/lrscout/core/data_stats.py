"""What training data say about conditioning and batching: ``DataStats``, which a problem
reports (``NumpyProblem.data_stats()``) and the diagnosis reads (``lrscout.core.diagnosis``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DataError
from .validation import positive_int

# Above this many features the eigen-decomposition behind the condition numbers costs more than
# a sweep; the conditioning is then left unknown (NaN) and only the dynamics can speak.
_MAX_CONDITION_FEATURES = 2000
# Eigenvalues below this fraction of the largest are exact flat directions (a constant feature,
# one-hot columns summing to the intercept): gradient descent never needs to move along them.
_FLAT_EIGENVALUE = 1e-12


@dataclass(frozen=True)
class DataStats:
    """What the training data say about conditioning, and how they are batched.

    ``condition_raw`` / ``condition_standardized``: the condition number (largest over smallest
    non-flat eigenvalue) of ``[X 1]^T [X 1] / n`` as given, and after standardizing every
    non-constant feature. ``scale_spread``: largest over smallest feature standard deviation.
    ``max_offset``: the largest ``|mean| / sd`` of a feature (how far from centred).
    ``batch_size``: the mini-batch size, ``None`` for full-batch training (no batch noise).
    Built by ``DataStats.from_features``; ``NumpyProblem.data_stats()`` returns it for its
    training features.
    """

    n_samples: int
    n_features: int
    condition_raw: float
    condition_standardized: float
    scale_spread: float
    max_offset: float
    batch_size: int | None = None

    @property
    def condition_gain(self) -> float:
        """How many times better conditioned the standardized design is (NaN when unknown)."""
        if not (math.isfinite(self.condition_raw) and math.isfinite(self.condition_standardized)):
            return math.nan
        return self.condition_raw / self.condition_standardized

    @classmethod
    def from_features(cls, X: Any, *, batch_size: int | None = None) -> "DataStats":
        """Measure a feature matrix (rows are samples); constant features are left out."""
        arr = np.asarray(X, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.shape[0] < 2 or arr.shape[1] == 0:
            raise DataError(f"DataStats needs a 2-D feature matrix with at least 2 rows, got shape {arr.shape}")
        if not np.isfinite(arr).all():
            raise DataError("DataStats: the features contain NaN or inf")
        if batch_size is not None:
            batch_size = positive_int("batch_size", batch_size)
        sd = arr.std(axis=0)
        varying = sd > 0
        kept, sd_kept = arr[:, varying], sd[varying]
        mean = kept.mean(axis=0)
        standardized = (kept - mean) / sd_kept if kept.size else kept
        return cls(
            n_samples=int(arr.shape[0]),
            n_features=int(arr.shape[1]),
            condition_raw=_condition(kept),
            condition_standardized=_condition(standardized),
            scale_spread=float(sd_kept.max() / sd_kept.min()) if sd_kept.size else 1.0,
            max_offset=float(np.max(np.abs(mean) / sd_kept)) if sd_kept.size else 0.0,
            batch_size=batch_size,
        )


def _condition(X: np.ndarray) -> float:
    """Condition number of the second-moment matrix of ``[X 1]``, ignoring exactly flat directions."""
    if X.shape[1] > _MAX_CONDITION_FEATURES:
        return math.nan
    design = np.hstack([X, np.ones((X.shape[0], 1))])
    eig = np.linalg.eigvalsh(design.T @ design / X.shape[0])
    top = float(eig[-1])
    if not top > 0:
        return math.nan
    live = eig[eig > _FLAT_EIGENVALUE * top]
    return top / float(live[0])


__all__ = ["DataStats"]
