"""``prepare``: a table to training arrays. Its messages name ``prepare``'s own arguments; the
command line shows its flags instead (tests/cli/test_sweep_cmd.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lrscout.cli.main import as_flag
from lrscout._validation import spelled_as
from lrscout.data import Table, housing, prepare
from lrscout.errors import DataError, InvalidConfigError


def constant_column_table() -> Table:
    t = housing(n=50)
    return Table(name="lots", columns=t.columns + ("zone",), cells=t.cells + (("1",) * 50,))


@pytest.mark.parametrize("options, error, python, flag", [
    (dict(model="quadratic"), InvalidConfigError, "model must be one of", "--model must be one of"),
    (dict(scale="log"), InvalidConfigError, "scale must be one of", "--scale must be one of"),
    (dict(model="logistic"), DataError, "use model 'softmax' or 'linear'", "use --model 'softmax' or 'linear'"),
])
def test_a_bad_option_is_named_as_the_argument_from_python_and_as_the_flag_from_the_command_line(
        options, error, python, flag):
    with pytest.raises(error, match=python):
        prepare(housing(n=50), "price", **options)
    with spelled_as(as_flag), pytest.raises(error, match=flag):
        prepare(housing(n=50), "price", **options)


def test_a_constant_feature_is_named_with_the_argument_that_leaves_it_out():
    with pytest.raises(DataError, match=r"'zone'.*zero variance.*name the others in features\)"):
        prepare(constant_column_table(), "price")


def test_the_target_cannot_also_be_a_feature_and_a_table_needs_one_besides_it():
    with pytest.raises(InvalidConfigError, match="the target 'price' cannot also be a feature"):
        prepare(housing(n=50), "price", features=["frontage", "price"])
    only = Table(name="thin", columns=("price",), cells=(housing(n=50).cells[2],))
    with pytest.raises(DataError, match="thin: no feature columns besides the target 'price'"):
        prepare(only, "price")


@pytest.mark.parametrize("factor", [1e-200, 1e-300, 1e-320, 1e150])
@pytest.mark.parametrize("scale", ["standard", "minmax"])
def test_scaling_gives_a_feature_at_any_magnitude_unit_spread_without_a_warning(factor, scale):
    # at 1e-200 the squared deviations underflow to 0, which made the standard deviation 0
    t = housing(n=50)
    frontage = tuple(f"{float(v) * factor:.6g}" for v in t.column("frontage"))
    tiny = Table(name="lots", columns=t.columns, cells=(frontage,) + t.cells[1:])
    reference = prepare(t, "price", scale=scale).X_train[:, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scaled = prepare(tiny, "price", scale=scale).X_train[:, 0]
    digits = 1e-2 if factor < 1e-307 else 1e-6   # a subnormal value holds only a few digits
    spread = scaled.std() if scale == "standard" else np.ptp(scaled)
    assert spread == pytest.approx(1.0, rel=digits)
    np.testing.assert_allclose(scaled, reference, atol=digits)   # the same column as at its usual magnitude
