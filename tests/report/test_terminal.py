"""The terminal views: the coloured summary table and the live display while a sweep runs.

Specification:
- the summary table is coloured by verdict on a terminal, plain when output is not a terminal
  or ``NO_COLOR`` is set, and lists findings and range-test suggestions when a result has them;
- the live display shows rounds, candidates done with their verdicts, steps and pruned ones.
"""

from __future__ import annotations

import io
from dataclasses import replace

from rich.console import Console

from lrscout import Finding, FindingKind, RangeTest, Severity, SweepResult, sweep
from lrscout.problems import CallableProblem
from lrscout.report.terminal import SweepProgress, print_result


ANSI_COLOUR = "\x1b[38"  # a foreground-colour escape sequence


def rendered(result: SweepResult, **console_options) -> str:
    buffer = io.StringIO()
    print_result(result, Console(file=buffer, width=160, highlight=False, **console_options))  # as the CLI
    return buffer.getvalue()


def test_the_summary_is_coloured_on_a_terminal(result, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = rendered(result, force_terminal=True, color_system="truecolor")
    assert ANSI_COLOUR in out and "chosen learning rate: 0.01" in out


def test_the_summary_is_plain_when_not_a_terminal(result):
    out = rendered(result)
    assert "\x1b[" not in out
    assert "too_slow" in out and "diverged" in out and "chosen learning rate: 0.01" in out


def test_no_color_turns_colour_off_even_on_a_terminal(result, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    out = rendered(result, force_terminal=True)
    assert ANSI_COLOUR not in out and "good" in out


def test_findings_and_range_test_suggestions_are_listed_when_present(result):
    finding = Finding(FindingKind.FEATURE_SCALING, Severity.WARNING, "features differ in scale", "standardize them")
    test = RangeTest([1e-3, 1e-2], [1.0, 0.5], [1.0, 0.5], {"steepest": 3e-3})
    out = rendered(replace(result, findings=(finding,), range_test=test))
    assert "feature scaling" in out and "standardize them" in out and "steepest 0.003" in out


def test_the_live_display_shows_rounds_candidates_steps_and_pruned_ones():
    view = SweepProgress("sweeping toy")
    events = []

    def train(lr, steps):
        return [0.5 * (1 - lr) ** (2 * t) for t in range(steps)]

    sweep(CallableProblem(train), [1e-2, 0.5, 3.0], steps=30, on_batch=events.append)
    for event in events:
        view.update(event)
    buffer = io.StringIO()
    Console(file=buffer, width=160).print(view)
    text = buffer.getvalue()
    assert "round 1 done, 3 candidates (1 pruned)" in text
    assert "pruned at step" in text and "diverged" in text and "good" in text
