"""SweepResult: lossless JSON round trip (NaN/inf included) and atomic files."""

import json
import math

import numpy as np
import pytest

import lrscout
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


def test_a_file_that_is_not_text_is_refused_as_a_results_file(tmp_path):
    path = tmp_path / "curves.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(ResultsFileError, match="curves.png.*not a results file"):
        SweepResult.load(path)


def test_a_config_that_could_not_be_saved_is_refused_before_training():
    calls = []

    def train(lr, steps):
        calls.append(lr)
        return np.exp(-lr * np.arange(steps))

    result = sweep(CallableProblem(train), [0.1], steps=10, config={"shape": (3, 4)})
    assert SweepResult.from_json(result.to_json()) == result and result.config["shape"] == [3, 4]
    calls.clear()
    for bad in (np.int64(3), math.inf, object()):
        with pytest.raises(lrscout.InvalidConfigError, match=r"config\['n'\].*plain JSON"):
            sweep(CallableProblem(train), [0.1], steps=10, config={"n": bad})
    assert calls == []


def test_the_summary_lists_the_findings_after_the_decision():
    from lrscout.cli.demo_cmd import demo_results

    (_, raw), _ = demo_results()
    text = raw.summary()
    assert raw.findings and all(f.remedy in text for f in raw.findings)
    assert text.index("chosen learning rate") < text.index(raw.findings[0].remedy)


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
