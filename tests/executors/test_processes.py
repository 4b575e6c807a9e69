"""The same sweep runs inline or on a local process pool, with the same result.

See ``executor_helpers`` for what "the same" means. The pool's workers are pinned to their
share of the cores, and a problem that cannot travel to them is refused with a clear error.
"""

from __future__ import annotations

import json
import multiprocessing

import numpy as np
import pytest

import lrscout
from executor_helpers import ThreadReport, assert_same_result, callable_problem, numpy_problem
from lrscout.errors import InvalidConfigError
from lrscout.executors import InlineRunner, ProcessRunner


@pytest.fixture(autouse=True)
def no_worker_left_behind():
    yield
    assert multiprocessing.active_children() == []


def test_the_built_in_model_sweeps_the_same_inline_and_on_two_processes():
    problem = numpy_problem()
    inline = lrscout.sweep(problem, steps=60)
    pooled = lrscout.sweep(problem, steps=60, executor="processes", workers=2)
    assert_same_result(inline, pooled, bitwise=False)
    assert len(inline.rounds) > 1  # the adaptive plan ran several rounds on one pool


def test_one_rate_per_task_gives_the_bitwise_same_curves_in_this_process_and_in_workers():
    problem = numpy_problem()
    here = lrscout.sweep(problem, [1e-3, 1e-2, 1e-1, 1.0], steps=40, executor=InlineRunner(per_candidate=True))
    pooled = lrscout.sweep(problem, [1e-3, 1e-2, 1e-1, 1.0], steps=40, executor=ProcessRunner(workers=2))
    assert_same_result(here, pooled, bitwise=True)


def test_a_callable_problem_sweeps_bitwise_the_same_inline_and_on_processes():
    inline = lrscout.sweep(callable_problem(), steps=80)
    pooled = lrscout.sweep(callable_problem(), steps=80, executor="processes", workers=2)
    assert_same_result(inline, pooled, bitwise=True)
    assert inline.decision.chosen


def test_each_worker_is_pinned_to_its_share_of_the_cores(tmp_path):
    problem = lrscout.CallableProblem(ThreadReport(tmp_path))
    lrscout.sweep(problem, [1e-3, 1e-2], steps=10, executor=ProcessRunner(workers=2, threads=1))
    reports = [json.loads(p.read_text()) for p in tmp_path.glob("*.json")]
    assert len(reports) == 2
    for report in reports:
        assert report["env"]["OMP_NUM_THREADS"] == "1" and report["env"]["OPENBLAS_NUM_THREADS"] == "1"
        assert report["blas_threads"] in ([1], None)  # None: threadpoolctl is not installed there


def test_a_lambda_cannot_travel_to_worker_processes_and_the_error_says_what_to_do():
    problem = lrscout.CallableProblem(lambda lr, steps: np.exp(-lr * np.arange(steps)))
    with pytest.raises(InvalidConfigError, match=r"cannot be pickled.*module level.*executor='inline'"):
        lrscout.sweep(problem, [1e-2], steps=5, executor="processes", workers=1)


def test_an_exception_in_the_problem_reaches_the_caller_as_it_would_inline():
    problem = numpy_problem()
    with pytest.raises(lrscout.InvalidConfigError, match="steps must be an integer"):
        ProcessRunner(workers=1).run(problem, [1e-2], 0, None)
