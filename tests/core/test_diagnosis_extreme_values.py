"""Extreme values: a value whose square overflows is a data error naming where it is (API and
command line, exit 2), never a LinAlgError or advice about the learning rate; large but
accepted values are measured, and their scaling is diagnosed."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lrscout
from lrscout import DataError, DataStats, FindingKind, LinearRegression, NumpyProblem

LRSCOUT = Path(sys.executable).with_name("lrscout")


def _features(rows: int = 60, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(rows, 3))


@pytest.mark.parametrize("scale", [1e300, 1e200, 1e155])
def test_features_whose_squares_overflow_are_a_data_error_not_a_linalg_traceback(scale):
    X = _features() * scale
    for call in (lambda: NumpyProblem(LinearRegression(), X, X[:, 0] / scale),
                 lambda: DataStats.from_features(X)):
        with pytest.raises(DataError, match=r"X holds values too large to train on: column 0, rows 0, 1, 2 and "
                                            r"57 more .*not the learning rate"):
            call()


def test_one_huge_cell_is_named_by_column_and_row():
    X = _features()
    X[17, 2] = 1e200
    with pytest.raises(DataError, match=r"column 2, row 17 \(up to 1e\+200\)"):
        NumpyProblem(LinearRegression(), X, X[:, 0])


def test_a_huge_target_is_a_data_error_not_advice_to_extend_the_grid():
    X = _features()
    y = X[:, 0] * 1e300
    with pytest.raises(DataError, match=r"y holds values too large.*Rescale the target"):
        lrscout.sweep(NumpyProblem(LinearRegression(), X, y), steps=20)


def test_large_accepted_features_far_from_centred_are_measured_and_diagnosed_as_badly_scaled():
    # a feature around 1e7 with unit spread: the intercept direction is 1e14 times flatter than the
    # feature's; the second-moment matrix of the raw design loses that to rounding, the design does not
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.normal(1e7, 1.0, 400), rng.normal(0.0, 1.0, 400)])
    stats = DataStats.from_features(X)
    assert stats.condition_raw > 1e24 and stats.condition_standardized < 2
    result = lrscout.sweep(NumpyProblem(LinearRegression(), X, X[:, 1] + (X[:, 0] - 1e7)), [1e-16, 1e-14], steps=20)
    assert any(f.kind is FindingKind.FEATURE_SCALING for f in result.findings), result.summary()


def test_features_near_the_limit_are_accepted_and_the_sweep_says_what_it_saw():
    X = _features(rows=50) * 1e151
    stats = DataStats.from_features(X)
    assert math.isfinite(stats.condition_raw) and stats.condition_gain > 1e100   # the intercept is 1e151x flatter
    result = lrscout.sweep(NumpyProblem(LinearRegression(), X, X[:, 0] / 1e151), steps=20)
    assert not result.decision.chosen or result.chosen_lr < 1e-250
    scaling = next(f for f in result.findings if f.kind is FindingKind.FEATURE_SCALING)
    assert "far from 1, the scale of the intercept" in scaling.summary, scaling.summary


def test_exactly_collinear_features_keep_a_finite_condition_number():
    rng = np.random.default_rng(2)
    one_hot = np.eye(3)[rng.integers(0, 3, 300)]            # the columns sum to the intercept
    X = np.column_stack([one_hot, rng.normal(0, 1, 300), one_hot[:, 0] * 1e6])
    stats = DataStats.from_features(X)
    assert math.isfinite(stats.condition_raw) and math.isfinite(stats.condition_standardized)
    assert stats.condition_standardized < 100


def _run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([str(LRSCOUT), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("scale", ["none", "standard"])
def test_the_command_line_exits_2_naming_the_column_and_data_row_of_a_huge_cell(tmp_path, scale):
    rng = np.random.default_rng(3)
    rows = [f"{a:.6g},{b:.6g},{a - b:.6g}" for a, b in rng.normal(size=(40, 2))]
    rows[5] = "1,1e200,3"
    (tmp_path / "d.csv").write_text("a,b,price\n" + "\n".join(rows) + "\n")
    done = _run_cli("sweep", "d.csv", "-t", "price", "--scale", scale, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    for part in ("d.csv", "column 'b'", "data row 6", "too large", "not the learning rate"):
        assert part in done.stderr, done.stderr
    assert "1e-12" not in done.stderr and "clip" not in done.stderr
