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


# --- a non-finite first loss is not the learning rate's doing -------------------------------------

class _BreaksAfter:
    """A ``train(lr, steps)`` whose data break after ``calls`` calls: every later call starts at NaN,
    as a function that reloads or reshuffles its data would."""

    def __init__(self, calls: int) -> None:
        self.calls, self.asked = calls, []

    def __call__(self, lr, steps):
        self.asked.append(lr)
        start = 1.0 if len(self.asked) <= self.calls else float("nan")
        return start * np.exp(-lr * np.arange(steps))


def test_a_nan_first_loss_after_a_finite_one_stops_the_sweep_and_blames_the_data_not_the_rate():
    train = _BreaksAfter(calls=3)
    with pytest.raises(lrscout.DataError) as caught:
        lrscout.sweep(lrscout.CallableProblem(train), steps=30)
    message = str(caught.value)
    assert "the first loss of lr 0.1 and 1 was nan, before any update, while lr 0.0001 started from 1" in message
    assert "the data or the loss changed between calls" in message and "seed" in message
    assert "1e-12" not in message
    assert train.asked == [1e-4, 1e-3, 1e-2, 0.1, 1.0]        # no round asked for smaller rates


def test_a_first_loss_that_is_nan_at_every_rate_is_a_data_error():
    with pytest.raises(lrscout.DataError, match=r"the first loss, before any update, is nan at every learning rate "
                                                 r"tried \(0.01 and 0.1\).*the data or the loss function are broken"):
        lrscout.sweep(lrscout.CallableProblem(lambda lr, steps: [float("nan")] * steps), [0.01, 0.1], steps=10)


def test_a_loss_that_turns_nan_after_the_first_step_is_still_the_rates_divergence():
    def train(lr, steps):
        losses = np.exp(-np.arange(steps) * 0.01) * (1.0 + (lr > 0.5) * np.arange(steps) ** 3)
        return np.where(np.arange(steps) >= 5, np.nan, losses) if lr > 0.5 else losses

    result = lrscout.sweep(lrscout.CallableProblem(train), [0.1, 1.0], steps=30)
    assert result.candidate(1.0).kind is lrscout.VerdictKind.DIVERGED


def test_the_journal_keeps_the_candidates_finished_before_the_first_loss_was_found_nan(tmp_path):
    journal = tmp_path / "sweep.journal.jsonl"
    with pytest.raises(lrscout.DataError):
        lrscout.sweep(lrscout.CallableProblem(_BreaksAfter(calls=3)), steps=30, journal=journal)
    entries = [json.loads(line) for line in journal.read_text().splitlines()[1:]]
    assert len(entries) == 5
