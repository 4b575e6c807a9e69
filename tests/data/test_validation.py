"""The one array checker (``lrscout.data.validation``): what it accepts trains, what it refuses is
named by argument, column and rows, with the fix; values whose squares overflow are the data's fault."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lrscout
from lrscout import DataError, LinearRegression, LogisticRegression, NumpyProblem, SoftmaxRegression
from lrscout.data.validation import (MIN_TRAIN_ROWS, MIN_VAL_ROWS, check_features, check_labels, check_target,
                                     magnitude_limit)


def test_the_magnitude_limit_keeps_squares_summed_over_the_rows_finite():
    for rows in (1, 2, 100, 10**6):
        limit = magnitude_limit(rows)
        column = np.full(rows, limit)
        column[::2] *= -1                          # deviations from the mean up to twice the limit
        with np.errstate(over="raise"):
            assert math.isfinite(float(np.sum((column - column.mean()) ** 2)))
        with np.errstate(over="ignore"):
            assert not math.isfinite(float(np.sum((4 * column) ** 2)))     # a few times more overflows


def test_a_value_too_large_is_named_by_argument_column_and_row_with_the_fix():
    X = np.ones((50, 3))
    X[:, 1] = np.arange(50.0)
    X[[4, 9, 30, 41], 2] = [1e200, -1e200, 2e160, 1e300]
    with pytest.raises(DataError) as caught:
        check_features(X, name="X", column_names=("a", "b", "c"))
    message = str(caught.value)
    for part in ("X", "column 'c'", "rows 4, 9, 30 and 1 more", "1e+300", "overflow float64",
                 "not the learning rate", "Rescale"):
        assert part in message, message


def test_non_finite_values_are_named_by_kind_column_and_rows():
    X = np.zeros((20, 2))
    X[3, 1], X[7, 1], X[5, 0] = math.nan, math.inf, math.nan
    with pytest.raises(DataError, match=r"X holds NaN in column 0, row 5 \(and 2 more non-finite value"):
        check_features(X)
    with pytest.raises(DataError, match="y holds NaN and inf in rows 3 and 7"):
        check_target(X[:, 1])


def test_rows_are_numbered_as_the_caller_counts_them():
    X = np.zeros((5, 1))
    X[2, 0] = math.nan
    with pytest.raises(DataError, match="data row 3"):
        check_features(X, name="d.csv", row_base=1, row_word="data row")


@pytest.mark.parametrize(("values", "message"), [
    (None, "X is None"),
    ("1,2,3", "X must be an array of numbers"),
    ([[1.0, "a"], [2.0, 3.0]], r"holds 'a' at X\[0, 1\]; encode text"),
    ([[1.0, 2.0], [3.0]], "rectangular"),
    (np.ones((3, 2)) * 1j, "complex"),
    (np.ones((2, 2, 2)), r"2-D array \(rows x features\), got shape \(2, 2, 2\)"),
    (np.ones((4, 0)), "no feature columns"),
    (np.ones((0, 3)), "0 rows; it needs at least 1 row"),
])
def test_features_that_are_not_a_matrix_of_numbers_are_refused_saying_what_they_are(values, message):
    with pytest.raises(DataError, match=message):
        check_features(values)


def test_a_target_must_give_one_value_per_row():
    with pytest.raises(DataError, match="y has 3 values but X has 4 rows; give one target per row"):
        check_target([1.0, 2.0, 3.0], rows=4)
    with pytest.raises(DataError, match=r"y must be 1-D, one target per row, got shape \(4, 2\)"):
        check_target(np.ones((4, 2)), rows=4)
    assert check_target(np.ones((4, 1)), rows=4).shape == (4,)      # a column vector is one target per row


def test_labels_outside_the_classes_say_which_model_takes_them():
    y = np.array([0.0, 1.0, 4.0, 2.0])
    with pytest.raises(DataError, match=r"label 4 \(4 at row 2\), but SoftmaxRegression\(3\) takes the labels "
                                        r"0..2: use SoftmaxRegression\(5\)"):
        check_labels(y, 3, name="y", model="SoftmaxRegression(3)")
    assert check_labels(np.array([0.0, 2.0, 1.0]), 3, name="y", model="SoftmaxRegression(3)") is not None


# --- properties: whatever the checker accepts trains and is diagnosed without an exception ------

def _accepted_matrices():
    """Finite matrices of any magnitude up to the limit, with heavy offsets and mixed scales."""
    def scaled(args):
        base, scales, offsets = args
        with np.errstate(over="ignore", invalid="ignore"):
            X = base * scales + offsets
        limit = magnitude_limit(X.shape[0]) * 0.99
        return np.clip(X, -limit, limit)

    shapes = st.tuples(st.integers(MIN_TRAIN_ROWS, 40), st.integers(1, 4))
    return shapes.flatmap(lambda shape: st.tuples(
        hnp.arrays(np.float64, shape, elements=st.floats(-3, 3)),
        hnp.arrays(np.float64, (shape[1],), elements=st.sampled_from([1e-300, 1e-8, 1.0, 1e8, 1e100, 1e150])),
        hnp.arrays(np.float64, (shape[1],), elements=st.sampled_from([0.0, -5.0, 1e6, 1e120, -1e150])),
    )).map(scaled)


@settings(max_examples=60, deadline=None)
@given(_accepted_matrices())
def test_whatever_the_checker_accepts_is_measured_without_an_exception(X):
    X = check_features(X)
    try:
        stats = lrscout.DataStats.from_features(X)
    except DataError as exc:                      # only one reason to refuse: fewer than 2 rows (never here)
        raise AssertionError(f"refused accepted data: {exc}") from exc
    for value in (stats.condition_raw, stats.condition_standardized):
        assert math.isnan(value) or value >= 1.0 - 1e-9


@settings(max_examples=25, deadline=None)
@given(_accepted_matrices(), st.sampled_from(["linear", "logistic", "softmax"]))
def test_whatever_the_checker_accepts_sweeps_to_a_result_without_an_exception(X, kind):
    rows = X.shape[0]
    y = {"linear": np.linspace(-1.0, 1.0, rows), "logistic": np.arange(rows) % 2.0,
         "softmax": np.arange(rows) % 3.0}[kind]
    model = {"linear": LinearRegression(), "logistic": LogisticRegression(), "softmax": SoftmaxRegression(3)}[kind]
    result = lrscout.sweep(NumpyProblem(model, X, y), [1e-3, 1.0], steps=12)
    assert len(result.candidates) == 2 and result.decision is not None


@settings(max_examples=60, deadline=None)
@given(st.integers(MIN_TRAIN_ROWS, 200), st.integers(0, 199), st.floats(1.01, 1e150))
def test_a_single_value_past_the_limit_is_refused_naming_its_row(rows, row, factor):
    row %= rows
    X = np.zeros((rows, 2))
    X[:, 0] = np.arange(rows)
    X[row, 1] = magnitude_limit(rows) * factor
    with pytest.raises(DataError, match=f"column 1, row {row} "):
        NumpyProblem(LinearRegression(), X, np.arange(rows, dtype=float))


def test_the_minimum_sizes_are_stated_when_refused():
    X, y = np.arange(30.0).reshape(15, 2), np.arange(15.0)
    with pytest.raises(DataError, match=f"X has {MIN_TRAIN_ROWS - 1} training rows?.*at least {MIN_TRAIN_ROWS}"):
        NumpyProblem(LinearRegression(), X[:MIN_TRAIN_ROWS - 1], y[:MIN_TRAIN_ROWS - 1])
    with pytest.raises(DataError, match=f"X_val has {MIN_VAL_ROWS - 1} validation rows?.*at least {MIN_VAL_ROWS}"):
        NumpyProblem(LinearRegression(), X[:10], y[:10], X_val=X[10:14], y_val=y[10:14])
    NumpyProblem(LinearRegression(), X[:10], y[:10], X_val=X[10:15], y_val=y[10:15])    # the minimum itself
