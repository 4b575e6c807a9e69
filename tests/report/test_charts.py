"""The interactive charts (plotly figures built from the figure data): one trace per candidate in
its verdict colour, raw/smoothed and linear/log buttons, a slider in lr order, readable log ticks."""

from __future__ import annotations

import numpy as np

from lrscout.report import charts
from lrscout.report.figures import VERDICT_COLORS, curve_figure


def test_the_curves_chart_has_one_trace_per_candidate_in_its_verdict_colour(housing_sweep):
    fig = charts.curves_chart(curve_figure(housing_sweep))
    assert len(fig.data) == len(housing_sweep.candidates)
    assert [t.line.color for t in fig.data] == [VERDICT_COLORS[c.kind] for c in housing_sweep.candidates]


def test_the_curves_chart_switches_raw_and_smoothed_losses_and_the_axis(housing_sweep):
    fig = charts.curves_chart(curve_figure(housing_sweep))
    smoothed, raw = fig.layout.updatemenus[0].buttons
    assert (smoothed.label, raw.label) == ("smoothed loss", "raw loss")
    np.testing.assert_allclose(raw.args[0]["y"][0], housing_sweep.candidates[0].train_loss)
    assert [b.label for b in fig.layout.updatemenus[1].buttons] == ["linear y", "log y"]


def test_the_slider_highlights_each_candidate_in_lr_order(housing_sweep):
    fig = charts.curves_chart(curve_figure(housing_sweep))
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["all", "0.001", "0.01", "0.1"]
    assert steps[2].args[0]["opacity"] == [charts.OPACITY_FADED, 1.0, charts.OPACITY_FADED]


def test_log_ticks_label_one_two_and_five_of_each_decade():
    assert charts.log_ticks((0.015, 1.2)) == [0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
