"""What a user reads.

Specification:
- the example is called by what it is, the house-price example (lot frontage and depth),
  wherever a user meets it: ``--help``, the demo's output, the report's title, the lab's list;
  no text refers to "the seeds", which a user has never seen;
- the candidate table keeps one line per candidate: at a width where the reasons do not fit
  beside the numbers (80 columns when piped), they follow the table, one line each; on a wide
  terminal they stay in the table.
"""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from cli_helpers import invoke
from lrscout.report.terminal import print_result
from lrscout.data import housing
from lrscout.data.housing import housing_csv
from lrscout.tabular import sweep_table

TABLE_ROW = re.compile(r"^│.*│$")


@pytest.fixture(scope="module")
def result():
    return sweep_table(housing(), "price", lrs=[1e-4, 1e-3, 1e-2, 1e-1, 1.0], steps=100, batch_size=32)


def printed(result, width: int) -> str:
    buffer = io.StringIO()
    print_result(result, Console(file=buffer, width=width, highlight=False))
    return buffer.getvalue()


@pytest.mark.parametrize("args", [("--help",), ("demo", "--help"), ("lab", "--list"), ("sweep", "--help")])
def test_no_help_text_mentions_the_seeds(tmp_path, args):
    outcome = invoke(*args, cwd=tmp_path)
    assert outcome.code == 0, outcome.output
    assert "seeds" not in outcome.output.lower()


def test_the_demo_is_the_house_price_example_in_its_help_output_and_report(tmp_path):
    assert "house-price example (lot frontage and depth)" in " ".join(invoke("--help", cwd=tmp_path).stdout.split())
    outcome = invoke("demo", "--out", "demo", cwd=tmp_path)
    assert outcome.code == 0, outcome.output
    assert "The house-price example: price from lot frontage and depth" in " ".join(outcome.stdout.split())
    assert "seeds" not in outcome.output.lower()
    html = (tmp_path / "demo" / "report.html").read_text(encoding="utf-8")
    assert "<title>lrscout demo: the house-price example</title>" in html
    assert "seeds" not in html.split("<script>")[0].lower()   # the page's text, before plotly's bundle


@pytest.mark.parametrize("width", [80, 100, 120])
def test_each_candidate_keeps_one_table_line_and_its_reason_follows(result, width):
    text = printed(result, width)
    rows = [line for line in text.splitlines() if TABLE_ROW.match(line)]
    assert len(rows) == len(result.candidates)
    assert all(len(line) <= width for line in text.splitlines())
    for c in result.candidates:   # each reason after the table, starting on the line of its rate and verdict
        assert f"{c.kind.value}: {c.verdict.reason.split()[0]}" in text
    flat = " ".join(text.split())
    assert all(" ".join(c.verdict.reason.split()) in flat for c in result.candidates)


def test_a_wide_terminal_keeps_the_reasons_in_the_table(result):
    text = printed(result, 240)
    rows = [line for line in text.splitlines() if TABLE_ROW.match(line)]
    assert len(rows) == len(result.candidates)
    assert all(c.verdict.reason in text for c in result.candidates)
    assert "reason" in text.splitlines()[1]


def test_piped_output_has_one_line_per_candidate(tmp_path):
    (tmp_path / "houses.csv").write_text(housing_csv())
    outcome = invoke("sweep", "houses.csv", "-t", "price", "--lrs", "1e-4,1e-3,1e-2,1e-1,1", "--batch-size", "32",
                     cwd=tmp_path, columns=80)
    assert outcome.code == 0, outcome.output
    rows = [line for line in outcome.stdout.splitlines() if TABLE_ROW.match(line)]
    assert len(rows) == 5, outcome.stdout

