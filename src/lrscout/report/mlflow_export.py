"""A sweep as MLflow runs: a parent run for the sweep, one child run per candidate.

Logs to MLflow's active tracking URI (``MLFLOW_TRACKING_URI`` or ``mlflow.set_tracking_uri``);
unset, that is MLflow's local default (``./mlflow.db`` with MLflow 3, ``./mlruns`` before), so
nothing needs a server. Inside an active run, the sweep becomes its child. Needs the ``mlflow``
extra.

The parent carries the choice (tags ``lrscout.status``, ``lrscout.chosen_lr``), the run's
settings as parameters, the results JSON and the HTML report as artifacts. Each child carries
its ``lr`` parameter, verdict and reason as tags, and ``train_loss`` per step.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import tempfile
import time
from pathlib import Path

from ..core.result import SweepResult
from ..errors import BackendUnavailableError, InvalidConfigError

MODULE = EXTRA = "mlflow"
FEATURE = "logging to MLflow (--mlflow)"
# MLflow rejects longer parameter and tag values (6000 and 8000 characters); a reason is one
# sentence, but an exception text quoted in one may not be.
VALUE_LIMIT = 5000


def check_available() -> None:
    """Fail before a sweep, not after it, when MLflow is not installed."""
    if importlib.util.find_spec(MODULE) is None:
        raise BackendUnavailableError(FEATURE, EXTRA, MODULE)


def _mlflow():
    try:
        import mlflow
    except ImportError:
        raise BackendUnavailableError(FEATURE, EXTRA, MODULE) from None
    return mlflow


def _key(name: str) -> str:
    """MLflow keys allow letters, digits, ``_-./`` and spaces; a user's config key may hold more."""
    return re.sub(r"[^\w\-. /]", "_", str(name))


def _params(result: SweepResult) -> dict[str, str]:
    """Scalar settings, for filtering runs; lists and mappings live in the results artifact."""
    params = {f"config.{_key(k)}": str(v) for k, v in result.config.items()
              if isinstance(v, (str, int, float, bool)) and len(str(v)) <= VALUE_LIMIT}
    params.update({f"threshold.{k}": str(v) for k, v in result.thresholds.to_dict().items()})
    return params


def log_mlflow(result: SweepResult, *, report_path: str | os.PathLike[str] | None = None,
               run_name: str = "lrscout sweep") -> str:
    """Log the sweep and return the parent run's id.

    ``report_path`` is an HTML report already written for this result; without one, a report
    is rendered into the run's artifacts.
    """
    mlflow = _mlflow()
    from mlflow.entities import Metric
    from mlflow.exceptions import MlflowException

    d = result.decision
    try:
        with mlflow.start_run(run_name=run_name, nested=mlflow.active_run() is not None) as parent:
            mlflow.set_tags({"lrscout.status": d.status.value,
                             "lrscout.chosen_lr": f"{d.lr:g}" if d.chosen else "none"})
            mlflow.log_params(_params(result))
            if d.chosen:
                mlflow.log_metric("chosen_lr", d.lr)
            client = mlflow.MlflowClient()
            for c in result.candidates:
                with mlflow.start_run(run_name=f"lr {c.lr:.3g}", nested=True) as child:
                    mlflow.log_param("lr", c.lr)
                    mlflow.set_tags({"lrscout.verdict": c.kind.value, "lrscout.reason": c.verdict.reason[:VALUE_LIMIT],
                                     "lrscout.chosen": str(result.chosen_lr == c.lr).lower()})
                    now = int(time.time() * 1000)
                    metrics = [Metric("train_loss", v, now, step)
                               for step, v in zip(c.trace.loss_steps().tolist(), c.train_loss.tolist())
                               if math.isfinite(v)]
                    if c.val_loss is not None and math.isfinite(c.val_loss):
                        metrics.append(Metric("val_loss", c.val_loss, now, max(c.steps_used - 1, 0)))
                    client.log_batch(child.info.run_id, metrics=metrics)  # one call, not one per step
            with tempfile.TemporaryDirectory() as tmp:
                saved = result.save(Path(tmp) / "sweep.json")
                mlflow.log_artifact(str(saved))
                if report_path is None:
                    from .html import write_html

                    report_path = write_html(result, Path(tmp) / "report.html")
                mlflow.log_artifact(str(report_path))
    except MlflowException as exc:
        raise InvalidConfigError(f"MLflow: cannot log to tracking URI {mlflow.get_tracking_uri()!r}: "
                                 f"{exc.message}") from None
    return parent.info.run_id
