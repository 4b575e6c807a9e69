"""The candidate table keeps one line per candidate (``lrscout.report.terminal.print_result``).

Specification: at a width where the reasons do not fit beside the numbers (80 columns when
piped), they follow the table, one line each, starting with the rate and verdict they belong
to; on a wide terminal they stay in the table. No line is wider than the console.
"""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from lrscout.data import housing
from lrscout.report.terminal import print_result
from lrscout.workflows.tabular import sweep_table

TABLE_ROW = re.compile(r"^│.*│$")


@pytest.fixture(scope="module")
def five_rates():
    return sweep_table(housing(), "price", lrs=[1e-4, 1e-3, 1e-2, 1e-1, 1.0], steps=100, batch_size=32)


def printed(result, width: int) -> str:
    buffer = io.StringIO()
    print_result(result, Console(file=buffer, width=width, highlight=False))
    return buffer.getvalue()


@pytest.mark.parametrize("width", [80, 100, 120])
def test_each_candidate_keeps_one_table_line_and_its_reason_follows(five_rates, width):
    text = printed(five_rates, width)
    rows = [line for line in text.splitlines() if TABLE_ROW.match(line)]
    assert len(rows) == len(five_rates.candidates)
    assert all(len(line) <= width for line in text.splitlines())
    for c in five_rates.candidates:   # each reason after the table, starting on the line of its rate and verdict
        assert f"{c.kind.value}: {c.verdict.reason.split()[0]}" in text
    flat = " ".join(text.split())
    assert all(" ".join(c.verdict.reason.split()) in flat for c in five_rates.candidates)


def test_a_wide_terminal_keeps_the_reasons_in_the_table(five_rates):
    text = printed(five_rates, 240)
    rows = [line for line in text.splitlines() if TABLE_ROW.match(line)]
    assert len(rows) == len(five_rates.candidates)
    assert all(c.verdict.reason in text for c in five_rates.candidates)
    assert "reason" in text.splitlines()[1]
