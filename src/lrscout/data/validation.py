"""The one checker for arrays of training data, used by every problem that takes arrays.

``check_features`` and ``check_target`` turn what a user passed into float64 arrays, or raise
a ``DataError`` that names the argument, the column and the first few rows at fault, and says
what to do. They check, in order: that the values are numbers, the shape (2-D features, one
target per row), that there are rows, that every value is finite, and that no value is so
large that squares summed over the rows overflow float64 -- such a value makes the loss, the
gradient or the data's statistics infinite before any learning rate is tried, so it is a data
problem, never a learning-rate one. ``check_labels`` checks class labels for a classifier,
and ``check_split_sizes`` the sizes of the training and validation splits.

In the spirit of scikit-learn's ``utils/validation.py``: one place, so that the NumPy models,
``DataStats``, the table preparation and the streaming reader agree on what data they take.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..errors import DataError

_FLOAT_MAX = float(np.finfo(np.float64).max)
_SHOWN_ROWS = 3

# Below these sizes a sweep's numbers describe a handful of rows, not the data: with fewer
# training rows the model fits every row whatever its rate (the 3-row, 3-class case chose
# lr 1), and a validation loss over fewer rows moves by more than the 5% margin the choice's
# re-check uses whenever a single row changes.
MIN_TRAIN_ROWS = 10
MIN_VAL_ROWS = 5


def magnitude_limit(rows: int) -> float:
    """The largest magnitude a value may have for squares summed over ``rows`` rows to stay finite.

    Losses, gradients and the data's spread all sum squares of values or of their deviations
    from the mean; a deviation is at most twice the largest magnitude, so ``rows`` of them
    squared stay below float64's largest number (1.8e308) when every |value| is at most
    ``sqrt(1.8e308 / (4 rows))``: about 6.7e152 for 100 rows, 6.7e151 for 10,000.
    """
    return math.sqrt(_FLOAT_MAX / (4.0 * max(int(rows), 1)))


def _rows_text(rows: np.ndarray, row_base: int, row_word: str) -> str:
    """``row 5`` or ``rows 5, 9 and 17`` or ``rows 5, 9, 17 and 9 more``."""
    shown = [str(int(r) + row_base) for r in rows[:_SHOWN_ROWS]]
    if rows.size == 1:
        return f"{row_word} {shown[0]}"
    if rows.size <= _SHOWN_ROWS:
        return f"{row_word}s {', '.join(shown[:-1])} and {shown[-1]}"
    return f"{row_word}s {', '.join(shown)} and {rows.size - _SHOWN_ROWS} more"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _column_text(j: int, column_names: Sequence[str] | None) -> str:
    return f"column {column_names[j]!r}" if column_names is not None else f"column {j}"


def _as_numbers(name: str, values: Any, *, labels: bool) -> np.ndarray:
    """``values`` as a float64 array; anything that is not a real number is named with its place."""
    if values is None:
        raise DataError(f"{name} is None; give an array of numbers")
    if isinstance(values, (str, bytes)):
        raise DataError(f"{name} must be an array of numbers, got the {type(values).__name__} {values!r:.60}")
    try:
        raw = np.asarray(values)
    except (TypeError, ValueError) as exc:    # ragged nested lists
        raise DataError(f"{name} must be a rectangular array of numbers ({exc}); give every row the same "
                        "number of values") from None
    if np.iscomplexobj(raw):
        raise DataError(f"{name} holds complex numbers; give real-valued data (e.g. its .real part, or the "
                        "magnitude np.abs)")
    try:
        return np.array(raw, dtype=np.float64)
    except (TypeError, ValueError):
        pass
    flat = [v.item() if isinstance(v, np.generic) else v for v in raw.ravel()]
    index = next(i for i, v in enumerate(flat) if not _is_number(v))
    place = np.unravel_index(index, raw.shape) if raw.ndim else ()
    where = f" at {name}[{', '.join(str(int(p)) for p in place)}]" if raw.ndim else ""
    advice = ("encode text labels as integers 0..C-1, e.g. with numpy.unique(labels, return_inverse=True)"
              if labels else "encode text columns as numbers (e.g. one-hot) or drop them")
    raise DataError(f"{name} must hold numbers, but holds {flat[index]!r:.60}{where}; {advice}")


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _check_values(name: str, arr: np.ndarray, *, column_names: Sequence[str] | None, row_base: int,
                  row_word: str, limit_rows: int) -> None:
    """Finite, and small enough that squares summed over ``limit_rows`` rows stay finite."""
    matrix = arr if arr.ndim == 2 else arr[:, None]
    if not matrix.size:
        return
    # column extremes first: no temporary as large as the data unless something is wrong
    # (a NaN makes its column's max NaN, an inf its max or min infinite)
    high, low = matrix.max(axis=0), matrix.min(axis=0)
    if not (np.isfinite(high).all() and np.isfinite(low).all()):
        bad = ~np.isfinite(matrix)
        j = int(np.flatnonzero(bad.any(axis=0))[0])
        rows = np.flatnonzero(bad[:, j])
        kinds = sorted({"NaN" if math.isnan(v) else "inf" for v in matrix[rows, j]})
        where = f"{_column_text(j, column_names)}, " if arr.ndim == 2 else ""
        others = int(bad.sum()) - rows.size
        more = f" (and {others} more non-finite value(s) in other columns)" if others else ""
        raise DataError(f"{name} holds {' and '.join(kinds)} in {where}{_rows_text(rows, row_base, row_word)}{more}; "
                        "NaN and inf cannot be trained on: drop or impute those rows")
    limit = magnitude_limit(limit_rows)
    too_large = np.flatnonzero(np.maximum(high, -low) > limit)
    if too_large.size:
        j = int(too_large[0])
        rows = np.flatnonzero(np.abs(matrix[:, j]) > limit)
        worst = float(matrix[rows[np.argmax(np.abs(matrix[rows, j]))], j])
        where = f"{_column_text(j, column_names)}, " if arr.ndim == 2 else ""
        it = "that column" if arr.ndim == 2 else "the target"
        raise DataError(
            f"{name} holds values too large to train on: {where}{_rows_text(rows, row_base, row_word)} "
            f"(up to {worst:.3g}). Above {limit:.2g} in magnitude, squares summed over {limit_rows} rows "
            "overflow float64, so the loss and its gradient are infinite before any learning rate is tried: "
            f"this is the data, not the learning rate. Rescale {it} (divide it by a power of ten, or "
            "take a logarithm) or fix the values if they are errors")


def check_features(X: Any, *, name: str = "X", column_names: Sequence[str] | None = None, row_base: int = 0,
                   row_word: str = "row", min_rows: int = 1, limit_rows: int | None = None) -> np.ndarray:
    """``X`` as a float64 matrix (rows are samples), or a ``DataError`` saying what is wrong and where.

    A 1-D ``X`` is one feature. ``column_names`` names columns in messages (else their index);
    rows are numbered from ``row_base`` and called ``row_word`` (a table says "data row" from
    1). ``limit_rows``: the number of rows the magnitude limit is computed for (default: the
    rows of ``X``; a reader that sees the data in chunks passes the rows it will keep).
    """
    arr = _as_numbers(name, X, labels=False)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise DataError(f"{name} must be a 2-D array (rows x features), got "
                        f"{'a single number' if arr.ndim == 0 else f'shape {arr.shape}'}")
    if arr.shape[1] == 0:
        raise DataError(f"{name} has no feature columns (shape {arr.shape}); give at least one feature")
    if arr.shape[0] < min_rows:
        raise DataError(f"{name} has {arr.shape[0]} row{'' if arr.shape[0] == 1 else 's'}; it needs at least "
                        f"{min_rows} row{'' if min_rows == 1 else 's'}")
    if column_names is not None and len(column_names) != arr.shape[1]:
        raise DataError(f"{name} has {arr.shape[1]} columns but {len(column_names)} column names were given")
    _check_values(name, arr, column_names=column_names, row_base=row_base, row_word=row_word,
                  limit_rows=arr.shape[0] if limit_rows is None else limit_rows)
    return arr


def check_target(y: Any, *, name: str = "y", rows: int | None = None, features_name: str = "X",
                 row_base: int = 0, row_word: str = "row") -> np.ndarray:
    """``y`` as a float64 vector, one value per row of the features (``rows``), or a ``DataError``."""
    arr = _as_numbers(name, y, labels=True)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()                     # a column or row vector is one target per row
    if arr.ndim != 1:
        raise DataError(f"{name} must be 1-D, one target per row, got "
                        f"{'a single number' if arr.ndim == 0 else f'shape {arr.shape}'}")
    if rows is not None and arr.size != rows:
        raise DataError(f"{name} has {arr.size} values but {features_name} has {rows} rows; give one target per row")
    if arr.size == 0:
        raise DataError(f"{name} is empty; give one target per row")
    _check_values(name, arr, column_names=None, row_base=row_base, row_word=row_word, limit_rows=arr.size)
    return arr


def check_labels(y: np.ndarray, n_classes: int, *, name: str, model: str, row_base: int = 0,
                 row_word: str = "row") -> np.ndarray:
    """Class labels for a classifier over ``n_classes`` classes: integers ``0 .. n_classes - 1``.

    ``model`` is how the classifier is written (``"LogisticRegression()"``) in the advice.
    """
    wanted = "the two labels 0 and 1" if n_classes == 2 else f"the labels 0..{n_classes - 1}"
    fractional = np.flatnonzero(y != np.round(y))
    if fractional.size:
        rows = _rows_text(fractional, row_base, row_word)
        raise DataError(f"{name} holds non-integer values ({y[fractional[0]]:g} at {rows}), but {model} takes "
                        f"{wanted}: for a real-valued target use LinearRegression(); for classes, encode them as "
                        "integers 0..C-1 (numpy.unique(y, return_inverse=True))")
    outside = np.flatnonzero((y < 0) | (y >= n_classes))
    if not outside.size:
        return y
    found = np.unique(y)
    first = y[outside[0]]
    where = f"{first:g} at {_rows_text(np.flatnonzero(y == first), row_base, row_word)}"
    if n_classes == 2:
        shown = ", ".join(f"{v:g}" for v in found[:8]) + (", ..." if found.size > 8 else "")
        if found.size == 2:
            fix = f"map them to 0 and 1 first, e.g. y = (y == {found[1]:g}).astype(float)"
        else:
            fix = f"for {found.size} classes use SoftmaxRegression({found.size}) with labels 0..{found.size - 1}"
        raise DataError(f"{name} holds the labels {shown} ({where}), but {model} takes {wanted}: {fix}")
    bad = np.unique(y[outside])
    labels = ("label " if bad.size == 1 else "labels ") + ", ".join(f"{v:g}" for v in bad[:8]) + \
        (", ..." if bad.size > 8 else "")
    fix = f"use SoftmaxRegression({int(found[-1]) + 1}), or " if found[0] >= 0 else ""
    raise DataError(f"{name} holds {labels} ({where}), but {model} takes {wanted}: {fix}encode the labels as "
                    "0..C-1 with numpy.unique(y, return_inverse=True)")


def check_split_sizes(n_train: int, n_val: int, *, train_name: str = "X", val_name: str = "X_val",
                      train_fix: str = "Use more data.",
                      val_fix: str = f"Give at least {MIN_VAL_ROWS} validation rows, or none (X_val=None).") -> None:
    """Refuse splits too small for a sweep to mean anything (``MIN_TRAIN_ROWS``, ``MIN_VAL_ROWS``).

    ``n_val`` is 0 when there is no validation split. ``train_fix`` / ``val_fix`` say what to do
    in the caller's terms (the command line names its options).
    """
    if n_train < MIN_TRAIN_ROWS:
        raise DataError(f"{train_name} has {_count(n_train, 'training row')}; a sweep needs at least "
                        f"{MIN_TRAIN_ROWS}: with fewer the model fits every row at almost any rate and the curves "
                        f"say nothing about the data. {train_fix}")
    if 0 < n_val < MIN_VAL_ROWS:
        raise DataError(f"{val_name} has {_count(n_val, 'validation row')}; validating needs at least "
                        f"{MIN_VAL_ROWS}: the mean loss over fewer moves by more than the choice's 5% margin when "
                        f"one row changes. {val_fix}")


__all__ = ["MIN_TRAIN_ROWS", "MIN_VAL_ROWS", "check_features", "check_labels", "check_split_sizes", "check_target",
           "magnitude_limit"]
