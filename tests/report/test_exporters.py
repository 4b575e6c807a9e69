"""TensorBoard and MLflow: a sweep written where practitioners already look, then read back.

Specification:
- ``write_tensorboard`` writes one run per candidate (named in lr order, with its verdict),
  each with its per-step ``train_loss``, its ``val_loss`` and its verdict as text; TensorBoard's
  own reader finds them;
- ``log_mlflow`` logs a parent run with the choice as a tag, the settings as parameters and the
  results and report as artifacts, and one child run per candidate with its loss curve;
- without the optional package, both fail with ``BackendUnavailableError`` naming the extra.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from lrscout import BackendUnavailableError
from lrscout.report import mlflow_export, tensorboard_export


def test_each_candidate_is_its_own_tensorboard_run_that_tensorboard_reads_back(result, tmp_path):
    pytest.importorskip("tensorboardX", reason="the tensorboard extra is not installed")
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator",
                                      reason="tensorboard (the reader) is not installed")
    runs = tensorboard_export.write_tensorboard(result, tmp_path / "tb")
    assert [r.name for r in runs] == ["00_lr_0.001_too_slow", "01_lr_0.01_good", "02_lr_0.1_diverged"]
    for run, candidate in zip(runs, result.candidates):
        events = accumulator.EventAccumulator(str(run))
        events.Reload()
        train = events.Scalars("train_loss")
        assert [e.step for e in train] == list(range(candidate.steps_used))   # 0.1 is pruned within a few
        np.testing.assert_allclose([e.value for e in train], candidate.train_loss, rtol=1e-6)
        if candidate.val_loss is None:          # pruned: no validation loss to log
            assert "val_loss" not in events.Tags()["scalars"]
        else:
            (val,) = events.Scalars("val_loss")
            assert val.value == pytest.approx(candidate.val_loss, rel=1e-6)
        assert "verdict/text_summary" in events.Tags()["tensors"]
    assert [c.steps_used for c in result.candidates][:2] == [200, 200]


def test_a_tensorboard_folder_that_is_a_file_is_refused(result, tmp_path):
    pytest.importorskip("tensorboardX", reason="the tensorboard extra is not installed")
    (tmp_path / "tb").write_text("")
    with pytest.raises(ValueError, match="is a file"):
        tensorboard_export.write_tensorboard(result, tmp_path / "tb")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # SQLAlchemy's, inside MLflow's store
def test_the_sweep_is_logged_to_mlflow_with_a_child_run_per_candidate(result, tmp_path, monkeypatch):
    mlflow = pytest.importorskip("mlflow", reason="the mlflow extra is not installed")
    monkeypatch.chdir(tmp_path)  # artifacts go next to the store
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")  # a test sends nothing anywhere
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    run_id = mlflow_export.log_mlflow(result)

    client = mlflow.MlflowClient()
    parent = client.get_run(run_id)
    assert parent.data.tags["lrscout.chosen_lr"] == "0.01"
    assert parent.data.tags["lrscout.status"] == "chosen"
    assert parent.data.params["config.model"] == "linear"
    assert parent.data.params["threshold.val_margin"] == "0.05"
    artifacts = {a.path for a in client.list_artifacts(run_id)}
    assert {"sweep.json", "report.html"} <= artifacts
    report = client.download_artifacts(run_id, "report.html", str(tmp_path))
    assert "Chosen learning rate" in open(report, encoding="utf-8").read()

    children = client.search_runs([parent.info.experiment_id], f"tags.mlflow.parentRunId = '{run_id}'")
    by_lr = {float(c.data.params["lr"]): c for c in children}
    assert sorted(by_lr) == [1e-3, 1e-2, 1e-1]
    for candidate in result.candidates:
        child = by_lr[candidate.lr]
        assert child.data.tags["lrscout.verdict"] == candidate.kind.value
        assert child.data.tags["lrscout.chosen"] == str(candidate.lr == 1e-2).lower()
        history = client.get_metric_history(child.info.run_id, "train_loss")
        np.testing.assert_allclose([m.value for m in sorted(history, key=lambda m: m.step)], candidate.train_loss)


@pytest.mark.parametrize("exporter, module, extra", [
    (lambda r, tmp: tensorboard_export.write_tensorboard(r, tmp), "tensorboardX", "tensorboard"),
    (lambda r, tmp: mlflow_export.log_mlflow(r), "mlflow", "mlflow"),
])
def test_without_the_extra_the_error_names_what_to_install(result, tmp_path, monkeypatch, exporter, module, extra):
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    with pytest.raises(BackendUnavailableError, match=rf"pip install 'lrscout\[{extra}\]'") as caught:
        exporter(result, tmp_path)
    assert (caught.value.module, caught.value.extra) == (module, extra)


def test_a_missing_extra_is_found_before_any_training(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    monkeypatch.setitem(sys.modules, "mlflow", None)
    with pytest.raises(BackendUnavailableError, match="tensorboardX"):
        tensorboard_export.check("runs")
    with pytest.raises(BackendUnavailableError, match="mlflow"):
        mlflow_export.check_available()
