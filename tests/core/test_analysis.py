"""Reading single curves: each verdict on a constructed curve, and properties on any input."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lrscout import Thresholds, Trace, VerdictKind, read_curve, read_curves

K = VerdictKind
t = np.arange(100)


def test_smooth_exponential_drop_is_good():
    v = read_curve(np.exp(-t / 20))
    assert v.kind is K.GOOD
    assert v.evidence.relative_decrease > 0.9
    assert v.evidence.monotonicity == pytest.approx(1.0)
    assert "falls" in v.reason


def test_noisy_but_clearly_falling_curve_is_good_not_oscillating():
    for seed in range(20):
        noise = np.random.default_rng(seed).normal(0, 0.15, t.size)
        v = read_curve(np.exp(-t / 25) * np.exp(noise))
        assert v.kind is K.GOOD, (seed, v.reason)


def test_sawtooth_curve_is_oscillating():
    curve = 1.0 + 0.3 * (-1.0) ** t - 0.002 * t
    v = read_curve(curve)
    assert v.kind is K.OSCILLATING
    assert v.evidence.residual_autocorr < -0.5
    assert v.evidence.alternation > 0.9
    assert "saw-tooth" in v.reason


def test_sawtooth_around_a_falling_trend_is_oscillating():
    curve = np.exp(-t / 50) * (1 + 0.2 * (-1.0) ** t)
    assert read_curve(curve).kind is K.OSCILLATING


def test_almost_flat_curve_is_too_slow():
    v = read_curve(1.0 - 0.0001 * t)
    assert v.kind is K.TOO_SLOW
    assert v.evidence.relative_decrease < 0.02


def test_constant_curve_is_too_slow():
    assert read_curve(np.full(50, 3.0)).kind is K.TOO_SLOW


def test_flat_noisy_curve_is_too_slow_not_oscillating():
    for seed in range(20):
        noise = np.random.default_rng(seed).normal(0, 0.25, t.size)
        v = read_curve(np.exp(noise))
        assert v.kind is K.TOO_SLOW, (seed, v.reason)


def test_nan_from_the_start_is_diverged():
    v = read_curve([math.nan, math.nan])
    assert v.kind is K.DIVERGED
    assert v.evidence.first_nonfinite == 0


def test_inf_without_a_gain_first_is_diverged():
    v = read_curve([1.0, 1.5, 4.0, math.inf])
    assert v.kind is K.DIVERGED
    assert "step 3" in v.reason


def test_cost_exploding_far_above_its_start_is_diverged():
    v = read_curve(1.0 * 1.5 ** np.arange(20))
    assert v.kind is K.DIVERGED
    assert v.evidence.peak_ratio > 10


def test_explosion_after_an_initial_gain_is_unstable():
    curve = np.concatenate([np.exp(-np.arange(40) / 10), 0.02 * 2.0 ** np.arange(20)])
    v = read_curve(curve)
    assert v.kind is K.UNSTABLE
    assert v.evidence.rebound >= 0.5


def test_nan_after_an_initial_gain_is_unstable():
    curve = np.concatenate([np.exp(-np.arange(30) / 8), [5.0, math.nan]])
    v = read_curve(curve)
    assert v.kind is K.UNSTABLE
    assert "NaN/inf at step 31" in v.reason


def test_curve_of_length_one_is_too_slow():
    v = read_curve([0.7])
    assert v.kind is K.TOO_SLOW
    assert v.evidence.steps == 1


def test_empty_curve_is_too_slow_with_a_reason():
    v = read_curve([])
    assert v.kind is K.TOO_SLOW
    assert "no loss" in v.reason


def test_slow_waves_are_oscillating():
    curve = 1.0 - 0.002 * t + 0.3 * np.sin(t / 4)
    v = read_curve(curve)
    assert v.kind is K.OSCILLATING


def test_zigzagging_updates_are_oscillating_even_while_the_loss_falls():
    cos = np.full(99, -0.9)
    v = read_curve(np.exp(-t / 30), update_cosine=cos)
    assert v.kind is K.OSCILLATING
    assert v.evidence.update_cosine == pytest.approx(-0.9)
    assert "zigzag" in v.reason


def test_updates_that_agree_do_not_count_as_zigzag():
    assert read_curve(np.exp(-t / 30), update_cosine=np.full(99, 0.8)).kind is K.GOOD


def test_negative_losses_are_read_without_logs():
    assert read_curve(-1.0 - np.log1p(t)).kind is K.GOOD  # e.g. a log-likelihood objective


def test_thresholds_can_be_overridden():
    curve = 1.0 - 0.004 * t  # falls 40%
    assert read_curve(curve).kind is K.GOOD
    assert read_curve(curve, Thresholds(too_slow_decrease=0.5)).kind is K.TOO_SLOW


def test_invalid_thresholds_name_the_value():
    with pytest.raises(ValueError, match="too_slow_decrease"):
        Thresholds(too_slow_decrease=-1)


def test_a_stable_curve_far_behind_the_best_is_too_slow():
    fast = Trace(0.1, np.exp(-t / 10))
    slow = Trace(0.001, np.exp(-t / 1000))  # falls 10%: good on its own, a tenth of the progress
    verdicts = read_curves([slow, fast])
    assert read_curve(slow.train_loss).kind is K.GOOD
    assert verdicts[0].kind is K.TOO_SLOW
    assert "too slow next to lr 0.1" in verdicts[0].reason
    assert verdicts[1].kind is K.GOOD


def test_a_failed_trace_is_failed():
    v = read_curves([Trace(0.1, [], error="RuntimeError: boom")])[0]
    assert v.kind is K.FAILED
    assert "boom" in v.reason


@settings(max_examples=300, deadline=None)
@given(arrays(np.float64, st.integers(0, 200), elements=st.floats(allow_nan=True, allow_infinity=True)))
def test_reading_any_float_array_never_raises(curve):
    v = read_curve(curve)
    assert v.kind in set(K)
    assert isinstance(v.reason, str) and v.reason


@settings(max_examples=100, deadline=None)
@given(st.floats(1e-6, 1e6), st.integers(20, 300))
def test_verdict_does_not_depend_on_the_loss_scale(scale, n):
    curve = np.exp(-np.arange(n) / (n / 5))
    assert read_curve(curve).kind is read_curve(curve * scale).kind


def test_slowly_falling_noisy_curve_is_never_read_as_oscillating():
    for seed in range(40):
        noise = np.random.default_rng(seed).normal(0, 0.2, t.size)
        v = read_curve(np.linspace(1.0, 0.82, t.size) * np.exp(noise))
        assert v.kind in (K.GOOD, K.TOO_SLOW), (seed, v.reason)


def test_spikes_that_end_back_at_the_start_are_unstable_not_too_slow():
    # seen with SGD-momentum at lr 1 on an MLP: a brief dip, spikes to 6x, then stuck at chance
    rng = np.random.default_rng(0)
    curve = np.concatenate([[1.1, 1.0, 0.7, 0.5, 1.4, 2.7, 6.5, 2.0, 4.0], 1.1 + 0.05 * rng.normal(size=90)])
    v = read_curve(curve)
    assert v.kind is K.UNSTABLE
    assert "spiked" in v.reason


def test_a_flat_curve_above_a_good_rate_is_stalled_not_too_slow():
    # momentum thrown out of its basin: a dip, then a noisy plateau near the start
    rng = np.random.default_rng(1)
    plateau = np.concatenate([np.linspace(1.0, 0.5, 10), 0.95 + 0.1 * rng.normal(size=90)])
    traces = [Trace(0.01, np.exp(-t / 40)), Trace(0.1, np.exp(-t / 15)), Trace(1.0, plateau)]
    assert read_curve(plateau).kind is K.TOO_SLOW
    verdicts = read_curves(traces)
    assert [v.kind for v in verdicts] == [K.GOOD, K.GOOD, K.UNSTABLE]
    assert "stalled" in verdicts[2].reason and "smaller lr 0.1" in verdicts[2].reason


def test_a_flat_curve_below_every_good_rate_stays_too_slow():
    traces = [Trace(1e-4, np.full(100, 1.0)), Trace(0.1, np.exp(-t / 15))]
    assert [v.kind for v in read_curves(traces)] == [K.TOO_SLOW, K.GOOD]


def test_a_loss_that_explodes_right_after_a_gain_says_it_exploded():
    v = read_curve([1.0, 0.5, 12.0])
    assert v.kind is K.UNSTABLE
    assert "exploded to 12x" in v.reason


def test_a_falling_curve_far_behind_a_smaller_rate_is_stalled():
    rng = np.random.default_rng(2)
    bumpy = np.exp(-t / 150) * np.exp(0.1 * rng.normal(size=t.size))   # falls about half, noisily
    verdicts = read_curves([Trace(0.1, np.exp(-t / 20)), Trace(0.3, bumpy)])
    assert read_curve(bumpy).kind is K.GOOD
    assert verdicts[1].kind is K.UNSTABLE and "of the progress" in verdicts[1].reason


def test_a_larger_rate_settling_on_a_slightly_higher_floor_stays_good():
    lower = 0.05 + 0.95 * np.exp(-t / 10)
    higher = 0.08 + 0.92 * np.exp(-t / 4)       # faster, but a noisier step leaves a higher floor
    assert [v.kind for v in read_curves([Trace(0.1, lower), Trace(0.3, higher)])] == [K.GOOD, K.GOOD]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(5.0, 500.0), min_size=2, max_size=6, unique=True))
def test_faster_curves_at_larger_rates_are_never_stalled(time_constants):
    # larger lr, shorter time constant: the ordinary stable range
    taus = sorted(time_constants, reverse=True)
    traces = [Trace(10.0 ** k, np.exp(-t / tau)) for k, tau in enumerate(taus)]
    assert not any("stalled" in v.reason for v in read_curves(traces))


def test_a_noisy_curve_above_a_clearly_falling_smaller_rate_is_too_high_not_too_slow():
    noisy = np.exp(-t / 300) * np.exp(0.6 * np.random.default_rng(0).normal(size=t.size))
    assert read_curve(noisy).kind is K.TOO_SLOW            # alone, its 29% fall is lost in its noise
    verdicts = read_curves([Trace(0.1, np.exp(-t / 200)), Trace(1.0, noisy)])   # 0.1 falls 39%, smoothly
    assert [v.kind for v in verdicts] == [K.GOOD, K.UNSTABLE]
    assert verdicts[1].reason.startswith("noisy, not slow") and "smaller lr 0.1" in verdicts[1].reason


def test_a_noisy_curve_below_the_good_rates_stays_too_slow():
    noisy = np.exp(-t / 300) * np.exp(0.6 * np.random.default_rng(0).normal(size=t.size))
    assert [v.kind for v in read_curves([Trace(0.01, noisy), Trace(0.1, np.exp(-t / 200))])] == [K.TOO_SLOW, K.GOOD]


@pytest.mark.parametrize("n", [30, 100, 400])
def test_the_noise_is_one_steps_noise_whatever_the_window(n):
    # the trend follows part of the noise, more for the narrow window of a short curve;
    # the measured noise is corrected for that, so it estimates the batches' own spread
    rng = np.random.default_rng(n)
    measured = [read_curve(np.exp(0.1 * rng.normal(size=n))).evidence.noise for _ in range(40)]
    assert np.median(measured) == pytest.approx(0.1, rel=0.15)


def test_batch_noise_on_a_short_flat_curve_is_not_read_as_a_gain_given_back():
    rng = np.random.default_rng(0)
    kinds = [read_curve(0.75 * np.exp(0.05 * rng.normal(size=30))).kind for _ in range(200)]
    assert kinds.count(K.UNSTABLE) <= 4, kinds.count(K.UNSTABLE)     # ~never "fell, then rose back"


def test_batch_noise_on_a_short_curve_is_not_a_saw_tooth_but_a_saw_tooth_is():
    # around the 3-step trend of a 30-step curve even white noise alternates (autocorrelation
    # -0.67); measured from that baseline, noise sits near 0 and a real saw-tooth near -1
    rng = np.random.default_rng(1)
    noise = [read_curve(0.75 * np.exp(0.05 * rng.normal(size=30))) for _ in range(200)]
    assert sum(v.kind is K.OSCILLATING for v in noise) <= 10
    assert abs(np.median([v.evidence.residual_autocorr for v in noise])) < 0.15
    saw = 0.75 * np.exp(-np.arange(30) / 60) * (1 + 0.2 * (-1.0) ** np.arange(30))
    v = read_curve(saw)
    assert v.kind is K.OSCILLATING and v.evidence.residual_autocorr < -0.8


def test_the_trend_of_a_steep_start_starts_where_the_curve_does():
    from lrscout.core.analysis import trend

    steep = np.log(3.0 * np.exp(-t / 2.0) + 0.04)       # falls 70x within a few steps
    smooth = trend(steep)
    assert smooth[0] == steep[0] and smooth[-1] == steep[-1]
    assert np.allclose(trend(np.arange(50.0)), np.arange(50.0))     # a straight line is its own trend
    one_sided = trend(steep, centred_ends=False)                   # the range test's rules keep this
    assert one_sided[0] < steep[0] - 0.5


@pytest.mark.parametrize("top", [2.0, 5.0, 9.0, 20.0])
def test_a_steady_climb_is_diverged_however_high(top):
    v = read_curve(np.linspace(1.0, top, 100))
    assert v.kind is K.DIVERGED, (top, v.reason)


def test_tied_progress_names_the_same_rate_in_any_order():
    flat, fast = np.ones(100), np.exp(-t / 16)
    traces = [Trace(1e-4, flat), Trace(1e-3, fast), Trace(1e-2, fast), Trace(1e-1, flat)]
    forward = read_curves(traces)
    backward = read_curves(traces[::-1])[::-1]
    assert [v.reason for v in forward] == [v.reason for v in backward]


# --- knife edges: a measurement on its threshold keeps its verdict and says so --------------------

EDGE_CURVES = {
    "too_slow_decrease": (1.0 - 0.0003 * t, None, "relative_decrease"),                 # falls 3%
    "mostly_monotonic": (1.0 - 0.004 * t + 0.08 * np.sin(t / 6), None, "monotonicity"),   # 80% downward
    "sawtooth_autocorr": (1.0 + 0.3 * (-1.0) ** t - 0.002 * t, None, "residual_autocorr"),
    "zigzag_cosine": (np.exp(-t / 30), np.full(99, -0.6), "update_cosine"),
    "rebound": (np.concatenate([np.exp(-np.arange(50) / 10), np.linspace(0.01, 0.6, 50)]), None, "rebound"),
}


@pytest.mark.parametrize("threshold", sorted(EDGE_CURVES))
def test_a_measurement_on_its_threshold_keeps_its_verdict_and_the_reason_says_it_is_on_a_knife_edge(threshold):
    curve, cosine, measure = EDGE_CURVES[threshold]
    measured = getattr(read_curve(curve, update_cosine=cosine).evidence, measure)
    # the threshold a relative 1e-9 either side of the measurement: what another CPU's last digits could do
    below, at, above = (read_curve(curve, Thresholds(**{threshold: measured * (1 + f)}), update_cosine=cosine)
                        for f in (-1e-9, 0.0, 1e-9))
    assert below.kind is not above.kind                     # a real knife edge: a last digit decides it
    for v in (below, at, above):
        assert v.knife_edge == (threshold,)
        assert "knife edge: " in v.reason and f"against {threshold} {measured:.7g}" in v.reason
    clear = read_curve(curve, Thresholds(**{threshold: measured * 0.9}), update_cosine=cosine)
    assert clear.knife_edge == () and "knife edge" not in clear.reason
    assert read_curve(curve, Thresholds(**{threshold: measured}, knife_edge=0.0), update_cosine=cosine).knife_edge == ()


def test_a_knife_edge_that_another_test_overrules_is_not_reported():
    # a saw-tooth's autocorrelation on its threshold, but one smaller than the fall per step: the steps
    # never flip direction (and the wiggle is too small to count), so it is no saw-tooth either way
    curve = (1.0 + 0.001 * (-1.0) ** t) * np.exp(-t / 50)
    v = read_curve(curve, Thresholds(sawtooth_autocorr=read_curve(curve).evidence.residual_autocorr))
    assert v.evidence.alternation == 0.0 and v.evidence.wiggle < Thresholds().sawtooth_amplitude / 5
    assert v.kind is K.GOOD and v.knife_edge == ()


def test_a_candidate_on_the_edge_of_too_slow_next_to_the_best_says_so():
    fast, slow = Trace(0.1, np.exp(-t / 10)), Trace(0.01, np.exp(-t / 50))
    share = read_curve(slow.train_loss).evidence.progress / read_curve(fast.train_loss).evidence.progress
    for f in (-1e-9, 1e-9):
        verdicts = read_curves([slow, fast], Thresholds(slow_fraction=share * (1 + f)))
        assert verdicts[0].knife_edge == ("slow_fraction",) and verdicts[1].knife_edge == ()
        assert verdicts[0].kind is (K.GOOD if f < 0 else K.TOO_SLOW)
        assert "share of lr 0.1's progress" in verdicts[0].reason


def test_a_knife_edge_survives_the_json_round_trip():
    from lrscout import Verdict

    v = read_curve(1.0 - 0.0003 * t, Thresholds(too_slow_decrease=0.02835))
    assert v.knife_edge == ("too_slow_decrease",)
    assert Verdict.from_dict(v.to_dict()) == v
    older = {key: value for key, value in v.to_dict().items() if key != "knife_edge"}   # saved before the flag
    assert Verdict.from_dict(older).knife_edge == ()


@settings(max_examples=300, deadline=None)
@given(arrays(np.float64, st.integers(0, 150), elements=st.floats(-1e6, 1e6)),
       st.one_of(st.none(), st.floats(-1, 1)))
def test_the_knife_edge_margin_adds_a_note_and_never_changes_a_verdict(curve, cosine):
    cos = None if cosine is None or curve.size < 2 else np.full(curve.size - 1, cosine)
    plain = read_curve(curve, Thresholds(knife_edge=0.0), update_cosine=cos)
    wide = read_curve(curve, Thresholds(knife_edge=0.5), update_cosine=cos)   # flags far more than a last digit
    assert wide.kind is plain.kind and wide.reason.startswith(plain.reason) and plain.knife_edge == ()
    assert bool(wide.knife_edge) == (wide.reason != plain.reason)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(3.0, 3000.0), min_size=1, max_size=5), st.floats(0.0, 0.5))
def test_the_knife_edge_margin_never_changes_a_sweeps_verdicts(time_constants, wobble):
    traces = [Trace(10.0 ** (k - 3), np.exp(-t / tau) * (1 + wobble * np.sin(t * (k + 1))))
              for k, tau in enumerate(time_constants)]
    plain = read_curves(traces, Thresholds(knife_edge=0.0))
    wide = read_curves(traces, Thresholds(knife_edge=0.5))
    assert [v.kind for v in wide] == [v.kind for v in plain]
    assert all(w.reason.startswith(p.reason) for w, p in zip(wide, plain))


# --- a zigzag that pays ---------------------------------------------------------------------

ZIGZAG = np.full(99, -0.9)      # consecutive updates point back and forth


def test_a_zigzag_that_falls_further_than_every_smaller_stable_rate_is_good_and_says_why_in_numbers():
    slow, fast = read_curves([Trace(1e-2, np.exp(-t / 300)), Trace(1e-1, np.exp(-t / 30), update_cosine=ZIGZAG)])
    assert (slow.kind, fast.kind) == (K.TOO_SLOW, K.GOOD)
    assert "zigzag (median cosine -0.90)" in fast.reason
    assert fast.reason.startswith("falls 96% in 100 steps") and "than any smaller stable rate (lr 0.01 falls 27%)" \
        in fast.reason


def test_a_zigzag_that_falls_no_further_than_a_smaller_good_rate_stays_oscillating_with_both_numbers():
    good, zig = read_curves([Trace(1e-2, np.exp(-t / 20)), Trace(1e-1, np.exp(-t / 40), update_cosine=ZIGZAG)])
    assert (good.kind, zig.kind) == (K.GOOD, K.OSCILLATING)
    assert "its loss fell 91%, no further than lr 0.01 falls 99%" in zig.reason


def test_a_zigzag_with_no_smaller_stable_rate_to_weigh_it_against_stays_oscillating():
    zig, diverged = read_curves([Trace(1e-2, np.exp(-t / 30), update_cosine=ZIGZAG),
                                 Trace(1e-1, np.exp(t / 10))])
    assert (zig.kind, diverged.kind) == (K.OSCILLATING, K.DIVERGED)
    # and a curve read alone has nothing to weigh it against either
    assert read_curve(np.exp(-t / 30), update_cosine=ZIGZAG).kind is K.OSCILLATING


def test_a_zigzag_whose_loss_itself_waves_stays_oscillating_however_far_it_falls():
    waves = 1.0 - 0.002 * t + 0.3 * np.sin(t / 4)
    assert read_curve(waves).kind is K.OSCILLATING
    _, zig = read_curves([Trace(1e-2, np.exp(-t / 300)), Trace(1e-1, waves, update_cosine=ZIGZAG)])
    assert zig.kind is K.OSCILLATING


def test_zigzags_are_weighed_from_the_smallest_up_so_each_must_beat_the_ones_that_paid_below_it():
    verdicts = read_curves([Trace(1e-3, np.exp(-t / 300)),
                            Trace(1e-2, np.exp(-t / 30), update_cosine=ZIGZAG),      # pays: beats 1e-3
                            Trace(1e-1, np.exp(-t / 60), update_cosine=ZIGZAG)])     # falls less than 1e-2
    assert [v.kind for v in verdicts] == [K.TOO_SLOW, K.GOOD, K.OSCILLATING]


@settings(max_examples=100, deadline=None)
@given(st.floats(5.0, 1000.0), st.floats(5.0, 1000.0))
def test_a_zigzag_is_good_exactly_when_it_made_more_progress_than_the_stable_rate_below_it(tau_below, tau_zig):
    below, zig = read_curves([Trace(1e-2, np.exp(-t / tau_below)),
                              Trace(1e-1, np.exp(-t / tau_zig), update_cosine=ZIGZAG)])
    alone = read_curve(np.exp(-t / tau_zig))
    assert below.kind.is_stable
    if alone.kind is not K.GOOD:
        assert zig.kind is K.OSCILLATING
    else:
        assert (zig.kind is K.GOOD) == (zig.evidence.progress > below.evidence.progress)
