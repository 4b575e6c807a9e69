"""The journal keeps every finished candidate, so a crashed, killed or interrupted sweep
resumes without redoing them, and never mixes in another sweep's candidates.

The sweeps train ``executor_helpers.sleepy_train``, which logs each learning rate it trains to
the file in ``LRSCOUT_TEST_CALLS``: that log shows which candidates a resumed sweep ran.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import lrscout
import executor_helpers
from executor_helpers import DiesAt, assert_same_result, sleepy_problem
from lrscout.errors import InvalidConfigError, ResultsFileError
from lrscout.executors import ProcessRunner
from lrscout.executors.journal import SCHEMA, journal_path, read_journal
from lrscout.workflows.sweep import SweepInterrupted

HELPERS = Path(executor_helpers.__file__)


@pytest.fixture
def calls(tmp_path, monkeypatch):
    """Read back the learning rates trained so far (in this process and in its children)."""
    log = tmp_path / "calls.log"
    monkeypatch.setenv("LRSCOUT_TEST_CALLS", str(log))
    monkeypatch.setenv("LRSCOUT_TEST_DELAY", "0")
    return lambda: [float(x) for x in log.read_text().split()] if log.exists() else []


def entries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


def test_the_journal_sits_next_to_the_results():
    assert journal_path("runs/out.json") == Path("runs/out.journal.jsonl")
    assert journal_path("results") == Path("results.journal.jsonl")


def test_each_finished_candidate_is_one_json_line_after_a_header_naming_the_configuration(tmp_path, calls):
    journal = tmp_path / "sweep.journal.jsonl"
    result = lrscout.sweep(sleepy_problem(), [1e-3, 1e-2, 1.0], steps=50, journal=journal)
    header = json.loads(journal.read_text().splitlines()[0])
    assert header["schema"] == SCHEMA and len(header["config_hash"]) == 64
    assert header["config"]["steps"] == 50 and header["config"]["model"] == "sleepy"
    assert "runner" not in header["config"]  # where candidates ran does not change them
    lines = entries(journal)
    assert [line["candidate"]["lr"] for line in lines] == [1e-3, 1e-2, 1.0]
    restored = [lrscout.Candidate.from_dict(line["candidate"]) for line in lines]
    assert [c.train_loss.tolist() for c in restored] == [c.train_loss.tolist() for c in result.candidates]


def test_resuming_skips_the_candidates_already_in_the_journal(tmp_path, calls):
    journal = tmp_path / "sweep.journal.jsonl"
    first = lrscout.sweep(sleepy_problem(), [1e-3, 1e-2], steps=50, journal=journal)
    assert calls() == [1e-3, 1e-2]
    again = lrscout.sweep(sleepy_problem(), [1e-3, 1e-2], steps=50, journal=journal, resume=True)
    assert calls() == [1e-3, 1e-2]  # nothing trained twice
    assert again.config["resumed_candidates"] == 2
    assert_same_result(first, again, bitwise=True)


def test_an_existing_journal_is_never_overwritten_without_resume(tmp_path, calls):
    journal = tmp_path / "sweep.journal.jsonl"
    lrscout.sweep(sleepy_problem(), [1e-2], steps=20, journal=journal)
    before = journal.read_bytes()
    with pytest.raises(InvalidConfigError, match=r"already exists.*reuse them with --resume \(resume=True\)"):
        lrscout.sweep(sleepy_problem(), [1e-2], steps=20, journal=journal)
    assert journal.read_bytes() == before


def test_resuming_a_different_sweep_is_refused_naming_what_differs(tmp_path, calls):
    journal = tmp_path / "sweep.journal.jsonl"
    lrscout.sweep(sleepy_problem(), [1e-2], steps=20, journal=journal)
    with pytest.raises(InvalidConfigError, match=r"different sweep.*steps: 20 in the journal, 30 now"):
        lrscout.sweep(sleepy_problem(), [1e-2], steps=30, journal=journal, resume=True)
    with pytest.raises(InvalidConfigError, match=r"planner: \"FixedGrid\(\[0.01\]\)\" in the journal"):
        lrscout.sweep(sleepy_problem(), [1e-2, 1e-1], steps=20, journal=journal, resume=True)


def test_other_data_for_a_built_in_model_is_a_different_sweep(tmp_path):
    import numpy as np

    journal = tmp_path / "sweep.journal.jsonl"
    X = np.arange(40.0).reshape(20, 2)
    y = X @ [0.1, -0.2]
    lrscout.sweep(lrscout.NumpyProblem(lrscout.LinearRegression(), X, y), [1e-3], steps=5, journal=journal)
    y[0] += 1.0  # same shape, same description: only the fingerprint tells them apart
    with pytest.raises(InvalidConfigError, match="data_fingerprint: \"sha256:"):
        lrscout.sweep(lrscout.NumpyProblem(lrscout.LinearRegression(), X, y), [1e-3], steps=5,
                      journal=journal, resume=True)


def test_resume_needs_a_journal():
    with pytest.raises(InvalidConfigError, match="resume=True needs the journal"):
        lrscout.sweep(sleepy_problem(), [1e-2], steps=5, resume=True)


def test_a_torn_last_line_from_a_crash_is_skipped_and_the_journal_still_appends(tmp_path, calls):
    journal = tmp_path / "sweep.journal.jsonl"
    lrscout.sweep(sleepy_problem(), [1e-3, 1e-2], steps=20, journal=journal)
    with journal.open("a") as fh:
        fh.write('{"candidate": {"lr": 0.1, "train_lo')  # killed in the middle of a write
    result = lrscout.sweep(sleepy_problem(), [1e-3, 1e-2], steps=20, journal=journal, resume=True)
    assert result.config["resumed_candidates"] == 2
    assert read_journal(journal).torn_lines == 1


def test_a_file_that_is_not_a_journal_is_refused(tmp_path):
    bogus = tmp_path / "notes.jsonl"
    bogus.write_text("hello\n")
    with pytest.raises(ResultsFileError, match="is not an lrscout journal"):
        lrscout.sweep(sleepy_problem(), [1e-2], steps=5, journal=bogus, resume=True)


def test_failed_candidates_are_journaled_but_trained_again_on_resume(tmp_path):
    journal = tmp_path / "sweep.journal.jsonl"
    problem = lrscout.CallableProblem(DiesAt(tmp_path, lr=1e-2, times=1), name="dies")
    first = lrscout.sweep(problem, [1e-3, 1e-2], steps=30, journal=journal,
                          executor=ProcessRunner(workers=1, max_retries=0))
    assert first.candidate(1e-2).kind is lrscout.VerdictKind.FAILED
    again = lrscout.sweep(problem, [1e-3, 1e-2], steps=30, journal=journal, resume=True,
                          executor=ProcessRunner(workers=1, max_retries=0))
    assert again.candidate(1e-2).kind is lrscout.VerdictKind.GOOD
    assert again.config["resumed_candidates"] == 1


def test_a_sweep_killed_with_sigkill_resumes_to_the_uninterrupted_result(tmp_path, calls, monkeypatch):
    monkeypatch.setenv("LRSCOUT_TEST_HOLD_AFTER", "3")      # the fourth candidate trains until the kill
    journal, saved = tmp_path / "run.journal.jsonl", tmp_path / "run.json"
    command = [sys.executable, str(HELPERS), str(journal), str(saved)]
    child = subprocess.Popen(command)
    try:
        deadline = time.monotonic() + 60
        while (not journal.exists() or len(entries(journal)) < 3) and time.monotonic() < deadline:
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL and not saved.exists()
    done_before = [e["candidate"]["lr"] for e in entries(journal)]
    assert len(done_before) == 3

    monkeypatch.delenv("LRSCOUT_TEST_HOLD_AFTER")
    subprocess.run(command, check=True, timeout=60)
    resumed = lrscout.SweepResult.load(saved)
    trained = calls()
    assert all(trained.count(lr) == 1 for lr in done_before), "a finished candidate was trained again"
    assert resumed.config["resumed_candidates"] == len(done_before)

    uninterrupted = lrscout.sweep(sleepy_problem(), steps=80)
    assert_same_result(uninterrupted, resumed, bitwise=True)


def test_ctrl_c_keeps_the_finished_candidates_in_the_result_and_the_journal(tmp_path, calls, monkeypatch):
    def train(lr, steps):
        if lr == 1e-1:
            raise KeyboardInterrupt  # Ctrl-C arriving while the third candidate trains
        return executor_helpers.curve(lr, steps)

    journal = tmp_path / "sweep.journal.jsonl"
    with pytest.raises(SweepInterrupted) as stopped:
        lrscout.sweep(lrscout.CallableProblem(train), [1e-3, 1e-2, 1e-1, 1.0], steps=50, journal=journal)
    partial = stopped.value.result
    assert partial.lrs == (1e-3, 1e-2) and partial.config["interrupted"] is True
    assert partial.decision.chosen  # the finished candidates are read and decided on as usual
    assert [e["candidate"]["lr"] for e in entries(journal)] == [1e-3, 1e-2]


def test_ctrl_c_during_a_process_pool_sweep_stops_the_workers_and_keeps_what_finished(tmp_path):
    # the fourth candidate holds until released, which never happens: only Ctrl-C ends the sweep,
    # and it lands while a worker trains, however slow the machine
    problem = lrscout.CallableProblem(executor_helpers.HoldsFrom(tmp_path, lr=1e-1))
    journal = tmp_path / "sweep.journal.jsonl"

    def press_ctrl_c_after_three():
        while not journal.exists() or len(entries(journal)) < 3:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)

    presser = threading.Thread(target=press_ctrl_c_after_three, daemon=True)
    presser.start()
    with pytest.raises(SweepInterrupted) as stopped:
        lrscout.sweep(problem, [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0], steps=20, journal=journal,
                      executor=ProcessRunner(workers=1))
    presser.join(timeout=10)
    finished = stopped.value.result.lrs
    journaled = {e["candidate"]["lr"] for e in entries(journal)}
    assert journaled == {1e-4, 1e-3, 1e-2}
    # the journal is the durable record: a candidate journaled just as Ctrl-C lands may miss the
    # in-memory result, and --resume picks it up; nothing is ever in the result but not journaled
    assert len(finished) >= 2 and set(finished) <= journaled
    assert multiprocessing.active_children() == []
