"""Shared fixtures, and the nudge that shows whether a numerical test asserts only what is robust.

NumPy's BLAS (OpenBLAS) picks its kernels for the CPU at start-up (SkylakeX on an AVX-512
machine, Haswell, Zen, Sandybridge...), NumPy's own loops have AVX-512, AVX2 and older
versions, and each rounds differently in the last digit. Most curves do not care; a deep net at
a high rate is chaotic and turns that digit into a different curve. A test must not assert what
such a difference can flip.

``pytest --nudge=1e-12`` (or ``LRSCOUT_TEST_NUDGE=1e-12``) makes that difference on any
machine: every learning rate a built-in or streaming problem trains at is scaled by (1 + nudge)
-- the trace keeps the rate asked for, so tests look candidates up as usual -- and every loss
curve the analysis reads is scaled by (1 + nudge). A ``CallableProblem`` keeps its rates (the
test's own function sees them, and may key on them), so only its curves are nudged. It acts in
this process only (worker processes, Ray tasks and the CLI run as a subprocess train
un-nudged), so `.ci/run` reruns the in-process numerical test files this way after the plain run.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from lrscout import SweepResult
from lrscout.data import housing
from lrscout.workflows.tabular import sweep_table

NUDGE_ENV = "LRSCOUT_TEST_NUDGE"

# No property test asserts time: Hypothesis's default 200 ms deadline per example and its
# too-slow health check would fail a correct test on a loaded 2-core machine. Loaded here,
# before the test modules, so every @settings(...) there starts from this profile.
settings.register_profile("lrscout", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("lrscout")


def pytest_addoption(parser):
    parser.addoption("--nudge", default=None, metavar="RELATIVE",
                     help="scale every learning rate trained and every loss curve read by (1 + RELATIVE), "
                          f"e.g. 1e-12, to check that no assertion hangs on the last digit (env: {NUDGE_ENV})")


def _nudge_of(config) -> float:
    option, env = config.getoption("--nudge"), os.environ.get(NUDGE_ENV, "")
    text, where = (option, "--nudge") if option is not None else (env, NUDGE_ENV)
    if not text.strip():
        return 0.0
    try:
        nudge = float(text)
    except ValueError:
        nudge = math.nan
    if not (math.isfinite(nudge) and abs(nudge) < 1e-3):
        raise pytest.UsageError(f"{where}={text!r}: give a small relative change such as 1e-12 "
                                "(a finite number of size below 1e-3), or leave it unset")
    return nudge


def pytest_configure(config):
    config.nudge = _nudge_of(config)


def pytest_report_header(config):
    if config.nudge:
        return f"lrscout: learning rates and read curves nudged by a relative {config.nudge:g}"
    return None


def _nudged_train(train, factor: float):
    @functools.wraps(train)      # the signature stays the problem's (recommend looks for schedule=)
    def nudged(self, lrs, steps, *args, **kwargs):
        asked = [float(lr) for lr in lrs]
        traces = train(self, [lr * factor for lr in asked], steps, *args, **kwargs)
        return [dataclasses.replace(trace, lr=lr) for trace, lr in zip(traces, asked)]
    return nudged


@pytest.fixture(autouse=True)
def nudged_inputs(request, monkeypatch):
    """With a nudge set, train and read every curve of this test at a last-digit-different input."""
    nudge = request.config.nudge
    if not nudge:
        return
    from lrscout.core import analysis
    from lrscout.problems.numpy_models import NumpyProblem
    from lrscout.problems.streaming import StreamingProblem

    factor = 1.0 + nudge
    for problem in (NumpyProblem, StreamingProblem):
        monkeypatch.setattr(problem, "train", _nudged_train(problem.train, factor))
    evidence = analysis._evidence

    def nudged_evidence(losses, *args, **kwargs):
        losses = np.asarray(losses, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            nudged = losses * factor
        # a finite loss at float64's edge stays finite: the nudge changes digits, not kinds of value
        return evidence(np.where(np.isfinite(nudged), nudged, losses), *args, **kwargs)

    monkeypatch.setattr(analysis, "_evidence", nudged_evidence)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="module")
def result() -> SweepResult:
    """The seeds' housing example swept at 1e-3, 1e-2 and 0.1 (0.01 chosen), for the output tests."""
    return sweep_table(housing(), "price", lrs=[1e-3, 1e-2, 1e-1], steps=200, batch_size=32)
