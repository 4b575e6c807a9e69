"""Run benchmark jobs in a small pool of single-threaded worker processes.

Every process -- workers and the parent -- runs torch (and the BLAS libraries) on one thread:
the same for every finder, so wall times compare work, not parallelism, and two workers
fit this project's 2-core machine. Workers are spawned (not forked) so each imports torch
fresh, and jobs are module-level functions called with plain arguments, returning plain values.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import time
import warnings
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Callable, Iterator, Sequence

MAX_WORKERS = 2
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
QUIET_LOGGERS = ("pytorch_lightning", "lightning", "lightning.pytorch", "lightning.fabric", "optuna")


def single_threaded() -> None:
    """Pin this process to one thread and quieten the peers' chatter."""
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    import torch

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:                      # already set, or parallel work has started: harmless
        pass
    quiet_loggers()


def quiet_loggers() -> None:
    """Silence the peers' informational logs and warnings (they would drown the progress lines)."""
    warnings.filterwarnings("ignore")
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


def run_jobs(fn: Callable[..., Any], jobs: Sequence[tuple[Any, ...]], workers: int,
             label: Callable[[tuple[Any, ...]], str] = str) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Yield ``(args, fn(*args))`` for every job, as they finish, printing progress to stderr.

    Jobs are submitted in the given order (put the long ones first for a balanced finish).
    """
    if not jobs:
        return
    workers = max(1, min(workers, MAX_WORKERS, len(jobs)))
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=single_threaded) as pool:
        pending: dict[Future[Any], tuple[Any, ...]] = {pool.submit(fn, *args): args for args in jobs}
        done_count = 0
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                args = pending.pop(future)
                done_count += 1
                print(f"  [{done_count}/{len(jobs)} {time.perf_counter() - started:6.0f}s] {label(args)}",
                      file=sys.stderr, flush=True)
                yield args, future.result()
