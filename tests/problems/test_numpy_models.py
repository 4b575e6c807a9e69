"""Built-in models: vectorized training equals single runs, and real sweeps on sklearn data."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

import lrscout
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


# --- labels, models and sizes: the API checks what the command line checks ---------------------

def _features(rows=60, seed=0):
    return np.random.default_rng(seed).normal(size=(rows, 3))


@pytest.mark.parametrize(("y", "message"), [
    (np.arange(60) % 3, r"the labels 0, 1, 2 .*takes the two labels 0 and 1: for 3 classes use SoftmaxRegression\(3\)"),
    (np.linspace(0, 1, 60), r"non-integer values .*for a real-valued target use LinearRegression\(\)"),
    (np.where(np.arange(60) % 2, 5.0, 2.0), r"the labels 2, 5 .*map them to 0 and 1 first, e.g. y = \(y == 5\)"),
])
def test_logistic_regression_refuses_labels_other_than_0_and_1_saying_what_to_use(y, message):
    with pytest.raises(DataError, match=message):
        NumpyProblem(LogisticRegression(), _features(), y)


@pytest.mark.parametrize(("y", "message"), [
    (np.arange(60) % 5, r"labels 3, 4 \(3 at rows 3, 8, 13 and 9 more\), but SoftmaxRegression\(3\) takes the "
                        r"labels 0..2: use SoftmaxRegression\(5\)"),
    (np.arange(60) % 3 - 1, r"label -1 .*encode the labels as 0..C-1 with numpy.unique"),
    (np.arange(60) % 3 + 0.5, r"non-integer values \(0.5 at rows 0, 1, 2 and 57 more\)"),
])
def test_softmax_regression_refuses_labels_outside_its_classes_naming_them_and_the_fix(y, message):
    with pytest.raises(DataError, match=message):
        NumpyProblem(SoftmaxRegression(3), _features(), y)


def test_validation_labels_are_checked_like_the_training_labels():
    X = _features()
    with pytest.raises(DataError, match=r"y_val holds label 7 \(7 at row 2\), but SoftmaxRegression\(3\)"):
        NumpyProblem(SoftmaxRegression(3), X[:50], np.arange(50) % 3, X_val=X[50:],
                     y_val=[0, 1, 7, 2, 0, 1, 2, 0, 1, 2])


def test_a_model_must_be_an_instance_with_at_least_two_classes():
    with pytest.raises(lrscout.InvalidConfigError, match=r"n_classes must be an integer >= 2, got 0"):
        SoftmaxRegression(0)
    with pytest.raises(lrscout.InvalidConfigError, match=r"got the class LogisticRegression itself: pass "
                                                         r"LogisticRegression\(\)"):
        NumpyProblem(LogisticRegression, _features(), np.arange(60) % 2)


def test_a_constant_target_is_refused_as_nothing_to_learn():
    with pytest.raises(DataError, match=r"y has the same value \(1\) in every training row; there is nothing to learn"):
        NumpyProblem(LogisticRegression(), _features(), np.ones(60))


def test_three_rows_of_three_classes_are_refused_stating_the_minimum():
    X = _features(rows=3)
    with pytest.raises(DataError, match=r"X has 2 training rows; a sweep needs at least 10"):
        NumpyProblem(SoftmaxRegression(3), X[:2], [0, 1], X_val=X[2:], y_val=[2])


def test_a_class_only_in_the_validation_split_is_a_warning_in_the_result():
    X = _features(rows=80)
    y_val = np.array([0, 1, 2, 2, 0, 1, 2, 0, 1, 0])
    result = lrscout.sweep(NumpyProblem(SoftmaxRegression(3), X[:70], np.arange(70) % 2, X_val=X[70:], y_val=y_val,
                                        class_names=("cat", "dog", "eel")), [0.01, 0.1], steps=20)
    finding = next(f for f in result.findings if f.kind is lrscout.FindingKind.CLASS_BALANCE)
    assert finding.severity is lrscout.Severity.WARNING
    assert "class 'eel' is in the validation split (3 rows) but not in the training split" in finding.summary
    assert "stratif" in finding.remedy
    assert lrscout.SweepResult.from_json(result.to_json()).findings == result.findings


def test_one_positive_in_two_hundred_rows_is_a_rare_class_warning():
    y = np.zeros(200)
    y[17] = 1
    result = lrscout.sweep(NumpyProblem(LogisticRegression(), _features(rows=200), y), [0.01, 0.1], steps=20)
    finding = next(f for f in result.findings if f.kind is lrscout.FindingKind.CLASS_BALANCE)
    assert finding.severity is lrscout.Severity.WARNING
    assert "class 1 has 1 of the 200 training rows (0.5%), fewer than 10" in finding.summary
    assert finding.evidence["rarest_rows"] == 1 and finding.evidence["rarest_share"] == pytest.approx(0.005)
    assert finding.summary in result.summary()


def test_a_class_under_one_percent_but_with_enough_rows_is_noted_as_info():
    y = np.zeros(2000)
    y[:15] = 1
    result = lrscout.sweep(NumpyProblem(LogisticRegression(), _features(rows=2000), y), [0.01, 0.1], steps=20)
    finding = next(f for f in result.findings if f.kind is lrscout.FindingKind.CLASS_BALANCE)
    assert finding.severity is lrscout.Severity.INFO and "under 1%" in finding.summary


def test_balanced_classes_get_no_class_finding():
    result = lrscout.sweep(NumpyProblem(LogisticRegression(), _features(), np.arange(60) % 2), [0.01, 0.1], steps=20)
    assert all(f.kind is not lrscout.FindingKind.CLASS_BALANCE for f in result.findings)
