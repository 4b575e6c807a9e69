"""What a problem can do is declared, not guessed: each capability is a method of its own, and
the built-in problems say which they have (``isinstance`` against the protocol).

A journal written before the capabilities existed must still resume: the fingerprint each
built-in problem gives is the digest the journal computed for it then.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from lrscout import CallableProblem, LinearRegression, NumpyProblem, Problem, Trace
from lrscout.data.stats import DataStats
from lrscout.executors.journal import data_fingerprint
from lrscout.problems.protocols import (AcceptsSchedule, Fingerprinted, ReportsDataStats, ReportsRunInfo,
                                        TrainsOneAtATime, data_stats_of)
from lrscout.problems.streaming import StreamingProblem


def line_problem(**options) -> NumpyProblem:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    return NumpyProblem(LinearRegression(), X, X @ [1.0, -2.0] + 0.5, **options)


def falling(lr: float, steps: int) -> np.ndarray:
    return np.exp(-lr * np.arange(steps))


class Bare:
    """A problem with the two methods the protocol asks for, and nothing else."""

    def train(self, lrs, steps, *, pruner=None):
        return [Trace(lr=lr, train_loss=falling(lr, steps)) for lr in lrs]

    def describe(self):
        return {"problem": "bare"}


def test_the_built_in_models_declare_a_fingerprint_data_statistics_and_schedules():
    problem = line_problem()
    for capability in (Problem, Fingerprinted, ReportsDataStats, AcceptsSchedule):
        assert isinstance(problem, capability), capability.__name__
    assert not isinstance(problem, TrainsOneAtATime)         # it stacks a batch into one computation
    assert isinstance(data_stats_of(problem), DataStats)


def test_a_callable_declares_a_fingerprint_and_that_it_trains_one_rate_at_a_time():
    problem = CallableProblem(falling)
    assert isinstance(problem, Fingerprinted) and isinstance(problem, TrainsOneAtATime)
    assert not isinstance(problem, AcceptsSchedule) and not isinstance(problem, ReportsDataStats)
    np.testing.assert_array_equal(problem.train_one(0.1, 20).train_loss, problem.train([0.1], 20)[0].train_loss)


def test_a_problem_that_declares_nothing_gets_no_fingerprint_run_info_or_data_statistics():
    problem = Bare()
    assert isinstance(problem, Problem)
    assert not any(isinstance(problem, c) for c in (Fingerprinted, ReportsRunInfo, ReportsDataStats,
                                                     AcceptsSchedule, TrainsOneAtATime))
    assert data_fingerprint(problem) is None and data_stats_of(problem) is None


def test_the_fingerprint_of_the_built_in_models_is_the_digest_journals_have_always_held():
    problem = line_problem(batch_size=8)
    digest = hashlib.sha256(repr(LinearRegression()).encode())
    for array in (problem.X, problem.y, None, None):           # no validation split: "-" each
        digest.update(b"-" if array is None else np.ascontiguousarray(array).tobytes())
    assert data_fingerprint(problem) == problem.fingerprint() == "sha256:" + digest.hexdigest()
    assert line_problem(batch_size=32).fingerprint() == problem.fingerprint()      # the data, not the batching


def test_the_fingerprint_of_a_callable_is_its_functions_module_and_name():
    assert data_fingerprint(CallableProblem(falling)) == f"{__name__}.falling"


@pytest.mark.parametrize("capability", [AcceptsSchedule, TrainsOneAtATime])
def test_a_method_of_the_same_signature_under_another_name_is_not_the_capability(capability):
    # the capability is the method's name: a train(..., schedule=) alone does not claim it
    class Lookalike(Bare):
        def train(self, lrs, steps, *, pruner=None, schedule=None):
            return super().train(lrs, steps, pruner=pruner)

    assert not isinstance(Lookalike(), capability)


def test_a_streamed_csv_declares_its_fingerprint(tmp_path):
    path = tmp_path / "rows.csv"
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(60, 3))
    path.write_text("a,b,y\n" + "\n".join(",".join(f"{v:.6g}" for v in r) for r in rows) + "\n")
    problem = StreamingProblem(LinearRegression(), path, "y", batch_size=8, max_steps=5)
    assert isinstance(problem, Fingerprinted) and str(path.resolve()) in problem.fingerprint()
