"""A local pool of worker processes: one candidate per task, dead workers survived.

For CPU-bound candidates that train one at a time (a ``CallableProblem`` around a framework,
or the built-in models one rate per task), N workers on N cores finish a batch up to N times
sooner. Each worker is pinned to its share of the cores (``threads.py``), gets the pickled
problem once, then trains one learning rate per message.

The pool is supervised by hand rather than with ``concurrent.futures``: a
``ProcessPoolExecutor`` whose worker dies breaks as a whole and cannot say which task killed
it. Here every worker holds at most one task, so a death is charged to exactly that
candidate: it is retried on a fresh worker up to ``max_retries`` times, then recorded as a
failed trace saying why, and the other candidates carry on. An exception raised by the
problem itself is not a fault of the worker: it propagates to the caller, as it would inline.
A worker that trains a candidate longer than ``timeout`` seconds is taken to be hung (a
deadlock, a stalled data source): it is killed and the candidate recorded as failed at once,
since a retry would most likely hang again. The clock starts when the worker begins the
candidate (it says so), not when it is handed it: a fresh worker first imports its modules and
loads the problem, which on a busy machine can take longer than a short timeout. A worker that
never begins is bounded too, by the timeout plus ``STARTUP_ALLOWANCE``.

Every worker the pool starts is tracked from before its process starts until it is stopped, so
Ctrl-C landing anywhere (while a worker starts, or while a candidate is handed over) leaves no
worker behind.

Workers are started with ``spawn``, so they share nothing with the parent (no inherited
threads or locks, as ``fork`` would give): the problem must be picklable, and a script that
sweeps with this executor needs the usual ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
import time
import traceback
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any, Mapping, Sequence, cast

from ..core.pruning import DivergencePruner
from ..core.types import Trace
from .._validation import finite_real, non_negative_int, positive_int
from ..errors import InvalidConfigError
from ..problems.protocols import Problem
from .base import OnTrace, failed_trace, pickled_problem, restored_environment
from .threads import available_cores, pin_threads, thread_env, threads_per_worker

if TYPE_CHECKING:
    from multiprocessing.context import ForkServerContext, SpawnContext

START_METHODS = ("spawn", "forkserver")
# seconds a worker may take to begin a candidate (start, import, load the problem), beyond the
# timeout: generous, since it only bounds a worker that never comes up
STARTUP_ALLOWANCE = 60.0


@dataclass(frozen=True)
class ProcessRunner:
    """Run candidates on ``workers`` local processes (default: one per available core).

    ``threads`` caps each worker's math libraries (default: its share of the cores);
    ``max_retries`` is how many times a candidate whose worker died is tried again;
    ``timeout`` (seconds, default none) is how long one candidate may train before its
    worker is taken to be hung, killed, and the candidate recorded as failed (counted from
    when the worker begins it, so a worker's start-up is not charged to its first candidate).
    """

    workers: int | None = None
    max_retries: int = 2
    threads: int | None = None
    start_method: str = "spawn"
    timeout: float | None = None

    def __post_init__(self) -> None:
        if self.workers is not None:
            positive_int("workers", self.workers)
        if self.threads is not None:
            positive_int("threads", self.threads)
        non_negative_int("max_retries", self.max_retries)
        if self.timeout is not None:
            finite_real("timeout", self.timeout, low=0.0, low_open=True)
        if self.start_method not in START_METHODS:
            raise InvalidConfigError(f"start_method must be one of {', '.join(START_METHODS)}, "
                                     f"got {self.start_method!r}")

    @property
    def pool_size(self) -> int:
        return self.workers if self.workers is not None else available_cores()

    @property
    def worker_threads(self) -> int:
        return self.threads if self.threads is not None else threads_per_worker(self.pool_size)

    def session(self) -> "ProcessPool":
        return ProcessPool(self)

    def run(self, problem: Problem, lrs: Sequence[float], steps: int, pruner: DivergencePruner | None) -> list[Trace]:
        return self.run_reporting(problem, lrs, steps, pruner, None)

    def run_reporting(self, problem: Problem, lrs: Sequence[float], steps: int, pruner: DivergencePruner | None,
                      on_trace: OnTrace | None) -> list[Trace]:
        with self.session() as pool:
            return pool.run_reporting(problem, lrs, steps, pruner, on_trace)


class ProcessPool:
    """A live pool (``ProcessRunner.session()``): workers are kept across the planner's rounds,
    started when first needed, and stopped on exit (at once, if the exit is an error or Ctrl-C)."""

    def __init__(self, config: ProcessRunner) -> None:
        self.config = config
        self._idle: list[_Worker] = []
        self._live: set[_Worker] = set()   # every worker started and not yet stopped, busy or idle
        self._payload: tuple[Problem, bytes] | None = None
        # one of START_METHODS (ProcessRunner checked it), whose contexts make processes
        self._context = cast("SpawnContext | ForkServerContext", multiprocessing.get_context(config.start_method))

    def __enter__(self) -> "ProcessPool":
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.close(now=exc_type is not None)

    def __repr__(self) -> str:
        return repr(self.config)

    def close(self, now: bool = False) -> None:
        # the idle ones, and any that Ctrl-C caught between the idle list and a task
        workers, self._idle = list(self._live), []
        for worker in workers:
            self._stop(worker, now)

    def _stop(self, worker: "_Worker", now: bool) -> None:
        worker.stop(now)
        self._live.discard(worker)

    def run(self, problem: Problem, lrs: Sequence[float], steps: int, pruner: DivergencePruner | None) -> list[Trace]:
        return self.run_reporting(problem, lrs, steps, pruner, None)

    def run_reporting(self, problem: Problem, lrs: Sequence[float], steps: int, pruner: DivergencePruner | None,
                      on_trace: OnTrace | None) -> list[Trace]:
        payload = self._pickled(problem)
        pending: deque[_Task] = deque(_Task(i, float(lr)) for i, lr in enumerate(lrs))
        done: dict[int, Trace] = {}
        busy: dict[_Worker, _Task] = {}
        try:
            while pending or busy:
                while pending and len(busy) < self.config.pool_size:
                    worker = self._idle.pop() if self._idle else self._start_worker()
                    task = pending.popleft()
                    worker.assign(task, payload, steps, pruner)
                    busy[worker] = task
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy],
                                 timeout=self._until_first_deadline(busy)))
                for worker in self._overdue(busy, ready):
                    task = busy.pop(worker)
                    self._stop(worker, now=True)
                    assert self.config.timeout is not None  # only a timeout makes a worker overdue
                    self._finish(done, task.index, failed_trace(task.lr, worker.overdue_reason(self.config.timeout)),
                                 on_trace)
                for worker in [w for w in busy if w.conn in ready or w.process.sentinel in ready]:
                    reply = worker.reply()
                    if reply is not None and reply[0] == "began":  # its clock starts now; the answer follows
                        worker.began = time.monotonic()
                        continue
                    task = busy.pop(worker)
                    if reply is None:  # the worker died with the task: charge it to this candidate
                        reason = worker.death()
                        self._stop(worker, now=True)
                        if task.attempt < self.config.max_retries:
                            pending.appendleft(task.again(reason))
                        else:
                            self._finish(done, task.index, failed_trace(task.lr, task.failure(reason)), on_trace)
                        continue
                    if worker.process.is_alive():
                        self._idle.append(worker)
                    else:  # answered, then died: its result stands, the worker is not reused
                        self._stop(worker, now=True)
                    if reply[0] == "raised":
                        raise _reraise(reply)
                    (trace,) = reply[1]
                    self._finish(done, task.index, trace, on_trace)
        except BaseException:
            # Ctrl-C or an error: the candidates still training are abandoned, not waited for
            for worker in busy:
                self._stop(worker, now=True)
            raise
        return [done[i] for i in range(len(lrs))]

    def _until_first_deadline(self, busy: Mapping["_Worker", "_Task"]) -> float | None:
        if self.config.timeout is None:
            return None
        now = time.monotonic()
        return max(0.0, min(w.deadline(self.config.timeout) - now for w in busy))

    def _overdue(self, busy: Mapping["_Worker", "_Task"], ready: set) -> list["_Worker"]:
        """Workers past the timeout that have not answered (an answer in hand still counts)."""
        if self.config.timeout is None:
            return []
        now = time.monotonic()
        return [w for w in busy if now >= w.deadline(self.config.timeout)
                and w.conn not in ready and w.process.sentinel not in ready]

    def _pickled(self, problem: Problem) -> bytes:
        # pickled once per session, so each worker is sent the problem once, not once per round
        if self._payload is None or self._payload[0] is not problem:
            self._payload = (problem, pickled_problem(problem, "processes"))
        return self._payload[1]

    @staticmethod
    def _finish(done: dict[int, Trace], index: int, trace: Trace, on_trace: OnTrace | None) -> None:
        done[index] = trace
        if on_trace is not None:
            on_trace(trace)

    def _start_worker(self) -> "_Worker":
        threads = self.config.worker_threads
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(child, threads), daemon=True,
                                        name="lrscout-worker")
        # spawned children inherit os.environ at start: the thread caps are in place before the
        # child imports NumPy, which is the only moment OpenBLAS reads them
        env = thread_env(threads)
        worker = _Worker(process, parent)
        self._live.add(worker)  # before it starts: Ctrl-C during the start must still stop it
        with restored_environment(env):
            os.environ.update(env)
            process.start()
        child.close()
        return worker


@dataclass(frozen=True)
class _Task:
    index: int
    lr: float
    attempt: int = 0
    reasons: tuple[str, ...] = ()

    def again(self, reason: str) -> "_Task":
        return _Task(self.index, self.lr, self.attempt + 1, self.reasons + (reason,))

    def failure(self, reason: str) -> str:
        tries = self.attempt + 1
        return (f"its worker process died {tries} time{'s' if tries > 1 else ''} "
                f"({'; '.join(self.reasons + (reason,))}); gave up after {self.attempt} "
                f"retr{'ies' if self.attempt != 1 else 'y'}" + _script_hint())


def _script_hint() -> str:
    """Workers start by importing the main script: a sweep at its top level runs again in each
    one and kills it, the classic spawn mistake. Name the fix when the main module is a script."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file is None:    # interactive or a notebook: nothing to guard
        return ""
    return (f". If {os.path.basename(main_file)} starts the sweep at its top level, put that code under "
            "`if __name__ == \"__main__\":` (each worker imports the script, which must not start a sweep)")


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, process: Any, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self._problem: bytes | None = None
        self.handed = time.monotonic()     # when it was given its task
        self.began: float | None = None    # when it said it began training it

    def assign(self, task: _Task, payload: bytes, steps: int, pruner: DivergencePruner | None) -> None:
        self.handed, self.began = time.monotonic(), None
        try:
            if self._problem is not payload:
                self.conn.send(("problem", payload))
                self._problem = payload
            self.conn.send(("train", task.lr, steps, pruner))
        except OSError:
            pass  # it died before taking the task: its sentinel reports the death next

    def deadline(self, timeout: float) -> float:
        """When the task's time is up: ``timeout`` after it began, or, until it begins, after it
        was handed over plus the start-up allowance."""
        if self.began is not None:
            return self.began + timeout
        return self.handed + timeout + STARTUP_ALLOWANCE

    def overdue_reason(self, timeout: float) -> str:
        if self.began is not None:
            return f"no answer after {timeout:g} s (timeout): its worker was taken to be hung"
        return (f"its worker did not begin the candidate within {timeout + STARTUP_ALLOWANCE:g} s "
                f"(the {timeout:g} s timeout plus {STARTUP_ALLOWANCE:g} s to start): it was taken to be hung")

    def reply(self) -> tuple | None:
        """The worker's answer, or None when it died instead of answering."""
        try:
            return self.conn.recv() if self.conn.poll() else None
        except (EOFError, OSError):
            return None

    def death(self) -> str:
        self.process.join(timeout=1.0)
        code = self.process.exitcode
        if code is None:
            return "it stopped answering"
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit code {code}"

    def stop(self, now: bool) -> None:
        if self.process.pid is None:  # Ctrl-C came before its process started
            self.conn.close()
            return
        if not now and self.process.is_alive():
            try:
                self.conn.send(("stop",))
            except OSError:
                pass
            self.process.join(timeout=5.0)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=5.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker process (shown as its cause)."""

    def __str__(self) -> str:
        return str(self.args[0])


def _reraise(reply: tuple) -> BaseException:
    _, exc, text = reply
    exc.__cause__ = RemoteTraceback(f"\n\nin the worker process:\n{text}")
    return exc


def _portable(exc: BaseException) -> BaseException:
    """The exception itself when it can be pickled back to the parent, else a stand-in."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _serve(conn: Connection, threads: int) -> None:
    """A worker's life: load the problem, train one learning rate per message, until told to stop."""
    # Ctrl-C reaches the whole foreground process group; the parent stops the workers itself
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    pin_threads(threads)
    problem: Any = None
    load_error: BaseException | None = None
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the sweep process is gone: nobody is left to report to
        if message[0] == "stop":
            return
        if message[0] == "problem":
            try:
                problem, load_error = pickle.loads(message[1]), None
            except Exception as exc:  # e.g. the train function's module is not importable here
                problem, load_error = None, exc
            pin_threads(threads)  # unpickling may have loaded torch, which keeps its own pool
            continue
        _, lr, steps, pruner = message
        try:
            if load_error is not None:
                raise load_error
            conn.send(("began",))  # the parent's timeout counts from here
            reply: tuple = ("trace", problem.train([lr], steps, pruner=pruner))
        except Exception as exc:
            reply = ("raised", _portable(exc), traceback.format_exc())
        try:
            conn.send(reply)
        except OSError:
            return
