"""Built-in models: vectorized training equals single runs, and real sweeps on sklearn data."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

from lrscout import (DivergencePruner, LinearRegression, LogisticRegression, NumpyProblem, SoftmaxRegression,
                     VerdictKind, sweep)
from lrscout.core.schedules import constant, linear_warmup
from lrscout.data import Scaler, housing, prepare
from lrscout.errors import DataError, InvalidConfigError
from lrscout.workflows.tabular import problem_for

LRS = [1e-3, 1e-2, 1e-1]


def _problems(rng):
    X = rng.normal(size=(120, 4))
    w = rng.normal(size=4)
    yield NumpyProblem(LinearRegression(), X, X @ w + 0.1 * rng.normal(size=120), batch_size=16, momentum=0.5)
    yield NumpyProblem(LogisticRegression(), X, (X @ w > 0).astype(float))
    yield NumpyProblem(SoftmaxRegression(3), X, np.digitize(X @ w, [-0.5, 0.5]).astype(float), batch_size=32)


@pytest.mark.parametrize("index", range(3))
def test_each_vectorized_candidate_matches_a_run_of_its_own(rng, index):
    problem = list(_problems(rng))[index]
    together = problem.train(LRS, 50)
    for lr, trace in zip(LRS, together):
        alone = problem.train([lr], 50)[0]
        np.testing.assert_allclose(trace.train_loss, alone.train_loss, rtol=1e-12)
        np.testing.assert_allclose(trace.update_cosine, alone.update_cosine, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("model", [LinearRegression(), LogisticRegression(), SoftmaxRegression(3)])
def test_analytic_gradients_match_finite_differences(rng, model):
    X = np.hstack([rng.normal(size=(30, 3)), np.ones((30, 1))])
    y = rng.integers(0, 3 if isinstance(model, SoftmaxRegression) else 2, size=30).astype(float)
    W = rng.normal(size=(2, model.n_params(3))) * 0.3
    _, G = model.loss_grad(W, X, y)
    eps = 1e-6
    for k in range(2):
        for j in range(W.shape[1]):
            Wp, Wm = W.copy(), W.copy()
            Wp[k, j] += eps
            Wm[k, j] -= eps
            fd = (model.loss(Wp, X, y)[k] - model.loss(Wm, X, y)[k]) / (2 * eps)
            assert G[k, j] == pytest.approx(fd, rel=1e-5, abs=1e-7)


def test_training_does_not_modify_the_arrays_given(rng):
    X, y = rng.normal(size=(50, 3)), rng.normal(size=50)
    X0, y0 = X.copy(), y.copy()
    NumpyProblem(LinearRegression(), X, y).train([0.1], 10)
    assert np.array_equal(X, X0) and np.array_equal(y, y0)


def test_a_diverging_candidate_is_pruned_and_records_its_steps(rng):
    X = rng.normal(size=(100, 3)) * 10
    traces = NumpyProblem(LinearRegression(), X, X.sum(1)).train([1e-4, 10.0], 100, pruner=None)
    assert traces[1].steps_used < 100 and traces[1].pruned

    traces = NumpyProblem(LinearRegression(), X, X.sum(1)).train([1e-4, 10.0], 100, pruner=DivergencePruner(10))
    assert traces[0].steps_used == 100 and not traces[0].pruned
    assert traces[1].pruned and traces[1].steps_used <= 3
    assert traces[1].val_loss is None


def test_nan_in_features_is_rejected():
    with pytest.raises(DataError, match="NaN"):
        NumpyProblem(LinearRegression(), np.array([[1.0], [np.nan]]), np.array([1.0, 2.0]))


def _split(X, y, scale):
    n = int(0.8 * len(y))
    s = Scaler.fit(scale, X[:n])
    return s.transform(X[:n]), y[:n], s.transform(X[n:]), y[n:]


def test_breast_cancer_raw_features_choose_a_small_stable_rate_and_scaled_ones_a_larger_one():
    X, y = load_breast_cancer(return_X_y=True)
    perm = np.random.default_rng(0).permutation(len(y))
    X, y = X[perm], y[perm].astype(float)
    chosen = {}
    for scale in ("none", "standard"):
        Xtr, ytr, Xva, yva = _split(X, y, scale)
        result = sweep(NumpyProblem(LogisticRegression(), Xtr, ytr, X_val=Xva, y_val=yva), steps=100)
        assert result.decision.chosen, result.summary()
        chosen[scale] = result.chosen_lr
        kinds = result.verdicts()
        assert any(k.is_too_high for k in kinds.values()), "the sweep must find where instability starts"
    assert chosen["standard"] > 100 * chosen["none"]


def test_diabetes_regression_sweep_chooses_a_good_rate_below_divergence():
    X, y = load_diabetes(return_X_y=True)
    Xtr, ytr, Xva, yva = _split(X, y, "standard")
    result = sweep(NumpyProblem(LinearRegression(), Xtr, ytr, X_val=Xva, y_val=yva, batch_size=32), steps=150)
    chosen = result.candidate(result.chosen_lr)
    assert chosen.kind is VerdictKind.GOOD
    above = [c for c in result.candidates if c.lr > result.chosen_lr]
    assert above and not above[0].kind.is_stable


def test_iris_softmax_sweep_chooses_a_rate(rng):
    X, y = load_iris(return_X_y=True)
    perm = rng.permutation(len(y))
    Xtr, ytr, Xva, yva = _split(X[perm], y[perm].astype(float), "standard")
    result = sweep(NumpyProblem(SoftmaxRegression(3), Xtr, ytr, X_val=Xva, y_val=yva), steps=100)
    assert result.decision.chosen


def test_traces_come_back_in_the_order_the_rates_were_asked(rng):
    X, y = rng.normal(size=(40, 2)), rng.normal(size=40)
    traces = NumpyProblem(LinearRegression(), X, y).train([0.1, 1e-3, 1e-2], 5)
    assert [t.lr for t in traces] == [0.1, 1e-3, 1e-2]


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True, allow_infinity=True),
       st.floats(1.01, 1e3))
def test_the_one_candidate_pruning_check_agrees_with_the_stacked_one(start, loss, ratio):
    pruner = DivergencePruner(ratio)
    # a start that is not finite stops at once: no loss can be measured against it
    expected = bool(pruner.should_stop(np.array([start]), np.array([loss]))[0]) if np.isfinite(start) else True
    assert pruner.stop_one(start, loss) == expected


def test_text_labels_are_refused_saying_how_to_encode_them():
    with pytest.raises(DataError, match="y must hold numbers.*encode text labels"):
        NumpyProblem(LogisticRegression(), np.ones((6, 2)), np.array(["cat", "dog"] * 3))


def housing_problem(scale: str) -> NumpyProblem:
    return problem_for(prepare(housing(), "price", scale=scale), batch_size=32)


def test_a_schedule_multiplies_every_candidates_rate_step_by_step():
    problem = housing_problem("standard")
    plain = problem.train([0.01, 0.1], 30)
    unit = problem.train([0.01, 0.1], 30, schedule=constant(1.0))
    for a, b in zip(plain, unit):
        np.testing.assert_array_equal(a.train_loss, b.train_loss)
    halved = problem.train([0.2], 30, schedule=constant(0.5))[0]
    np.testing.assert_allclose(halved.train_loss, problem.train([0.1], 30)[0].train_loss, rtol=1e-12)
    warm = problem.train([0.1], 30, schedule=linear_warmup(1.0, 10))[0]
    still = problem.train([1e-12], 2)[0]                      # a warm-up from 0 moves nothing at step 0
    assert warm.train_loss[1] == pytest.approx(still.train_loss[1], rel=1e-9)


def test_a_schedule_that_gives_a_negative_factor_is_rejected_naming_the_step():
    with pytest.raises(InvalidConfigError, match="step 3"):
        housing_problem("standard").train([0.1], 10, schedule=lambda step: 1.0 if step < 3 else -1.0)
