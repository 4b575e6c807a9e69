import math

import pytest

from lrscout import InvalidGridError, check_grid, log_grid
from lrscout.core.grids import parse_grid


def test_x10_grid_is_the_seeds_sweep():
    assert log_grid(1e-4, 1) == (1e-4, 1e-3, 1e-2, 1e-1, 1.0)


def test_x3_grid_alternates_1_and_3():
    assert log_grid(1e-4, 1e-2, factor=3) == (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)


def test_per_decade_grid_is_evenly_log_spaced():
    g = log_grid(1e-3, 1e-1, per_decade=4)
    assert len(g) == 9
    ratios = {round(b / a, 6) for a, b in zip(g, g[1:])}
    assert ratios == {round(10 ** 0.25, 6)}


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf])
def test_log_grid_rejects_non_positive_or_non_finite_bounds(bad):
    with pytest.raises(InvalidGridError, match="start"):
        log_grid(bad, 1)


def test_log_grid_rejects_other_factors_with_a_hint():
    with pytest.raises(InvalidGridError, match="per_decade"):
        log_grid(1e-4, 1, factor=2)


def test_explicit_grids_are_sorted():
    assert check_grid([0.1, 1e-3, 1e-2]) == (1e-3, 1e-2, 0.1)


@pytest.mark.parametrize("grid, message", [
    ([], "empty"), ([0.0, 0.1], "positive"), ([-1e-3], "positive"), ([math.nan], "finite"),
    ([1e-3, 1e-3], "duplicate"), (["x"], "not a number"), ([True], "not a number"),
])
def test_invalid_grids_are_rejected_with_the_reason(grid, message):
    with pytest.raises(InvalidGridError, match=message):
        check_grid(grid)


def test_parse_grid_reads_commas_and_spaces():
    assert parse_grid("1e-3, 1e-2 0.1") == (1e-3, 1e-2, 0.1)
    with pytest.raises(InvalidGridError, match="'abc' is not a number"):
        parse_grid("1e-3,abc")
