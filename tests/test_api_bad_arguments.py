"""Every public entry point answers a bad argument with an ``LrscoutError`` that names the argument.

Each case starts from a call that works and replaces one argument with a value it must refuse;
the error must be an ``LrscoutError`` (never a bare ``TypeError``, ``ValueError``,
``AttributeError`` or ``OSError``) and its message must name the argument (or, where noted, the
thing the argument is; a path may be named by the path itself). The valid call runs first, so
a case cannot pass by failing for another reason.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import lrscout
from lrscout import schedules
from lrscout.errors import LrscoutError

_RNG = np.random.default_rng(0)
X = _RNG.normal(size=(40, 3))
Y = X @ np.array([1.0, -2.0, 0.5])
LABELS = (X[:, 0] > 0).astype(float)


def _problem() -> lrscout.NumpyProblem:
    return lrscout.NumpyProblem(lrscout.LinearRegression(), X, Y)


def _result() -> lrscout.SweepResult:
    return lrscout.sweep(_problem(), [0.01, 0.1], steps=20)


RESULT = _result()
NOT_A_NUMBER = ["0.1", None, True, [0.1], math.nan, math.inf, object()]
NOT_A_COUNT = [0, -1, 2.5, "10", True, None, math.nan]


class _Case:
    """``fn(**valid)`` works; ``fn(**valid | {arg: bad})`` must raise an LrscoutError naming ``named``."""

    def __init__(self, entry: str, fn, valid: dict, bad: dict[str, list], named: dict[str, str] | None = None):
        self.entry, self.fn, self.valid, self.bad, self.named = entry, fn, valid, bad, named or {}

    def params(self):
        for arg, values in self.bad.items():
            for value in values:
                yield pytest.param(self, arg, value, id=f"{self.entry}-{arg}={_short(value)}")


def _short(value: object) -> str:
    text = repr(value) if not callable(value) or isinstance(value, type) else type(value).__name__
    return text[:30]


def _tmp(name: str) -> str:
    """A path under the session's temporary folder, filled in by the fixture below."""
    return f"<tmp>/{name}"


CASES = [
    _Case("sweep", lrscout.sweep, {"problem": _problem(), "lrs": [0.01, 0.1], "steps": 10}, {
        "problem": [None, "problem", lrscout.NumpyProblem, object(), _problem],
        "lrs": [[], [0.1, -1.0], "0.1", 3, [math.nan], [0.1, 0.1], [True]],
        "steps": NOT_A_COUNT + [10**30],
        "thresholds": [None, {"val_margin": 0.1}, lrscout.Thresholds],
        "prune": [None, 1, "yes"],
        "on_batch": [3, "print"],
        "config": ["run 1", 3, {"when": object()}],
        "executor": ["threads", 3],
        "workers": [0, -1, 2.5, "2"],
        "journal": [3, "", object()],
        "resume": [1, "yes", None],
        "max_points": [2, 0, 2.5, "10"],
    }),
    _Case("sweep(planner)", lrscout.sweep, {"problem": _problem(), "steps": 10, "planner": lrscout.FixedGrid([0.1])}, {
        "planner": ["adaptive", object(), lrscout.AdaptivePlanner],
    }),
    _Case("NumpyProblem", lrscout.NumpyProblem, {"model": lrscout.LinearRegression(), "X": X, "y": Y}, {
        "model": [None, "linear", lrscout.LinearRegression, lrscout.SoftmaxRegression, object(), 3],
        "X": [None, "abc", [[1.0, "a"]] * 40, np.zeros((0, 3)), np.zeros((40, 0)), np.zeros((40, 3, 1)),
              np.where(np.arange(120).reshape(40, 3) == 7, math.nan, X), np.where(np.arange(120).reshape(40, 3) == 7,
                                                                                     1e200, X), X[:20], X + 0j],
        "y": [None, "abc", Y[:-1], np.append(Y[:-1], math.nan), np.append(Y[:-1], 1e300), np.zeros((40, 2)),
              np.zeros(40)],
        "X_val": [X[:10]],            # without y_val
        "batch_size": [0, -1, 2.5, "32", True],
        "momentum": [-0.1, 1.0, math.nan, "0.9", True],
        "clip_norm": [0, -1.0, math.nan, "1"],
        "seed": [-1, 2.5, "0", None],
    }, named={"X": "X", "y": "y"}),
    _Case("NumpyProblem(X_val)", lrscout.NumpyProblem,
          {"model": lrscout.LinearRegression(), "X": X, "y": Y, "X_val": X[:10], "y_val": Y[:10]}, {
              "X_val": [X[:10, :2], X[:9], X[:4]],
              "y_val": [Y[:9], np.append(Y[:9], math.inf)],
          }),
    _Case("NumpyProblem.train", lambda lrs, steps, schedule=None: _problem().train(lrs, steps, schedule=schedule),
          {"lrs": [0.1], "steps": 5}, {
              "lrs": [[], [-1.0], "x", None],
              "steps": NOT_A_COUNT + [10**30],
              "schedule": [3, "cosine"],
          }),
    _Case("SoftmaxRegression", lrscout.SoftmaxRegression, {"n_classes": 3},
          {"n_classes": [0, 1, 2.5, "3", None, True]}),
    _Case("CallableProblem", lrscout.CallableProblem, {"train_fn": lambda lr, steps: [1.0] * steps}, {
        "train_fn": [None, 3, "train", list],
        "name": [3, ["toy"]],
    }),
    _Case("AdaptivePlanner", lrscout.AdaptivePlanner, {}, {
        "start": [0, -1e-4, math.nan, "1e-4", 1e30],
        "factor": [1.0, 0.5, "10", 1.5],
        "refine": [1.0, 10.0, "3"],
        "decades": NOT_A_COUNT,
        "min_lr": [0, 1.0, "1e-8"],
        "max_lr": [1e-6, math.inf, "1e3"],
        "max_candidates": [1, 0, 2.5, "16"],
    }),
    _Case("FixedGrid", lrscout.FixedGrid, {"lrs": [0.1]}, {"lrs": [None, [], [0.0], "x", [0.1, 0.1]]}),
    _Case("log_grid", lrscout.log_grid, {"start": 1e-4, "stop": 1.0}, {
        "start": [0, -1.0, math.nan, "1e-4", None],
        "stop": [1e-5, math.inf, "1"],
        "factor": [2, 3.5, "10"],
        "per_decade": [0, 2.5, "3"],
    }),
    _Case("check_grid", lrscout.check_grid, {"lrs": [0.1]}, {"lrs": [None, 3, [], ["a"]]},
          named={"lrs": "learning rates"}),
    _Case("Thresholds", lrscout.Thresholds, {}, {
        "diverge_ratio": [1.0, math.nan, "10", None],
        "val_margin": [-0.1, math.inf],
        "mostly_monotonic": [0.2, 1.5],
    }),
    _Case("DiagnosisThresholds", lrscout.DiagnosisThresholds, {}, {
        "spike_factor": [1.0, "10"],
        "spike_window": [0, 2.5],
        "rare_class_rows": [-1, 2.5],
        "rare_class_share": [-0.1, 1.5, math.nan],
    }),
    _Case("DivergencePruner", lrscout.DivergencePruner, {}, {"ratio": [1.0, 0.5, math.nan, "10"]},
          named={"ratio": "prune ratio"}),
    _Case("DataStats.from_features", lrscout.DataStats.from_features, {"X": X}, {
        "X": ["abc", [[1.0, 2.0]], [[1.0], [math.nan]], [[1e300], [1.0]], {"a": 1}, object()],
        "batch_size": [0, "32"],
    }),
    _Case("diagnose", lrscout.diagnose, {"candidates": RESULT.candidates, "decision": RESULT.decision}, {
        "candidates": [None, 3, [object()], "abc"],
        "decision": [None, "chosen", RESULT],
        "thresholds": [lrscout.Thresholds(), None],
        "reading": [lrscout.DiagnosisThresholds(), None],
        "data_stats": ["stats", X],
    }),
    _Case("choose", lrscout.choose, {"candidates": RESULT.candidates}, {
        "candidates": [None, 3, [RESULT], "abc"],
        "thresholds": [None, {"val_margin": 0.1}],
    }),
    _Case("recommend_schedule", lrscout.recommend_schedule, {"result": RESULT, "total_steps": 100}, {
        "result": [None, "result.json", RESULT.to_dict(), RESULT.decision],
        "total_steps": [1, 0, 2.5, "100", None],
        "kind": ["linear", None, 3],
        "one_cycle_fraction": [0, 1.5, math.nan],
    }),
    _Case("SweepResult.candidate", RESULT.candidate, {"lr": 0.1}, {"lr": [None, "0.1", math.nan, -1.0, 0.5]}),
    _Case("SweepResult.save", RESULT.save, {"path": _tmp("out.json")}, {
        "path": [None, 3, "", _tmp(""), _tmp("missing/out.json"), _tmp("a-file/out.json")],
    }),
    _Case("SweepResult.load", lrscout.SweepResult.load, {"path": _tmp("saved.json")}, {
        "path": [None, 3, "", _tmp(""), _tmp("missing.json")],
    }),
    _Case("SweepResult.from_json", lrscout.SweepResult.from_json, {"text": RESULT.to_json()}, {
        "text": [None, 3, "{", "[]", RESULT.to_dict()],
    }, named={"text": ""}),
    _Case("SweepResult.to_html", RESULT.to_html, {"path": _tmp("report.html")}, {
        "path": [3, _tmp("report.txt"), _tmp("missing/report.html")],
    }),
    _Case("SweepResult.recommend_schedule", RESULT.recommend_schedule, {"total_steps": 100}, {
        "total_steps": [1, 2.5, "100"],
        "kind": ["linear"],
    }),
    _Case("schedules.constant", schedules.constant, {"lr": 0.1}, {"lr": NOT_A_NUMBER + [0.0, -0.1]}),
    _Case("schedules.linear_warmup", schedules.linear_warmup, {"peak": 0.1, "steps": 10}, {
        "peak": [0, "0.1", math.nan], "steps": NOT_A_COUNT, "start": [-0.1, 0.2, "0"]}),
    _Case("schedules.warmup_cosine", schedules.warmup_cosine, {"peak": 0.1, "warmup_steps": 10, "total_steps": 100}, {
        "peak": [0, None], "warmup_steps": [0, 2.5, 100], "total_steps": [10, "100"], "floor": [-1, 0.5]}),
    _Case("schedules.cosine_decay", schedules.cosine_decay, {"peak": 0.1, "steps": 100}, {
        "peak": [0, "0.1"], "steps": NOT_A_COUNT, "floor": [-1, 0.5, "0"]}),
    _Case("schedules.one_cycle", schedules.one_cycle, {"max_lr": 0.1, "total_steps": 100}, {
        "max_lr": [0, None], "total_steps": [0, 2.5], "pct_start": [0, 1.5], "anneal": ["cubic", 3]}),
    _Case("schedules.evaluate", schedules.evaluate, {"schedule": schedules.constant(0.1), "n": 10}, {
        "schedule": [None, 0.1, "cosine"], "n": [-1, 2.5, "10", 10**30]}),
    _Case("schedules.iterate", schedules.iterate, {"schedule": schedules.constant(0.1), "steps": 10}, {
        "schedule": [None, 0.1], "steps": [-1, 2.5, "10"]}),
    _Case("Schedule.__call__", schedules.constant(0.1), {"step": 3}, {"step": [-1, 2.5, "3", None]}),
]


@pytest.fixture
def paths(tmp_path):
    """Replace the ``<tmp>/`` placeholders with real paths: a saved result, a file standing where a
    folder should be."""
    RESULT.save(tmp_path / "saved.json")
    (tmp_path / "a-file").write_text("not a folder")

    def fill(value):
        if isinstance(value, str) and value.startswith("<tmp>/"):
            return str(tmp_path / value[len("<tmp>/"):]) if value != "<tmp>/" else str(tmp_path)
        return value

    return fill


@pytest.mark.parametrize(("case", "arg", "bad"), [p for case in CASES for p in case.params()])
def test_a_bad_argument_raises_an_lrscout_error_that_names_it(case, arg, bad, paths):
    valid = {k: paths(v) for k, v in case.valid.items()}
    case.fn(**valid)                                    # the call works as given
    with pytest.raises(LrscoutError) as caught:
        case.fn(**{**valid, arg: paths(bad)})
    message = str(caught.value)
    named = case.named.get(arg, arg)
    a_path_named = isinstance(bad, str) and bad.startswith("<tmp>/") and repr(paths(bad)) in message
    assert named in message or a_path_named, f"{case.entry}({arg}={bad!r:.40}): {message}"


def test_numpy_scalars_are_accepted_where_python_numbers_are():
    result = lrscout.sweep(_problem(), np.array([0.01, 0.1]), steps=np.int64(10), prune=np.bool_(False),
                           max_points=np.int32(5))
    assert result.candidate(np.float64(0.1)).lr == 0.1
    assert lrscout.NumpyProblem(lrscout.LinearRegression(), X, Y, batch_size=np.int64(8),
                                momentum=np.float32(0.5)).momentum == 0.5
