"""Static images of a sweep with matplotlib (Agg backend; PNG, SVG or PDF by file extension)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Sequence

from ..core.result import SweepResult
from ..core.types import VerdictKind
from ..errors import BackendUnavailableError, InvalidConfigError
from .figures import VERDICT_COLORS, CurveFigure, curve_figure

FORMATS = (".png", ".svg", ".pdf")
DPI = 120

Panels = SweepResult | Sequence[tuple[str, SweepResult]]


def _pyplot():
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - matplotlib is a core dependency
        raise BackendUnavailableError("plotting", "plot", "matplotlib") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _draw(ax, fig: CurveFigure) -> None:
    for s in fig.series:
        ax.plot(s.steps, s.loss, color=s.color, label=s.label, linestyle=s.dash, linewidth=2.6 if s.chosen else 1.3,
                alpha=1.0 if s.chosen else 0.85, zorder=3 if s.chosen else 2)
        if s.loss.size and s.verdict in (VerdictKind.DIVERGED, VerdictKind.UNSTABLE):
            ax.plot(s.steps[-1:], s.loss[-1:], marker="x", color=s.color, markersize=7)
    if fig.log_y:
        ax.set_yscale("log")
    if fig.y_limits:
        ax.set_ylim(*fig.y_limits)
    ax.set_xlabel("step")
    ax.set_ylabel("training loss" + (" (log scale)" if fig.log_y else ""))
    ax.set_title(f"{fig.title}\n{fig.caption}", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best")


def _figure(results: Panels, width: float):
    """One panel per ``(title, result)``, side by side, each ``width`` inches wide."""
    panels = [("Training loss per candidate", results)] if isinstance(results, SweepResult) else list(results)
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(width * len(panels), 0.72 * width), squeeze=False)
    for ax, (title, result) in zip(axes[0], panels):
        _draw(ax, curve_figure(result, title))
    fig.tight_layout()
    return plt, fig


def save_plot(results: Panels, path: str | Path) -> Path:
    """Write loss-vs-step curves of one sweep, or of several side by side (``(title, result)``)."""
    p = Path(path)
    if p.suffix.lower() not in FORMATS:
        raise InvalidConfigError(f"--plot {str(p)!r}: the file must end in {', '.join(FORMATS)}")
    plt, fig = _figure(results, width=6.4)
    try:
        fig.savefig(p, dpi=DPI)
    except OSError as exc:
        raise InvalidConfigError(f"cannot write plot {str(p)!r}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
    return p


def png_bytes(results: Panels, width: float = 6.4, dpi: int = 100) -> bytes:
    """The same image as a PNG in memory (for a notebook's inline summary)."""
    plt, fig = _figure(results, width)
    try:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi)
    finally:
        plt.close(fig)
    return buffer.getvalue()


__all__ = ["FORMATS", "VERDICT_COLORS", "png_bytes", "save_plot"]
