"""Interactive plotly charts drawn from the figure data in ``report.figures``.

Only declarative plotly features are used -- legend clicks toggle a candidate, buttons switch
raw/smoothed curves and linear/log axes, a slider highlights one candidate -- so there is no
hand-written charting code. Text that plotly renders is escaped first: plotly reads a subset of
HTML in labels and decodes entities, so escaped text shows as written.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np

from ..core.types import VerdictKind
from ..errors import BackendUnavailableError
from .figures import VERDICT_COLORS, CurveFigure, LossByLrFigure, RangeTestFigure, ScheduleFigure
from .markup import lr_text

DASH = {"-": "solid", "--": "dash", ":": "dot", "-.": "dashdot"}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
CONFIG = {"displaylogo": False, "responsive": True,
          "toImageButtonOptions": {"format": "png", "scale": 2, "filename": "lrscout"}}
SLIDER_ALL = "all"
# Line styles: the chosen curve stands out at rest; a highlighted one stands out over faded others.
WIDTH_CHOSEN, WIDTH_REST, WIDTH_HIGHLIGHT, WIDTH_FADED = 3.2, 1.7, 4.0, 1.2
OPACITY_REST, OPACITY_FADED = 0.9, 0.18
BUTTON_ROW = 1.1  # the buttons sit just above the plot area, in paper coordinates


def _go():
    try:
        import plotly.graph_objects as go
    except ImportError:  # pragma: no cover - plotly is a core dependency
        raise BackendUnavailableError("the HTML report", "html", "plotly") from None
    return go


def _values(values: np.ndarray) -> list[float | None]:
    """JSON has no NaN or inf: a gap in the line says 'no finite loss here'."""
    return [v if math.isfinite(v) else None for v in np.asarray(values, dtype=float).tolist()]


def _text(value: Any) -> str:
    return html.escape(str(value), quote=False)


def _layout(go, **extra: Any):
    layout = dict(template="plotly_white", font=dict(family=FONT, size=13), margin=dict(l=60, r=20, t=30, b=50),
                  hoverlabel=dict(font=dict(family=FONT)))
    layout.update(extra)
    return go.Layout(**layout)


def _log_range(limits: tuple[float, float]) -> list[float]:
    return [math.log10(limits[0]), math.log10(limits[1])]


def log_ticks(limits: tuple[float, float], mantissas: tuple[int, ...] = (1, 2, 5)) -> list[float]:
    """1, 2 and 5 times each power of ten within ``limits``: plotly's own log ticks label all
    nine digits of a decade, single digits without the decade ("5" for 0.5) or SI prefixes
    ("100µ" for 1e-4), none of which reads as a loss or a learning rate."""
    low, high = math.floor(math.log10(limits[0])), math.ceil(math.log10(limits[1]))
    ticks = [float(f"{m}e{k}") for k in range(low, high + 1) for m in mantissas]
    return [t for t in ticks if limits[0] <= t <= limits[1]]


def _decades(lrs: np.ndarray) -> dict:
    """Ticks at each power of ten a ramp crosses (1, 2 and 5 within a decade, too few otherwise)."""
    positive = lrs[np.isfinite(lrs) & (lrs > 0)]
    if not positive.size:
        return {}
    limits = (float(positive.min()), float(positive.max()))
    ticks = log_ticks(limits, mantissas=(1,))
    return _ticks(ticks if len(ticks) >= 2 else log_ticks(limits))


def _ticks(values: list[float]) -> dict:
    return {"tickvals": values, "ticktext": [f"{v:g}" for v in values]}


def _y_axis(linear: tuple[float, float] | None, log: tuple[float, float] | None, use_log: bool) -> dict:
    if use_log and log is not None:
        return {"type": "log", "range": _log_range(log), **_ticks(log_ticks(log))}
    return {"type": "linear", "range": None if linear is None else list(linear), "tickvals": None, "ticktext": None}


def _axis_buttons(fig: CurveFigure) -> list[dict]:
    buttons = []
    for label, use_log, limits in (("linear y", False, fig.linear_limits), ("log y", True, fig.log_limits)):
        if limits is not None:
            axis = _y_axis(fig.linear_limits, fig.log_limits, use_log)
            buttons.append(dict(label=label, method="relayout", args=[{f"yaxis.{k}": v for k, v in axis.items()}]))
    return buttons


def _lr_axis(lrs: list[float], title: str) -> dict:
    """A log lr axis labelled at the rates that were run, where the reader looks."""
    return dict(title=title, type="log", tickvals=lrs, ticktext=[lr_text(lr) for lr in lrs])


def _styles(fig: CurveFigure, highlight: int | None) -> dict[str, list]:
    """Per-trace width and opacity: at rest (``None``) or with one candidate highlighted."""
    if highlight is None:
        return {"line.width": [WIDTH_CHOSEN if s.chosen else WIDTH_REST for s in fig.series],
                "opacity": [1.0 if s.chosen else OPACITY_REST for s in fig.series]}
    return {"line.width": [WIDTH_HIGHLIGHT if i == highlight else WIDTH_FADED for i in range(len(fig.series))],
            "opacity": [1.0 if i == highlight else OPACITY_FADED for i in range(len(fig.series))]}


def _hover(s, what: str) -> str:
    return f"<b>lr {lr_text(s.lr)}</b> · {_text(s.verdict.value)}<br>step %{{x}}<br>{what} %{{y:.4g}}<extra></extra>"


def curves_chart(fig: CurveFigure):
    """Loss vs step: one trace per candidate (so the legend toggles each), coloured by verdict.

    Curves start smoothed, as TensorBoard and most trackers show them: mini-batch noise hides
    the regimes at a glance. One click shows the raw losses the verdicts were read from.
    """
    go = _go()
    rest = _styles(fig, None)
    traces = []
    for i, s in enumerate(fig.series):
        # an x marks where a diverged or unstable curve was cut off, as in the static image
        ends = s.verdict in (VerdictKind.DIVERGED, VerdictKind.UNSTABLE) and s.loss.size
        sizes = [0] * s.loss.size
        if ends:
            sizes[-1] = 10
        traces.append(go.Scatter(
            x=s.steps.tolist(), y=_values(s.smoothed), name=_text(s.label), mode="lines+markers" if ends else "lines",
            line=dict(color=s.color, width=rest["line.width"][i], dash=DASH[s.dash]),
            marker=dict(symbol="x", size=sizes, color=s.color) if ends else None, opacity=rest["opacity"][i],
            hovertemplate=_hover(s, "smoothed loss")))
    raw = {"y": [_values(s.loss) for s in fig.series], "hovertemplate": [_hover(s, "loss") for s in fig.series]}
    smoothed = {"y": [_values(s.smoothed) for s in fig.series],
                "hovertemplate": [_hover(s, "smoothed loss") for s in fig.series]}
    menus = [dict(type="buttons", direction="right", x=0.0, xanchor="left", y=BUTTON_ROW, yanchor="bottom",
                  showactive=True, active=0, pad=dict(r=4),
                  buttons=[dict(label="smoothed loss", method="restyle", args=[smoothed]),
                           dict(label="raw loss", method="restyle", args=[raw])])]
    axis_buttons = _axis_buttons(fig)
    if len(axis_buttons) > 1:
        menus.append(dict(type="buttons", direction="right", x=1.0, xanchor="right", y=BUTTON_ROW, yanchor="bottom",
                          showactive=True, active=1 if fig.log_y else 0, pad=dict(r=4), buttons=axis_buttons))
    steps = [dict(label=SLIDER_ALL, value=SLIDER_ALL, method="restyle", args=[_styles(fig, None)])]
    steps += [dict(label=lr_text(s.lr), value=str(i), method="restyle", args=[_styles(fig, i)])
              for i, s in enumerate(fig.series)]
    slider = dict(active=0, steps=steps, x=0.0, len=1.0, y=-0.13, yanchor="top", pad=dict(t=10, b=0),
                  currentvalue=dict(prefix="highlight lr: ", font=dict(size=13)), ticklen=4)
    last_step = max((int(s.steps[-1]) for s in fig.series if s.steps.size), default=1)
    layout = _layout(go, height=560, margin=dict(l=64, r=20, t=60, b=120), updatemenus=menus, sliders=[slider],
                     xaxis=dict(title="step", range=[0, last_step]),
                     yaxis=dict(title="training loss", **_y_axis(fig.linear_limits, fig.log_limits, fig.log_y)),
                     legend=dict(title=dict(text="click to hide or show"), orientation="v", x=1.02, y=1.0),
                     hovermode="closest")
    return go.Figure(data=traces, layout=layout)


def loss_by_lr_chart(fig: LossByLrFigure):
    """End-of-window training loss and validation loss against the rate, on a log lr axis."""
    go = _go()
    lrs = [p.lr for p in fig.points]
    hover = [f"lr {lr_text(p.lr)} · {p.verdict.value}" + (" (chosen)" if p.chosen else "") for p in fig.points]
    traces = [go.Scatter(x=lrs, y=[p.final_loss for p in fig.points], name="final training loss",
                         mode="lines+markers", line=dict(color="#999999", width=1.5, dash="dot"),
                         marker=dict(size=7, color="#999999"), text=hover,
                         hovertemplate="%{text}<br>final training loss %{y:.4g}<extra></extra>")]
    if fig.has_validation:
        traces.append(go.Scatter(
            x=lrs, y=[p.val_loss for p in fig.points], name="validation loss", mode="lines+markers",
            line=dict(color="#444444", width=1.5),
            marker=dict(size=[16 if p.chosen else 11 for p in fig.points], color=[p.color for p in fig.points],
                        symbol=["star" if p.chosen else "circle" for p in fig.points],
                        line=dict(width=1, color="#333333")),
            text=hover, hovertemplate="%{text}<br>validation loss %{y:.4g}<extra></extra>"))
    layout = _layout(go, height=380, xaxis=_lr_axis(lrs, "learning rate"),
                     yaxis=dict(title="loss", **_y_axis(fig.linear_limits, fig.log_limits, fig.log_y)),
                     legend=dict(orientation="h", x=0, y=1.12))
    return go.Figure(data=traces, layout=layout)


def range_test_chart(fig: RangeTestFigure):
    """The range test's loss against the ramped rate, with each rule's suggestion marked."""
    go = _go()
    traces = [go.Scatter(x=fig.lrs.tolist(), y=_values(fig.losses), name="loss", mode="lines",
                         line=dict(color="#BBBBBB", width=1),
                         hovertemplate="lr %{x:.3g}<br>loss %{y:.4g}<extra></extra>"),
              go.Scatter(x=fig.lrs.tolist(), y=_values(fig.smoothed), name="smoothed", mode="lines",
                         line=dict(color="#333333", width=2.2),
                         hovertemplate="lr %{x:.3g}<br>smoothed loss %{y:.4g}<extra></extra>")]
    if fig.suggestions:
        traces.append(go.Scatter(
            x=[s.lr for s in fig.suggestions], y=[s.loss for s in fig.suggestions], name="suggestions",
            mode="markers+text", text=[_text(s.name) for s in fig.suggestions], textposition="top center",
            marker=dict(size=12, color=VERDICT_COLORS[VerdictKind.GOOD], symbol="diamond"),
            hovertemplate="%{text}: lr %{x:.3g}<extra></extra>"))
    shapes = [dict(type="line", xref="x", yref="paper", x0=s.lr, x1=s.lr, y0=0, y1=1,
                   line=dict(color=VERDICT_COLORS[VerdictKind.GOOD], width=1, dash="dot")) for s in fig.suggestions]
    layout = _layout(go, height=380, shapes=shapes,
                     xaxis=dict(title="learning rate (ramped)", type="log", **_decades(fig.lrs)),
                     yaxis=dict(title="loss", range=list(fig.y_limits) if fig.y_limits else None),
                     legend=dict(orientation="h", x=0, y=1.12))
    return go.Figure(data=traces, layout=layout)


def schedule_chart(fig: ScheduleFigure):
    go = _go()
    trace = go.Scatter(x=fig.steps.tolist(), y=_values(fig.lrs), name="learning rate", mode="lines",
                       line=dict(color=VERDICT_COLORS[VerdictKind.GOOD], width=2.2),
                       hovertemplate="step %{x}<br>lr %{y:.4g}<extra></extra>")
    layout = _layout(go, height=320, showlegend=False, xaxis=dict(title="step", range=[0, fig.total_steps - 1]),
                     yaxis=dict(title="learning rate", rangemode="tozero", exponentformat="power"))
    return go.Figure(data=[trace], layout=layout)
