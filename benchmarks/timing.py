"""Timing shared by the benchmark scripts."""

from __future__ import annotations

import gc
import time
from typing import Any, Callable


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds ``fn()`` took, and its result, with the garbage collector paused (as timeit does:
    keep collector pauses out of the numbers)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        out = fn()
        return time.perf_counter() - t0, out
    finally:
        if enabled:
            gc.enable()
