"""The core sweep's contract with a problem beyond ``train`` and ``describe``: the optional
``run_info()``, merged into the result's config once training is done, and the per-step
measurements a trace carries through the result's JSON and the journal."""

from __future__ import annotations

import json

import numpy as np
import pytest

import lrscout
from lrscout.errors import InvalidConfigError
from lrscout.workflows.sweep import SweepInterrupted


class Counting:
    """Exponential decays with an update ratio; ``run_info`` says how many ``train`` calls ran,
    which nothing can know before training."""

    def __init__(self, info=None) -> None:
        self.calls = 0
        self.info = info

    def describe(self):
        return {"model": "counting"}

    def train(self, lrs, steps, *, pruner=None):
        self.calls += 1
        t = np.arange(steps)
        return [lrscout.Trace(lr, np.exp(-lr * t), update_ratio=np.full(steps, 1e-2 * lr)) for lr in lrs]

    def run_info(self):
        return {"train_calls": self.calls} if self.info is None else self.info


def test_run_info_is_merged_into_the_config_after_training(tmp_path):
    journal = tmp_path / "sweep.journal.jsonl"
    result = lrscout.sweep(Counting(), [1e-2, 1e-1], steps=30, journal=journal)
    assert result.config["train_calls"] == 1 and result.config["model"] == "counting"
    header = json.loads(journal.read_text().splitlines()[0])
    assert "train_calls" not in header["config"]  # not known before training, so not part of the key


def test_an_interrupted_sweep_still_reports_its_run_info():
    def stop(_event):
        raise KeyboardInterrupt

    with pytest.raises(SweepInterrupted) as stopped:
        lrscout.sweep(Counting(), [1e-2, 1e-1], steps=30, on_batch=stop)
    assert stopped.value.result.config["train_calls"] == 1
    assert stopped.value.result.config["interrupted"] is True


def test_a_problem_without_run_info_adds_nothing_to_the_config():
    result = lrscout.sweep(lrscout.CallableProblem(lambda lr, steps: np.exp(-lr * np.arange(steps)), name="plain"),
                           [1e-2, 1e-1], steps=30)
    assert "train_calls" not in result.config and "mode" not in result.config


def test_run_info_that_is_not_a_mapping_is_refused_naming_what_it_returned():
    with pytest.raises(InvalidConfigError, match=r"Counting\.run_info\(\) must return a mapping.*got list"):
        lrscout.sweep(Counting(info=["vectorized"]), [1e-2], steps=30)


def test_the_update_ratio_survives_the_result_json_and_the_journal(tmp_path):
    journal = tmp_path / "sweep.journal.jsonl"
    result = lrscout.sweep(Counting(), [1e-2, 1e-1], steps=30, journal=journal)
    again = lrscout.SweepResult.from_json(result.to_json())
    for c in again.candidates:
        np.testing.assert_array_equal(c.trace.update_ratio, result.candidate(c.lr).trace.update_ratio)
    journaled = [json.loads(line)["candidate"] for line in journal.read_text().splitlines()[1:]]
    assert [len(c["update_ratio"]) for c in journaled] == [30, 30]
    with pytest.raises(ValueError):
        result.candidates[0].trace.update_ratio[0] = 1.0  # frozen, like every curve


def test_the_result_records_the_lrscout_version_that_ran_the_sweep_and_a_resume_ignores_it(tmp_path):
    problem = lrscout.CallableProblem(lambda lr, steps: np.exp(-lr * np.arange(steps)))
    journal = tmp_path / "j.jsonl"
    result = lrscout.sweep(problem, [0.01, 0.1], steps=20, journal=journal)
    assert result.config["lrscout_version"] == lrscout.__version__
    assert lrscout.SweepResult.from_json(result.to_json()).config["lrscout_version"] == lrscout.__version__
    header = journal.read_text().splitlines()[0]
    assert "lrscout_version" not in json.loads(header)["config"]
    resumed = lrscout.sweep(problem, [0.01, 0.1], steps=20, journal=journal, resume=True)
    assert resumed.config["resumed_candidates"] == 2
