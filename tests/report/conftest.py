"""Fixtures of the output tests."""

from __future__ import annotations

import pytest

from lrscout import SweepResult
from lrscout.data import housing
from lrscout.workflows.tabular import sweep_table


@pytest.fixture(scope="module")
def housing_sweep() -> SweepResult:
    """The seeds' housing example at 1e-3, 1e-2 and 0.1, mini-batches of 32 for 200 steps."""
    return sweep_table(housing(), "price", lrs=[1e-3, 1e-2, 1e-1], steps=200, batch_size=32)
