"""What the commands write, checked before any work.

Specification:
- no output (--json, its journal, --plot, --report, --tensorboard, report's --output) may be a
  file the command reads, under any name (``./``, a symbolic link, a hard link, a linked
  folder), nor another output: the command exits 2 before it trains and the file is unchanged;
- every output's folder is tried for writing before training, so an unwritable one costs no
  training and leaves nothing behind (no journal that would refuse the corrected rerun);
- a journal this run created is removed when the sweep stops before any candidate finished.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cli_helpers import assert_error, changed, housing_csv, invoke, regression_csv, snapshot
from lrscout import SweepResult
from lrscout.problems.numpy_models import NumpyCohort, NumpyProblem


FAST = ("--lrs", "0.01,0.1", "--steps", "10")


def assert_refused(outcome, *fragments: str) -> None:
    assert_error(outcome, *fragments)
    assert outcome.stdout == "", outcome.stdout          # refused before any training


# an output that is the data file ----------------------------------------------------------------
@pytest.mark.parametrize("data_name, option", [("d.csv", "--json"), ("d.png", "--plot"), ("d.html", "--report"),
                                               ("d.csv", "--tensorboard")])
def test_an_output_naming_the_data_file_is_refused_and_the_data_is_unchanged(tmp_path, data_name, option):
    regression_csv(tmp_path, name=data_name)
    before = snapshot(tmp_path)
    outcome = invoke("sweep", data_name, "-t", "y", *FAST, option, data_name, cwd=tmp_path)
    assert_refused(outcome, f"{option} '{data_name}'")
    assert "data file" in outcome.stderr or "is a file" in outcome.stderr
    assert changed(before, snapshot(tmp_path)) == set()


@pytest.mark.parametrize("spelling", ["./d.csv", "sub/../d.csv", "link.csv", "hard.csv", "linked/d.csv"])
def test_the_data_file_under_another_name_is_still_the_data_file(tmp_path, spelling):
    regression_csv(tmp_path, name="d.csv")
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.csv").symlink_to("d.csv")
    os.link(tmp_path / "d.csv", tmp_path / "hard.csv")
    (tmp_path / "linked").symlink_to(tmp_path, target_is_directory=True)
    before = snapshot(tmp_path)
    assert_refused(invoke("sweep", "d.csv", "-t", "y", *FAST, "--json", spelling, cwd=tmp_path),
                   f"--json '{spelling}' is the data file 'd.csv'")
    assert changed(before, snapshot(tmp_path)) == set()


def test_reading_through_a_link_and_writing_the_real_file_is_refused(tmp_path):
    regression_csv(tmp_path, name="d.csv")
    (tmp_path / "link.csv").symlink_to("d.csv")
    assert_refused(invoke("sweep", "link.csv", "-t", "y", *FAST, "--json", "d.csv", cwd=tmp_path),
                   "is the data file 'link.csv'")


def test_the_journal_of_the_results_file_may_not_be_the_data_file(tmp_path):
    regression_csv(tmp_path, name="r.journal.jsonl")
    before = snapshot(tmp_path)
    assert_refused(invoke("sweep", "r.journal.jsonl", "-t", "y", *FAST, "--json", "r.json", cwd=tmp_path),
                   "the journal of --json 'r.journal.jsonl' is the data file")
    assert changed(before, snapshot(tmp_path)) == set()


def test_two_outputs_through_a_linked_folder_are_one_file(tmp_path):
    regression_csv(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "out", target_is_directory=True)
    assert_refused(invoke("sweep", "reg.csv", "-t", "y", *FAST, "--json", "out/r.html", "--report", "alias/r.html",
                          cwd=tmp_path), "--json and --report both name 'out/r.html'")


def test_report_refuses_to_write_over_a_results_file_it_reads(tmp_path):
    regression_csv(tmp_path)
    assert invoke("sweep", "reg.csv", "-t", "y", *FAST, "--json", "r.html", cwd=tmp_path).code == 0
    before = snapshot(tmp_path)
    for args in (("r.html",), ("r.html", "-o", "./r.html")):   # the default output is the first input's .html
        assert_refused(invoke("report", *args, cwd=tmp_path), "--output", "is the results file 'r.html'")
    assert changed(before, snapshot(tmp_path)) == set()
    SweepResult.load(tmp_path / "r.html")


# outputs that cannot be written ----------------------------------------------------------------------
def test_a_device_is_not_an_output_file(tmp_path):
    regression_csv(tmp_path)
    assert_refused(invoke("sweep", "reg.csv", "-t", "y", *FAST, "--json", os.devnull, cwd=tmp_path),
                   "not a regular file", "--json - prints the results")


@pytest.mark.parametrize("option", ["--json", "--plot", "--report", "--tensorboard"])
def test_an_empty_output_name_is_refused(tmp_path, option):
    regression_csv(tmp_path)
    assert_refused(invoke("sweep", "reg.csv", "-t", "y", *FAST, option, "", cwd=tmp_path), f"{option} is empty")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs a folder nobody can write to: /proc")
@pytest.mark.parametrize("option, path", [("--json", "/proc/r.json"), ("--plot", "/proc/p.png"),
                                          ("--report", "/proc/r.html"), ("--tensorboard", "/proc/runs")])
def test_every_output_is_tried_for_writing_before_training(tmp_path, option, path):
    regression_csv(tmp_path)
    before = snapshot(tmp_path)
    assert_refused(invoke("sweep", "reg.csv", "-t", "y", *FAST, "--json", "out.json", option, path, cwd=tmp_path)
                   if option != "--json" else invoke("sweep", "reg.csv", "-t", "y", *FAST, option, path, cwd=tmp_path),
                   f"{option} '{path}'", "cannot write in")
    assert changed(before, snapshot(tmp_path)) == set()       # no journal left to refuse the rerun
    rerun = invoke("sweep", "reg.csv", "-t", "y", *FAST, "--json", "out.json", cwd=tmp_path)
    assert rerun.code == 0, rerun.output


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs a folder nobody can write to: /proc")
@pytest.mark.parametrize("args", [("demo", "--out", "/proc/demo"), ("lab", "scaling", "--plot", "/proc/l.png"),
                                  ("schedule", "cosine", "--peak", "0.1", "--steps", "100", "--plot", "/proc/s.png")])
def test_the_other_commands_try_their_outputs_before_working(tmp_path, args):
    assert_refused(invoke(*args, cwd=tmp_path), "/proc", "cannot write in")


# the journal of a sweep that did not start ---------------------------------------------------------
def test_a_sweep_that_fails_before_any_candidate_finishes_leaves_no_journal(tmp_path, monkeypatch):
    regression_csv(tmp_path)

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(NumpyProblem, "train", out_of_memory)
    outcome = invoke("sweep", "reg.csv", "-t", "y", *FAST, "--json", "r.json", cwd=tmp_path)
    assert outcome.code == 2 and "ran out of memory" in outcome.stderr, outcome.output
    assert not (tmp_path / "r.journal.jsonl").exists()
    monkeypatch.undo()
    rerun = invoke("sweep", "reg.csv", "-t", "y", *FAST, "--json", "r.json", cwd=tmp_path)
    assert rerun.code == 0, rerun.output


def test_an_interrupted_sweeps_journal_with_candidates_is_kept_for_resume(tmp_path, monkeypatch):
    regression_csv(tmp_path)
    real_train_to = NumpyCohort.train_to      # how the budgeted search trains the built-in models
    rounds = []

    def fail_in_the_second_round(*args, **kwargs):
        rounds.append(1)
        if len(rounds) > 1:
            raise MemoryError
        return real_train_to(*args, **kwargs)

    monkeypatch.setattr(NumpyCohort, "train_to", fail_in_the_second_round)
    # 30-step windows: the budget (90 steps) leaves the search rounds after the first
    outcome = invoke("sweep", "reg.csv", "-t", "y", "--steps", "30", "--json", "r.json", cwd=tmp_path)
    assert outcome.code == 2, outcome.output
    assert (tmp_path / "r.journal.jsonl").exists()             # finished candidates: worth resuming
    monkeypatch.undo()
    resumed = invoke("sweep", "reg.csv", "-t", "y", "--steps", "30", "--json", "r.json", "--resume", cwd=tmp_path)
    assert resumed.code == 0, resumed.output


def test_the_demo_writes_only_into_its_folder(tmp_path):
    (tmp_path / "houses.csv").write_text(housing_csv(n=50))
    before = snapshot(tmp_path)
    outcome = invoke("demo", "--out", "demo", "--quiet", cwd=tmp_path)
    assert outcome.code == 0, outcome.output
    assert {p.split("/")[0] for p in changed(before, snapshot(tmp_path))} == {"demo"}
