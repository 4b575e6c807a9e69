"""A plain ``train(lr, steps)`` callable as a problem, e.g. scikit-learn's partial_fit."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import SGDRegressor
from sklearn.preprocessing import StandardScaler

from lrscout import CallableProblem, VerdictKind, sweep


def sgd_regressor_problem():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    y = (y - y.mean()) / y.std()
    Xtr, ytr, Xva, yva = X[:350], y[:350], X[350:], y[350:]
    batches = [slice(i, i + 25) for i in range(0, 350, 25)]

    def train(lr, steps):
        model = SGDRegressor(learning_rate="constant", eta0=lr, penalty=None, random_state=0)
        losses = []
        for step in range(steps):
            b = batches[step % len(batches)]
            if step:
                losses.append(float(np.mean((model.predict(Xtr[b]) - ytr[b]) ** 2) / 2))
            else:
                losses.append(float(np.mean(ytr[b] ** 2) / 2))  # the zero model, before any update
            with np.errstate(all="ignore"):
                model.partial_fit(Xtr[b], ytr[b])
            if not np.isfinite(model.coef_).all():
                losses.append(float("nan"))
                break
        finite = np.isfinite(model.coef_).all()
        return losses, float(np.mean((model.predict(Xva) - yva) ** 2) / 2) if finite else float("inf")

    return CallableProblem(train, name="SGDRegressor")


def test_sklearn_sgd_regressor_via_partial_fit_gets_verdicts_and_a_choice():
    result = sweep(sgd_regressor_problem(), [1e-4, 1e-3, 1e-2, 1e-1, 1.0], steps=60)
    kinds = result.verdicts()
    assert result.decision.chosen, result.summary()
    assert kinds[1e-4] is VerdictKind.TOO_SLOW
    assert kinds[1.0].is_too_high
    assert result.candidate(result.chosen_lr).val_loss is not None
    assert result.config["model"] == "SGDRegressor"


def test_a_callable_that_raises_is_recorded_as_failed_and_the_sweep_goes_on():
    def train(lr, steps):
        if lr > 0.05:
            raise RuntimeError("forward pass blew up")
        return np.exp(-lr * 10 * np.arange(steps))

    result = sweep(CallableProblem(train), [1e-2, 1e-1], steps=30)
    failed = result.candidate(0.1)
    assert failed.kind is VerdictKind.FAILED
    assert "forward pass blew up" in failed.verdict.reason
    assert result.chosen_lr == 1e-2


def test_a_callable_can_stop_a_diverging_candidate_early():
    calls = {}

    def train(lr, steps, should_stop):
        losses = []
        for step in range(steps):
            loss = 1.0 * (1 + lr) ** step
            losses.append(loss)
            if should_stop(loss):
                break
        calls[lr] = len(losses)
        return losses

    result = sweep(CallableProblem(train), [1e-3, 5.0], steps=100)
    assert calls[5.0] <= 3 and result.candidate(5.0).trace.pruned
    assert calls[1e-3] == 100


def test_a_callable_returning_a_mapping_reports_validation():
    result = sweep(CallableProblem(lambda lr, steps: {"train_loss": np.exp(-np.arange(steps) * lr),
                                                      "val_loss": 1 - lr}), [0.1], steps=20)
    assert result.candidates[0].val_loss == pytest.approx(0.9)


def test_a_callable_returning_a_matrix_fails_with_a_clear_reason():
    result = sweep(CallableProblem(lambda lr, steps: np.zeros((steps, 2))), [0.1], steps=5)
    assert result.candidates[0].kind is VerdictKind.FAILED
    assert "1-D" in result.candidates[0].verdict.reason


@pytest.mark.parametrize(("losses", "message"), [
    ([1.0, 0.5], "returned 2 losses for a 20-step window and was not told to stop"),
    (list(np.linspace(1, 0.1, 50)), "returned 50 losses for a 20-step window"),
    ([], "returned no losses"),
])
def test_a_callable_returning_the_wrong_number_of_losses_fails_saying_so(losses, message):
    result = sweep(CallableProblem(lambda lr, steps: losses), [0.1], steps=20)
    assert result.candidates[0].kind is VerdictKind.FAILED and message in result.candidates[0].verdict.reason


def test_a_callable_may_stop_early_on_its_own_once_the_loss_is_non_finite():
    result = sweep(CallableProblem(lambda lr, steps: [1.0, 3.0, float("nan")]), [0.1], steps=20)
    assert result.candidates[0].kind is VerdictKind.DIVERGED
