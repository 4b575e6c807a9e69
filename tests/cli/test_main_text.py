"""What a user of the command line reads.

Specification:
- the example is called by what it is, the house-price example (lot frontage and depth),
  wherever a user meets it: ``--help``, the demo's output, the report's title, the lab's list;
  no text refers to "the seeds", which a user has never seen;
- piped output (80 columns) keeps one table line per candidate (``tests/report/test_terminal_lines.py``
  specifies the table at every width).
"""

from __future__ import annotations

import re

import pytest

from cli_helpers import housing_csv, invoke

TABLE_ROW = re.compile(r"^│.*│$")


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


def test_piped_output_has_one_line_per_candidate(tmp_path):
    (tmp_path / "houses.csv").write_text(housing_csv())
    outcome = invoke("sweep", "houses.csv", "-t", "price", "--lrs", "1e-4,1e-3,1e-2,1e-1,1", "--batch-size", "32",
                     cwd=tmp_path, columns=80)
    assert outcome.code == 0, outcome.output
    rows = [line for line in outcome.stdout.splitlines() if TABLE_ROW.match(line)]
    assert len(rows) == 5, outcome.stdout

