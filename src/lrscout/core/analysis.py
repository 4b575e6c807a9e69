"""Reading loss curves: one curve in, one ``Verdict`` with its evidence out. Pure NumPy.

How a curve is read (``read_curve``), in order; the first rule that fires decides:

1. **Non-finite.** A NaN/inf loss is ``diverged``, unless the curve had first made a clear gain
   (its smoothed level fell by ``clear_gain``), in which case it is ``unstable``: it learned,
   then blew up.
2. **Explosion, rise or spike.** Let ``start`` be the loss at the shared starting point (step
   0). A peak of ``diverge_ratio`` x start, or an end ``rise_ratio`` x above start on a mostly
   rising trend, without a clear gain first, is ``diverged``. After a clear gain, giving back
   ``rebound`` of it (or such a peak) is ``unstable``. So is a spike of ``spike_ratio`` x start
   (beyond the curve's own noise) on a curve that ends without a clear gain: it was thrown out
   of its basin, which a flat "too slow" reading would hide.
3. **Saw-tooth or zigzag.** The curve is split into a trend (a triangular moving average of
   the log-loss, window about a tenth of the curve) and a residual. Both the noise level and
   the residual's lag-1 autocorrelation are measured from what white noise alone would leave
   around that trend (a narrow trend follows part of the noise, so the raw residual is smaller
   and alternates: see ``_residual_share`` and ``_beyond_white``). Mini-batch noise then
   leaves an autocorrelation near 0 and steps that flip direction about 2/3 of the time, at
   every window length; a saw-tooth (too high a rate overshooting back and forth) has
   autocorrelation near -1 and flips almost every step. The curve is ``oscillating`` when the autocorrelation is at or
   below ``sawtooth_autocorr``, the flip rate at or above ``sawtooth_alternation`` and the
   residual's rms at least ``sawtooth_amplitude`` of the loss level. When the problem reports
   the cosine between consecutive parameter updates, a median at or below ``zigzag_cosine``
   (each step undoing part of the last: overshooting across the valley) is ``oscillating`` too,
   even while the loss still falls.
4. **Flat.** A relative decrease (start to the mean of the last tenth) below
   ``too_slow_decrease`` is ``too_slow``.
5. **Waves.** A trend whose downward moves are less than ``mostly_monotonic`` of all its
   moves rises almost as much as it falls: ``oscillating``.
6. Otherwise ``good``.

Noise is never read as oscillation by amplitude alone: a noisy but clearly falling curve has
a falling trend and a white residual, so it passes rules 3 and 5.

**Knife edges.** Every threshold test that decides a reading also asks whether its measured
quantity lies within ``knife_edge`` (relative) of the threshold, and whether the outcome then
hangs on it (a false term of an "and" that a clearly false one overrules does not). The verdict
is kept, and its ``knife_edge`` names those thresholds and its reason gives the numbers: a
last-digit difference in the curve, as another CPU's BLAS kernels give, could read it otherwise.

``read_curves`` reads a sweep: each curve alone, then the comparisons across candidates that a
single curve cannot make. A zigzag (rule 3's update cosines) whose loss alone reads good and
falls further than every smaller stable rate's is ``good``: it pays, being the fastest rate
across a narrow valley (the reason says so, with both numbers). A stable curve that made less
than ``slow_fraction`` of the progress (log-decrease) of the best stable candidate in the same
window is ``too_slow``: x10 below a rate that works, a curve makes about a tenth of its
progress, which a reader sees as "barely moves" next to it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .thresholds import DEFAULT_THRESHOLDS, Thresholds
from .types import Evidence, Trace, Verdict, VerdictKind

TINY = 1e-300   # below any loss or norm worth reading: the floor of a denominator
_MOSTLY_RISING = 0.3      # a trend this little downward (or less) is rising


@dataclass(frozen=True)
class _Edge:
    """A measured quantity that lay within the knife-edge margin of the threshold it was tested against."""

    threshold: str          # the ``Thresholds`` field (or rule) the quantity was compared with
    measure: str            # what was measured, in words
    value: float
    limit: float


@dataclass(frozen=True)
class _Test:
    """A threshold test's outcome, and the knife edges that could flip it.

    Combined with ``&`` and ``|`` as three-valued logic: a term that is settled (no edge) and
    decides the combination on its own (a false term of an "and", a true one of an "or")
    leaves the others' edges out, since no last digit of theirs can change the outcome.
    """

    holds: bool
    edges: tuple[_Edge, ...] = ()

    def __bool__(self) -> bool:
        return self.holds

    def __invert__(self) -> "_Test":
        return _Test(not self.holds, self.edges)

    def __and__(self, other: "_Test") -> "_Test":
        for test in (self, other):
            if not test.holds and not test.edges:
                return test
        return _Test(self.holds and other.holds, self.edges + other.edges)

    def __or__(self, other: "_Test") -> "_Test":
        for test in (self, other):
            if test.holds and not test.edges:
                return test
        return _Test(self.holds or other.holds, self.edges + other.edges)


def _test(holds: bool, threshold: str, measure: str, value: float, limit: float, margin: float) -> _Test:
    """The outcome ``holds`` of comparing ``value`` with ``limit``, with an edge when they lie within ``margin``.

    ``holds`` is the rule's own comparison, computed by the caller exactly as before: the margin
    only adds the note, it never changes an outcome.
    """
    value, limit = float(value), float(limit)
    near = (margin > 0 and math.isfinite(value) and math.isfinite(limit)
            and abs(value - limit) <= margin * max(abs(value), abs(limit)))
    return _Test(bool(holds), (_Edge(threshold, measure, value, limit),) if near else ())


_SETTLED = _Test(True)


def smoothing_window(n: int) -> int:
    """Odd window of about a tenth of the curve, at least 3 and at most 31 steps."""
    w = max(3, min(31, n // 10))
    return w if w % 2 else w + 1


def _triangle(half: int) -> np.ndarray:
    """The triangular kernel 1, 2, ..., half + 1, ..., 2, 1 (unnormalised)."""
    return np.concatenate([np.arange(1, half + 2), np.arange(half, 0, -1)]).astype(np.float64)


def trend(values: np.ndarray, *, centred_ends: bool = True) -> np.ndarray:
    """Triangular moving average, about a tenth of the curve wide.

    A triangular kernel suppresses a period-2 saw-tooth far better than a box of the same
    width, so the saw-tooth stays in the residual where it can be measured. Near the ends the
    window shrinks: with ``centred_ends`` symmetrically, so each step stays at the centre of
    its window (the first step is its own trend, and a steep start is drawn where it is);
    without, one-sidedly, averaging the end with its neighbours inside the curve (the range
    test's suggestion rules were chosen with that smoothing and keep it).
    """
    values = np.asarray(values, dtype=np.float64)
    n = values.size
    if n < 3:
        return values.copy()
    half = smoothing_window(n) // 2
    kernel = _triangle(half)
    if not centred_ends:
        padded = np.concatenate([np.zeros(half), values, np.zeros(half)])
        weight = np.concatenate([np.zeros(half), np.ones(n), np.zeros(half)])
        return np.convolve(padded, kernel, mode="valid") / np.convolve(weight, kernel, mode="valid")
    out = np.convolve(values, kernel, mode="same") / kernel.sum()
    for i in range(half):            # the ends: symmetric windows of half-width i
        small = _triangle(i)
        out[i] = float(np.dot(values[:2 * i + 1], small) / small.sum())
        out[n - 1 - i] = float(np.dot(values[n - 1 - 2 * i:], small) / small.sum())
    return out


def logged_scale(values: np.ndarray) -> bool:
    """Whether a curve is read on a log scale (every loss positive)."""
    return bool(values.size) and bool(np.all(values > 0))


def smooth(losses: np.ndarray, *, centred_ends: bool = True) -> np.ndarray:
    """The trend the analysis reads, in loss units: ``trend`` of the log-loss when every loss is
    positive (of the loss itself otherwise), NaN from the first non-finite loss on, where a
    diverged curve has nothing left to smooth. ``centred_ends`` as in ``trend``.

    The report draws it (so the smoothed curve a reader sees is the one the verdict read), and
    the range test reads its suggestions from it (with one-sided ends).
    """
    losses = np.asarray(losses, dtype=np.float64)
    out = np.full(losses.shape, np.nan)
    bad = np.flatnonzero(~np.isfinite(losses))
    head = losses[: bad[0] if bad.size else losses.size]
    if head.size:
        logged = logged_scale(head)
        smoothed = trend(np.log(head) if logged else head, centred_ends=centred_ends)
        out[: head.size] = np.exp(smoothed) if logged else smoothed
    return out


def _log_level(values: np.ndarray) -> tuple[np.ndarray, bool]:
    """Work on log-loss when every value is positive (scale-free residuals), else raw."""
    if logged_scale(values):
        return np.log(values), True
    return values.astype(np.float64, copy=True), False


def _autocorr_lag1(residual: np.ndarray) -> float:
    if residual.size < 4:
        return 0.0
    r = residual - residual.mean()
    denom = float(np.dot(r, r))
    if denom <= TINY:
        return 0.0
    return float(np.dot(r[1:], r[:-1]) / denom)


def _alternation(values: np.ndarray) -> float:
    """Fraction of consecutive non-zero step differences whose sign flips."""
    d = np.diff(values)
    d = d[d != 0]
    if d.size < 2:
        return 0.0
    return float(np.mean(np.sign(d[1:]) != np.sign(d[:-1])))


def _blocks(level: np.ndarray) -> tuple[np.ndarray, int]:
    """Means of about eight consecutive blocks: a coarse trend whose noise is easy to bound."""
    size = max(1, level.size // 8)
    count = max(1, level.size // size)
    return np.array([b.mean() for b in np.array_split(level, count)]), size


def _residual_filter(n: int) -> np.ndarray:
    """The filter that turns a curve into its residual around the trend: identity minus kernel."""
    half = smoothing_window(n) // 2
    kernel = _triangle(half)
    kernel /= kernel.sum()
    return np.eye(1, kernel.size, half).ravel() - kernel


def _beyond_white(autocorr: float, n: int) -> float:
    """Lag-1 autocorrelation of the residual, measured from what white noise alone gives.

    Subtracting a trend that follows part of the noise makes even white noise's residual
    alternate: its lag-1 autocorrelation is -0.67 around the 3-step trend of a 30-step curve
    and -0.22 around the 11-step trend of a 100-step one. Rescaling that value to 0 (and -1 to -1) lets one threshold
    tell a saw-tooth from batch noise at every window length.
    """
    if n < 3:
        return autocorr
    c = _residual_filter(n)
    white = float(np.dot(c[1:], c[:-1]) / np.dot(c, c))
    return (autocorr - white) / (1.0 + white) if autocorr < white else (autocorr - white) / (1.0 - white)


def _residual_share(n: int) -> float:
    """The share of white noise's standard deviation that is left in the residual around the trend.

    The trend averages each step with its neighbours, itself included, so it follows part of
    the noise and the residual keeps only sqrt(1 - 2 k0 + sum k^2) of it (k: the normalised
    kernel, k0 its centre): 0.61 for the 3-step window of a short curve, 0.88 for 11 steps.
    Dividing by it measures the noise of one step, whatever the window.
    """
    if n < 3:
        return 1.0
    return float(np.linalg.norm(_residual_filter(n)))


def _noise(residual: np.ndarray) -> float:
    """Robust per-step noise: 1.4826 x median absolute deviation of the residual."""
    if residual.size < 3:
        return 0.0
    return float(1.4826 * np.median(np.abs(residual - np.median(residual))))


def _movement(blocks: np.ndarray, tolerance: float) -> tuple[float, float]:
    """The coarse trend's downward and upward movement, ignoring moves within ``tolerance``.

    The monotonicity is the downward share, down / (down + up): 1 = only falls (or no move
    beyond noise, see ``_moved``), 0.5 = rises as much as it falls, 0 = only rises.
    """
    d = np.diff(blocks)
    return float(np.clip(-d - tolerance, 0, None).sum()), float(np.clip(d - tolerance, 0, None).sum())


def _moved(down: float, up: float, tolerance: float) -> bool:
    # a few slivers just past the tolerance are still noise: the excess must itself be significant
    return down + up > max(tolerance, TINY)


def progress(start: float, end: float) -> float:
    """Log-decrease from start to end (natural log); relative decrease when not both positive."""
    if start > 0 and end > 0:
        return math.log(start) - math.log(end)
    scale = abs(start) if start != 0 else 1.0
    return (start - end) / scale


@dataclass(frozen=True)
class _NoiseTests:
    """What a curve's noise decides: whether its decrease and its trend's moves stand out from it."""

    significant: _Test      # the decrease stands out from the noise
    moved: _Test            # the coarse trend moved beyond the noise at all (else it reads as monotonic)
    down_share: float       # the downward share of those moves (the monotonicity, when it moved)


def _evidence(losses: np.ndarray, update_cosine: np.ndarray | None,
              significance: float, margin: float = 0.0) -> tuple[Evidence, _NoiseTests]:
    """Measure a curve; also test whether its decrease and its moves stand out from its own noise."""
    finite_mask = np.isfinite(losses)
    first_bad = None if finite_mask.all() else int(np.argmin(finite_mask))
    x = losses[:first_bad] if first_bad is not None else losses
    n = x.size
    cosine = None
    if update_cosine is not None:
        finite_cos = update_cosine[np.isfinite(update_cosine)]
        if finite_cos.size:
            cosine = float(np.median(finite_cos))
    if n == 0:
        nan = math.nan
        return (Evidence(0, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan,
                         first_nonfinite=first_bad, update_cosine=cosine),
                _NoiseTests(_Test(False), _Test(False), 1.0))
    level, logged = _log_level(x)
    unlog = np.exp if logged else (lambda v: v)
    residual = level - trend(level)
    noise = _noise(residual) / _residual_share(n)
    blocks, size = _blocks(level)
    block_tol = significance * noise * math.sqrt(2.0 / size)   # two block means differing by chance

    start = float(x[0])
    tail = max(1, n // 10)
    end = float(x[-tail:].mean())
    best_j = int(np.argmin(blocks))
    best = float(min(unlog(blocks[best_j]), start))
    scale = abs(start) if start != 0 else 1.0
    gain = start - best
    after = blocks[best_j:]
    rise = float(unlog(max(after.max() - block_tol, blocks[best_j]))) - float(unlog(blocks[best_j]))
    rebound = rise / gain if gain > 1e-12 * scale else 0.0
    wiggle = float(np.sqrt(np.mean(residual**2)))
    if not logged:
        wiggle /= max(abs(float(np.mean(x))), TINY)
        noise_rel = noise / max(abs(float(np.mean(x))), TINY)
    else:
        noise_rel = noise
    # the decrease is real when the start (one sample) or the first block stands clear of the end
    block_fall = float(blocks[0] - blocks[-1])
    start_fall = float(level[0] - np.mean(level[-tail:]))
    start_tol = significance * noise * math.sqrt(1.0 + 1.0 / tail)
    significant = (_test(block_fall > block_tol, "significance", "fall from the first block to the last",
                         block_fall, block_tol, margin)
                   | _test(start_fall > start_tol, "significance", "fall from the start to the end",
                           start_fall, start_tol, margin))
    down, up = _movement(blocks, block_tol)
    moved = _test(_moved(down, up, block_tol), "significance", "smoothed loss's movement beyond its noise",
                  down + up, max(block_tol, TINY), margin)
    evidence = Evidence(
        steps=n,
        start_loss=start,
        end_loss=end,
        best_loss=best,
        relative_decrease=(start - end) / scale,
        progress=progress(start, end),
        monotonicity=down / (down + up) if moved else 1.0,
        alternation=_alternation(x),
        residual_autocorr=_beyond_white(_autocorr_lag1(residual), n),
        wiggle=wiggle,
        noise=noise_rel,
        peak_ratio=float(np.max(x) / start) if start > 0 else math.nan,
        rebound=rebound,
        first_nonfinite=first_bad,
        update_cosine=cosine,
    )
    return evidence, _NoiseTests(significant, moved, down / (down + up) if down + up > 0 else 1.0)


SAME_CURVE_TOLERANCE = 0.05


def same_curve(a: np.ndarray, b: np.ndarray, tolerance: float = SAME_CURVE_TOLERANCE) -> bool:
    """Whether ``a`` follows ``b`` step for step: every difference within ``tolerance`` of ``b``'s range.

    Every candidate sees the same batches in the same order, so two rates whose curves coincide
    both leave the model where it was: the curve is the batches' own variation. The range is
    measured on the log scale when both curves are positive, so a loss jumping by a factor of
    20 between two batches is the size against which the curves are compared.
    """
    n = min(a.size, b.size)
    x, y = np.asarray(a[:n], dtype=np.float64), np.asarray(b[:n], dtype=np.float64)
    if n < 2 or not (np.isfinite(x).all() and np.isfinite(y).all()):
        return False
    if np.all(x > 0) and np.all(y > 0):
        x, y = np.log(x), np.log(y)
    size = float(y.max() - y.min())
    return size > 0 and float(np.max(np.abs(x - y))) <= tolerance * size


def _pct(fraction: float) -> str:
    return f"{100 * fraction:.0f}%"


@dataclass(frozen=True)
class _Reading:
    """A verdict in the making: the cross-candidate rules may still change it, and add edges."""

    kind: VerdictKind
    reason: str
    evidence: Evidence | None = None
    edges: tuple[_Edge, ...] = ()
    loss_alone: "_Reading | None" = None    # a zigzag's curve read without its update cosines

    def verdict(self, margin: float) -> Verdict:
        edges = tuple(dict.fromkeys(self.edges))
        if not edges:
            return Verdict(self.kind, self.reason, self.evidence)
        numbers = "; ".join(f"{e.measure} {e.value:.7g} against {e.threshold} {e.limit:.7g}" for e in edges)
        note = (f" [on a knife edge: {numbers}, within a relative {margin:g}: the last digits of another "
                "CPU's arithmetic could read this curve otherwise]")
        return Verdict(self.kind, self.reason + note, self.evidence,
                       knife_edge=tuple(dict.fromkeys(e.threshold for e in edges)))


def read_curve(
    losses: Sequence[float] | np.ndarray,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    *,
    update_cosine: Sequence[float] | np.ndarray | None = None,
) -> Verdict:
    """Read one training-loss curve (NaN/inf allowed) into a ``Verdict``; never raises on data.

    The rules, in the order they are tried, are the module's (``lrscout.core.analysis``); every
    number they compare against is a field of ``thresholds``. ``update_cosine`` is the cosine
    between consecutive parameter updates, when the problem reports it (the zigzag rule).

    Examples:
        >>> import numpy as np
        >>> from lrscout import read_curve
        >>> t = np.arange(100)
        >>> read_curve(np.exp(-0.05 * t)).reason
        'falls 99% in 100 steps, 100% of its movement downward'
        >>> read_curve(1.0 - 0.0001 * t).reason
        'almost flat: the loss fell only 1% in 100 steps'
        >>> read_curve(np.exp(-0.01 * t) * (1 + 0.1 * (-1.0) ** t)).kind.value
        'oscillating'
        >>> read_curve([1.0, 0.8, 0.6, float("nan")]).kind.value
        'unstable'
        >>> read_curve([1.0, 2.0, 5.0, 20.0, 80.0]).reason
        'the loss exploded to 80x its start'
    """
    return _read(losses, thresholds, update_cosine).verdict(thresholds.knife_edge)


def _read(losses: Sequence[float] | np.ndarray, t: Thresholds,
          update_cosine: Sequence[float] | np.ndarray | None) -> _Reading:
    x = np.asarray(losses, dtype=np.float64).ravel()
    cos = None if update_cosine is None else np.asarray(update_cosine, dtype=np.float64).ravel()
    m = t.knife_edge
    with np.errstate(all="ignore"):  # extreme floats are data here, not errors
        ev, noise_tests = _evidence(x, cos, t.significance, m)
    K = VerdictKind
    tested: list[_Test] = []      # every test the reading made, in order: the first that holds decides

    def holds(test: _Test) -> bool:
        tested.append(test)
        return test.holds

    def reading(kind: VerdictKind, reason: str) -> _Reading:
        return _Reading(kind, reason, ev, tuple(e for test in tested for e in test.edges))

    if ev.steps == 0:
        if ev.first_nonfinite == 0:
            return reading(K.DIVERGED, "the loss was NaN/inf from the first step")
        return reading(K.TOO_SLOW, "no loss was recorded, so no progress can be seen")

    start = ev.start_loss
    scale = abs(start) if start != 0 else 1.0
    fell = (start - ev.best_loss) / scale
    clear_gain = _test(fell >= t.clear_gain, "clear_gain", "fall to the best level", fell, t.clear_gain, m)
    gain_text = f"fell {_pct(fell)}"

    # 1. non-finite
    if ev.first_nonfinite is not None:
        if holds(clear_gain):
            return reading(K.UNSTABLE, f"{gain_text}, then the loss became NaN/inf at step "
                                       f"{ev.first_nonfinite}: borderline, lower it or warm up")
        return reading(K.DIVERGED, f"the loss became NaN/inf at step {ev.first_nonfinite}")

    # 2. explosion or sustained rise
    peak = float(np.max(x))
    in_starts = 1.0 + (peak - start) / scale     # the peak as a multiple of the start
    exploded = _test(peak - start >= (t.diverge_ratio - 1.0) * scale, "diverge_ratio", "peak over start",
                     in_starts, t.diverge_ratio, m)
    rising = (_test((ev.end_loss - start) >= (t.rise_ratio - 1.0) * scale, "rise_ratio", "end over start",
                    1.0 + (ev.end_loss - start) / scale, t.rise_ratio, m)
              & _test(ev.monotonicity <= _MOSTLY_RISING, "mostly_rising", "downward share of the moves",
                      ev.monotonicity, _MOSTLY_RISING, m))
    rebounded = _test(ev.rebound >= t.rebound, "rebound", "share of the gain given back", ev.rebound, t.rebound, m)
    if holds(clear_gain & exploded):
        return reading(K.UNSTABLE, f"{gain_text}, then exploded to {peak / scale:.3g}x its start: "
                                   "borderline, lower it or warm up")
    if holds(clear_gain & rebounded):
        return reading(K.UNSTABLE, f"{gain_text}, then rose back "
                                   f"{_pct(min(ev.rebound, 99.99))} of that gain "
                                   f"(peak {peak / scale:.3g}x start): borderline, lower it or warm up")
    if holds(exploded):
        return reading(K.DIVERGED, f"the loss exploded to {peak / scale:.3g}x its start")
    if holds(rising):       # a steady climb, however high, before any spike test
        return reading(K.DIVERGED, f"the loss rose to {ev.end_loss / scale:.3g}x its start and kept rising")
    # thrown out of its basin: a spike far beyond the noise, and no net gain to show for it
    spiked = (_test(peak - start >= (t.spike_ratio - 1.0) * scale, "spike_ratio", "peak over start",
                    in_starts, t.spike_ratio, m)
              & _test(ev.relative_decrease < t.clear_gain, "clear_gain", "relative decrease",
                      ev.relative_decrease, t.clear_gain, m)
              & (_test(math.log(peak / start) > 2 * t.significance * ev.noise, "significance",
                       "log of the peak over start", math.log(peak / start), 2 * t.significance * ev.noise, m)
                 if logged_scale(x) else _SETTLED))
    if holds(spiked):
        moved = (f"ended {_pct(-ev.relative_decrease)} above its start" if ev.relative_decrease < 0
                 else f"ended without a clear gain (fell {_pct(ev.relative_decrease)})")
        return reading(K.UNSTABLE, f"spiked to {peak / scale:.3g}x its start and {moved}: too high")

    # 3. saw-tooth or zigzag
    sawtooth = (_test(ev.residual_autocorr <= t.sawtooth_autocorr, "sawtooth_autocorr",
                      "residual's lag-1 autocorrelation", ev.residual_autocorr, t.sawtooth_autocorr, m)
                & _test(ev.alternation >= t.sawtooth_alternation, "sawtooth_alternation",
                        "share of steps flipping direction", ev.alternation, t.sawtooth_alternation, m)
                & _test(ev.wiggle >= t.sawtooth_amplitude, "sawtooth_amplitude", "wiggle",
                        ev.wiggle, t.sawtooth_amplitude, m))
    if holds(sawtooth):
        return reading(K.OSCILLATING, f"saw-tooth: the loss flips direction on {_pct(ev.alternation)} "
                                      f"of steps (lag-1 autocorrelation {ev.residual_autocorr:.2f}, "
                                      f"wiggle {_pct(ev.wiggle)} of the level)")
    zigzag = (_Test(False) if ev.update_cosine is None else
              _test(ev.update_cosine <= t.zigzag_cosine, "zigzag_cosine", "median update cosine",
                    ev.update_cosine, t.zigzag_cosine, m))
    if holds(zigzag):
        zigzagging = reading(K.OSCILLATING, "zigzag: consecutive updates point back and forth "
                                            f"(median cosine {ev.update_cosine:.2f}), each step "
                                            "overshooting across the valley")
        # what the loss alone says, for the comparison across candidates (``read_curves``)
        return dataclasses.replace(zigzagging, loss_alone=_read(x, t, None))

    # 4. flat
    if holds(_test(ev.relative_decrease < t.too_slow_decrease, "too_slow_decrease", "relative decrease",
                   ev.relative_decrease, t.too_slow_decrease, m)):
        if ev.relative_decrease >= 0:
            return reading(K.TOO_SLOW, f"almost flat: the loss fell only {_pct(ev.relative_decrease)} "
                                       f"in {ev.steps} steps")
        return reading(K.TOO_SLOW, f"no progress: the loss ended {_pct(-ev.relative_decrease)} above its start "
                                   f"after {ev.steps} steps, without rising steadily or spiking")
    if holds(~noise_tests.significant):
        return reading(K.TOO_SLOW, f"almost flat: its {_pct(ev.relative_decrease)} decrease does not stand "
                                   f"out from its step-to-step noise ({_pct(ev.noise)} a step; a real fall "
                                   f"is {t.significance:g}x that, or more)")

    # 5. waves (a trend that never moved beyond its noise reads as monotonic)
    if holds(noise_tests.moved & _test(noise_tests.down_share < t.mostly_monotonic, "mostly_monotonic",
                                       "downward share of the moves", noise_tests.down_share,
                                       t.mostly_monotonic, m)):
        return reading(K.OSCILLATING, "the smoothed loss rises almost as much as it falls "
                                      f"(only {_pct(ev.monotonicity)} of its movement is downward)")

    return reading(K.GOOD, f"falls {_pct(ev.relative_decrease)} in {ev.steps} steps, "
                           f"{_pct(ev.monotonicity)} of its movement downward")


def read_curves(traces: Sequence[Trace], thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list[Verdict]:
    """Read every trace of a sweep, then compare candidates in three ways one curve cannot.

    0. A zigzag whose loss alone reads good and made more progress than every smaller stable
       rate is ``good`` (``_weigh_zigzags``); one that made no more stays ``oscillating``, its
       reason giving both numbers.
    1. A stable curve above a good rate that made less than ``stalled_fraction`` of that
       rate's progress is stalled, not slow: up to the fastest rate, a larger step makes more
       progress, so less progress at a larger rate means the step is too large (momentum and
       adaptive optimizers thrown out of their basin settle on a noisy plateau instead of
       exploding). A curve read flat above a good rate is noisy, not slow. Both are ``unstable``.
    2. A good curve that made less than ``slow_fraction`` of the best good curve's progress is
       ``too_slow``.

    Their comparisons are knife-edge tested too; the note goes on the candidate compared.
    """
    readings = [_Reading(VerdictKind.FAILED, f"training raised: {trace.error}") if trace.error is not None
                else _read(trace.train_loss, thresholds, trace.update_cosine) for trace in traces]
    _weigh_zigzags(traces, readings, thresholds)
    good = _good(readings)
    if good:
        _mark_too_high(traces, readings, good, thresholds)
        _mark_too_slow(traces, readings, _good(readings), thresholds)
    return [r.verdict(thresholds.knife_edge) for r in readings]


def _weigh_zigzags(traces: Sequence[Trace], readings: list[_Reading], thresholds: Thresholds) -> None:
    """Re-read a zigzag as ``good`` when it pays: its loss alone reads good and it made more
    progress than every smaller stable rate (good or too slow) in the same window.

    On a narrow valley (badly scaled features) the fastest rate is past 1/L, where the stiff
    direction's updates flip sign every step while the flat directions, which hold most of the
    loss, move fastest: the zigzag is what the best rate looks like there, not an overshoot
    that costs anything. A zigzag that made no more progress than a smaller stable rate stays
    ``oscillating``, and its reason gives both numbers; one with no smaller stable rate to weigh
    it against stays ``oscillating`` too. Rates are weighed from the smallest up, so a zigzag is compared with
    the zigzags below it that paid.
    """
    for i in sorted(range(len(readings)), key=lambda k: traces[k].lr):
        reading, alone = readings[i], readings[i].loss_alone
        if alone is None or alone.kind is not VerdictKind.GOOD or alone.evidence is None:
            continue
        below = [(j, r.evidence.progress) for j, r in enumerate(readings)
                 if traces[j].lr < traces[i].lr and r.kind.is_stable and r.evidence is not None
                 and math.isfinite(r.evidence.progress)]
        if not below:
            continue
        j, best = max(below, key=lambda item: (item[1], traces[item[0]].lr))
        ev, other = alone.evidence, readings[j].evidence
        assert other is not None and reading.evidence is not None   # ``below`` holds read curves only
        made = ev.progress
        pays = _test(made > best, "zigzag_pays", f"progress (log-decrease) against lr {traces[j].lr:.3g}'s",
                     made, best, thresholds.knife_edge)
        than = f"lr {traces[j].lr:.3g} falls {_pct(other.relative_decrease)}"
        if pays:
            readings[i] = _Reading(
                VerdictKind.GOOD,
                f"falls {_pct(ev.relative_decrease)} in {ev.steps} steps, {_pct(ev.monotonicity)} of its movement "
                f"downward, more than any smaller stable rate ({than}), although its updates zigzag (median cosine "
                f"{reading.evidence.update_cosine:.2f}): the fastest rate across a narrow valley, near the edge "
                "of stability",
                reading.evidence, reading.edges + alone.edges + pays.edges)
        else:
            readings[i] = _Reading(
                reading.kind,
                f"{reading.reason}; its loss fell {_pct(ev.relative_decrease)}, no further than {than}: "
                "the zigzag costs what the larger step gains",
                reading.evidence, reading.edges + alone.edges + pays.edges, alone)


def _good(readings: Sequence[_Reading]) -> list[tuple[int, float]]:
    """The good readings' indices and progress (finite)."""
    return [(i, r.evidence.progress) for i, r in enumerate(readings)
            if r.kind is VerdictKind.GOOD and r.evidence is not None and math.isfinite(r.evidence.progress)]


def _mark_too_slow(traces: Sequence[Trace], readings: list[_Reading], good: list[tuple[int, float]],
                   thresholds: Thresholds) -> None:
    """Re-read good curves that made less than ``slow_fraction`` of the best good curve's progress."""
    if not good:
        return
    best_i, best_progress = max(good, key=lambda item: (item[1], traces[item[0]].lr))
    if best_progress <= 0:
        return
    for i, p in good:
        reading = readings[i]
        share = p / best_progress
        slow = _test(p < thresholds.slow_fraction * best_progress, "slow_fraction",
                     f"share of lr {traces[best_i].lr:.3g}'s progress", share, thresholds.slow_fraction,
                     thresholds.knife_edge)
        if slow:
            ev = reading.evidence
            assert ev is not None   # ``good`` holds read curves only, and a read curve has evidence
            readings[i] = _Reading(
                VerdictKind.TOO_SLOW,
                f"too slow next to lr {traces[best_i].lr:.3g}: made {_pct(share)} of its "
                f"progress in the same {ev.steps} steps (fell {_pct(ev.relative_decrease)})",
                ev, reading.edges + slow.edges)
        elif slow.edges:
            readings[i] = _Reading(reading.kind, reading.reason, reading.evidence, reading.edges + slow.edges)


def _mark_too_high(traces: Sequence[Trace], readings: list[_Reading], good: list[tuple[int, float]],
                   thresholds: Thresholds) -> None:
    """Re-read stable curves above a smaller good rate as ``unstable`` when they cannot be right.

    Up to the fastest rate a larger step makes more progress, so a larger rate is too high,
    not too slow, when it made less than ``stalled_fraction`` of the best smaller good rate's
    progress (stalled), or when its curve reads flat at all: its fall did not stand out from its
    own step-to-step noise, which the larger step made, while the smaller rate's did (noisy).
    """
    for i, reading in enumerate(readings):
        ev = reading.evidence
        if not reading.kind.is_stable or ev is None or not math.isfinite(ev.progress):
            continue
        below = [(j, p) for j, p in good if traces[j].lr < traces[i].lr]
        if not below:
            continue
        j, p = max(below, key=lambda item: (item[1], traces[item[0]].lr))  # ties: the larger rate
        moved = f"{'fell' if ev.relative_decrease >= 0 else 'rose'} {_pct(abs(ev.relative_decrease))}"
        smaller_ev = readings[j].evidence
        assert smaller_ev is not None   # ``good`` holds read curves only, and a read curve has evidence
        smaller = f"the smaller lr {traces[j].lr:.3g} falls {_pct(smaller_ev.relative_decrease)}"
        made = max(ev.progress, 0.0)
        stalled = _test(p * thresholds.stalled_fraction > made, "stalled_fraction",
                        f"share of lr {traces[j].lr:.3g}'s progress", made / p if p > 0 else math.inf,
                        thresholds.stalled_fraction, thresholds.knife_edge)
        if stalled:
            reason = (f"stalled: it {moved} ({_pct(made / p)} of the progress) while {smaller}: "
                      "the step is too large, not too small")
        elif reading.kind is VerdictKind.TOO_SLOW:
            reason = (f"noisy, not slow: it {moved}, within its own step-to-step noise ({_pct(ev.noise)}), while "
                      f"{smaller} clearly: the step is too large, not too small")
        else:
            if stalled.edges:
                readings[i] = _Reading(reading.kind, reading.reason, ev, reading.edges + stalled.edges)
            continue
        readings[i] = _Reading(VerdictKind.UNSTABLE, reason, ev, reading.edges + stalled.edges)
