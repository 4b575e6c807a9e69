"""Choosing an executor (``runner_for``, ``sweep(executor=...)``): names map to runners, and bad
choices and combinations are refused at the boundary, before any training."""

from __future__ import annotations

import sys

import pytest

import lrscout
from executor_helpers import numpy_problem
from lrscout.errors import BackendUnavailableError, InvalidConfigError
from lrscout.executors import InlineRunner, ProcessRunner, RayRunner, runner_for


@pytest.mark.parametrize("executor, workers, message", [
    ("threads", None, "executor must be one of inline, processes, ray, got 'threads'"),
    ("inline", 2, r"workers \(--workers 2\) applies to the processes and ray executors"),
    (InlineRunner(), 2, "a runner instance"),
])
def test_executor_choices_are_checked_at_the_boundary(executor, workers, message):
    with pytest.raises(InvalidConfigError, match=message):
        lrscout.sweep(numpy_problem(), [1e-2], steps=5, executor=executor, workers=workers)


def test_names_map_to_runners():
    assert isinstance(runner_for("inline"), InlineRunner)
    assert runner_for("processes", workers=3) == ProcessRunner(workers=3)
    assert runner_for("ray", ray_address="10.0.0.1:6379") == RayRunner(address="10.0.0.1:6379")
    assert runner_for("ray", workers=2) == RayRunner(local_cpus=2)
    with pytest.raises(InvalidConfigError, match="sizes a local cluster|already sized"):
        RayRunner(address="10.0.0.1:6379", local_cpus=2)
    with pytest.raises(InvalidConfigError, match="workers must be an integer >= 1, got 0"):
        ProcessRunner(workers=0)


def test_without_ray_installed_the_ray_executor_names_the_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail as if absent
    with pytest.raises(BackendUnavailableError, match=r"pip install 'lrscout\[ray\]'"):
        lrscout.sweep(numpy_problem(), [1e-2], steps=5, executor="ray")
