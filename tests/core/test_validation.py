"""The boundary checks' messages name the argument as the user gave it: the Python keyword from
Python, the flag from the command line (which wraps its work in ``spelled_as``)."""

from __future__ import annotations

import pytest

from lrscout._validation import argument, non_negative_int, positive_int, spelled_as
from lrscout.errors import InvalidConfigError


def test_an_argument_is_named_as_the_python_keyword_unless_the_caller_spells_it_otherwise():
    assert argument("val_fraction") == "val_fraction"
    with spelled_as(lambda name: "--" + name.replace("_", "-")):
        assert argument("val_fraction") == "--val-fraction"
    assert argument("val_fraction") == "val_fraction"            # restored on the way out


def test_the_spelling_is_restored_when_the_block_raises():
    with pytest.raises(InvalidConfigError):
        with spelled_as(str.upper):
            positive_int("steps", 0)
    assert argument("steps") == "steps"


def test_counts_that_may_be_zero_and_counts_that_may_not_name_the_value():
    assert non_negative_int("seed", 0) == 0
    with pytest.raises(InvalidConfigError, match=r"seed must be an integer >= 0, got -1"):
        non_negative_int("seed", -1)
    with pytest.raises(InvalidConfigError, match=r"steps must be an integer >= 1, got True"):
        positive_int("steps", True)
