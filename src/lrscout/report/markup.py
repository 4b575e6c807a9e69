"""HTML fragments of a sweep (decision, candidate table, evidence, findings, settings).

Shared by the full report (``report.html``) and the notebook summary (``report.notebook``).
Every string that did not come from this module -- column and file names, model names,
reasons that quote them, exception texts, schedule reprs -- passes through ``esc`` on its
way into the page, so a name like ``<script>`` is shown, never run.
"""

from __future__ import annotations

import html
import json
import math
from typing import Any, Iterable, Mapping

from ..core.result import SweepResult
from ..core.types import Finding, VerdictKind
from .figures import VERDICT_COLORS, VERDICT_MEANINGS, CandidateRow, RangeTestFigure, ScheduleFigure


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def number(value: float | int | None, digits: int = 4) -> str:
    if value is None:
        return "–"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"{value:.{digits}g}" if math.isfinite(value) else str(value)


def lr_text(lr: float | None) -> str:
    return "–" if lr is None else f"{lr:.3g}"


def badge(kind: VerdictKind) -> str:
    return (f'<span class="badge" style="background:{VERDICT_COLORS[kind]}" '
            f'title="{esc(VERDICT_MEANINGS[kind])}">{esc(kind.value)}</span>')


def _items(values: Iterable[str], css: str) -> str:
    items = "".join(f"<li>{esc(v)}</li>" for v in values)
    return f'<ul class="{css}">{items}</ul>' if items else ""


def verdict_legend() -> str:
    """What each colour means: a reader new to lrscout needs this before any chart."""
    entries = "".join(f'<li>{badge(kind)} {esc(VERDICT_MEANINGS[kind])}</li>' for kind in VERDICT_MEANINGS)
    return f'<ul class="legend">{entries}</ul>'


def decision_block(result: SweepResult) -> str:
    d = result.decision
    if d.chosen:
        head = f'<p class="choice ok">Chosen learning rate <strong>{esc(f"{d.lr:g}")}</strong></p>'
    else:
        head = '<p class="choice none">No learning rate chosen</p>'
    return (f'<div class="decision">{head}{_items(d.reasons, "reasons")}'
            f'{_items(d.advice, "advice")}</div>')


def _steps(row: CandidateRow) -> str:
    text = str(row.steps_used)
    if row.steps_planned is not None and row.steps_used != row.steps_planned:
        text += f" of {row.steps_planned}"
    if row.error is not None:
        text += " (failed)"
    elif row.pruned:
        text += " (pruned)"
    return text


def evidence_list(row: CandidateRow) -> str:
    if not row.evidence:
        return '<p class="muted">no evidence: nothing to read</p>'
    items = "".join(f"<dt>{esc(name.replace('_', ' '))}</dt><dd>{esc(number(value, 3))}</dd>"
                    for name, value in row.evidence)
    return f'<dl class="evidence">{items}</dl>'


def candidate_table(rows: Iterable[CandidateRow], evidence: bool = True) -> str:
    """One row per candidate; the chosen one is marked and bold."""
    head = ("<tr><th></th><th>lr</th><th>verdict</th><th>reason</th>"
            + ("<th>evidence</th>" if evidence else "")
            + "<th>steps used</th><th>final loss</th><th>val loss</th></tr>")
    body = []
    for r in rows:
        cells = [f'<td class="mark">{"★" if r.chosen else ""}</td>', f'<td class="num">{esc(lr_text(r.lr))}</td>',
                 f"<td>{badge(r.verdict)}</td>", f'<td class="reason">{esc(r.reason)}</td>']
        if evidence:
            cells.append(f"<td><details><summary>{len(r.evidence)} numbers</summary>{evidence_list(r)}</details></td>"
                         if r.evidence else "<td>–</td>")
        cells += [f'<td class="num">{esc(_steps(r))}</td>', f'<td class="num">{esc(number(r.final_loss))}</td>',
                  f'<td class="num">{esc(number(r.val_loss))}</td>']
        body.append(f'<tr class="{"chosen" if r.chosen else ""}">{"".join(cells)}</tr>')
    return f'<table class="candidates"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>'


def slider_intro_card() -> str:
    """The card shown while the slider rests on "all": how to read and use the chart."""
    return ('<div class="card" data-candidate="all" hidden><h4>All candidates</h4>'
            "<p>Move the slider under the chart to step through the candidates, from the smallest "
            "learning rate to the largest, and watch the curve go from too slow, to good, to too high. "
            "Each step shows that candidate's verdict and the numbers behind it here.</p>"
            '<p class="muted">Click a legend entry to hide or show a curve; the buttons switch between '
            "smoothed and raw losses and between linear and log axes. Hover a curve for its numbers.</p></div>")


def evidence_card(row: CandidateRow, index: int) -> str:
    """The slider's view of one candidate: its verdict, reason and numbers."""
    chosen = ' <span class="muted">(chosen)</span>' if row.chosen else ""
    return (f'<div class="card" data-candidate="{index}" hidden>'
            f'<h4>lr {esc(lr_text(row.lr))} {badge(row.verdict)}{chosen}</h4>'
            f'<p class="meaning">{esc(VERDICT_MEANINGS[row.verdict])}</p>'
            f'<p>{esc(row.reason)}</p><p class="muted">steps used: {esc(_steps(row))}</p>{evidence_list(row)}</div>')


def findings_block(findings: Iterable[Finding]) -> str:
    items = "".join(
        f'<li class="finding {esc(f.severity.value)}"><span class="severity">{esc(f.severity.value)}</span> '
        f'<strong>{esc(f.kind.value.replace("_", " "))}</strong>: {esc(f.summary)}'
        f'<div class="remedy">What to do: {esc(f.remedy)}</div>'
        + (f'<div class="muted">{esc(", ".join(f"{k} = {number(v, 3)}" for k, v in f.evidence.items()))}</div>'
           if f.evidence else "")
        + "</li>"
        for f in findings)
    if not items:
        return ('<p class="placeholder">No findings. The diagnosis looks for what is not a learning-rate '
                'problem (feature scaling, exploding gradients, noisy batches, overfitting, the edge of the '
                'grid); either it did not run for this result or it found nothing.</p>')
    return f'<ul class="findings">{items}</ul>'


def range_test_notes(fig: RangeTestFigure | None) -> str:
    if fig is None:
        return ('<p class="placeholder">No LR range test in this result. When one runs alongside the sweep '
                '(the rate ramps up in a single run while the loss is recorded), its curve and the rates '
                'its rules suggest appear here.</p>')
    rows = "".join(f"<tr><td>{esc(s.name)}</td><td class=\"num\">{esc(lr_text(s.lr))}</td>"
                   f"<td>{esc(s.reason)}</td></tr>" for s in fig.suggestions)
    early = '<p class="muted">The test stopped early: the loss diverged.</p>' if fig.stopped_early else ""
    return (f'<table class="plain"><thead><tr><th>rule</th><th>lr</th><th>why</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>{early}")


def schedule_notes(fig: ScheduleFigure | None) -> str:
    if fig is None:
        return ('<p class="placeholder">No schedule recommended in this result. When one is, its learning '
                'rate over the whole training run is plotted here, with the reasons for it.</p>')
    return (f'<p><code>{esc(fig.description)}</code> over {fig.total_steps} steps</p>'
            f'{_items(fig.reasons, "reasons")}')


def _value(value: Any) -> str:
    if isinstance(value, float):
        return number(value, 6)
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(v) for v in value) or "–"
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True, default=str)
    return "–" if value is None else str(value)


def key_values(values: Mapping[str, Any]) -> str:
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(_value(v))}</td></tr>" for k, v in values.items())
    return f'<table class="settings">{rows}</table>'


def settings_block(result: SweepResult, versions: Mapping[str, str]) -> str:
    """How the run was configured: data, model, steps, seed, the grid round by round, thresholds."""
    rounds = {f"round {i}": ", ".join(lr_text(x) for x in r) for i, r in enumerate(result.rounds, 1)}
    return (f'<div class="settings-grid"><div><h4>Run</h4>{key_values(result.config)}</div>'
            f'<div><h4>Learning rates, by planner round</h4>{key_values(rounds or {"grid": result.lrs})}'
            f'<h4>Versions</h4>{key_values(versions)}</div>'
            f'<div><h4>Thresholds</h4>{key_values(result.thresholds.to_dict())}</div></div>')
