import numpy as np
import pytest

from lrscout import SweepResult
from lrscout.data import housing
from lrscout.workflows.tabular import sweep_table


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="module")
def result() -> SweepResult:
    """The seeds' housing example swept at 1e-3, 1e-2 and 0.1 (0.01 chosen), for the output tests."""
    return sweep_table(housing(), "price", lrs=[1e-3, 1e-2, 1e-1], steps=200, batch_size=32)
