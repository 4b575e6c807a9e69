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


def test_saving_to_a_folder_or_into_a_missing_folder_says_which_and_writes_nothing(tmp_path):
    result = small_result()
    with pytest.raises(ResultsFileError, match=r"it is a folder; give a file name in it, e.g. .*sweep.json"):
        result.save(tmp_path)
    with pytest.raises(ResultsFileError, match=r"the folder '.*nope' does not exist; create it first"):
        result.save(tmp_path / "nope" / "out.json")
    (tmp_path / "taken").write_text("a file")
    with pytest.raises(ResultsFileError, match=r"'.*taken' is a file, not a folder"):
        result.save(tmp_path / "taken" / "out.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]       # no temporary file left behind
    assert (tmp_path / "taken").read_text() == "a file"


def test_an_operating_system_refusal_while_saving_is_a_results_file_error(tmp_path, monkeypatch):
    import lrscout.core.result as result_module

    def refuse(path, text):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(result_module, "write_atomic", refuse)    # as a read-only folder would, even for root
    with pytest.raises(ResultsFileError, match=r"cannot save results to '.*out.json': Permission denied; choose"):
        small_result().save(tmp_path / "out.json")


def test_loading_a_folder_says_it_is_a_folder(tmp_path):
    with pytest.raises(ResultsFileError, match=r"it is a folder; give the path of a results file"):
        SweepResult.load(tmp_path)


def test_asking_for_a_rate_the_sweep_did_not_run_is_an_lrscout_error_and_a_key_error():
    result = small_result()
    with pytest.raises(lrscout.UnknownCandidateError, match=r"no candidate at lr 0.5; the sweep ran 0.01, 0.1, 1$"):
        result.candidate(0.5)
    with pytest.raises(KeyError):
        result.candidate(0.5)
