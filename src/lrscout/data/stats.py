"""What training data say about conditioning, batching and classes: ``DataStats``, which a
problem reports (``NumpyProblem.data_stats()``) and the diagnosis reads (``lrscout.core.diagnosis``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .._validation import positive_int
from .validation import check_features

# Above this many features the eigen-decomposition behind the condition numbers costs more than
# a sweep; the conditioning is then left unknown (NaN) and only the dynamics can speak.
_MAX_CONDITION_FEATURES = 2000
# Eigenvalues of the standardized design's second-moment matrix below this fraction of the
# largest are exact flat directions (one-hot columns summing to the intercept), at rounding level.
_FLAT_EIGENVALUE = 1e-12


@dataclass(frozen=True)
class DataStats:
    """What the training data say about conditioning, how they are batched, and their classes.

    ``condition_raw`` / ``condition_standardized``: the condition number (largest over smallest
    non-flat eigenvalue) of ``[X 1]^T [X 1] / n`` as given, and after standardizing every
    non-constant feature; NaN when it cannot be measured. ``scale_spread``: largest over
    smallest feature standard deviation (``largest_sd`` / ``smallest_sd``, the two themselves:
    far from 1 they are far from the intercept's scale). ``max_offset``: the largest ``|mean| / sd`` of a
    feature (how far from centred). ``batch_size``: the mini-batch size, ``None`` for
    full-batch training (no batch noise). For classifiers, ``class_counts[c]`` and
    ``val_class_counts[c]`` are the training and validation rows of class ``c`` (None
    otherwise), and ``class_names[c]`` its name where the labels had names. Built by
    ``DataStats.from_features``; ``NumpyProblem.data_stats()`` returns it for its training data.
    """

    n_samples: int
    n_features: int
    condition_raw: float
    condition_standardized: float
    scale_spread: float
    max_offset: float
    batch_size: int | None = None
    smallest_sd: float = math.nan
    largest_sd: float = math.nan
    class_counts: tuple[int, ...] | None = None
    val_class_counts: tuple[int, ...] | None = None
    class_names: tuple[str, ...] | None = None

    @property
    def condition_gain(self) -> float:
        """How many times better conditioned the standardized design is (NaN when unknown; inf when
        the raw condition number is beyond float64's range)."""
        if math.isnan(self.condition_raw) or not math.isfinite(self.condition_standardized):
            return math.nan
        return self.condition_raw / self.condition_standardized

    @classmethod
    def from_features(cls, X: Any, *, batch_size: int | None = None,
                      class_counts: Sequence[int] | np.ndarray | None = None,
                      val_class_counts: Sequence[int] | np.ndarray | None = None,
                      class_names: Sequence[str] | None = None) -> "DataStats":
        """Measure a feature matrix (rows are samples); constant features are left out.

        The features go through ``lrscout.data.validation.check_features``: every value finite
        and small enough that its square summed over the rows fits float64, so the statistics
        below are finite.
        """
        arr = check_features(X, name="X", min_rows=2)
        if batch_size is not None:
            batch_size = positive_int("batch_size", batch_size)
        with np.errstate(over="ignore", under="ignore"):   # a spread beyond float64 is inf, and says so
            return cls._measured(arr, batch_size, class_counts, val_class_counts, class_names)

    @classmethod
    def _measured(cls, arr: np.ndarray, batch_size: int | None, class_counts: Sequence[int] | np.ndarray | None,
                  val_class_counts: Sequence[int] | np.ndarray | None,
                  class_names: Sequence[str] | None) -> "DataStats":
        sd = column_std(arr)
        varying = sd > 0
        kept, sd_kept = arr[:, varying], sd[varying]
        mean = kept.mean(axis=0)
        standardized = (kept - mean) / sd_kept if kept.size else kept
        condition_raw, condition_standardized = _conditions(mean, sd_kept, standardized)
        return cls(
            n_samples=int(arr.shape[0]),
            n_features=int(arr.shape[1]),
            condition_raw=condition_raw,
            condition_standardized=condition_standardized,
            scale_spread=float(sd_kept.max() / sd_kept.min()) if sd_kept.size else 1.0,
            max_offset=float(np.max(np.abs(mean) / sd_kept)) if sd_kept.size else 0.0,
            batch_size=batch_size,
            smallest_sd=float(sd_kept.min()) if sd_kept.size else math.nan,
            largest_sd=float(sd_kept.max()) if sd_kept.size else math.nan,
            class_counts=None if class_counts is None else tuple(int(n) for n in class_counts),
            val_class_counts=None if val_class_counts is None else tuple(int(n) for n in val_class_counts),
            class_names=None if class_names is None else tuple(str(n) for n in class_names),
        )


def column_std(X: np.ndarray) -> np.ndarray:
    """Each column's standard deviation (of a finite matrix with rows), computed on the column
    divided by its largest deviation from the mean: squaring the deviations themselves
    underflows to 0 below about 1e-154 (a feature measured in tiny units would look constant, or
    be divided by 0) and overflows above about 1e154."""
    deviations = X - X.mean(axis=0)
    largest = np.abs(deviations).max(axis=0)
    largest[largest == 0] = 1.0     # a constant column: its deviations are all 0 already
    return largest * (deviations / largest).std(axis=0)


def _conditions(mean: np.ndarray, sd: np.ndarray, standardized: np.ndarray) -> tuple[float, float]:
    """Condition numbers of the second-moment matrix of ``[X 1]``, raw and standardized (NaN when
    unknown), ignoring exactly flat directions.

    Only the standardized design's second-moment matrix ``G`` is formed: its columns share one
    scale, so it is well conditioned apart from exactly flat directions (one-hot columns summing
    to the intercept, a feature that is a sum of others: directions gradient descent never
    needs to move along), which are its eigenvalues at rounding level and are dropped. The raw
    design is the standardized one times ``T`` (each column scaled by its standard deviation,
    its mean added through the intercept), so its singular values are those of ``R T`` with
    ``G = R^T R``, a small matrix. Forming the raw second-moment matrix itself would square every
    ratio (a feature far from centred makes it singular to rounding) and could overflow.
    """
    n, d = standardized.shape
    if d > _MAX_CONDITION_FEATURES:
        return math.nan, math.nan
    design = np.hstack([standardized, np.ones((n, 1))])
    with np.errstate(all="ignore"):
        try:
            eig, vec = np.linalg.eigh(design.T @ design / n)      # ascending
        except np.linalg.LinAlgError:   # LAPACK did not converge: leave the conditioning unknown
            return math.nan, math.nan
        top = float(eig[-1])
        if not top > 0:
            return math.nan, math.nan
        live = eig > _FLAT_EIGENVALUE * top
        condition_standardized = top / float(eig[live][0])
        transform = np.eye(d + 1)
        transform[:d, :d] = np.diag(sd)
        transform[d, :d] = mean
        root = np.sqrt(eig[live])[:, None] * vec[:, live].T       # G restricted to its live directions
        try:
            singular = np.linalg.svd(root @ transform, compute_uv=False)
        except np.linalg.LinAlgError:
            return math.nan, condition_standardized
        ratio = float(singular[0] / singular[-1]) if singular[-1] > 0 else math.nan
    return ratio * ratio, condition_standardized      # inf beyond float64's range: a fact, not a failure


__all__ = ["DataStats"]
