"""``lrscout.torch.sweep`` gives a user with a model, an optimizer and a DataLoader the core's
``SweepResult`` in one call; group lr ratios, gradient statistics, mixed precision and gradient
accumulation behave as documented; bad input gets a clear lrscout error naming what was wrong."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from torch_kit import classification, cross_entropy, loader, mlp, torch

import lrscout
import lrscout.torch as lt
from lrscout.errors import DataError, InvalidConfigError
from lrscout.torch.data import BatchSource

nn = torch.nn


def test_sweep_returns_the_core_sweep_result_and_chooses_a_good_lr(tmp_path):
    X, Y = classification(n=512)
    model = mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    result = lt.sweep(model, optimizer, cross_entropy, loader(X[:384], Y[:384]), val_data=loader(X[384:], Y[384:]),
                      steps=60)
    assert isinstance(result, lrscout.SweepResult)
    assert result.chosen_lr is not None and result.candidate(result.chosen_lr).kind.value == "good"
    assert {"mode", "mode_reason", "torch_threads", "optimizer", "param_group_lr_ratios"} <= set(result.config)
    assert result.config["batch_size"] == loader(X[:384], Y[:384]).batch_size     # the loader's own
    assert lrscout.SweepResult.from_json(result.to_json()) == result
    from lrscout.report.plot import save_plot
    assert save_plot(result, tmp_path / "curves.png").stat().st_size > 0


class _RecordingSGD(torch.optim.SGD):
    """SGD that records every group's lr at every step."""

    seen: list[list[float]] = []

    def step(self, closure=None):
        type(self).seen.append([g["lr"] for g in self.param_groups])
        return super().step(closure)


@pytest.mark.parametrize("ask", ["sweep", "range_test"])
def test_parameter_groups_keep_their_lr_ratio(ask):
    X, Y = classification()
    model = mlp()
    optimizer = _RecordingSGD([{"params": model[0].parameters(), "lr": 0.01},
                               {"params": model[-1].parameters(), "lr": 0.1}])
    _RecordingSGD.seen = []
    if ask == "sweep":
        lt.sweep(model, optimizer, cross_entropy, (X, Y), batch_size=32, lrs=[0.5], steps=3, mode="sequential")
        assert np.allclose(_RecordingSGD.seen, [[0.05, 0.5]] * 3, rtol=1e-12)
    else:
        lt.range_test(model, optimizer, cross_entropy, (X, Y), batch_size=32, min_lr=1e-4, max_lr=1e-2, steps=5)
        assert all(math.isclose(low / high, 0.1) for low, high in _RecordingSGD.seen)
        assert [high for _, high in _RecordingSGD.seen] == pytest.approx(np.geomspace(1e-4, 1e-2, 5))


@settings(max_examples=25, deadline=None)
@given(ratios=st.lists(st.floats(1e-3, 1.0), min_size=1, max_size=3), lr=st.floats(1e-5, 10.0))
def test_any_group_ratios_are_scaled_by_the_candidate_lr(ratios, lr):
    model = nn.Sequential(*[nn.Linear(2, 2) for _ in ratios])
    top = max(ratios)
    optimizer = torch.optim.SGD([{"params": layer.parameters(), "lr": 0.3 * r} for layer, r in zip(model, ratios)])
    X = torch.zeros(4, 2)
    problem = lt.TorchProblem(model, optimizer, lambda out, y: out.pow(2).mean(), (X, X), mode="sequential")
    built = problem.bench.optimizer.build(lr)
    assert [g["lr"] for g in built.param_groups] == pytest.approx([lr * r / top for r in ratios], rel=1e-12)


def test_gradient_norm_and_update_ratio_are_reported_per_step():
    X, Y = classification()
    problem = lt.TorchProblem(mlp(), torch.optim.SGD, cross_entropy, (X, Y), mode="sequential")  # full batch
    trace = problem.train([0.1], 5)[0]
    assert trace.grad_norm.shape == (5,) and trace.update_ratio.shape == (5,) and trace.update_cosine.shape == (4,)
    # plain SGD: the first update is -lr * g, so its size over the weights' size is lr * |g| / |w|
    model = mlp()
    cross_entropy(model(X), Y).backward()
    g = torch.cat([p.grad.ravel() for p in model.parameters()]).norm()
    w = torch.cat([p.detach().ravel() for p in model.parameters()]).norm()
    assert trace.grad_norm[0] == pytest.approx(float(g), rel=1e-5)
    assert trace.update_ratio[0] == pytest.approx(float(0.1 * g / w), rel=1e-5)
    assert np.all(trace.update_cosine > 0.9)     # full-batch gradient descent keeps its direction


@pytest.mark.parametrize("mode", ["sequential", "vectorized"])
def test_both_engines_report_core_traces_whose_update_ratio_is_saved_with_the_result(mode):
    X, Y = classification()
    result = lt.sweep(mlp(), torch.optim.SGD, cross_entropy, (X, Y), lrs=[0.01, 0.1], steps=5, mode=mode)
    again = lrscout.SweepResult.from_json(result.to_json())
    for c in result.candidates:
        assert type(c.trace) is lrscout.Trace and c.trace.update_ratio.shape == (5,)
        np.testing.assert_array_equal(again.candidate(c.lr).trace.update_ratio, c.trace.update_ratio)


def test_gradient_accumulation_matches_one_batch_of_the_combined_size():
    X, Y = classification(n=64, dtype=torch.float64)
    model = mlp(dtype=torch.float64)
    big = lt.TorchProblem(model, torch.optim.SGD, cross_entropy, loader(X, Y, 32, shuffle=False))
    small = lt.TorchProblem(model, torch.optim.SGD, cross_entropy, loader(X, Y, 16, shuffle=False),
                            accumulation_steps=2)
    a, b = big.train([0.3], 6)[0], small.train([0.3], 6)[0]
    np.testing.assert_allclose(a.train_loss, b.train_loss, rtol=1e-12)
    assert small.run_info()["mode"] == "sequential" and "accumulation" in small.run_info()["mode_reason"]


@pytest.mark.parametrize("amp", ["bf16", "fp16"])
def test_mixed_precision_sweeps_and_range_tests_run_with_autocast(amp):
    X, Y = classification()
    seen = []

    def loss(output, target):
        seen.append(output.dtype)
        return cross_entropy(output.float(), target)

    result = lt.sweep(mlp(), torch.optim.SGD, loss, (X, Y), batch_size=32, lrs=[1e-2, 1e-1], steps=10, amp=amp)
    assert result.config["amp"] == {"bf16": "bfloat16", "fp16": "float16"}[amp]
    assert set(seen) == {torch.bfloat16 if amp == "bf16" else torch.float16}
    assert all(np.isfinite(c.train_loss).all() for c in result.candidates)
    test = lt.range_test(mlp(), torch.optim.SGD, loss, (X, Y), batch_size=32, steps=20, amp=amp)
    assert np.isfinite(test.losses[:5]).all()


def test_a_nan_loss_stops_the_candidate_at_that_step():
    X, Y = classification()
    calls = {"n": 0}

    def nan_at_fourth_step(output, target):
        calls["n"] += 1
        loss = cross_entropy(output, target)
        return loss * float("nan") if calls["n"] == 5 else loss   # call 1 is the preflight check

    problem = lt.TorchProblem(mlp(), torch.optim.SGD, nan_at_fourth_step, (X, Y), batch_size=32, mode="sequential")
    trace = problem.train([0.1], 20)[0]
    assert trace.pruned and trace.steps_used == 4 and math.isnan(trace.train_loss[-1])


# -- data ------------------------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(n_batches=st.integers(1, 6), steps=st.integers(1, 25), one_shot=st.booleans())
def test_data_shorter_than_the_window_is_cycled_in_order(n_batches, steps, one_shot):
    batches = [(torch.full((2, 1), float(i)), torch.zeros(2)) for i in range(n_batches)]
    data = iter(batches) if one_shot else batches
    taken = BatchSource(data, name="train_data", device=torch.device("cpu")).take(steps)
    assert [int(b[0][0, 0]) for b in taken] == [i % n_batches for i in range(steps)]


def test_tensor_data_is_shuffled_by_a_private_generator():
    X, Y = classification(n=100)
    state = torch.get_rng_state()
    first = BatchSource((X, Y), name="train_data", device=torch.device("cpu"), batch_size=30, seed=1).take(7)
    again = BatchSource((X, Y), name="train_data", device=torch.device("cpu"), batch_size=30, seed=1).take(7)
    assert torch.equal(torch.get_rng_state(), state)
    assert all(torch.equal(a[0], b[0]) for a, b in zip(first, again))
    assert all(b[0].shape == (30, 8) for b in first)          # the partial last batch of a pass is dropped
    assert not torch.equal(first[0][0], X[:30])


# -- bad input -------------------------------------------------------------------------------------

def _sweep(**overrides):
    X, Y = classification()
    args = dict(model=mlp(), optimizer=torch.optim.SGD, loss_fn=cross_entropy, train_data=(X, Y))
    args.update(overrides)
    return lt.sweep(args.pop("model"), args.pop("optimizer"), args.pop("loss_fn"), args.pop("train_data"),
                    batch_size=32, lrs=[0.1], steps=3, **args)


@pytest.mark.parametrize("overrides, error, message", [
    ({"loss_fn": lambda out, y: nn.functional.cross_entropy(out, y, reduction="none")},
     InvalidConfigError, r"loss_fn returned a tensor of shape \(32,\), not a scalar.*reduction='mean'"),
    ({"loss_fn": lambda out, y: 0.5}, InvalidConfigError, "loss_fn returned float, not a tensor"),
    ({"loss_fn": lambda out, y: out.detach().mean()}, InvalidConfigError, "does not depend on the model's parameters"),
    ({"model": nn.Sequential(nn.Identity())}, InvalidConfigError, "has no trainable parameters"),
    ({"model": "mlp"}, InvalidConfigError, "model must be a torch.nn.Module or a factory"),
    ({"optimizer": lambda params, lr: torch.optim.SGD(params, lr=0.1)}, InvalidConfigError,
     r"ignores its lr argument.*lambda params, lr"),
    ({"optimizer": 0.1}, InvalidConfigError, "optimizer must be a torch.optim.Optimizer"),
    ({"train_data": torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.zeros(0, 8)))},
     DataError, "train_data yielded no batches"),
    ({"train_data": (torch.zeros(0, 8), torch.zeros(0))}, DataError, "the tensors have no rows"),
    ({"train_data": (torch.zeros(10, 8), torch.zeros(9))}, DataError, "must share their first dimension"),
    ({"train_data": [{"x": torch.zeros(4, 8)}]}, DataError,
     r"a batch must be a sequence \(\*inputs, target\).*batch_loss"),
    ({"model": nn.Linear(5, 3)}, InvalidConfigError,
     r"forward or the loss_fn raised on the first training batch.*mat1"),
    ({"mode": "fast"}, InvalidConfigError, "mode must be one of auto, vectorized, sequential, got 'fast'"),
    ({"amp": "fp8"}, InvalidConfigError, "amp must be None, 'bf16' or 'fp16', got 'fp8'"),
    ({"accumulation_steps": 0}, InvalidConfigError, "accumulation_steps must be an integer >= 1, got 0"),
    ({"device": "cuda:0"}, InvalidConfigError, "sees no GPU") if not torch.cuda.is_available() else
    ({"device": "nonsense"}, InvalidConfigError, "is not a torch device"),
])
def test_bad_input_raises_a_clear_lrscout_error(overrides, error, message):
    with pytest.raises(error, match=message):
        _sweep(**overrides)


def test_an_optimizer_factory_that_trains_the_users_model_is_refused():
    model = mlp()
    X, Y = classification()
    with pytest.raises(InvalidConfigError, match="holds parameters it was not given"):
        lt.sweep(model, lambda params, lr: torch.optim.SGD(model.parameters(), lr=lr), cross_entropy, (X, Y),
                 lrs=[0.1], steps=2)


def test_an_optimizer_over_tensors_outside_the_model_is_refused():
    model = mlp()
    stray = torch.zeros(3, requires_grad=True)
    X, Y = classification()
    with pytest.raises(InvalidConfigError, match="group 0 holds 1 tensor.*not parameters of the model"):
        lt.sweep(model, torch.optim.SGD([*model.parameters(), stray], lr=0.1), cross_entropy, (X, Y),
                 lrs=[0.1], steps=2)


def test_tensor_validation_data_counts_every_row_once_in_order():
    X, Y = classification(n=37)
    source = BatchSource((X, Y), name="val_data", device=torch.device("cpu"), batch_size=16, evaluation=True)
    batches = source.one_pass()
    assert [len(b[0]) for b in batches] == [16, 16, 5]
    assert torch.equal(torch.cat([b[0] for b in batches]), X)


class _TinyGRU(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed, self.gru, self.out = nn.Embedding(12, 8), nn.GRU(8, 8, batch_first=True), nn.Linear(8, 12)

    def forward(self, tokens):
        hidden, _ = self.gru(self.embed(tokens))
        return self.out(hidden[:, -1])


def test_a_model_whose_validation_vmap_cannot_batch_runs_sequentially_in_auto_mode():
    # a GRU batches under vmap with gradients but not in eval mode without them (aten::gru.input)
    torch.manual_seed(0)
    tokens = torch.randint(0, 12, (96, 6))
    result = lt.sweep(_TinyGRU(), torch.optim.Adam, cross_entropy, (tokens[:64], tokens[:64, 0]),
                      val_data=(tokens[64:], tokens[64:, 0]), batch_size=16, steps=8, lrs=[1e-3, 1e-2])
    assert result.config["mode"] == "sequential" and "vmap cannot batch" in result.config["mode_reason"]
    assert all(c.val_loss is not None and math.isfinite(c.val_loss) for c in result.candidates)


def test_adam_rates_far_above_the_edge_that_diverge_with_their_loss_are_not_exploding_gradients():
    # Adam moves every weight by ~lr whatever the gradient: at lr 1 and 10 a CNN's gradient jumps
    # 1e5x in the same step as its loss. That is divergence (the verdicts say so), not a cliff.
    from sklearn.datasets import load_digits

    from lrscout import FindingKind

    X, y = load_digits(return_X_y=True)
    images, labels = torch.tensor(X[:512] / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8), torch.tensor(y[:512])
    torch.manual_seed(0)
    cnn = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 16, 10))
    result = lt.sweep(cnn, torch.optim.Adam, cross_entropy, (images, labels), batch_size=32, steps=40,
                      lrs=[1e-3, 1e-2, 1e-1, 1.0, 10.0], mode="sequential")
    assert [c.kind.value for c in result.candidates][-2:] == ["diverged", "diverged"]
    assert FindingKind.EXPLODING_GRADIENTS not in {f.kind for f in result.findings}


def test_the_batch_size_tensors_are_cut_into_is_recorded():
    X, Y = classification(n=96)
    result = lt.sweep(mlp(), torch.optim.SGD, cross_entropy, (X, Y), batch_size=24, lrs=[0.1], steps=5)
    assert result.config["batch_size"] == 24
    assert lt.sweep(mlp(), torch.optim.SGD, cross_entropy, (X, Y), lrs=[0.1], steps=5).config["batch_size"] == 96


def test_unusable_setups_fail_at_once_saying_what_to_do():
    X, Y = classification(n=64)
    with pytest.raises(InvalidConfigError, match="cannot sweep LBFGS"):
        lt.sweep(mlp(), torch.optim.LBFGS, cross_entropy, (X, Y), batch_size=32, lrs=[0.1], steps=10)
    with torch.device("meta"):
        on_meta = mlp()
    with pytest.raises(InvalidConfigError, match="meta device"):
        lt.sweep(on_meta, torch.optim.SGD, cross_entropy, (X, Y), batch_size=32, lrs=[0.1], steps=10)
    broken = X.clone()
    broken[0, 0] = float("nan")
    with pytest.raises(DataError, match="at the starting weights, before any step"):
        lt.sweep(mlp(), torch.optim.SGD, cross_entropy, (broken, Y), batch_size=64, lrs=[0.1], steps=10)

    class NoLength(torch.utils.data.Dataset):
        def __getitem__(self, i):
            return X[i], Y[i]

    with pytest.raises(DataError, match="has no __len__"):
        lt.sweep(mlp(), torch.optim.SGD, cross_entropy, NoLength(), batch_size=32, lrs=[0.1], steps=10)


def test_an_iterable_dataset_of_examples_is_batched_with_batch_size():
    X, Y = classification(n=256)

    class Examples(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(zip(X, Y))

    result = lt.sweep(mlp(), torch.optim.SGD, cross_entropy, Examples(), batch_size=32, lrs=[0.1], steps=10)
    assert result.config["batch_size"] == 32 and result.candidates[0].kind is not None


def test_a_later_batch_that_breaks_the_model_fails_the_candidates_instead_of_the_sweep_in_auto_mode():
    X, Y = classification(n=256)
    batches = [(X[i:i + 32], Y[i:i + 32]) for i in range(0, 256, 32)]
    batches[1] = (torch.randn(32, X.shape[1] - 1), Y[:32])         # the wrong width, after the first batch
    result = lt.sweep(mlp(), torch.optim.SGD, cross_entropy, batches, lrs=[0.01, 0.1], steps=20)
    assert all(c.kind.value == "failed" for c in result.candidates)
    assert "timing the engines raised" in result.config["mode_reason"]


def test_a_warm_up_scheduler_at_lr_0_keeps_the_groups_base_rates():
    model = mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: step / 100)    # sets lr to 0 for now
    X, Y = classification(n=64)
    result = lt.sweep(model, optimizer, cross_entropy, (X, Y), batch_size=32, lrs=[0.1], steps=10)
    assert result.config["param_group_lr_ratios"] == [1.0]


@pytest.mark.parametrize("empty", ["list", "loader", "generator"])
def test_an_empty_val_data_is_refused_before_any_candidate_trains(empty):
    X, Y = classification(n=64)
    val = {"loader": lambda: loader(X[:0], Y[:0], shuffle=False), "generator": lambda: iter(()),
           "list": lambda: []}[empty]()
    calls = []

    def counting_loss(output, target):
        calls.append(1)
        return cross_entropy(output, target)

    with pytest.raises(DataError, match="val_data yielded no batches"):
        lt.sweep(mlp(), torch.optim.SGD, counting_loss, loader(X, Y), val_data=val, lrs=[0.01, 0.1], steps=5,
                 mode="sequential")
    assert calls == []                  # refused while the data were read, before even the first forward
