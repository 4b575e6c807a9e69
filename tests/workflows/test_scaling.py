"""``compare_scaling``: the same table swept once per scaling, the better one named, and the
comparison added to the feature-scaling finding's remedy."""

from __future__ import annotations

import pytest

from lrscout import FindingKind
from lrscout.data import housing
from lrscout.errors import InvalidConfigError
from lrscout.workflows.scaling import compare_scaling


def test_compare_scaling_reports_the_better_scaling_and_puts_the_comparison_in_the_remedy():
    comparison = compare_scaling(housing(), "price", lrs=(1e-3, 1e-2, 1e-1), steps=200, batch_size=32)
    assert comparison.better == "standard"
    assert [r.chosen_lr for r in comparison.results.values()] == [0.01, 0.1]
    assert comparison.reasons[-1] == "better: standardized features"
    raw_finding = next(f for f in comparison.results["none"].findings if f.kind is FindingKind.FEATURE_SCALING)
    assert "On standardized features this sweep chose 0.1" in raw_finding.remedy
    assert [title for title, _ in comparison.titled()] == ["raw features", "standardized features"]


def test_compare_scaling_needs_two_distinct_scalings():
    with pytest.raises(InvalidConfigError, match="scalings"):
        compare_scaling(housing(), "price", scalings=("standard",))
