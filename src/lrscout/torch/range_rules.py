"""Reading an LR range test's curve: smoothing, the stop rule and three suggestions. Pure NumPy.

The curve is the training loss at each step while the lr ramps from ``min_lr`` to ``max_lr``.

**Smoothing** (``smooth``): ``lrscout.core.analysis.trend`` -- the triangular moving average the
sweep's curve reading uses, about a tenth of the curve wide -- on log-loss when every loss is
positive, with one-sided windows at the ends (``centred_ends=False``, the smoothing the rules
were chosen with in ``benchmarks/quality``). It is centred, so unlike the usual exponential
average it does not lag behind the curve and push suggestions towards larger lrs. Only the
finite prefix is smoothed.

**Stopping** (``EarlyStop``): the run cannot see ahead, so it stops on a causal exponential
average with bias correction, ``e_t = b e_{t-1} + (1 - b) L_t``, ``ê_t = e_t / (1 - b^t)``,
with ``b = 1 - 2 / (w + 1)`` (the span of the same window ``w``): stop when
``ê_t > stop_factor x min_{s<=t} ê_s``, or at once on a NaN/inf loss.

**Suggestions** (``suggest``), each reported with its formula and outcome in ``reasons``:

- ``steepest``: ``argmin_i dS/d(log lr)`` over the steps up to the smoothed minimum, where the
  loss falls fastest per e-fold of lr (the rule of Lightning's and torch-lr-finder's
  ``suggestion()``); none when the smoothed loss never falls.
- ``min_over_10``: ``lr[argmin S] / 10``: a tenth of the lr at the smoothed minimum, which
  sits just before divergence (fastai's ``minimum``); none when the minimum is the first step.
- ``valley``: fastai's ``valley``: the longest decreasing subsequence of S, from ``a`` to
  ``e`` (``a = e - its length``); the suggestion is ``lr[a + int(d) + int(d / 2)]`` with
  ``d = (e - a) / 3``, half way down the longest valley. (Where that index is -1, a valley
  from the very first step, fastai reads the *last* lr; here it is clamped to the first.)

No suggestion is made from fewer than ``MIN_POINTS`` finite losses: the reasons say why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..core.analysis import logged_scale, smoothing_window
from ..core.analysis import smooth as analysis_smooth

MIN_POINTS = 5


def _finite_prefix(losses: np.ndarray) -> int:
    bad = ~np.isfinite(losses)
    return int(np.argmax(bad)) if bad.any() else losses.size


def smooth(losses: np.ndarray) -> np.ndarray:
    """The smoothed curve in loss units (``lrscout.core.analysis.smooth`` with one-sided ends,
    the smoothing its rules were chosen with); NaN from the first non-finite loss on."""
    return analysis_smooth(losses, centred_ends=False)


@dataclass
class EarlyStop:
    """The causal stop rule above; call it with each step's loss, it says when to stop."""

    stop_factor: float
    steps: int
    _beta: float = field(init=False)
    _avg: float = field(default=0.0, init=False)
    _best: float = field(default=math.inf, init=False)
    _seen: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._beta = 1.0 - 2.0 / (smoothing_window(self.steps) + 1)

    def __call__(self, loss: float) -> bool:
        if not math.isfinite(loss):
            return True
        self._seen += 1
        self._avg = self._beta * self._avg + (1 - self._beta) * loss
        smoothed = self._avg / (1 - self._beta ** self._seen)
        self._best = min(self._best, smoothed)
        return self._seen > 1 and self._best > 0 and smoothed > self.stop_factor * self._best


def _valley(s: np.ndarray) -> tuple[int, int, int]:
    """fastai's valley: (suggested index, valley start, valley end) on a finite curve."""
    n = s.size
    lds = np.ones(n, dtype=int)
    start = end = 0
    for i in range(1, n):
        higher = s[:i] > s[i]
        if higher.any():
            lds[i] = 1 + int(lds[:i][higher].max())
        if lds[end] < lds[i]:
            end = i
            start = end - int(lds[end])
    sections = (end - start) / 3
    return min(n - 1, max(0, start + int(sections) + int(sections / 2))), max(start, 0), end


def suggest(lrs: np.ndarray, losses: np.ndarray, smoothed: np.ndarray,
            stopped_early: bool) -> tuple[dict[str, float], dict[str, str]]:
    """The three suggestions and one sentence per rule (formula and outcome)."""
    lrs = np.asarray(lrs, dtype=np.float64)
    n = _finite_prefix(np.asarray(losses, dtype=np.float64))
    if n < MIN_POINTS:
        if n < lrs.size:
            where = "the first step" if n == 0 else f"step {n} (lr {lrs[n]:.3g})"
            why = f"before the loss became NaN/inf at {where}; lower min_lr or check the data and loss"
        else:
            why = f"were recorded; a range test needs at least {MIN_POINTS} steps"
        return {}, {"none": f"no suggestion: only {n} finite loss(es) {why}"}
    s = np.log(smoothed[:n]) if logged_scale(smoothed[:n]) else smoothed[:n]
    x = lrs[:n]
    suggestions: dict[str, float] = {}
    reasons: dict[str, str] = {}
    low = int(np.argmin(s))

    slope = np.gradient(s, np.log(x)) if np.all(np.diff(x) > 0) else np.gradient(s)
    head = slope[:low + 1]
    i = int(np.argmin(head))
    if head[i] < 0:
        suggestions["steepest"] = float(x[i])
        reasons["steepest"] = (f"argmin of d(smoothed loss)/d(log lr) up to the minimum: steepest at lr {x[i]:.3g} "
                               f"(slope {head[i]:.3g} per e-fold of lr)")
    else:
        reasons["steepest"] = "no suggestion: the smoothed loss never falls; lower min_lr"

    if low == 0:
        reasons["min_over_10"] = "no suggestion: the smoothed loss is lowest at the first lr; lower min_lr"
    else:
        suggestions["min_over_10"] = float(x[low] / 10)
        note = "" if stopped_early or low < n - 1 else \
            "; the loss was still falling at max_lr, so the true minimum may lie higher (raise max_lr)"
        reasons["min_over_10"] = f"lr at the smoothed minimum ({x[low]:.3g}) / 10 = {x[low] / 10:.3g}{note}"

    idx, a, e = _valley(s)
    if e > a:
        suggestions["valley"] = float(x[idx])
        reasons["valley"] = (f"longest decreasing run of the smoothed loss, lr {x[a]:.3g} to {x[e]:.3g}; "
                             f"lr[a + d + d/2] with d = length/3 = {x[idx]:.3g}")
    else:
        reasons["valley"] = "no suggestion: the smoothed loss never decreases"
    return suggestions, reasons
