"""The terminal and command-line side of reporting.

Specification:
- the summary table is coloured by verdict on a terminal, plain when output is not a terminal
  or ``NO_COLOR`` is set, and lists findings and range-test suggestions when a result has them;
- the live display shows rounds, candidates done with their verdicts, steps and pruned ones;
  it is off when stderr is not a terminal;
- ``--json -`` puts the results on stdout and nothing else there;
- outputs are checked before any training (suffixes, folders, missing extras);
- ``lrscout report RESULTS.json -o out.html`` rebuilds a report from saved results.

The end-to-end tests at the bottom run the installed ``lrscout`` script; they are skipped while
the command line does not offer ``--report`` or ``lrscout report`` yet.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from lrscout import (BackendUnavailableError, Finding, FindingKind, InvalidConfigError, RangeTest, ResultsFileError,
                     Severity, SweepResult, sweep)
from lrscout.cli.common import check_outputs, progress, write_outputs
from lrscout.cli.main import cli
from lrscout.cli.report_cmd import report_command
from lrscout.data import housing
from lrscout.data.housing import housing_csv
from lrscout.problems import CallableProblem
from lrscout.report.terminal import SweepProgress, print_result
from lrscout.tabular import sweep_table

LRSCOUT = Path(sys.executable).with_name("lrscout")
ANSI_COLOUR = "\x1b[38"  # a foreground-colour escape sequence


@pytest.fixture(scope="module")
def result() -> SweepResult:
    return sweep_table(housing(), "price", lrs=[1e-3, 1e-2, 1e-1], steps=200, batch_size=32)


def rendered(result: SweepResult, **console_options) -> str:
    buffer = io.StringIO()
    print_result(result, Console(file=buffer, width=160, highlight=False, **console_options))  # as the CLI
    return buffer.getvalue()


# the summary table -----------------------------------------------------------------------------
def test_the_summary_is_coloured_on_a_terminal(result, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = rendered(result, force_terminal=True, color_system="truecolor")
    assert ANSI_COLOUR in out and "chosen learning rate: 0.01" in out


def test_the_summary_is_plain_when_not_a_terminal(result):
    out = rendered(result)
    assert "\x1b[" not in out
    assert "too_slow" in out and "oscillating" in out and "chosen learning rate: 0.01" in out


def test_no_color_turns_colour_off_even_on_a_terminal(result, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    out = rendered(result, force_terminal=True)
    assert ANSI_COLOUR not in out and "good" in out


def test_findings_and_range_test_suggestions_are_listed_when_present(result):
    finding = Finding(FindingKind.FEATURE_SCALING, Severity.WARNING, "features differ in scale", "standardize them")
    test = RangeTest([1e-3, 1e-2], [1.0, 0.5], [1.0, 0.5], {"steepest": 3e-3})
    out = rendered(replace(result, findings=(finding,), range_test=test))
    assert "feature scaling" in out and "standardize them" in out and "steepest 0.003" in out


# the live display --------------------------------------------------------------------------------
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


def test_the_live_display_is_off_when_stderr_is_not_a_terminal():
    with progress(True, "sweeping") as on_batch:  # pytest captures stderr: not a terminal
        assert on_batch is None


# writing outputs -------------------------------------------------------------------------------
def test_json_dash_prints_the_results_to_stdout_and_nothing_else(result, capsys, tmp_path):
    notes = io.StringIO()
    write_outputs(result, "-", None, Console(file=notes), report_path=str(tmp_path / "r.html"))
    stdout = capsys.readouterr().out
    assert SweepResult.from_json(stdout) == result
    assert "report written to" in notes.getvalue()


def test_the_plot_and_report_show_every_panel_and_the_results_file_the_one_acted_on(result, tmp_path):
    standardized = sweep_table(housing(), "price", scale="standard", lrs=[1e-3, 1e-2, 1e-1], steps=200,
                               batch_size=32)
    write_outputs(standardized, str(tmp_path / "r.json"), str(tmp_path / "r.png"), Console(file=io.StringIO()),
                  panels=[("raw features", result), ("standardized features", standardized)],
                  report_path=str(tmp_path / "r.html"))
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert html.count('<section class="panel">') == 2
    assert SweepResult.load(tmp_path / "r.json") == standardized
    assert (tmp_path / "r.png").read_bytes().startswith(b"\x89PNG")


def test_an_output_that_fails_after_training_does_not_cost_the_others(result, tmp_path):
    # the folder is checked before training; here it disappears while the sweep runs
    gone = tmp_path / "gone"
    with pytest.raises(InvalidConfigError, match="cannot write plot") as failure:
        write_outputs(result, str(tmp_path / "r.json"), str(gone / "curves.png"), Console(file=io.StringIO()),
                      report_path=str(tmp_path / "r.html"))
    assert "curves.png" in str(failure.value)
    assert SweepResult.load(tmp_path / "r.json") == result and (tmp_path / "r.html").stat().st_size > 0


@pytest.mark.parametrize("args, message", [
    (dict(report_path="out.pdf"), "--report 'out.pdf': the file must end in .html"),
    (dict(report_path="no/such/folder/out.html"), "the folder 'no/such/folder' does not exist"),
    (dict(json_path="-", plot_path="curves.txt"), "--plot 'curves.txt'"),
])
def test_bad_outputs_are_refused_before_any_training(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidConfigError, match=re.escape(message)):
        check_outputs(args.get("json_path"), args.get("plot_path"), args.get("report_path"))


def test_a_missing_extra_is_refused_before_any_training(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(BackendUnavailableError, match="lrscout\\[tensorboard\\]"):
        check_outputs(None, None, tensorboard_dir="runs")


# lrscout report ----------------------------------------------------------------------------------
def test_report_rebuilds_the_html_from_saved_results(result, tmp_path):
    saved = result.save(tmp_path / "sweep.json")
    outcome = CliRunner().invoke(report_command, [str(saved), "-o", str(tmp_path / "out.html"), "--title", "Mine"])
    assert outcome.exit_code == 0, outcome.output
    html = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert "<title>Mine</title>" in html and "Chosen learning rate <strong>0.01" in html


def test_report_of_several_results_has_one_section_each_named_by_file(result, tmp_path):
    raw, other = result.save(tmp_path / "raw.json"), result.save(tmp_path / "standardized.json")
    outcome = CliRunner().invoke(report_command, [str(raw), str(other)])
    assert outcome.exit_code == 0, outcome.output
    html = (tmp_path / "raw.html").read_text(encoding="utf-8")  # default: next to the first file
    assert ">raw</h2>" in html and ">standardized</h2>" in html


def test_report_of_a_file_that_is_not_results_is_a_clear_error(tmp_path):
    bogus = tmp_path / "bogus.json"
    bogus.write_text(json.dumps({"schema": "something/else"}))
    outcome = CliRunner().invoke(report_command, [str(bogus)])
    assert isinstance(outcome.exception, ResultsFileError)
    assert "not an lrscout sweep result" in str(outcome.exception)


# end to end, through the installed script (once cli/main.py offers the options) -------------------
def _has_sweep_option(name: str) -> bool:
    return any(p.name == name for p in cli.commands["sweep"].params)


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    return subprocess.run([str(LRSCOUT), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not _has_sweep_option("report_path"), reason="lrscout sweep has no --report option yet")
def test_sweep_writes_a_report_and_json_dash_keeps_stdout_for_the_results(tmp_path):
    (tmp_path / "houses.csv").write_text(housing_csv(n=300))
    done = run_cli("sweep", "houses.csv", "--target", "price", "--lrs", "1e-3,1e-2,1e-1", "--batch-size", "32",
                   "--report", "report.html", "--json", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert SweepResult.from_json(done.stdout).chosen_lr == 0.01
    assert "report written to report.html" in done.stderr
    assert "Chosen learning rate" in (tmp_path / "report.html").read_text(encoding="utf-8")


@pytest.mark.skipif("report" not in cli.commands, reason="lrscout report is not registered yet")
def test_the_report_command_is_part_of_lrscout(result, tmp_path):
    result.save(tmp_path / "sweep.json")
    done = run_cli("report", "sweep.json", "-o", "out.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.html").stat().st_size > 1_000_000
    bad = run_cli("report", "sweep.json", "-o", "out.txt", cwd=tmp_path)
    assert bad.returncode == 2 and "must end in .html" in bad.stderr and "Traceback" not in bad.stderr
