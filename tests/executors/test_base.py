"""How the sweep drives any runner: it asks what a runner and a problem can do
(``isinstance`` against their protocols), never which class they are."""

from __future__ import annotations

import numpy as np

from lrscout import CallableProblem, Trace
from lrscout.executors import InlineRunner
from lrscout.executors.base import HasSession, ReportsEachTrace, opened, run_batch


class Recording:
    """A stacked problem: it says nothing about training one rate at a time."""

    def __init__(self):
        self.calls = []

    def train(self, lrs, steps, *, pruner=None):
        self.calls.append(list(lrs))
        return [Trace(lr=lr, train_loss=np.exp(-lr * np.arange(steps))) for lr in lrs]

    def describe(self):
        return {"problem": "recording"}


class PlainRunner:
    """A user's runner written against the plain protocol: ``run`` only."""

    def run(self, problem, lrs, steps, pruner):
        self.finished_batch = True
        return problem.train(lrs, steps, pruner=pruner)


def test_the_inline_runner_gives_a_stacked_problem_the_whole_batch_and_a_one_at_a_time_problem_one_rate_per_call():
    stacked = Recording()
    InlineRunner().run(stacked, [1e-3, 1e-2, 1e-1], 10, None)
    assert stacked.calls == [[1e-3, 1e-2, 1e-1]]
    calls = []

    def train(lr, steps):
        calls.append(lr)
        return np.exp(-lr * np.arange(steps))

    InlineRunner().run(CallableProblem(train), [1e-3, 1e-2, 1e-1], 10, None)
    assert calls == [1e-3, 1e-2, 1e-1]


def test_a_runner_that_reports_as_it_goes_reports_each_trace_once_as_it_finishes():
    seen = []
    assert isinstance(InlineRunner(), ReportsEachTrace)
    traces = run_batch(InlineRunner(), CallableProblem(lambda lr, steps: [1.0] * steps), [0.1, 0.2], 5, None,
                       lambda trace: seen.append((trace.lr, len(seen))))
    assert [t.lr for t in traces] == [0.1, 0.2] and seen == [(0.1, 0), (0.2, 1)]


def test_a_plain_runner_has_its_traces_reported_when_the_batch_returns_and_runs_without_a_session():
    runner, seen = PlainRunner(), []
    assert not isinstance(runner, ReportsEachTrace) and not isinstance(runner, HasSession)
    with opened(runner) as active:
        assert active is runner
        traces = run_batch(active, Recording(), [0.1, 0.2], 5, None, lambda trace: seen.append(trace.lr))
    assert runner.finished_batch and seen == [t.lr for t in traces] == [0.1, 0.2]
