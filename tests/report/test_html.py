"""The HTML report and the notebook summary, read as text (the charts: tests/report/test_charts.py).

Specification:
- one self-contained page: plotly's JavaScript inlined, no external script, stylesheet or CDN;
- the decision and its reasons come first, then per sweep: the curves chart (one trace per
  candidate, raw/smoothed and linear/log buttons, a slider with one step per candidate),
  the candidate table, loss against lr, range test, schedule, findings and settings;
- range test, schedule and findings are drawn when present and leave a placeholder when not;
- every user-supplied string (column, file and model names, exception texts) is escaped;
- the notebook summary is small: a table and a PNG, no plotly.
"""

from __future__ import annotations

import html as html_module
import re
from dataclasses import replace

import numpy as np
import pytest

from lrscout import (CallableProblem, Finding, FindingKind, InvalidConfigError, RangeTest, Severity, SweepResult,
                     VerdictKind, sweep)
from lrscout.data import Table, housing
from lrscout.report.figures import RecommendedSchedule
from lrscout.report.html import Panel, render_html, write_html
from lrscout.report.notebook import summary_html
from lrscout.core.schedules import warmup_cosine
from lrscout.workflows.tabular import sweep_table

HOSTILE_COLUMN = "<script>window.pwned = 'column'</script>"
HOSTILE_FILE = "<img src=x onerror=\"window.pwned = 'file'\">.csv"
HOSTILE_MODEL = "<script>window.pwned = 'model'</script>"
HOSTILE_ERROR = "<img src=x onerror=\"window.pwned = 'error'\">"


def hostile_table() -> Table:
    """The housing data with a column and a file name that would run script if not escaped."""
    t = housing(n=200)
    return Table(name=HOSTILE_FILE, columns=(HOSTILE_COLUMN, "depth", "price"), cells=t.cells)


def hostile_sweep() -> SweepResult:
    return sweep_table(hostile_table(), "price", lrs=[1e-2, 1e-1], steps=60, batch_size=32)


def everything_sweep() -> SweepResult:
    """A sweep with every section filled: a failed candidate, findings and a range test."""
    def train(lr, steps):
        if lr > 1:
            raise RuntimeError(HOSTILE_ERROR)
        return [0.5 * (1 - lr) ** (2 * t) + 0.01 for t in range(steps)]

    result = sweep(CallableProblem(train, name=HOSTILE_MODEL), [1e-3, 1e-1, 0.5, 3.0], steps=50)
    lrs = np.geomspace(1e-4, 3.0, 60)
    smoothed = 0.5 / (1 + (lrs / 0.05)) + 0.01
    range_test = RangeTest(lrs, smoothed * 1.02, smoothed, {"steepest": 0.05, "valley": 0.2},
                           {"steepest": "steepest descent of the smoothed loss", "valley": "<b>valley</b> rule"})
    finding = Finding(FindingKind.GRID_EDGE, Severity.WARNING, "the chosen rate is at the grid's edge",
                      "extend the grid upward", {"largest_good_lr": 0.5})
    return replace(result, findings=(finding,), range_test=range_test)


@pytest.fixture(scope="module")
def page(housing_sweep) -> str:
    return render_html(housing_sweep)


# the page --------------------------------------------------------------------------------------
def test_the_page_is_self_contained_and_opens_offline(page):
    assert page.startswith("<!DOCTYPE html>")
    assert "Plotly" in page and len(page) > 3_000_000  # plotly.js is inlined, not linked
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)


def test_the_decision_and_its_reasons_come_before_any_chart(housing_sweep, page):
    decision = page.index("Chosen learning rate")
    assert decision < page.index('class="plotly-graph-div"')
    for reason in housing_sweep.decision.reasons:
        assert page.index(reason.replace("'", "&#x27;")) < page.index('class="plotly-graph-div"')


def test_every_section_has_its_place(page):
    for heading in ("Training loss per candidate", "Candidates", "Loss against learning rate", "LR range test",
                    "Recommended schedule", "Diagnosis", "How this sweep was run"):
        assert heading in page


def test_missing_range_test_schedule_and_findings_leave_a_placeholder(housing_sweep):
    page = render_html(replace(housing_sweep, findings=()))
    assert "No LR range test in this result" in page
    assert "No schedule recommended in this result" in page
    assert "No findings" in page
    assert 'id="range-test-0"' not in page and 'id="schedule-0"' not in page


def test_range_test_schedule_and_findings_are_drawn_when_present():
    schedule = warmup_cosine(0.5, warmup_steps=100, total_steps=1000)
    html = render_html(everything_sweep(), schedule=RecommendedSchedule(schedule, 1000, ("warm up, then decay",)))
    assert 'id="range-test-0"' in html and "steepest descent of the smoothed loss" in html
    assert 'id="schedule-0"' in html and "warm up, then decay" in html
    assert "the chosen rate is at the grid&#x27;s edge" in html and "extend the grid upward" in html
    assert "No LR range test" not in html and "No schedule recommended" not in html and "No findings" not in html


def test_settings_show_config_grid_thresholds_and_versions(housing_sweep, page):
    assert "FixedGrid([0.001, 0.01, 0.1])" in page  # the planner, from result.config
    assert "round 1" in page and "val_margin" in page and "plotly" in page


def test_several_sweeps_become_sections_with_the_decisions_side_by_side(housing_sweep):
    standardized = sweep_table(housing(), "price", scale="standard", lrs=[1e-3, 1e-2, 1e-1], steps=200,
                               batch_size=32)
    html = render_html([("raw features", housing_sweep), Panel("standardized features", standardized)])
    assert html.count('<section class="panel">') == 2
    assert 'id="curves-0"' in html and 'id="curves-1"' in html
    assert html.index("Chosen learning rate <strong>0.01") < html.index("Chosen learning rate <strong>0.1<")


def test_a_schedule_for_several_sweeps_must_name_its_panel(housing_sweep):
    schedule = RecommendedSchedule(warmup_cosine(0.1, 10, 100), 100)
    with pytest.raises(InvalidConfigError, match="Panel"):
        render_html([("a", housing_sweep), ("b", housing_sweep)], schedule=schedule)
    with pytest.raises(InvalidConfigError, match="at least one"):
        render_html([])


def test_write_html_writes_the_page_and_rejects_other_suffixes(housing_sweep, tmp_path):
    path = write_html(housing_sweep, tmp_path / "sweep.html", title="My sweep")
    assert "<title>My sweep</title>" in path.read_text(encoding="utf-8")
    with pytest.raises(InvalidConfigError, match="sweep.txt"):
        write_html(housing_sweep, tmp_path / "sweep.txt")


# safety ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("hostile", [HOSTILE_COLUMN, HOSTILE_FILE])
def test_column_and_file_names_are_shown_escaped_never_as_markup(hostile):
    html = render_html(hostile_sweep())
    assert hostile not in html
    assert html_module.escape(hostile) in html


@pytest.mark.parametrize("hostile", [HOSTILE_MODEL, HOSTILE_ERROR])
def test_model_names_and_exception_texts_are_escaped(hostile):
    html = render_html(everything_sweep())
    assert hostile not in html and "window.pwned" in html  # present, as text


# notebook ----------------------------------------------------------------------------------------
def test_the_notebook_summary_is_a_small_table_with_an_inline_png(housing_sweep):
    html = summary_html(housing_sweep)
    assert "data:image/png;base64," in html
    assert len(html) < 200_000 and "Plotly" not in html
    assert html.count("<tr") == 1 + len(housing_sweep.candidates)
    assert "Chosen learning rate <strong>0.01</strong>" in html
    for kind in {c.kind for c in housing_sweep.candidates}:
        assert f">{kind.value}<" in html


def test_the_notebook_summary_escapes_too():
    html = summary_html(everything_sweep())
    assert HOSTILE_ERROR not in html and VerdictKind.FAILED.value in html
