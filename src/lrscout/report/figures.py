"""Figure data for a sweep, prepared without drawing, so every renderer shows the same numbers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..result import SweepResult
from ..types import VerdictKind

# One colour per verdict, shared by every renderer (colour-blind friendly, Okabe-Ito based).
VERDICT_COLORS: dict[VerdictKind, str] = {
    VerdictKind.GOOD: "#009E73",
    VerdictKind.TOO_SLOW: "#56B4E9",
    VerdictKind.OSCILLATING: "#E69F00",
    VerdictKind.UNSTABLE: "#D55E00",
    VerdictKind.DIVERGED: "#CC0000",
    VerdictKind.FAILED: "#7F7F7F",
}


@dataclass(frozen=True)
class Series:
    lr: float
    steps: np.ndarray
    loss: np.ndarray
    verdict: VerdictKind
    color: str
    label: str
    chosen: bool
    dash: str  # '-', '--', ':' or '-.': tells apart curves that share a verdict colour


@dataclass(frozen=True)
class CurveFigure:
    title: str
    series: tuple[Series, ...]
    log_y: bool
    y_limits: tuple[float, float] | None
    caption: str


def curve_figure(result: SweepResult, title: str = "Training loss per candidate") -> CurveFigure:
    """Loss vs step for every candidate, coloured by verdict; log y when the curves span decades."""
    series = []
    seen: dict[VerdictKind, int] = {}
    for c in result.candidates:
        dash = ("-", "--", ":", "-.")[seen.get(c.kind, 0) % 4]
        seen[c.kind] = seen.get(c.kind, 0) + 1
        loss = np.asarray(c.train_loss, dtype=float)
        chosen = result.chosen_lr is not None and c.lr == result.chosen_lr
        label = f"lr {c.lr:.3g}: {c.kind.value}" + ("  (chosen)" if chosen else "")
        series.append(Series(c.lr, np.arange(loss.size), loss, c.kind, VERDICT_COLORS[c.kind], label, chosen,
                             "-" if chosen else dash))
    readable = [s.loss[np.isfinite(s.loss)] for s in series if s.verdict.is_stable or s.verdict is VerdictKind.OSCILLATING]
    readable = [r for r in readable if r.size] or [s.loss[np.isfinite(s.loss)] for s in series]
    values = np.concatenate(readable) if readable else np.array([])
    log_y, limits = False, None
    if values.size:
        lo, hi = float(values.min()), float(values.max())
        log_y = lo > 0 and hi / lo > 30
        span = hi - lo if hi > lo else max(abs(hi), 1.0)
        limits = (lo / 1.5, hi * 1.5) if log_y else (lo - 0.05 * span, hi + 0.1 * span)
    d = result.decision
    caption = f"chosen lr {d.lr:g}" if d.chosen else "no learning rate chosen"
    return CurveFigure(title, tuple(series), log_y, limits, caption)
