"""SweepResult: lossless JSON round trip (NaN/inf included) and atomic files."""

import json
import math

import numpy as np
import pytest

from lrscout import CallableProblem, ResultsFileError, SweepResult, sweep


def small_result():
    def train(lr, steps):
        if lr >= 1:
            return [1.0, 50.0, math.inf]
        return np.exp(-lr * np.arange(steps)), 0.5 - lr

    return sweep(CallableProblem(train, name="toy"), [1e-2, 1e-1, 1.0], steps=40, prune=False)


def test_json_round_trip_is_lossless_including_non_finite_losses():
    result = small_result()
    text = result.to_json()
    json.loads(text)  # strict JSON: no NaN/Infinity tokens
    again = SweepResult.from_json(text)
    assert again == result
    assert math.isinf(again.candidate(1.0).train_loss[-1]) or math.isnan(again.candidate(1.0).train_loss[-1])
    assert again.decision == result.decision
    assert again.candidate(0.1).verdict == result.candidate(0.1).verdict


def test_save_and_load_leave_no_temporary_files(tmp_path):
    path = tmp_path / "out.json"
    small_result().save(path)
    assert SweepResult.load(path) == small_result()
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_loading_a_file_that_is_not_a_result_says_so(tmp_path):
    (tmp_path / "x.json").write_text('{"hello": 1}')
    with pytest.raises(ResultsFileError, match="not an lrscout sweep result"):
        SweepResult.load(tmp_path / "x.json")
    (tmp_path / "y.json").write_text("{broken")
    with pytest.raises(ResultsFileError, match="not valid JSON"):
        SweepResult.load(tmp_path / "y.json")
    with pytest.raises(ResultsFileError, match="cannot read"):
        SweepResult.load(tmp_path / "missing.json")


def test_results_are_frozen():
    result = small_result()
    with pytest.raises(AttributeError):
        result.decision = None
    with pytest.raises(ValueError):
        result.candidates[0].train_loss[0] = 0.0


def test_summary_marks_the_chosen_rate():
    text = small_result().summary()
    assert "chosen learning rate" in text
    assert any(line.startswith("*") for line in text.splitlines())
