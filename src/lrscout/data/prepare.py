"""From a table to training arrays: task inference, checks, train/validation split, scaling.

Messages name the arguments of ``prepare`` (``model``, ``scale``, ``val_fraction``,
``features``) through ``lrscout._validation.argument``, so the command line shows its flags instead.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .._validation import argument, finite_real
from ..errors import DataError, InvalidConfigError
from .stats import column_std
from .table import MISSING_TOKENS, Table
from .validation import MIN_TRAIN_ROWS, MIN_VAL_ROWS, check_features, check_split_sizes, check_target

TASKS = ("linear", "logistic", "softmax")
SCALINGS = ("none", "standard", "minmax")
MAX_CLASSES = 50


@dataclass(frozen=True)
class Scaler:
    """Per-feature affine scaling fitted on the training split only (no leakage)."""

    kind: str
    center: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, kind: str, X: np.ndarray) -> "Scaler":
        if kind not in SCALINGS:
            raise InvalidConfigError(f"{argument('scale')} must be one of {', '.join(SCALINGS)}, got {kind!r}")
        d = X.shape[1]
        if kind == "none":
            return cls(kind, np.zeros(d), np.ones(d))
        if kind == "standard":
            return cls(kind, X.mean(axis=0), column_std(X))
        lo, hi = X.min(axis=0), X.max(axis=0)
        return cls(kind, lo, hi - lo)

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (X - self.center) / self.scale


@dataclass(frozen=True, eq=False)
class Dataset:
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray | None
    y_val: np.ndarray | None
    features: tuple[str, ...]
    target: str
    task: str
    classes: tuple[str, ...]
    inference: str
    scaling: str

    def describe(self) -> dict:
        return {
            "target": self.target,
            "features": list(self.features),
            "task": self.task,
            "task_inference": self.inference,
            "classes": list(self.classes),
            "scaling": self.scaling,
        }


def _as_float(values: Sequence[str]) -> list[float] | None:
    out = []
    for v in values:
        try:
            out.append(float(v))
        except ValueError:
            return None
    return out


def feature_columns(columns: Sequence[str], target: str, features: Sequence[str] | None, *,
                    source: str) -> tuple[str, ...]:
    """The features to train on: those given, or every column but the target. The target is
    never one of them; ``source`` (the table's or file's name) starts the message."""
    names = tuple(features) if features else tuple(c for c in columns if c != target)
    if not names:
        raise DataError(f"{source}: no feature columns besides the target {target!r}")
    if target in names:
        raise InvalidConfigError(f"the target {target!r} cannot also be a feature")
    return names


def infer_task(table: Table, target: str, model: str | None = None) -> tuple[str, np.ndarray, tuple[str, ...], str]:
    """Decide the model from the target column: (task, y, class names, the sentence saying why)."""
    raw = table.column(target)
    missing = [i for i, v in enumerate(raw) if v.strip().lower() in MISSING_TOKENS]
    if missing:
        raise DataError(f"{table.name}: target {target!r} has {len(missing)} missing value(s), first on data row "
                        f"{missing[0] + 1}; drop those rows before sweeping")
    numeric = _as_float(raw)
    if numeric is not None and not all(math.isfinite(v) for v in numeric):
        bad = next(i for i, v in enumerate(numeric) if not math.isfinite(v))
        raise DataError(f"{table.name}: target {target!r} holds {raw[bad]!r} on data row {bad + 1}; "
                        "NaN and inf cannot be trained on")
    distinct = sorted(set(numeric)) if numeric is not None else sorted(set(raw))
    if len(distinct) < 2:
        raise DataError(f"{table.name}: target {target!r} has the same value ({raw[0]!r}) in every row; "
                        "there is nothing to learn")
    if model is not None and model not in TASKS:
        raise InvalidConfigError(f"{argument('model')} must be one of {', '.join(TASKS)}, got {model!r}")

    integer_like = numeric is not None and all(float(v).is_integer() for v in distinct)
    if model is None:
        if numeric is not None and len(distinct) == 2:
            model, why = "logistic", f"target {target!r} has two values ({distinct[0]:g}, {distinct[1]:g})"
        elif numeric is not None and integer_like and len(distinct) <= min(MAX_CLASSES, 20):
            model, why = "softmax", f"target {target!r} has {len(distinct)} integer classes"
        elif numeric is not None:
            model, why = "linear", f"target {target!r} is real-valued ({len(distinct)} distinct values)"
        elif len(distinct) == 2:
            model, why = "logistic", f"target {target!r} has two labels ({distinct[0]!r}, {distinct[1]!r})"
        elif len(distinct) <= MAX_CLASSES:
            model, why = "softmax", f"target {target!r} has {len(distinct)} text labels"
        else:
            raise DataError(f"{table.name}: target {target!r} is text with {len(distinct)} distinct values; "
                            "that is not a class label a built-in model can learn")
        why = f"model {model}: {why}"
    else:
        why = f"model {model} (given)"

    if model == "linear":
        if numeric is None:
            raise DataError(f"{table.name}: {argument('model')} 'linear' needs a numeric target, but {target!r} "
                            f"holds text (e.g. {next(v for v in raw if _as_float([v]) is None)!r})")
        y = check_target(numeric, name=f"{table.name}: target {target!r}", row_base=1, row_word="data row")
        return model, y, (), why
    if model == "logistic" and len(distinct) != 2:
        raise DataError(f"{table.name}: {argument('model')} 'logistic' needs exactly two classes, but {target!r} has "
                        f"{len(distinct)}; use {argument('model')} 'softmax' or 'linear'")
    if len(distinct) > MAX_CLASSES:
        raise DataError(f"{table.name}: {target!r} has {len(distinct)} classes; softmax here supports at most "
                        f"{MAX_CLASSES}")
    keys = numeric if numeric is not None else list(raw)
    index = {v: i for i, v in enumerate(distinct)}
    names = tuple(f"{v:g}" if numeric is not None else str(v) for v in distinct)
    return model, np.array([index[k] for k in keys], dtype=np.float64), names, why


def _val_fix(n: int) -> str:
    """What to do when the validation split is too small: the smallest fraction that works, if any."""
    low = math.ceil((MIN_VAL_ROWS - 0.5) / n * 100) / 100     # round(n * f) >= MIN_VAL_ROWS
    larger = ""
    if low <= 0.9 and n - int(round(n * low)) >= MIN_TRAIN_ROWS:
        larger = f", {argument('val_fraction')} {low:g} or more"
    return (f"Use {argument('val_fraction')} 0 to sweep without validation{larger}, or more data (validating needs "
            f"{MIN_TRAIN_ROWS + MIN_VAL_ROWS} rows or more: {MIN_TRAIN_ROWS} to train on and {MIN_VAL_ROWS} to "
            "validate).")


def prepare(table: Table, target: str, *, model: str | None = None, features: Sequence[str] | None = None,
            scale: str = "none", val_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Check the table and turn it into (scaled) training and validation arrays."""
    val_fraction = finite_real("val_fraction", val_fraction, low=0.0, high=0.9)
    if scale not in SCALINGS:
        raise InvalidConfigError(f"{argument('scale')} must be one of {', '.join(SCALINGS)}, got {scale!r}")
    table.column(target)  # unknown target -> a clear error before anything else
    if table.n_rows < 2:
        raise DataError(f"{table.name}: only {table.n_rows} data row; a sweep needs at least 2 (and more "
                        "for a validation split)")
    task, y, classes, why = infer_task(table, target, model)
    names = feature_columns(table.columns, target, features, source=table.name)
    repeated = sorted(n for n, count in Counter(names).items() if count > 1)   # linear: 100k columns happen
    if repeated:
        raise InvalidConfigError(f"feature(s) {', '.join(map(repr, repeated))} named more than once; "
                                 "name each column once")
    X = check_features(np.column_stack([np.array(table.numeric(c)) for c in names]), name=table.name,
                       column_names=names, row_base=1, row_word="data row")

    n = X.shape[0]
    n_val = int(round(n * val_fraction))
    if val_fraction > 0 and n_val == 0:
        n_val = 1
    if n - n_val < 2:
        raise DataError(f"{table.name}: {n} rows leave {n - n_val} for training after the validation split "
                        f"({argument('val_fraction')} {val_fraction:g}); use more data or a smaller fraction")
    order = np.random.default_rng(seed).permutation(n)
    tr, va = order[n_val:], order[:n_val]
    X_tr, y_tr = X[tr], y[tr]
    constant = [names[j] for j in range(X.shape[1]) if np.ptp(X_tr[:, j]) == 0]
    if constant:
        raise DataError(f"{table.name}: feature(s) {', '.join(map(repr, constant))} have the same value in every "
                        f"training row (zero variance); drop them (name the others in {argument('features')}) and "
                        "sweep again")
    if np.ptp(y_tr) == 0:
        raise DataError(f"{table.name}: the target {target!r} is constant on the training split; "
                        "there is nothing to learn")
    # after the checks of what the rows hold: a few rows with a constant column are refused for that
    where = f"{table.name} ({n} rows, {argument('val_fraction')} {val_fraction:g})"
    check_split_sizes(n - n_val, n_val, train_name=where, val_name=where,
                      train_fix=(f"Use a smaller {argument('val_fraction')} (0 trains on every row), or more data."
                                 if n >= MIN_TRAIN_ROWS else "Use more data."), val_fix=_val_fix(n))
    scaler = Scaler.fit(scale, X_tr)
    return Dataset(
        X_train=scaler.transform(X_tr), y_train=y_tr,
        X_val=scaler.transform(X[va]) if n_val else None, y_val=y[va] if n_val else None,
        features=names, target=target, task=task, classes=classes, inference=why, scaling=scale,
    )
