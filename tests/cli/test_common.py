"""What the commands share (``cli/common.py``): the live display, writing outputs, and checking
them before any training.

Specification:
- the live display is off when stderr is not a terminal;
- ``--json -`` puts the results on stdout and nothing else there;
- the plot and the report show every panel, the results file the result acted on;
- outputs are checked before any training (suffixes, folders, missing extras).
"""

from __future__ import annotations

import io
import re
import sys

import pytest
from rich.console import Console

from lrscout import BackendUnavailableError, InvalidConfigError, SweepResult
from lrscout.cli.common import check_outputs, progress, write_outputs
from lrscout.data import housing
from lrscout.workflows.tabular import sweep_table


# the live display --------------------------------------------------------------------------------
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
