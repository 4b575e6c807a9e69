"""Pinning a worker's math libraries to its share of the cores.

BLAS (OpenBLAS, MKL), OpenMP and torch each start one thread per core by default. Two worker
processes on a 2-core machine then run four busy threads that fight over two cores, and each
candidate trains several times slower than it would alone. Every worker an executor starts is
therefore pinned to ``cores // workers`` threads, in three ways because no single one reaches
every library:

- environment variables, read by each library when it loads: they must be in the worker's
  environment *before* it imports NumPy, so executors put them there when they start it;
- threadpoolctl (if installed), which resizes pools of libraries already loaded;
- ``torch.set_num_threads`` when torch is loaded (torch keeps its own intra-op pool).
"""

from __future__ import annotations

import os
import sys
from typing import Mapping

from .._validation import positive_int

THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                   "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS reports one)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """Each worker's fair share of the cores, never below one thread."""
    workers = positive_int("workers", workers)
    return max(1, (available_cores() if cores is None else cores) // workers)


def thread_env(threads: int) -> Mapping[str, str]:
    """The environment that caps every math library at ``threads`` threads when it loads."""
    threads = positive_int("threads", threads)
    return {name: str(threads) for name in THREAD_ENV_VARS}


def pin_threads(threads: int) -> None:
    """Cap this process's math libraries at ``threads`` threads, loaded or not yet loaded."""
    os.environ.update(thread_env(threads))
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        pass  # the environment variables above are then all there is; they work if set early
    else:
        threadpool_limits(limits=threads)
    torch = sys.modules.get("torch")
    if torch is not None:  # never import torch just to pin it
        torch.set_num_threads(threads)
