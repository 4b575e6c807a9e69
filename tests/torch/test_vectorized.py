"""The vectorized engine trains K candidates at once and gives each the curve a sequential run at
the same lr gives; it follows torch.optim's update rules, cuts diverged candidates, and falls
back to sequential (saying why) where vmap or its rules cannot follow."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from torch_kit import classification, cross_entropy, loader, mlp, torch

import lrscout.torch as lt
from lrscout import DivergencePruner
from lrscout.torch.optim_rules import StackedOptimizer, rule_for

nn = torch.nn
F64 = torch.float64


def _problem(optimizer, mode, *, model=None, **kwargs):
    X, Y = classification(dtype=F64)
    return lt.TorchProblem(model or mlp(dtype=F64, dropout=0.1), optimizer, cross_entropy, loader(X, Y),
                           val_data=(X[:64], Y[:64]), mode=mode, **kwargs)


OPTIMIZERS = {
    "sgd": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "sgd_momentum_wd": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9, weight_decay=1e-2, dampening=0.1),
    "sgd_nesterov": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.8, nesterov=True),
    "adam": lambda p, lr: torch.optim.Adam(p, lr=lr, weight_decay=1e-3),
    "adamw_amsgrad": lambda p, lr: torch.optim.AdamW(p, lr=lr, amsgrad=True, betas=(0.8, 0.99)),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_each_vectorized_curve_matches_a_sequential_run_at_the_same_lr(name):
    lrs = [1e-3, 3e-2, 0.3]
    vec = _problem(OPTIMIZERS[name], "vectorized")
    seq = _problem(OPTIMIZERS[name], "sequential")
    for v, s in zip(vec.train(lrs, 25), seq.train(lrs, 25)):
        np.testing.assert_allclose(v.train_loss, s.train_loss, rtol=1e-9)
        np.testing.assert_allclose(v.grad_norm, s.grad_norm, rtol=1e-9)
        np.testing.assert_allclose(v.update_ratio, s.update_ratio, rtol=1e-8)
        np.testing.assert_allclose(v.update_cosine, s.update_cosine, rtol=1e-7, atol=1e-12)
        assert v.val_loss == pytest.approx(s.val_loss, rel=1e-9)
    assert vec.run_info()["mode"] == "vectorized"


def test_parameter_groups_keep_their_lr_ratio_in_the_vectorized_rule():
    model = mlp(dtype=F64)
    optimizer = torch.optim.SGD([{"params": model[0].parameters(), "lr": 0.01},
                                 {"params": model[-1].parameters(), "lr": 0.1}], momentum=0.5)
    vec, seq = (_problem(optimizer, mode, model=model) for mode in ("vectorized", "sequential"))
    for v, s in zip(vec.train([0.05, 0.5], 20), seq.train([0.05, 0.5], 20)):
        np.testing.assert_allclose(v.train_loss, s.train_loss, rtol=1e-9)


def _torch_steps(cls, hyper, params, grads):
    """Three real torch.optim steps (single-tensor code path) on copies of ``params``."""
    ps = [p.clone().requires_grad_(True) for p in params]
    opt = cls(ps, **hyper, foreach=False)
    for g in grads:
        for p, gi in zip(ps, g):
            p.grad = gi.clone()
        opt.step()
    return [p.detach() for p in ps]


sgd_hyper = st.fixed_dictionaries({
    "lr": st.floats(1e-4, 1.0), "momentum": st.sampled_from([0.0, 0.5, 0.9]),
    "dampening": st.sampled_from([0.0, 0.3]), "weight_decay": st.sampled_from([0.0, 1e-2]),
    "nesterov": st.booleans(), "maximize": st.booleans()})
adam_hyper = st.fixed_dictionaries({
    "lr": st.floats(1e-4, 1.0), "betas": st.tuples(st.sampled_from([0.0, 0.8, 0.9]), st.sampled_from([0.9, 0.999])),
    "eps": st.sampled_from([1e-8, 1e-3]), "weight_decay": st.sampled_from([0.0, 1e-2]),
    "amsgrad": st.booleans(), "maximize": st.booleans()})


@settings(max_examples=40, deadline=None)
@given(data=st.data(), cls=st.sampled_from([torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW]),
       seed=st.integers(0, 2**16))
def test_stacked_rules_match_torch_optim_for_any_hyperparameters(data, cls, seed):
    hyper = data.draw(sgd_hyper if cls is torch.optim.SGD else adam_hyper)
    if cls is torch.optim.SGD and hyper["nesterov"] and (hyper["momentum"] == 0 or hyper["dampening"] != 0):
        hyper["nesterov"] = False                       # torch rejects that combination
    g = torch.Generator().manual_seed(seed)
    params = [torch.randn(3, 4, generator=g, dtype=F64), torch.randn(4, generator=g, dtype=F64)]
    grads = [[torch.randn(*p.shape, generator=g, dtype=F64) for p in params] for _ in range(3)]
    expected = _torch_steps(cls, hyper, params, grads)

    probe = cls([p.clone().requires_grad_(True) for p in params], **hyper)
    names = {id(p): f"p{i}" for i, p in enumerate(probe.param_groups[0]["params"])}
    rule = rule_for(probe, names, (1.0,))
    assert isinstance(rule, StackedOptimizer)
    stacked = {f"p{i}": p.unsqueeze(0).repeat(2, *[1] * p.dim()) for i, p in enumerate(params)}
    state = rule.init_state(stacked)
    lr = torch.tensor([hyper["lr"], hyper["lr"]], dtype=F64)
    for step, g_step in enumerate(grads, start=1):
        stacked_g = {f"p{i}": gi.unsqueeze(0).repeat(2, *[1] * gi.dim()) for i, gi in enumerate(g_step)}
        stacked, state = rule.step(stacked, stacked_g, state, lr, step)
    for i, e in enumerate(expected):
        for k in range(2):
            torch.testing.assert_close(stacked[f"p{i}"][k], e, rtol=1e-12, atol=1e-14)


def test_diverged_candidates_are_cut_at_once_and_do_not_touch_the_others():
    vec = _problem(OPTIMIZERS["sgd"], "vectorized")
    seq = _problem(OPTIMIZERS["sgd"], "sequential")
    huge, fine = vec.train([1e6, 0.1], 20, pruner=DivergencePruner())
    assert huge.pruned and huge.steps_used < 20 and huge.val_loss is None
    np.testing.assert_allclose(fine.train_loss, seq.train([0.1], 20)[0].train_loss, rtol=1e-9)
    assert np.isfinite(fine.train_loss).all() and np.isfinite(fine.val_loss)


def test_a_nan_loss_stops_that_candidate_at_its_step_even_without_pruning():
    X, Y = classification()

    def nan_after_three_big_steps(model, batch):
        loss = cross_entropy(model(batch[0]), batch[1])
        return loss * (model[0].weight.abs().max() < 5) / (model[0].weight.abs().max() < 5)

    problem = lt.TorchProblem(mlp(), torch.optim.SGD, train_data=(X, Y), batch_size=32,
                              batch_loss=nan_after_three_big_steps, mode="vectorized")
    big, small = problem.train([300.0, 0.01], 30, pruner=None)
    assert problem.run_info()["mode"] == "vectorized"
    assert big.pruned and not np.isfinite(big.train_loss[-1]) and np.isfinite(big.train_loss[:-1]).all()
    assert not small.pruned and small.steps_used == 30


def test_batchnorm_in_training_mode_falls_back_to_sequential_with_the_reason():
    X, Y = classification()
    with pytest.warns(lt.FallbackWarning, match=r"BatchNorm1d layer '1' updates its running statistics"):
        result = lt.sweep(mlp(batchnorm=True), torch.optim.SGD, cross_entropy, (X, Y), batch_size=32,
                          lrs=[0.1], steps=5, mode="vectorized")
    assert result.config["mode"] == "sequential" and "BatchNorm1d" in result.config["mode_reason"]


def test_an_optimizer_without_a_vectorized_rule_falls_back_to_sequential():
    X, Y = classification()
    with pytest.warns(lt.FallbackWarning, match="RMSprop runs its own step"):
        result = lt.sweep(mlp(), torch.optim.RMSprop, cross_entropy, (X, Y), batch_size=32, lrs=[1e-3], steps=5,
                          mode="vectorized")
    assert result.config["mode"] == "sequential"


def test_auto_mode_times_both_engines_and_records_the_choice():
    X, Y = classification()
    result = lt.sweep(mlp(), torch.optim.SGD, cross_entropy, (X, Y), batch_size=32, lrs=[1e-2, 1e-1], steps=10)
    config = result.config
    assert config["mode"] in ("vectorized", "sequential") and config["mode_reason"].startswith("auto:")
    assert set(config["mode_probe_s"]) == {"vectorized_step", "sequential_steps"}
    faster = min(config["mode_probe_s"], key=config["mode_probe_s"].get)
    assert config["mode"] == {"vectorized_step": "vectorized", "sequential_steps": "sequential"}[faster]
    assert config["mode_probe_steps"] == 8 * (2 + 1)     # 2 warm-up + 2 x 3 timed steps, 2 stacked + 1 alone


def test_chunks_of_candidates_give_the_same_curves_as_one_batch():
    whole = _problem(OPTIMIZERS["adam"], "vectorized").train([1e-3, 1e-2, 1e-1], 15)
    chunked = _problem(OPTIMIZERS["adam"], "vectorized", chunk_size=2).train([1e-3, 1e-2, 1e-1], 15)
    for a, b in zip(whole, chunked):
        np.testing.assert_allclose(a.train_loss, b.train_loss, rtol=1e-12)


class _FragileAtHighWeights(nn.Module):
    """Its forward raises once its weights grow large: only large learning rates get there."""

    def __init__(self):
        super().__init__()
        self.net = mlp()

    def forward(self, x):
        if self.net[0].weight.abs().max() > 3:
            raise RuntimeError("activation check failed: weights above 3")
        return self.net(x)


def test_a_candidate_that_raises_mid_run_is_failed_and_the_others_go_on():
    X, Y = classification()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lt.FallbackWarning)
        result = lt.sweep(_FragileAtHighWeights(), torch.optim.SGD, cross_entropy, (X, Y), batch_size=32,
                          lrs=[1e-2, 1e-1, 100.0], steps=20, mode="vectorized", prune=False)
    failed = result.candidate(100.0)
    assert failed.kind.value == "failed" and "weights above 3" in failed.trace.error
    assert failed.steps_used >= 1
    assert result.candidate(1e-2).trace.error is None and result.candidate(1e-2).steps_used == 20
    assert result.chosen_lr == 0.1


def test_a_vectorized_step_that_raises_reruns_its_candidates_one_by_one():
    X, Y = classification()
    calls = {"n": 0}

    def flaky_loss(output, target):
        calls["n"] += 1
        if calls["n"] == 40:          # after the mode probe, partway into the vectorized run
            raise RuntimeError("transient failure")
        return cross_entropy(output, target)

    problem = lt.TorchProblem(mlp(), torch.optim.SGD, flaky_loss, (X, Y), batch_size=32, mode="vectorized")
    with pytest.warns(lt.FallbackWarning, match=r"transient failure.*rerunning 2 candidate\(s\) sequentially"):
        traces = problem.train([1e-2, 1e-1], 40)
    assert all(t.error is None and t.steps_used == 40 for t in traces)


def test_a_convolutional_model_matches_too():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(96, 2, 8, 8, generator=g, dtype=F64)
    Y = (X.mean(dim=(2, 3)) @ torch.randn(2, 3, generator=g, dtype=F64)).argmax(1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        cnn = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                            nn.Linear(4 * 4 * 4, 3)).to(F64)
    runs = [lt.TorchProblem(cnn, OPTIMIZERS["adam"], cross_entropy, loader(X, Y), mode=mode).train([1e-3, 3e-2], 15)
            for mode in ("vectorized", "sequential")]
    for v, s in zip(*runs):
        np.testing.assert_allclose(v.train_loss, s.train_loss, rtol=1e-9)


def test_tied_weights_run_sequentially_and_say_so():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Linear(8, 8, bias=False)
            self.out = nn.Linear(8, 8, bias=False)
            self.out.weight = self.embed.weight
            self.head = nn.Linear(8, 3)

        def forward(self, x):
            return self.head(torch.tanh(self.out(torch.tanh(self.embed(x)))))

    X, Y = classification()
    with pytest.warns(lt.FallbackWarning, match="ties 1 parameter"):
        result = lt.sweep(Tied(), torch.optim.SGD, cross_entropy, (X, Y), batch_size=32, lrs=[0.01, 0.1], steps=10,
                          mode="vectorized")
    assert result.config["mode"] == "sequential"
