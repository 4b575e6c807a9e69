"""How a trace keeps its per-step curves: float32 storage that saturates instead of overflowing,
and block compaction for long windows (``Trace.compact``)."""

from __future__ import annotations

from typing import Any

import numpy as np

_FLOAT32 = np.finfo(np.float32)


def frozen_curve(values: Any) -> np.ndarray:
    """A per-step curve as a trace keeps it: a read-only float32 array.

    Half the memory of float64, and seven significant digits are more than a loss curve's
    reading needs: the analysis casts back to float64 before it computes anything. The cast
    saturates instead of overflowing, so the two facts the verdicts start from read the same
    as in float64: a finite value beyond float32's range stays finite (at float32's largest)
    rather than becoming inf, and a non-zero value below its smallest stays non-zero (at its
    smallest subnormal, with its sign) rather than 0, which would take a curve off the log scale.
    """
    wide = np.asarray(values, dtype=np.float64).ravel()
    with np.errstate(over="ignore", under="ignore"):
        curve = wide.astype(np.float32)
    overflowed = np.isfinite(wide) & ~np.isfinite(curve)
    flushed = (wide != 0) & (curve == 0)
    curve[overflowed] = np.copysign(_FLOAT32.max, wide[overflowed])
    curve[flushed] = np.copysign(_FLOAT32.smallest_subnormal, wide[flushed])
    curve.flags.writeable = False
    return curve


def compacted_size(points: int, stride: int) -> int:
    """Points a curve of ``points`` keeps at ``stride``: its first, one per block, its last."""
    return points if points <= 2 else 2 + -(-(points - 2) // stride)


def compact_curve(values: np.ndarray, stride: int, *, magnitude: bool) -> np.ndarray:
    """The first and last values exactly, and between them the mean of each block of ``stride``.

    ``magnitude`` curves (losses, gradient norms, update ratios) are averaged in log space when
    every finite value in between is positive: they fall or grow by factors, the analysis
    reads the loss on its log scale and the report draws it there, so a block's log-mean is
    the level the curve has at the block's middle step, where the point is drawn (an
    arithmetic mean leans towards the block's early, larger values). It damps an isolated
    finite spike; a NaN or inf is not averaged away: a block holding one becomes its first
    non-finite value, so a divergence stays visible. Cosines are averaged as they are, over
    the steps that have one: there NaN only marks a step without an update (a skipped step).
    """
    if values.size <= 2:
        return values
    inner = values[1:-1].astype(np.float64)
    starts = np.arange(0, inner.size, stride)
    finite = np.isfinite(inner)
    if magnitude:
        logged = bool(np.all(inner[finite] > 0))
        level = np.log(np.where(finite, inner, 1.0)) if logged else np.where(finite, inner, 0.0)
        means = np.add.reduceat(level, starts) / np.diff(np.append(starts, inner.size))
        blocks = np.exp(means) if logged else means
        bad = np.flatnonzero(~finite)
        hit, first = np.unique(bad // stride, return_index=True)
        blocks[hit] = inner[bad[first]]
    else:
        counts = np.add.reduceat(finite.astype(np.float64), starts)
        sums = np.add.reduceat(np.where(finite, inner, 0.0), starts)
        blocks = np.divide(sums, counts, out=np.full(starts.size, np.nan), where=counts > 0)
    return frozen_curve(np.concatenate([values[:1], blocks, values[-1:]]))


__all__ = ["compact_curve", "compacted_size", "frozen_curve"]
