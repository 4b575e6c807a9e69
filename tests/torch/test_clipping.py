"""``max_grad_norm`` clips every candidate's gradients exactly as ``torch.nn.utils.clip_grad_norm_``
does, after the backward pass (and the accumulation) and before the optimizer step, in both
engines: the vectorized engine takes each candidate's own norm, the curves match a sequential run
and a plain torch loop, and a rate that diverges unclipped stays finite when clipped."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from torch_kit import classification, cross_entropy, mlp, torch

import lrscout.torch as lt
from lrscout import LrscoutError

F64 = torch.float64
CLIP = 0.05      # below these models' gradient norms (about 0.3-2), so most steps are clipped
RTOL = 1e-6      # a trace stores its curves in float32; the runs themselves are float64


def _batches(n_batches=6, batch_size=16):
    X, Y = classification(n=n_batches * batch_size, dtype=F64)
    return [(X[i:i + batch_size], Y[i:i + batch_size]) for i in range(0, len(X), batch_size)]


def _problem(optimizer, mode, **kwargs):
    return lt.TorchProblem(mlp(dtype=F64), optimizer, cross_entropy, _batches(), mode=mode, **kwargs)


def _torch_loop(optimizer_cls, lr, steps, batches, max_norm, accumulation=1, **hyper):
    """The loop a user writes: the same start, the same batches, clip_grad_norm_ before each step."""
    model = mlp(dtype=F64)
    rates = list(lr) if isinstance(lr, (list, np.ndarray)) else [lr] * steps
    opt = optimizer_cls(model.parameters(), lr=rates[0], **hyper)
    losses, norms = [], []
    stream = iter(batches * (steps * accumulation // len(batches) + 1))
    for t in range(steps):
        for group in opt.param_groups:
            group["lr"] = float(rates[t])
        opt.zero_grad(set_to_none=True)
        total = 0.0
        for _ in range(accumulation):
            x, y = next(stream)
            loss = cross_entropy(model(x), y)
            (loss / accumulation).backward()
            total += float(loss.detach())
        losses.append(total / accumulation)
        norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)))
        opt.step()
    return np.array(losses), np.array(norms), model


OPTIMIZERS = {
    "sgd_momentum": (torch.optim.SGD, {"momentum": 0.9}),
    "adamw": (torch.optim.AdamW, {"weight_decay": 1e-2}),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_clipped_vectorized_curves_match_clipped_sequential_runs_at_the_same_lr(name):
    cls, hyper = OPTIMIZERS[name]
    lrs = [1e-2, 0.3, 3.0]
    vec = _problem(lambda p, lr: cls(p, lr=lr, **hyper), "vectorized", max_grad_norm=CLIP)
    seq = _problem(lambda p, lr: cls(p, lr=lr, **hyper), "sequential", max_grad_norm=CLIP)
    vec_traces, seq_traces = vec.train(lrs, 15), seq.train(lrs, 15)
    assert vec.run_info()["mode"] == "vectorized" and seq.run_info()["mode"] == "sequential"
    for v, s in zip(vec_traces, seq_traces):
        np.testing.assert_allclose(v.train_loss, s.train_loss, rtol=1e-9)
        np.testing.assert_allclose(v.grad_norm, s.grad_norm, rtol=1e-9)
        np.testing.assert_allclose(v.update_ratio, s.update_ratio, rtol=1e-8)
    # the cap was reached, so these curves are clipped ones, not the unclipped ones
    assert all((t.grad_norm > CLIP).any() for t in seq_traces)


def test_each_candidate_is_clipped_by_its_own_norm_not_by_the_batch_of_candidates():
    # trained together or alone, a candidate's curve is the same: no norm mixes candidates
    together = _problem(lambda p, lr: torch.optim.SGD(p, lr=lr), "vectorized", max_grad_norm=CLIP)
    traces = together.train([0.01, 30.0], 12)
    alone = _problem(lambda p, lr: torch.optim.SGD(p, lr=lr), "vectorized", max_grad_norm=CLIP).train([0.01], 12)
    np.testing.assert_allclose(traces[0].train_loss, alone[0].train_loss, rtol=1e-12)


@pytest.mark.parametrize("mode", ["sequential", "vectorized"])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_clipped_sweep_trains_as_a_torch_loop_with_clip_grad_norm(mode, name):
    cls, hyper = OPTIMIZERS[name]
    batches = _batches()
    problem = lt.TorchProblem(mlp(dtype=F64), lambda p, lr: cls(p, lr=lr, **hyper), cross_entropy, batches,
                              mode=mode, max_grad_norm=CLIP)
    trace = problem.train([0.5], 10)[0]
    losses, norms, _ = _torch_loop(cls, 0.5, 10, batches, CLIP, **hyper)
    np.testing.assert_allclose(trace.train_loss, losses, rtol=RTOL)
    np.testing.assert_allclose(trace.grad_norm, norms, rtol=RTOL)     # the norm before clipping, as torch returns it
    assert (norms > CLIP).all()


def test_with_accumulation_the_summed_gradient_is_clipped_once_per_step():
    batches = _batches()
    problem = lt.TorchProblem(mlp(dtype=F64), lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9), cross_entropy,
                              batches, mode="sequential", accumulation_steps=2, max_grad_norm=CLIP)
    trace = problem.train([0.5], 6)[0]
    losses, norms, _ = _torch_loop(torch.optim.SGD, 0.5, 6, batches, CLIP, accumulation=2, momentum=0.9)
    np.testing.assert_allclose(trace.train_loss, losses, rtol=RTOL)
    np.testing.assert_allclose(trace.grad_norm, norms, rtol=RTOL)


def test_the_range_test_clips_too():
    batches = _batches()
    ramp = lt.range_test(mlp(dtype=F64), lambda p, lr: torch.optim.SGD(p, lr=lr), cross_entropy, batches,
                         min_lr=0.1, max_lr=3.0, steps=8, max_grad_norm=CLIP)
    assert len(ramp.losses) == 8
    losses, _, _ = _torch_loop(torch.optim.SGD, ramp.lrs, 8, batches, CLIP)
    np.testing.assert_allclose(ramp.losses, losses, rtol=RTOL)


def _regression(scale=30.0, n=64):
    """Least squares whose curvature (about scale**2) makes SGD at lr 0.1 blow up unclipped."""
    g = torch.Generator().manual_seed(3)
    X = scale * torch.randn(n, 4, generator=g, dtype=F64)
    y = X @ torch.randn(4, 1, generator=g, dtype=F64)
    return X, y


@pytest.mark.parametrize("mode", ["sequential", "vectorized"])
def test_clipping_keeps_a_rate_that_diverges_without_it_finite(mode):
    X, y = _regression()

    def run(max_grad_norm):
        torch.manual_seed(0)
        model = torch.nn.Linear(4, 1).to(F64)
        result = lt.sweep(model, torch.optim.SGD, torch.nn.functional.mse_loss, (X, y), batch_size=16, lrs=[0.1],
                          steps=30, mode=mode, prune=False, max_grad_norm=max_grad_norm)
        return result.candidates[0].trace

    unclipped, clipped = run(None), run(1.0)
    assert not np.isfinite(unclipped.train_loss).all() or unclipped.train_loss[-1] > 1e6 * unclipped.train_loss[0]
    assert np.isfinite(clipped.train_loss).all() and len(clipped.train_loss) == 30
    assert clipped.train_loss[-1] < 1e3 * clipped.train_loss[0]


def test_the_config_records_the_clipping_and_none_by_default():
    X, Y = classification(n=64)
    common = dict(batch_size=16, lrs=[0.01, 0.1], steps=4, mode="sequential")
    assert lt.sweep(mlp(), torch.optim.SGD, cross_entropy, (X, Y), **common).config["max_grad_norm"] is None
    clipped = lt.sweep(mlp(), torch.optim.SGD, cross_entropy, (X, Y), max_grad_norm=2, **common)
    assert clipped.config["max_grad_norm"] == 2.0


@pytest.mark.parametrize("bad", [0, -1, -0.5, math.nan, math.inf, "1", True, [1.0]])
def test_a_max_grad_norm_that_is_not_a_positive_finite_number_is_refused_by_name(bad):
    X, Y = classification(n=32)
    with pytest.raises(LrscoutError, match="max_grad_norm") as caught:
        lt.sweep(mlp(), torch.optim.SGD, cross_entropy, (X, Y), batch_size=16, lrs=[0.1], steps=2,
                 mode="sequential", max_grad_norm=bad)
    assert repr(bad)[:10] in str(caught.value) or str(float(bad)) in str(caught.value)


def test_a_model_the_user_clips_is_left_unchanged_by_a_clipped_sweep():
    X, Y = classification(n=64)
    model = mlp()
    before = copy.deepcopy(model.state_dict())
    lt.sweep(model, torch.optim.SGD, cross_entropy, (X, Y), batch_size=16, lrs=[0.1], steps=3, max_grad_norm=0.1)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
