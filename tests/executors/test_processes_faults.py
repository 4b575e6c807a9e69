"""A candidate whose worker process dies is retried on a fresh worker a bounded number of
times, then recorded as failed with the reason; the sweep finishes with the others.

``DiesAt`` makes the worker training one learning rate kill itself with SIGKILL, as the
kernel's OOM killer or an operator would. (Ray's side of this lives in test_ray.py.)
"""

from __future__ import annotations

import multiprocessing

import pytest

import lrscout
from executor_helpers import DiesAt, HangsAt, SlowToLoad, curve, kept
from lrscout import VerdictKind
from lrscout.errors import InvalidConfigError
from lrscout.executors import ProcessRunner, processes, runner_for

GRID = [1e-3, 1e-2, 1e-1, 1.0]


@pytest.fixture(autouse=True)
def no_worker_left_behind():
    yield
    assert multiprocessing.active_children() == []


def deaths(folder):
    return len(list(folder.glob("death-*")))


def test_a_worker_that_dies_once_is_replaced_and_its_candidate_trained_again(tmp_path):
    problem = lrscout.CallableProblem(DiesAt(tmp_path, lr=1e-2, times=1))
    result = lrscout.sweep(problem, GRID, steps=60, executor=ProcessRunner(workers=2, max_retries=2))
    assert deaths(tmp_path) == 1
    survivor = result.candidate(1e-2)
    assert survivor.trace.error is None and survivor.train_loss.tolist() == kept(curve(1e-2, 60))
    assert result.decision.chosen


def test_a_candidate_whose_worker_keeps_dying_is_failed_with_the_reason_and_the_rest_finish(tmp_path):
    problem = lrscout.CallableProblem(DiesAt(tmp_path, lr=1e-1, times=99))
    result = lrscout.sweep(problem, GRID, steps=60, executor=ProcessRunner(workers=2, max_retries=2))
    assert deaths(tmp_path) == 3  # the first try and two retries
    failed = result.candidate(1e-1)
    assert failed.kind is VerdictKind.FAILED
    assert "worker process died 3 times (killed by SIGKILL; killed by SIGKILL; killed by SIGKILL)" \
        in failed.verdict.reason
    assert "gave up after 2 retries" in failed.verdict.reason
    assert [c.kind for c in result.candidates if c.lr != 1e-1] == \
        [VerdictKind.TOO_SLOW, VerdictKind.GOOD, VerdictKind.DIVERGED]
    # a failed candidate bounds the stable range like a too-high one: 0.01 is the choice
    assert result.chosen_lr == 1e-2


def test_with_no_retries_the_first_death_fails_the_candidate(tmp_path):
    problem = lrscout.CallableProblem(DiesAt(tmp_path, lr=1e-3, times=99))
    result = lrscout.sweep(problem, GRID, steps=60, executor=ProcessRunner(workers=1, max_retries=0))
    assert deaths(tmp_path) == 1
    assert "died 1 time (killed by SIGKILL); gave up after 0 retries" in result.candidate(1e-3).verdict.reason


def test_a_hung_candidate_is_stopped_at_the_timeout_and_failed_without_a_retry():
    problem = lrscout.CallableProblem(HangsAt(1e-1))
    result = lrscout.sweep(problem, GRID, steps=60, executor=ProcessRunner(workers=2, timeout=3))
    hung = result.candidate(1e-1)
    assert hung.kind is VerdictKind.FAILED
    assert "no answer after 3 s (timeout)" in hung.verdict.reason
    assert [c.kind for c in result.candidates if c.lr != 1e-1] == \
        [VerdictKind.TOO_SLOW, VerdictKind.GOOD, VerdictKind.DIVERGED]


def test_the_timeout_counts_from_when_a_worker_begins_its_candidate_not_from_its_start_up():
    # each fresh worker takes 2 s to load the problem, twice the timeout: none of that is training
    problem = lrscout.CallableProblem(SlowToLoad(2.0))
    result = lrscout.sweep(problem, GRID, steps=60, executor=ProcessRunner(workers=2, timeout=1))
    assert all(c.trace.error is None for c in result.candidates)
    assert [c.kind for c in result.candidates] == \
        [VerdictKind.TOO_SLOW, VerdictKind.GOOD, VerdictKind.GOOD, VerdictKind.DIVERGED]


def test_ctrl_c_while_a_candidate_is_handed_to_an_idle_worker_leaves_no_worker_behind(monkeypatch):
    handed = []
    assign = processes._Worker.assign

    def interrupted_on_the_second(worker, *args):
        handed.append(worker)
        if len(handed) == 2:  # the first candidate's worker, taken from the idle list again
            raise KeyboardInterrupt
        assign(worker, *args)

    monkeypatch.setattr(processes._Worker, "assign", interrupted_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        ProcessRunner(workers=1).run(lrscout.CallableProblem(curve), [1e-3, 1e-2], 20, None)
    assert handed[0] is handed[1]
    assert not handed[0].process.is_alive()  # and the autouse check finds no child left


def test_ctrl_c_while_a_worker_process_starts_leaves_no_worker_behind(monkeypatch):
    started = []
    start = processes.multiprocessing.context.SpawnProcess.start

    def interrupted_once_started(process):
        start(process)
        started.append(process)
        raise KeyboardInterrupt  # after the child exists, before the pool hears of it

    monkeypatch.setattr(processes.multiprocessing.context.SpawnProcess, "start", interrupted_once_started)
    with pytest.raises(KeyboardInterrupt):
        ProcessRunner(workers=1).run(lrscout.CallableProblem(curve), [1e-3], 20, None)
    assert len(started) == 1 and not started[0].is_alive()


def test_timeout_is_validated_and_belongs_to_the_processes_executor():
    with pytest.raises(InvalidConfigError, match="timeout"):
        ProcessRunner(timeout=0)
    with pytest.raises(InvalidConfigError, match="applies to the processes executor"):
        runner_for("inline", timeout=5)
    assert runner_for("processes", workers=2, timeout=5).timeout == 5


def test_a_dead_worker_names_the_main_guard_when_the_sweep_runs_from_a_script(monkeypatch):
    import sys
    import types

    from lrscout.executors.processes import _script_hint

    script = types.ModuleType("__main__")
    script.__file__, script.__spec__ = "/home/me/train.py", None       # run as `python train.py`
    monkeypatch.setitem(sys.modules, "__main__", script)
    assert "If train.py starts the sweep at its top level" in _script_hint()
    assert 'if __name__ == "__main__":' in _script_hint()
    del script.__file__                                                 # interactive: no script to guard
    assert _script_hint() == ""
