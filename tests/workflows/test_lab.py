"""The failure-mode lab: every scenario raises its finding, and the remedy the finding names
clears it. Also the lab's deep net. (``lrscout lab`` itself: tests/cli/test_lab_cmd.py.)"""

from __future__ import annotations

import numpy as np
import pytest

from lrscout import LinearRegression, NumpyProblem
from lrscout.errors import InvalidConfigError
from lrscout.workflows.lab import SCENARIOS, DeepTanhRegression, run_scenario, scenario


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_scenario_raises_its_finding_and_the_remedy_clears_it(name):
    run = run_scenario(name)
    assert run.finding is not None, f"{name}: no {run.scenario.expects.value} finding on the pathology"
    assert "finding did not fire" not in run.applied            # the remedy's numbers came from it
    assert run.cured, f"{name}: after '{run.applied}' the finding is still there or nothing was chosen"


def test_the_remedies_also_move_the_chosen_rate_where_the_seeds_say():
    scaling = run_scenario("scaling")
    assert (scaling.before.chosen_lr, scaling.after.chosen_lr) == (0.01, 0.1)     # the seeds' example
    exploding = run_scenario("exploding")
    # clipping makes the rates below the cliff stable; whether 0.1 was already good before, and 0.2
    # is good after, is chaotic (see DEEP_GRID), and which validates best is the re-check's call
    assert exploding.before.candidate(0.2).kind.is_too_high
    assert exploding.after.decision.largest_good_lr >= 0.1
    assert not run_scenario("noise").before.decision.chosen                      # noise read as divergence


def test_an_unknown_scenario_is_an_error_naming_the_scenarios():
    with pytest.raises(InvalidConfigError, match="'exploded'.*scaling, exploding"):
        scenario("exploded")


def test_the_deep_nets_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    model = DeepTanhRegression(depth=3, width=4, gain=1.2)
    Xb = np.hstack([rng.normal(size=(16, 2)), np.ones((16, 1))])
    y = rng.normal(size=16)
    W = np.stack([model.initial(Xb[:, :2], y), model.initial(Xb[:, :2], y) * 0.5])
    _, G = model.loss_grad(W, Xb, y)
    eps = 1e-6
    for k in range(2):
        for j in range(0, W.shape[1], 7):
            Wp, Wm = W.copy(), W.copy()
            Wp[k, j] += eps
            Wm[k, j] -= eps
            numeric = (model.loss(Wp, Xb, y)[k] - model.loss(Wm, Xb, y)[k]) / (2 * eps)
            assert G[k, j] == pytest.approx(numeric, rel=1e-5, abs=1e-8)


def test_clipping_bounds_the_gradient_each_step_applies():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)) * 10
    trace = NumpyProblem(LinearRegression(), X, X.sum(1), clip_norm=1.0).train([1e-3], 20)[0]
    assert np.all(trace.grad_norm <= 1.0 + 1e-12)
    with pytest.raises(InvalidConfigError, match="clip_norm"):
        NumpyProblem(LinearRegression(), X, X.sum(1), clip_norm=0.0)
