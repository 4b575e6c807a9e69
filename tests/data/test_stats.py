"""``DataStats``: what a feature matrix says about conditioning, before and after standardizing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrscout.data.stats import DataStats
from lrscout.core.diagnosis import DiagnosisThresholds
from lrscout.errors import DataError


def test_data_stats_measure_how_much_standardizing_would_help():
    rng = np.random.default_rng(0)
    centred = rng.normal(size=(500, 3))
    offset = centred + 10.0                                   # same spread, means far from 0
    stretched = centred * np.array([1.0, 100.0, 0.01])        # same centre, scales apart
    assert DataStats.from_features(centred).condition_gain < 2              # already nearly standard
    assert DataStats.from_features(offset).condition_gain > 100
    spread = DataStats.from_features(stretched)
    assert spread.scale_spread == pytest.approx(1e4, rel=0.1) and spread.condition_gain > 1e6


@pytest.mark.parametrize("unit", [1e-200, 1e-300, 1e150])
def test_a_feature_in_tiny_or_huge_units_is_measured_not_taken_for_constant(unit):
    # below about 1e-154 the squared deviations underflow: a standard deviation of 0 dropped the
    # very feature that makes the design badly scaled
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)) * np.array([unit, 1.0])
    stats = DataStats.from_features(X)
    assert stats.smallest_sd * stats.largest_sd == pytest.approx(unit, rel=0.2)
    assert stats.scale_spread == pytest.approx(max(unit, 1 / unit), rel=0.2)


def test_one_hot_features_are_not_called_badly_scaled():
    rng = np.random.default_rng(0)
    one_hot = np.eye(5)[rng.integers(0, 5, size=400)]       # sums to the intercept: a flat direction
    stats = DataStats.from_features(one_hot)
    assert math.isfinite(stats.condition_gain)
    assert stats.condition_gain < DiagnosisThresholds().scaling_condition_gain


def test_data_stats_reject_what_they_cannot_measure():
    with pytest.raises(DataError, match="NaN"):
        DataStats.from_features([[1.0], [math.nan]])
    with pytest.raises(DataError, match="2 rows"):
        DataStats.from_features([[1.0, 2.0]])
