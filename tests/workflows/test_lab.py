"""The failure-mode lab: every scenario raises its finding, and the remedy the finding names
clears it; ``lrscout lab`` shows both runs and plots them side by side. Also the lab's deep
net, and ``compare_scaling`` (the same scaling remedy on a user's table)."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from lrscout import FindingKind, LinearRegression, NumpyProblem
from lrscout.cli.lab_cmd import lab_command
from lrscout.data import housing
from lrscout.errors import InvalidConfigError
from lrscout.workflows.lab import SCENARIOS, DeepTanhRegression, run_scenario, scenario
from lrscout.workflows.scaling import compare_scaling

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


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
    # clipping makes larger rates stable (which one validates best is the re-check's call)
    assert exploding.after.decision.largest_good_lr > exploding.before.decision.largest_good_lr
    assert not run_scenario("noise").before.decision.chosen                      # noise read as divergence


def test_lab_list_explains_every_scenario():
    out = CliRunner().invoke(lab_command, ["--list"])
    assert out.exit_code == 0
    for s in SCENARIOS.values():
        assert f"{s.name}: {s.title}" in out.output and s.expects.value in out.output


def test_lab_shows_both_runs_the_finding_and_the_outcome_and_plots_them_side_by_side(tmp_path):
    plot = tmp_path / "lab.png"
    out = CliRunner().invoke(lab_command, ["exploding", "--plot", str(plot)], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert "before: exploding" in out.output and "after: gradient norm clipped at" in out.output
    assert "exploding gradients" in out.output and "Clip the gradient norm at about" in out.output
    assert "Outcome: largest good rate 0.01 -> 0.1, chosen rate 0.01 -> " in out.output
    assert "the exploding_gradients finding is gone." in out.output
    assert plot.read_bytes().startswith(PNG_MAGIC)


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


def test_compare_scaling_reports_the_better_scaling_and_puts_the_comparison_in_the_remedy():
    comparison = compare_scaling(housing(), "price", lrs=(1e-3, 1e-2, 1e-1), steps=200, batch_size=32)
    assert comparison.better == "standard"
    assert [r.chosen_lr for r in comparison.results.values()] == [0.01, 0.1]
    assert comparison.reasons[-1] == "better: standardized features"
    raw_finding = next(f for f in comparison.results["none"].findings if f.kind is FindingKind.FEATURE_SCALING)
    assert "On standardized features this sweep chose 0.1" in raw_finding.remedy
    assert [title for title, _ in comparison.titled()] == ["raw features", "standardized features"]


def test_compare_scaling_needs_two_distinct_scalings():
    with pytest.raises(InvalidConfigError, match="scalings"):
        compare_scaling(housing(), "price", scalings=("standard",))
