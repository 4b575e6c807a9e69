"""Specification of the schedules (``lrscout.core.schedules``, public as ``lrscout.schedules``):
shapes, torch parity, adapters, values' invariants."""

from __future__ import annotations

import dataclasses
import math
import pickle
import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import lrscout.core.schedules as schedules
import lrscout.data.memory
from lrscout.core.schedules import (
    constant, cosine_decay, cosine_warm_restarts, cyclic, evaluate, exponential_decay, iterate,
    join, linear, linear_warmup, one_cycle, step_decay, warmup_cosine,
)
from lrscout.errors import InvalidConfigError

NAN = float("nan")


# --- shapes, on values computed by hand ---------------------------------------------------

def test_constant_is_the_same_at_every_step():
    assert constant(0.3).values(4).tolist() == [0.3] * 4
    assert constant(0.3)(10**6) == 0.3


def test_linear_warmup_climbs_evenly_from_zero_then_holds_the_peak():
    np.testing.assert_allclose(linear_warmup(1.0, 4).values(7), [0, 0.25, 0.5, 0.75, 1, 1, 1])


def test_linear_warmup_can_start_above_zero():
    np.testing.assert_allclose(linear_warmup(1.0, 2, start=0.5).values(4), [0.5, 0.75, 1, 1])


def test_linear_goes_down_as_well_as_up_and_holds_its_end():
    np.testing.assert_allclose(linear(1.0, 0.0, 4).values(6), [1, 0.75, 0.5, 0.25, 0, 0])


def test_step_decay_multiplies_by_gamma_every_step_size_steps():
    np.testing.assert_allclose(step_decay(1.0, 3, gamma=0.5).values(7), [1, 1, 1, 0.5, 0.5, 0.5, 0.25])


def test_exponential_decay_multiplies_by_gamma_every_step():
    np.testing.assert_allclose(exponential_decay(2.0, 0.5).values(4), [2, 1, 0.5, 0.25])


def test_cosine_decay_reaches_floor_at_the_end_and_stays_there():
    s = cosine_decay(1.0, 4, floor=0.2)
    quarter = 0.8 * (1 + math.cos(math.pi / 4)) / 2  # above the floor after a quarter of the way
    np.testing.assert_allclose(s.values(4), [1.0, 0.2 + quarter, 0.6, 1.0 - quarter])  # mirrored about step 2
    assert s(4) == 0.2 and s(5) == 0.2 and s(10**6) == 0.2


def test_one_cycle_peaks_at_pct_start_times_total_minus_one_then_ends_at_the_minimum():
    s = one_cycle(1.0, 10, pct_start=0.3, div_factor=10.0, final_div_factor=100.0, anneal="linear")
    # torch's boundary: the peak is at step 0.3 * 10 - 1 = 2, the minimum at step 10 - 1 = 9
    expected_fall = np.linspace(1.0, 0.001, 8)
    np.testing.assert_allclose(s.values(12), [0.1, 0.55, *expected_fall, 0.001, 0.001])


def test_one_cycle_cos_anneals_along_half_cosines():
    s = one_cycle(1.0, 10, pct_start=0.3, div_factor=10.0, final_div_factor=100.0)
    assert s(0) == pytest.approx(0.1) and s(2) == pytest.approx(1.0) and s(9) == pytest.approx(0.001)
    assert s(1) == pytest.approx((0.1 + 1.0) / 2)  # half-way through the rise, cos(pi/2) = 0


def test_one_cycle_three_phase_comes_back_to_the_initial_lr_before_annihilating():
    s = one_cycle(1.0, 10, pct_start=0.3, div_factor=10.0, final_div_factor=100.0,
                  anneal="linear", three_phase=True)
    # phases end at steps 2 (peak), 2 * 3 - 2 = 4 (back at initial), 9 (minimum)
    np.testing.assert_allclose(s.values(10)[:5], [0.1, 0.55, 1.0, 0.55, 0.1])
    np.testing.assert_allclose(s.values(10)[4:], np.linspace(0.1, 0.001, 6))


def test_one_cycle_momentum_moves_against_the_lr():
    s = one_cycle(1.0, 10, pct_start=0.3, anneal="linear", base_momentum=0.8, max_momentum=0.9)
    momenta = [s.momentum(t) for t in (0, 2, 9, 50)]  # start, lr peak, end, after the end
    assert momenta == pytest.approx([0.9, 0.8, 0.9, 0.9])
    assert s.momentum(1) == pytest.approx(0.85)
    np.testing.assert_allclose(evaluate(s.momentum, 3), [0.9, 0.85, 0.8])


def test_cyclic_triangular_goes_up_and_down_between_base_and_max():
    np.testing.assert_allclose(cyclic(0.1, 0.5, 2).values(9),
                               [0.1, 0.3, 0.5, 0.3, 0.1, 0.3, 0.5, 0.3, 0.1])


def test_cyclic_can_fall_slower_than_it_rises():
    np.testing.assert_allclose(cyclic(0.0, 1.0, 1, step_size_down=4).values(6),
                               [0, 1, 0.75, 0.5, 0.25, 0])


def test_cyclic_triangular2_halves_the_amplitude_every_cycle():
    s = cyclic(0.1, 0.5, 2, mode="triangular2")
    assert [s(2), s(6), s(10)] == pytest.approx([0.5, 0.3, 0.2])
    assert s(10**6) >= 0.1  # torch's 1 / 2.0 ** cycle overflows here


def test_cyclic_exp_range_scales_the_amplitude_by_gamma_to_the_global_step():
    s = cyclic(0.1, 0.5, 2, mode="exp_range", gamma=0.9)
    assert [s(2), s(6)] == pytest.approx([0.1 + 0.4 * 0.9**2, 0.1 + 0.4 * 0.9**6])


def test_cosine_warm_restarts_jumps_back_to_the_peak_each_period():
    s = cosine_warm_restarts(1.0, 4, floor=0.2)
    assert [s(0), s(2), s(4), s(6), s(8)] == pytest.approx([1.0, 0.6, 1.0, 0.6, 1.0])


def test_cosine_warm_restarts_periods_grow_by_period_mult():
    s = cosine_warm_restarts(1.0, 4, period_mult=2)
    restarts = [0, 4, 12, 28, 60]  # periods 4, 8, 16, 32
    assert [s(t) for t in restarts] == [1.0] * 5
    assert [s(2), s(8), s(20), s(44)] == pytest.approx([0.5] * 4)  # half-way through each period
    assert s(11) < 0.05 and s(12) == 1.0


def test_join_restarts_the_inner_step_counter_at_each_boundary():
    s = join([constant(1.0), linear(0.0, 1.0, 10), linear(0.5, 0.0, 2)], [5, 8])
    np.testing.assert_allclose(s.values(11), [1, 1, 1, 1, 1, 0, 0.1, 0.2, 0.5, 0.25, 0])


def test_join_accepts_any_int_to_float_callable():
    assert join([constant(1.0), lambda step: 0.01 * step], [3]).values(5).tolist() == [1, 1, 1, 0, 0.01]


def test_warmup_cosine_is_warm_up_then_cosine_in_one_line():
    s = warmup_cosine(1.0, warmup_steps=10, total_steps=110, floor=0.1)
    assert s == join([linear_warmup(1.0, 10), cosine_decay(1.0, 100, floor=0.1)], [10])
    assert [s(0), s(5), s(10), s(60), s(110), s(10**6)] == pytest.approx([0, 0.5, 1.0, 0.55, 0.1, 0.1])


def test_values_and_iterate_give_the_same_floats_as_calling_the_schedule():
    s = warmup_cosine(0.1, 5, 50)
    values = s.values(60)
    assert values.dtype == np.float64 and values.shape == (60,)
    assert values.tolist() == [s(t) for t in range(60)] == list(iterate(s, 60))
    assert evaluate(s, 60).tolist() == values.tolist() and s.values(0).shape == (0,)
    endless = iterate(s)
    assert [next(endless) for _ in range(60)] == values.tolist()
    assert all(type(v) is float for v in iterate(s, 5))


def test_steps_are_non_negative_integers():
    s = constant(0.1)
    assert s(np.int64(3)) == 0.1
    for bad in (-1, 1.5, "3"):
        with pytest.raises(ValueError, match="constant: step must be"):
            s(bad)
    with pytest.raises(ValueError, match="n must be"):
        s.values(-1)
    with pytest.raises(ValueError, match="steps must be"):
        iterate(s, -1)


# --- every schedule is a value: immutable, picklable, readable ----------------------------

EXAMPLES = [
    constant(0.1),
    linear(0.0, 0.1, 10),
    linear_warmup(0.1, 10, start=0.01),
    step_decay(0.1, 7, gamma=0.5),
    exponential_decay(0.1, 0.99),
    cosine_decay(0.1, 100, floor=0.001),
    one_cycle(0.1, 100, pct_start=0.25, anneal="linear", three_phase=True),
    cyclic(0.01, 0.1, 5, step_size_down=8, mode="exp_range", gamma=0.99),
    cosine_warm_restarts(0.1, 10, period_mult=2, floor=0.001),
    join([constant(0.1), cosine_decay(0.1, 20)], [5]),
    warmup_cosine(0.1, 10, 100),
]
EXAMPLE_IDS = [type(s).__name__ for s in EXAMPLES]


@pytest.mark.parametrize("schedule", EXAMPLES, ids=EXAMPLE_IDS)
def test_every_schedule_survives_pickling(schedule):
    copy = pickle.loads(pickle.dumps(schedule))
    assert copy == schedule and hash(copy) == hash(schedule)
    assert copy.values(120).tolist() == schedule.values(120).tolist()


@pytest.mark.parametrize("schedule", EXAMPLES, ids=EXAMPLE_IDS)
def test_every_repr_names_the_schedule_and_reads_back_as_it(schedule):
    assert repr(schedule).startswith(type(schedule).__name__ + "(")
    assert eval(repr(schedule), vars(schedules)) == schedule


@pytest.mark.parametrize("schedule", EXAMPLES, ids=EXAMPLE_IDS)
def test_every_schedule_is_immutable(schedule):
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(schedule, dataclasses.fields(schedule)[0].name, 1.0)


def test_arguments_are_normalised_so_equal_schedules_compare_equal():
    assert cosine_decay(np.float64(1), np.int64(10)) == cosine_decay(1.0, 10)
    assert join([constant(1.0), constant(2.0)], [3]).boundaries == (3,)


def test_module_docstring_lists_every_schedule():
    for name in ("constant", "linear", "linear_warmup", "step_decay", "exponential_decay",
                 "cosine_decay", "one_cycle", "cyclic", "cosine_warm_restarts", "join", "warmup_cosine"):
        assert f"``{name}(" in schedules.__doc__


# --- validation: a bad argument fails at construction, naming the argument ----------------

C = constant(1.0)
INVALID = [
    ("constant", dict(lr=0.0), "lr"),
    ("constant", dict(lr=-0.1), "lr"),
    ("constant", dict(lr=NAN), "lr"),
    ("linear", dict(start=-0.1, end=1.0, steps=3), "start"),
    ("linear", dict(start=0.0, end=1.0, steps=0), "steps"),
    ("linear_warmup", dict(peak=NAN, steps=3), "peak"),
    ("linear_warmup", dict(peak=1.0, steps=0), "steps"),
    ("linear_warmup", dict(peak=1.0, steps=3, start=2.0), "start"),
    ("step_decay", dict(lr=1.0, step_size=0), "step_size"),
    ("step_decay", dict(lr=1.0, step_size=5, gamma=0.0), "gamma"),
    ("exponential_decay", dict(lr=1.0, gamma=1.5), "gamma"),
    ("exponential_decay", dict(lr=1.0, gamma=NAN), "gamma"),
    ("cosine_decay", dict(peak=1.0, steps=0), "steps"),
    ("cosine_decay", dict(peak=1.0, steps=-5), "steps"),
    ("cosine_decay", dict(peak=1.0, steps=10.0), "steps"),
    ("cosine_decay", dict(peak=NAN, steps=10), "peak"),
    ("cosine_decay", dict(peak=1.0, steps=10, floor=2.0), "floor"),
    ("cosine_decay", dict(peak=1.0, steps=10, floor=-1.0), "floor"),
    ("one_cycle", dict(max_lr=1.0, total_steps=0), "total_steps"),
    ("one_cycle", dict(max_lr=0.0, total_steps=100), "max_lr"),
    ("one_cycle", dict(max_lr=1.0, total_steps=100, pct_start=1.0), "pct_start"),
    ("one_cycle", dict(max_lr=1.0, total_steps=3), "pct_start"),  # warm-up would have no steps
    ("one_cycle", dict(max_lr=1.0, total_steps=100, pct_start=0.6, three_phase=True), "pct_start"),
    ("one_cycle", dict(max_lr=1.0, total_steps=100, anneal="cosine"), "anneal"),
    ("one_cycle", dict(max_lr=1.0, total_steps=100, div_factor=0.5), "div_factor"),
    ("one_cycle", dict(max_lr=1.0, total_steps=100, final_div_factor=NAN), "final_div_factor"),
    ("one_cycle", dict(max_lr=1.0, total_steps=100, base_momentum=0.99), "base_momentum"),
    ("one_cycle", dict(max_lr=1.0, total_steps=100, max_momentum=1.0), "max_momentum"),
    ("cyclic", dict(base_lr=0.5, max_lr=0.1, step_size_up=10), "max_lr"),
    ("cyclic", dict(base_lr=-0.1, max_lr=0.1, step_size_up=10), "base_lr"),
    ("cyclic", dict(base_lr=0.1, max_lr=0.5, step_size_up=0), "step_size_up"),
    ("cyclic", dict(base_lr=0.1, max_lr=0.5, step_size_up=5, step_size_down=0), "step_size_down"),
    ("cyclic", dict(base_lr=0.1, max_lr=0.5, step_size_up=5, mode="triangle"), "mode"),
    ("cyclic", dict(base_lr=0.1, max_lr=0.5, step_size_up=5, gamma=0.9), "gamma"),
    ("cyclic", dict(base_lr=0.1, max_lr=0.5, step_size_up=5, mode="exp_range", gamma=1.1), "gamma"),
    ("cosine_warm_restarts", dict(peak=1.0, period=0), "period"),
    ("cosine_warm_restarts", dict(peak=1.0, period=10, period_mult=0), "period_mult"),
    ("cosine_warm_restarts", dict(peak=1.0, period=10, floor=1.5), "floor"),
    ("join", dict(schedules=[], boundaries=[]), "schedules"),
    ("join", dict(schedules=[C, C], boundaries=[]), "boundaries"),
    ("join", dict(schedules=[C, C], boundaries=[0]), "boundaries"),
    ("join", dict(schedules=[C, C, C], boundaries=[5, 5]), "boundaries"),
    ("join", dict(schedules=[C, C, C], boundaries=[5, 3]), "boundaries"),
    ("join", dict(schedules=[C, C], boundaries=[2.5]), "boundaries"),
    ("join", dict(schedules=C, boundaries=5), "boundaries"),
    ("linear", dict(start=0.0, end=0.0, steps=10), "start"),
    ("warmup_cosine", dict(peak=1.0, warmup_steps=0, total_steps=10), "warmup_steps"),
    ("warmup_cosine", dict(peak=1.0, warmup_steps=10, total_steps=10), "total_steps"),
    ("warmup_cosine", dict(peak=1.0, warmup_steps=1, total_steps=10, floor=2.0), "floor"),
]


@pytest.mark.parametrize(("name", "kwargs", "argument"), INVALID,
                         ids=[f"{n}-{a}-{i}" for i, (n, _, a) in enumerate(INVALID)])
def test_invalid_arguments_raise_value_error_naming_the_argument(name, kwargs, argument):
    with pytest.raises(ValueError) as error:
        getattr(schedules, name)(**kwargs)
    message = str(error.value)
    assert message.startswith(f"{name}: ") and re.search(rf"\b{argument}\b", message), message


@given(bad=st.one_of(st.floats(max_value=0.0), st.sampled_from([NAN, math.inf])))
def test_any_non_positive_or_non_finite_peak_is_refused(bad):
    with pytest.raises(ValueError, match="cosine_decay: peak"):
        cosine_decay(bad, 10)


@given(bad=st.integers(max_value=0))
def test_any_non_positive_step_count_is_refused(bad):
    with pytest.raises(ValueError, match="cosine_decay: steps"):
        cosine_decay(1.0, bad)


@given(boundaries=st.tuples(st.integers(-5, 50), st.integers(-5, 50)).filter(lambda b: not 0 < b[0] < b[1]))
def test_boundaries_that_are_not_strictly_increasing_positive_are_refused(boundaries):
    with pytest.raises(ValueError, match="join: boundaries"):
        join([C, C, C], boundaries)


# --- properties over all schedules --------------------------------------------------------

lrs = st.floats(1e-8, 10.0)
factors = st.floats(1e-3, 1.0)


@st.composite
def floors_below(draw, peak):
    return draw(st.floats(0.0, peak))


@st.composite
def any_schedule(draw, depth=0):
    peak = draw(lrs)
    kind = draw(st.sampled_from(["constant", "linear", "step", "exp", "cos", "one_cycle", "cyclic",
                                 "restarts", "warmup_cosine"] + (["join"] if depth == 0 else [])))
    if kind == "constant":
        return constant(peak)
    if kind == "linear":   # one end may be 0 (a warm-up from 0, a decay to 0), not both
        start = draw(st.floats(0.0, 10.0))
        end = draw(st.floats(0.0, 10.0).filter(lambda e: e > 0 or start > 0))
        return linear(start, end, draw(st.integers(1, 10**5)))
    if kind == "step":
        return step_decay(peak, draw(st.integers(1, 1000)), draw(factors))
    if kind == "exp":
        return exponential_decay(peak, draw(factors))
    if kind == "cos":
        return cosine_decay(peak, draw(st.integers(1, 10**5)), draw(floors_below(peak)))
    if kind == "one_cycle":
        return one_cycle(peak, draw(st.integers(30, 10**5)), pct_start=draw(st.floats(0.1, 0.45)),
                         div_factor=draw(st.floats(1.0, 1e3)),
                         final_div_factor=draw(st.floats(1.0, 1e5)),
                         anneal=draw(st.sampled_from(["cos", "linear"])),
                         three_phase=draw(st.booleans()))
    if kind == "cyclic":
        mode = draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
        return cyclic(draw(floors_below(peak)), peak, draw(st.integers(1, 1000)),
                      draw(st.none() | st.integers(1, 1000)), mode=mode,
                      gamma=draw(factors) if mode == "exp_range" else 1.0)
    if kind == "restarts":
        return cosine_warm_restarts(peak, draw(st.integers(1, 1000)), draw(st.integers(1, 4)),
                                    draw(floors_below(peak)))
    if kind == "warmup_cosine":
        warmup = draw(st.integers(1, 1000))
        total = warmup + draw(st.integers(1, 10**5))
        return warmup_cosine(peak, warmup, total, draw(floors_below(peak)))
    parts = draw(st.lists(any_schedule(depth + 1), min_size=1, max_size=3))
    n = len(parts) - 1
    starts = sorted(draw(st.sets(st.integers(1, 10**5), min_size=n, max_size=n)))
    return join(parts, starts)


@given(schedule=any_schedule(), step=st.integers(0, 10**6))
def test_every_schedule_gives_a_finite_non_negative_float_at_any_step(schedule, step):
    value = schedule(step)
    assert type(value) is float and math.isfinite(value) and value >= 0.0, (schedule, step, value)
    if isinstance(schedule, schedules.OneCycle):
        assert 0.0 <= schedule.momentum(step) < 1.0


@given(start=st.floats(0.0, 10.0), end=st.floats(0.0, 10.0), steps=st.integers(1, 5000),
       after=st.integers(0, 100))
def test_linear_reaches_exactly_its_end_and_never_leaves_the_range(start, end, steps, after):
    assume(start > 0 or end > 0)
    schedule = linear(start, end, steps)
    assert schedule(steps + after) == end          # start + (end - start) * 1 can round below a 0 end
    for step in (0, steps // 3, steps // 2, steps - 1):
        assert min(start, end) <= schedule(step) <= max(start, end)


@settings(max_examples=50)
@given(peak=lrs, data=st.data(), steps=st.integers(1, 2000))
def test_cosine_decay_never_increases(peak, data, steps):
    values = cosine_decay(peak, steps, data.draw(floors_below(peak))).values(steps + 3)
    assert np.all(np.diff(values) <= 0.0)


# --- step-for-step equality with torch's own schedulers -----------------------------------

def run_torch(make_scheduler, steps, momentum=0.0):
    """The lr (and momentum) torch's scheduler gives at steps 0 .. steps-1."""
    torch = pytest.importorskip("torch")
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=0.1, momentum=momentum)
    scheduler = make_scheduler(optimizer, torch.optim.lr_scheduler)
    lrs, momenta = [], []
    for _ in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        momenta.append(optimizer.param_groups[0]["momentum"])
        optimizer.step()
        scheduler.step()
    return np.array(lrs), np.array(momenta)


TORCH_TWINS = {
    "StepLR": (step_decay(0.1, 7, gamma=0.5), lambda o, L: L.StepLR(o, step_size=7, gamma=0.5)),
    "ExponentialLR": (exponential_decay(0.1, 0.99), lambda o, L: L.ExponentialLR(o, gamma=0.99)),
    "LinearLR": (linear_warmup(0.1, 50, start=0.1 * 0.1),
                 lambda o, L: L.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=50)),
    "CosineAnnealingLR": (cosine_decay(0.1, 299, floor=0.001),
                          lambda o, L: L.CosineAnnealingLR(o, T_max=299, eta_min=0.001)),
    "CosineAnnealingLR-to-0": (cosine_decay(0.1, 299), lambda o, L: L.CosineAnnealingLR(o, T_max=299)),
    "CosineAnnealingWarmRestarts-T_mult1": (
        cosine_warm_restarts(0.1, 30, floor=0.001),
        lambda o, L: L.CosineAnnealingWarmRestarts(o, T_0=30, eta_min=0.001)),
    "CosineAnnealingWarmRestarts-T_mult2": (
        cosine_warm_restarts(0.1, 7, period_mult=2),
        lambda o, L: L.CosineAnnealingWarmRestarts(o, T_0=7, T_mult=2)),
    "CyclicLR-triangular": (cyclic(0.01, 0.1, 20),
                            lambda o, L: L.CyclicLR(o, 0.01, 0.1, step_size_up=20,
                                                    cycle_momentum=False)),
    "CyclicLR-triangular2": (
        cyclic(0.01, 0.1, 10, step_size_down=15, mode="triangular2"),
        lambda o, L: L.CyclicLR(o, 0.01, 0.1, step_size_up=10, step_size_down=15, mode="triangular2",
                                cycle_momentum=False)),
    "CyclicLR-exp_range": (
        cyclic(0.01, 0.1, 25, mode="exp_range", gamma=0.995),
        lambda o, L: L.CyclicLR(o, 0.01, 0.1, step_size_up=25, mode="exp_range", gamma=0.995,
                                cycle_momentum=False)),
}


@pytest.mark.parametrize("name", list(TORCH_TWINS))
def test_matches_torch_scheduler_step_for_step(name):
    ours, make = TORCH_TWINS[name]
    expected, _ = run_torch(make, 300)
    np.testing.assert_allclose(ours.values(300), expected, rtol=1e-9, atol=1e-15)


ONE_CYCLES = {
    "cos": dict(),
    "linear": dict(anneal_strategy="linear"),
    "three_phase-cos": dict(three_phase=True),
    "three_phase-linear": dict(three_phase=True, anneal_strategy="linear"),
    "odd-boundaries": dict(pct_start=0.37, div_factor=7.0, final_div_factor=300.0,
                           base_momentum=0.7, max_momentum=0.9),
}


@pytest.mark.parametrize("name", list(ONE_CYCLES))
def test_one_cycle_matches_torch_lr_and_momentum_step_for_step(name):
    kwargs = ONE_CYCLES[name]
    ours = one_cycle(0.1, 301, **{("anneal" if k == "anneal_strategy" else k): v
                                  for k, v in kwargs.items()})
    lrs, momenta = run_torch(lambda o, L: L.OneCycleLR(o, max_lr=0.1, total_steps=301, **kwargs), 301,
                             momentum=0.9)
    np.testing.assert_allclose(ours.values(301), lrs, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(evaluate(ours.momentum, 301), momenta, rtol=1e-9)


# --- memory ------------------------------------------------------------------------------

def test_evaluating_more_values_than_memory_holds_is_refused_saying_how_much(monkeypatch):
    with pytest.raises(InvalidConfigError, match=r"n=10,000,000,000 values take 80 GB of memory"):
        monkeypatch.setattr(lrscout.data.memory, "available_bytes", lambda: 10**9)
        cosine_decay(0.1, 10**10).values(10**10)
    assert cosine_decay(0.1, 100).values(3).tolist() == [0.1, pytest.approx(0.1 * (1 + np.cos(np.pi / 100)) / 2),
                                                         pytest.approx(0.1 * (1 + np.cos(2 * np.pi / 100)) / 2)]
