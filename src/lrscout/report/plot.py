"""Static images of a sweep with matplotlib (Agg backend; PNG, SVG or PDF by file extension)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..errors import BackendUnavailableError, InvalidConfigError
from ..result import SweepResult
from .figures import VERDICT_COLORS, CurveFigure, curve_figure

FORMATS = (".png", ".svg", ".pdf")


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
        if s.loss.size and s.verdict.value in ("diverged", "unstable"):
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


def save_plot(results: SweepResult | Sequence[tuple[str, SweepResult]], path: str | Path) -> Path:
    """Write loss-vs-step curves of one sweep, or of several side by side (``(title, result)``)."""
    p = Path(path)
    if p.suffix.lower() not in FORMATS:
        raise InvalidConfigError(f"--plot {str(p)!r}: the file must end in {', '.join(FORMATS)}")
    panels = [("Training loss per candidate", results)] if isinstance(results, SweepResult) else list(results)
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(6.4 * len(panels), 4.6), squeeze=False)
    for ax, (title, result) in zip(axes[0], panels):
        _draw(ax, curve_figure(result, title))
    fig.tight_layout()
    try:
        fig.savefig(p, dpi=120)
    except OSError as exc:
        raise InvalidConfigError(f"cannot write plot {str(p)!r}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
    return p


__all__ = ["FORMATS", "VERDICT_COLORS", "save_plot"]
