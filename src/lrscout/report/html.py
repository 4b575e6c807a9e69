"""The HTML report: one self-contained page per sweep (or several sweeps side by side).

The page opens offline: plotly's JavaScript is inlined once (about 4.9 MB), as
``include_plotlyjs=True`` would do for a single chart; a CDN link would draw a blank page
without a network. Reading order follows a reader's questions: what was chosen and why (top),
what the curves look like (the chart, with a slider that walks through the candidates), the
numbers behind every verdict (the table), then validation, range test, schedule, diagnosis and
how the run was configured. A section whose data the result does not carry (range test,
schedule, findings) keeps its place and says what would appear there.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .._version import __version__
from ..core.files import write_atomic
from ..core.result import SweepResult
from ..errors import InvalidConfigError
from . import charts, markup
from .assets import CSS, SCRIPT
from .figures import (CandidateRow, ScheduleLike, candidate_rows, curve_figure, loss_by_lr_figure, range_test_figure,
                      schedule_figure)

DEFAULT_TITLE = "lrscout: learning-rate sweep"
SUFFIXES = (".html", ".htm")


@dataclass(frozen=True)
class Panel:
    """One sweep in a report: a heading, the result, and a schedule recommended for it, if any."""

    title: str
    result: SweepResult
    schedule: ScheduleLike | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.result, SweepResult):
            raise InvalidConfigError(f"panel {self.title!r}: expected a SweepResult, got {type(self.result).__name__}")


Reports = SweepResult | Sequence[Panel | tuple[str, SweepResult]]


def panels_of(results: Reports, schedule: ScheduleLike | None = None) -> tuple[Panel, ...]:
    """A result, or ``Panel``s / ``(title, result)`` pairs; ``schedule`` goes with a single result."""
    if isinstance(results, SweepResult):
        return (Panel("", results, schedule),)
    if schedule is not None:
        raise InvalidConfigError("schedule= goes with a single result; with several, give each Panel its schedule")
    panels = tuple(p if isinstance(p, Panel) else Panel(*p) for p in results)
    if not panels:
        raise InvalidConfigError("a report needs at least one sweep result, got none")
    return panels


def _versions() -> dict[str, str]:
    import plotly

    return {"lrscout (report)": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "plotly": plotly.__version__}


def _chart(fig, div_id: str) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=charts.CONFIG)


def _overview(panels: Sequence[Panel]) -> str:
    boxes = "".join(f'<div class="box">{f"<h3>{markup.esc(p.title)}</h3>" if p.title else ""}'
                    f"{markup.decision_block(p.result)}</div>" for p in panels)
    return f'<section class="overview">{boxes}</section>'


def _block(heading: str, *parts: str) -> str:
    return f"<div><h3>{heading}</h3>{''.join(parts)}</div>"


def _pair(left: str, right: str) -> str:
    return f'<div class="two">{left}{right}</div>'


def _explore(result: SweepResult, rows: Sequence[CandidateRow], index: int) -> str:
    """The curves chart beside the cards its slider flips through, one per candidate."""
    chart_id = f"curves-{index}"
    cards = markup.slider_intro_card() + "".join(markup.evidence_card(row, i) for i, row in enumerate(rows))
    return (f'<h3>Training loss per candidate</h3><div class="explore">'
            f"<div>{_chart(charts.curves_chart(curve_figure(result)), chart_id)}</div>"
            f'<aside class="cards" data-lrscout-cards="{chart_id}" id="cards-{index}">{cards}</aside></div>')


def _panel(panel: Panel, index: int) -> str:
    result = panel.result
    rows = candidate_rows(result)
    range_fig = None if result.range_test is None else range_test_figure(result.range_test)
    schedule_fig = None if panel.schedule is None else schedule_figure(panel.schedule)
    sections = [
        f'<h2 id="panel-{index}">{markup.esc(panel.title or "The sweep")}</h2>',
        _explore(result, rows, index),
        f"<h3>Candidates</h3>{markup.candidate_table(rows)}",
        _pair(_block("Loss against learning rate",
                     _chart(charts.loss_by_lr_chart(loss_by_lr_figure(result)), f"by-lr-{index}")),
              _block("LR range test",
                     "" if range_fig is None else _chart(charts.range_test_chart(range_fig), f"range-test-{index}"),
                     markup.range_test_notes(range_fig))),
        _pair(_block("Recommended schedule",
                     "" if schedule_fig is None else _chart(charts.schedule_chart(schedule_fig), f"schedule-{index}"),
                     markup.schedule_notes(schedule_fig)),
              _block("Diagnosis", markup.findings_block(result.findings))),
        f'<details class="config"><summary><strong>How this sweep was run</strong>: data, model, grid, steps, '
        f"seed, thresholds, versions</summary>{markup.settings_block(result, _versions())}</details>",
    ]
    return f'<section class="panel">{"".join(sections)}</section>'


def render_html(results: Reports, *, title: str | None = None, schedule: ScheduleLike | None = None) -> str:
    """The report as one self-contained HTML page.

    ``results`` is a ``SweepResult``, or a sequence of ``Panel`` or ``(title, result)`` pairs shown
    one after another (e.g. raw and standardized features). ``schedule`` -- anything with
    ``schedule`` (a callable step -> lr), ``total_steps`` and ``reasons``, such as
    ``RecommendedSchedule`` -- adds its plot to a single result's report.
    """
    from plotly.offline import get_plotlyjs

    panels = panels_of(results, schedule)
    page_title = title or DEFAULT_TITLE
    nav = ""
    if len(panels) > 1:
        links = "".join(f'<a href="#panel-{i}">{markup.esc(p.title or f"sweep {i + 1}")}</a>'
                        for i, p in enumerate(panels))
        nav = f'<nav class="panels">Jump to: {links}</nav>'
    body = "".join(_panel(p, i) for i, p in enumerate(panels))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{markup.esc(page_title)}</title><style>{CSS}</style>"
        # plotly's own preamble for an inlined bundle: MathJax, if any, stays local
        "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>"
        f"<script>{get_plotlyjs()}</script></head><body><main>"
        f'<header><h1>{markup.esc(page_title)}</h1><p class="sub">Short training runs at several learning rates, '
        f"each curve read and given a verdict, and the rate chosen from them, with reasons.</p></header>"
        f"{_overview(panels)}{markup.verdict_legend()}{nav}{body}"
        f'<footer>Made by lrscout {markup.esc(__version__)}. This page works offline: everything it needs is in '
        f"this one file.</footer></main><script>{SCRIPT}</script></body></html>\n")


def write_html(results: Reports, path: str | os.PathLike[str], *, title: str | None = None,
               schedule: ScheduleLike | None = None) -> Path:
    """Write ``render_html(...)`` to ``path`` atomically; the file must end in .html or .htm."""
    p = Path(path)
    if p.suffix.lower() not in SUFFIXES:
        raise InvalidConfigError(f"report {str(p)!r}: the file must end in {' or '.join(SUFFIXES)}")
    text = render_html(results, title=title, schedule=schedule)
    try:
        return write_atomic(p, text)
    except OSError as exc:
        raise InvalidConfigError(f"cannot write report {str(p)!r}: {exc.strerror or exc}") from None


def to_html(results: Reports, path: str | os.PathLike[str] | None = None, *, title: str | None = None,
            schedule: ScheduleLike | None = None) -> Path | str:
    """The report written to ``path`` (returned), or, without a path, the page as a string.

    What ``SweepResult.to_html`` does (lrscout/__init__.py registers this function behind it).
    """
    if path is None:
        return render_html(results, title=title, schedule=schedule)
    return write_html(results, path, title=title, schedule=schedule)
