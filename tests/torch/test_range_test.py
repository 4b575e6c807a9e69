"""The LR range test: one run with a rising lr, a smoothed curve, a stop rule, and three
suggestions side by side, each with its formula; never a suggestion from a curve with too few
finite losses."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from torch_kit import classification, cross_entropy, loader, mlp, torch

import lrscout
import lrscout.torch as lt
from lrscout.errors import DataError
from lrscout.torch.range_rules import MIN_POINTS, EarlyStop, _valley, smooth, suggest


def test_range_test_ramps_the_lr_exponentially_and_gives_three_suggestions():
    X, Y = classification(n=512)
    model = mlp()
    test = lt.range_test(model, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), cross_entropy,
                         loader(X, Y), min_lr=1e-5, max_lr=10.0, steps=120)
    assert isinstance(test, lrscout.RangeTest)
    n = test.lrs.size
    np.testing.assert_allclose(test.lrs, np.geomspace(1e-5, 10.0, 120)[:n], rtol=1e-12)
    assert test.stopped_early and n < 120                    # lr 10 with momentum blows up before the end
    assert set(test.suggestions) == {"steepest", "min_over_10", "valley"}
    assert all(1e-6 <= lr <= 10.0 for lr in test.suggestions.values())
    assert set(test.reasons) == {"steepest", "min_over_10", "valley"}
    assert "d(smoothed loss)/d(log lr)" in test.reasons["steepest"]
    assert test.suggestions["min_over_10"] == pytest.approx(test.lrs[np.nanargmin(test.smoothed)] / 10)
    assert lrscout.RangeTest.from_dict(test.to_dict()) == test
    # one number when you want one: the rule the quality benchmark found safest
    assert test.suggested_lr == test.suggestions["min_over_10"]


def test_linear_spacing_steps_the_lr_evenly():
    X, Y = classification()
    test = lt.range_test(mlp(), torch.optim.SGD, cross_entropy, (X, Y), batch_size=32, min_lr=1e-3, max_lr=1e-1,
                         steps=20, spacing="linear")
    np.testing.assert_allclose(test.lrs, np.linspace(1e-3, 1e-1, 20)[:test.lrs.size], rtol=1e-12)


def test_a_loss_that_is_nan_before_any_step_is_a_data_error_not_a_curve():
    X, Y = classification()
    with pytest.raises(DataError, match="is nan at the starting weights, before any step: check the data"):
        lt.range_test(mlp(), torch.optim.SGD, lambda out, y: cross_entropy(out, y) * float("nan"), (X, Y),
                      batch_size=32, steps=30)


def test_the_run_stops_once_the_smoothed_loss_exceeds_the_stop_factor_times_its_best():
    stop = EarlyStop(stop_factor=4.0, steps=100)
    curve = [1.0] * 20 + [1.0 * 1.3 ** k for k in range(1, 40)]
    stopped_at = next(i for i, loss in enumerate(curve) if stop(loss))
    assert curve[stopped_at] > 4.0                 # the raw loss is past 4x before the lagging average is
    assert stopped_at < len(curve) - 1
    assert EarlyStop(4.0, 100)(float("inf"))       # and a non-finite loss stops at once


def _fastai_valley(lrs, losses):
    """fastai's ``valley`` (fastai/callback/schedule.py), the specification the rule follows --
    except that a valley starting at the first step gives fastai index -1 (the *last* lr); lrscout
    clamps it to the first."""
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(0, i):
            if (losses[i] < losses[j]) and (lds[i] < lds[j] + 1):
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)
    return float(lrs[max(idx, 0)])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.01, 10.0), min_size=5, max_size=60))
def test_valley_rule_is_fastais(curve):
    s = np.array(curve)
    lrs = np.geomspace(1e-6, 1.0, s.size)
    idx, _, _ = _valley(s)
    assert lrs[idx] == _fastai_valley(lrs, list(s))


def test_steepest_rule_finds_the_fastest_fall_per_log_lr():
    lrs = np.geomspace(1e-6, 1.0, 61)
    x = np.log10(lrs)
    loss = 2.0 - np.tanh(2 * (x + 3)) + np.where(x > -1, (x + 1) ** 2 * 20, 0)   # steepest fall at 1e-3
    suggestions, reasons = suggest(lrs, loss, smooth(loss), stopped_early=True)
    assert abs(math.log10(suggestions["steepest"]) + 3) <= 0.1 + 1e-9      # within one grid step of 1e-3
    assert "steepest at lr" in reasons["steepest"]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(math.nan), st.just(math.inf)), min_size=0, max_size=40),
       st.booleans())
def test_suggestions_are_finite_within_the_tested_range_or_absent_with_a_reason(curve, stopped):
    losses = np.array(curve, dtype=float)
    lrs = np.geomspace(1e-7, 10.0, max(losses.size, 1))[:losses.size]
    suggestions, reasons = suggest(lrs, losses, smooth(losses), stopped)
    finite = int(np.argmax(~np.isfinite(losses))) if (~np.isfinite(losses)).any() else losses.size
    if finite < MIN_POINTS:
        assert suggestions == {} and reasons["none"].startswith("no suggestion")
    for name, lr in suggestions.items():
        assert math.isfinite(lr) and lrs[0] / 10 * (1 - 1e-12) <= lr <= lrs[finite - 1]
        assert name in reasons
    assert set(reasons) - set(suggestions) <= {"none", "steepest", "min_over_10", "valley"}


def test_sweep_can_run_the_range_test_alongside_and_keep_it_in_the_result():
    X, Y = classification()
    result = lt.sweep(mlp(), torch.optim.Adam, cross_entropy, (X, Y), batch_size=32, lrs=[1e-3, 1e-2], steps=15,
                      range_test={"min_lr": 1e-5, "max_lr": 1.0, "steps": 30})
    assert isinstance(result.range_test, lrscout.RangeTest) and result.range_test.lrs[0] == pytest.approx(1e-5)
    assert lrscout.SweepResult.from_json(result.to_json()) == result


@pytest.mark.parametrize("kwargs, message", [
    ({"min_lr": 1.0, "max_lr": 0.1}, r"max_lr \(0.1\) must be above min_lr \(1\)"),
    ({"spacing": "log"}, "spacing must be 'exp' or 'linear', got 'log'"),
    ({"stop_factor": 1.0}, "stop_factor must be > 1.0"),
    ({"steps": 1}, "range test steps must be an integer >= 2"),
])
def test_bad_range_test_options_are_named(kwargs, message):
    X, Y = classification()
    with pytest.raises(lrscout.InvalidConfigError, match=message):
        lt.range_test(mlp(), torch.optim.SGD, cross_entropy, (X, Y), **kwargs)


@pytest.mark.parametrize("range_test, message", [
    ({"max": 1.0}, r"range_test options \['max'\] are unknown"),
    ({"min_lr": 1.0, "max_lr": 0.5}, r"max_lr \(0.5\) must be above min_lr \(1\)"),
])
def test_sweep_checks_its_range_test_options_before_training(range_test, message):
    X, Y = classification()
    trained = []
    with pytest.raises(lrscout.InvalidConfigError, match=message):
        lt.sweep(mlp(), torch.optim.SGD, cross_entropy, (X, Y), lrs=[0.1], steps=3, range_test=range_test,
                 on_batch=trained.append)
    assert trained == []


def test_a_loss_that_goes_negative_says_the_early_stop_was_off():
    X, Y = classification()
    test = lt.range_test(mlp(), torch.optim.SGD, lambda out, y: cross_entropy(out, y) - 5.0, (X, Y),
                         batch_size=32, steps=30)
    assert not test.stopped_early and "early stop" in test.reasons["stop"] and "positive" in test.reasons["stop"]


def test_a_torch_problem_runs_the_range_test_a_budgeted_search_places_its_windows_with():
    X, Y = classification(n=512)
    model = mlp()
    problem = lt.TorchProblem(model, torch.optim.SGD, cross_entropy, (X, Y), batch_size=32, seed=0)
    assert isinstance(problem, lrscout.problems.protocols.RunsRangeTest)
    lrs, losses = problem.range_curve(1e-5, 10.0, 60, 4.0)
    test = lt.range_test(model, torch.optim.SGD, cross_entropy, (X, Y), batch_size=32, seed=0,
                         min_lr=1e-5, max_lr=10.0, steps=60)
    np.testing.assert_allclose(lrs, test.lrs, rtol=1e-12)
    np.testing.assert_allclose(losses, test.losses, rtol=1e-5)

    result = lt.sweep(model, torch.optim.SGD, cross_entropy, (X, Y), batch_size=32, seed=0, train_steps=600,
                      planner=lrscout.BudgetedSearch(range_bracket=True))
    ran = result.config["search"]["range_test"]
    assert result.cost["search_range_test"] == ran["steps"] > 0
    assert result.search_steps == sum(result.cost.values()) <= 180
    assert max(ran["rates"]) < ran["edge"]
