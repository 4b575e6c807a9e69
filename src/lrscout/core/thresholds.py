"""The named constants behind every verdict and every choice, in one overridable value.

A user who disagrees with a rule changes a number here (``Thresholds(too_slow_decrease=0.05)``)
instead of editing code; the thresholds used are stored in every ``SweepResult`` so a decision
can be reproduced and explained later.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

from .._validation import finite_real


@dataclass(frozen=True)
class Thresholds:
    """Rules for reading loss curves and choosing among them.

    Curve reading (see ``lrscout.core.analysis`` for how each is measured):

    - ``diverge_ratio``: a loss this many times its start, without a clear gain first, has
      diverged; the sweep also prunes a candidate as soon as its loss passes it.
    - ``rise_ratio``: a curve that ends this many times above its start while mostly rising,
      without a clear gain first, has diverged.
    - ``spike_ratio``: a loss this many times its start (beyond the noise) on a curve that ends
      without a clear gain is ``unstable``: thrown out of its basin, not merely slow.
    - ``clear_gain``: the fractional drop of the smoothed curve that counts as a real gain,
      telling an ``unstable`` curve (gain, then explosion) from a ``diverged`` one.
    - ``rebound``: after its best point, a curve that gives back this fraction of its gain is
      ``unstable``.
    - ``sawtooth_autocorr``: lag-1 autocorrelation of the residual around the trend, measured
      from white noise's own value for that trend, at or below which the wiggles alternate
      systematically (white mini-batch noise sits near 0 at any window, a period-2 saw-tooth
      near -1).
    - ``sawtooth_alternation``: fraction of consecutive steps whose direction flips, at or above
      which the curve alternates (white noise flips about 2/3 of the time).
    - ``sawtooth_amplitude``: smallest size of the alternating wiggle, relative to the loss
      level (rms of the log-residual), that matters.
    - ``zigzag_cosine``: median cosine between consecutive parameter updates at or below which
      the steps overshoot back and forth across the valley (used when the problem reports it).
    - ``mostly_monotonic``: the smoothed curve's downward share of all its moves below which it
      rises almost as much as it falls (waves), read as oscillation.
    - ``too_slow_decrease``: relative decrease over the window below which a curve is flat.
    - ``slow_fraction``: a stable curve that made less than this fraction of the progress
      (log-decrease) of the best stable candidate in the same sweep is too slow.
    - ``stalled_fraction``: a stable curve that made less than this fraction of the progress of
      a good candidate at a *smaller* rate is past the fastest rate: stalled, too high.

    - ``significance``: moves smaller than this many noise standard deviations (measured from
      the curve's own residual) are noise: they neither count as progress nor as waves.
    - ``knife_edge``: a measurement within this relative margin of a threshold that decides the
      reading puts the verdict on a knife edge: it is kept, and its reason and
      ``Verdict.knife_edge`` say so, since a last-digit difference (another CPU's BLAS
      kernels) could cross the threshold. It changes no verdict; 0 turns the notes off.

    Choosing:

    - ``val_margin``: a smaller good candidate whose validation loss is better by more than
      this fraction is preferred to the largest good one (overfitting or instability that the
      training curve hides).
    """

    diverge_ratio: float = 10.0
    rise_ratio: float = 1.5
    spike_ratio: float = 3.0
    clear_gain: float = 0.10
    rebound: float = 0.5
    sawtooth_autocorr: float = -0.5
    sawtooth_alternation: float = 0.75
    sawtooth_amplitude: float = 0.01
    zigzag_cosine: float = -0.5
    mostly_monotonic: float = 0.7
    too_slow_decrease: float = 0.02
    slow_fraction: float = 0.2
    stalled_fraction: float = 0.3
    significance: float = 2.5
    knife_edge: float = 1e-6
    val_margin: float = 0.05

    def __post_init__(self) -> None:
        finite_real("diverge_ratio", self.diverge_ratio, low=1.0, low_open=True)
        finite_real("rise_ratio", self.rise_ratio, low=1.0, low_open=True)
        finite_real("spike_ratio", self.spike_ratio, low=1.0, low_open=True)
        finite_real("clear_gain", self.clear_gain, low=0.0, high=1.0, low_open=True, high_open=True)
        finite_real("rebound", self.rebound, low=0.0, high=1.0, low_open=True)
        finite_real("sawtooth_autocorr", self.sawtooth_autocorr, low=-1.0, high=0.0)
        finite_real("sawtooth_alternation", self.sawtooth_alternation, low=0.5, high=1.0)
        finite_real("sawtooth_amplitude", self.sawtooth_amplitude, low=0.0)
        finite_real("zigzag_cosine", self.zigzag_cosine, low=-1.0, high=0.0)
        finite_real("mostly_monotonic", self.mostly_monotonic, low=0.5, high=1.0)
        finite_real("too_slow_decrease", self.too_slow_decrease, low=0.0, high=1.0, high_open=True)
        finite_real("slow_fraction", self.slow_fraction, low=0.0, high=1.0, high_open=True)
        finite_real("stalled_fraction", self.stalled_fraction, low=0.0, high=1.0, high_open=True)
        finite_real("significance", self.significance, low=0.0)
        finite_real("knife_edge", self.knife_edge, low=0.0, high=1.0, high_open=True)
        finite_real("val_margin", self.val_margin, low=0.0)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Thresholds":
        return cls(**known_fields(cls, data))


DEFAULT_THRESHOLDS = Thresholds()


def known_fields(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``data`` that name a field of the dataclass ``cls``: a results file written
    by a newer version may hold thresholds this one does not know, and they are left out."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}
