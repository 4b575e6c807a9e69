"""The user's objects and the process's random state are left exactly as they were, bit for bit,
after a sweep or a range test -- also when the search raises midway -- and nothing is written."""

from __future__ import annotations

import builtins
import os
import random

import numpy as np
import pytest

from torch_kit import (assert_unchanged, classification, cross_entropy, loader, mlp, snapshot,
                            trained_setup, torch)

import lrscout.torch as lt

nn = torch.nn


def _seed_everything() -> None:
    torch.manual_seed(123)
    np.random.seed(123)
    random.seed(123)


@pytest.mark.parametrize("batchnorm, mode", [(True, "sequential"), (False, "vectorized")])
def test_sweep_leaves_model_optimizer_and_rngs_bit_for_bit_unchanged(batchnorm, mode):
    model, optimizer = trained_setup(batchnorm=batchnorm)
    optimizer.state.clear()       # the vectorized rules start from fresh moments
    X, Y = classification()
    _seed_everything()
    before = snapshot(model, optimizer)
    result = lt.sweep(model, optimizer, cross_entropy, loader(X, Y), val_data=(X[:64], Y[:64]),
                      lrs=[1e-3, 1e-1, 10.0], steps=12, mode=mode)
    assert len(result.candidates) == 3 and result.config["mode"] == mode
    assert_unchanged(before, snapshot(model, optimizer))


def test_optimizer_state_from_earlier_training_is_used_but_never_written():
    model, optimizer = trained_setup()
    X, Y = classification()
    before = snapshot(model, optimizer)
    result = lt.sweep(model, optimizer, cross_entropy, loader(X, Y), lrs=[1e-2], steps=12)
    assert result.config["mode"] == "sequential"
    assert "state from earlier training" in result.config["mode_reason"] or "BatchNorm" in result.config["mode_reason"]
    assert_unchanged(before, snapshot(model, optimizer))


def test_range_test_leaves_everything_unchanged():
    model, optimizer = trained_setup()
    X, Y = classification()
    _seed_everything()
    before = snapshot(model, optimizer)
    lt.range_test(model, optimizer, cross_entropy, loader(X, Y), steps=30)
    assert_unchanged(before, snapshot(model, optimizer))


def test_eval_mode_model_is_left_in_eval_mode():
    model, optimizer = trained_setup(eval_mode=True)
    X, Y = classification()
    lt.sweep(model, optimizer, cross_entropy, (X, Y), batch_size=32, lrs=[1e-2], steps=5)
    lt.range_test(model, optimizer, cross_entropy, (X, Y), batch_size=32, steps=10)
    assert not any(m.training for m in model.modules())


class _ModeRecorder(nn.Module):
    """Records the training flag each forward ran with."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(8, 3)
        self.seen: list[bool] = []

    def forward(self, x):
        self.seen.append(self.training)
        return self.linear(x)


def test_search_trains_in_train_mode_and_validates_in_eval_mode_whatever_mode_the_model_is_in():
    model = _ModeRecorder().eval()
    X, Y = classification()
    problem = lt.TorchProblem(model, torch.optim.SGD, cross_entropy, (X, Y), val_data=(X[:32], Y[:32]),
                              batch_size=32, mode="sequential")
    problem.train([0.1], 4)
    copy_seen = problem.bench.model.seen
    # preflight (train), then 4 training steps (train) and one validation batch (eval)
    assert copy_seen[-5:] == [True, True, True, True, False]
    assert model.seen == [] and not model.training


class _Abort(BaseException):
    """Not an Exception: a candidate cannot swallow it, so it aborts the whole search."""


def test_state_is_restored_when_the_search_raises_midway():
    model, optimizer = trained_setup()
    X, Y = classification()
    calls = {"n": 0}

    def exploding_loss(output, target):
        calls["n"] += 1
        if calls["n"] == 15:          # preflight, then the first candidate, then partway into the second
            raise _Abort()
        return cross_entropy(output, target)

    _seed_everything()
    torch.set_num_threads(1)
    before = snapshot(model, optimizer)
    with pytest.raises(_Abort):
        lt.sweep(model, optimizer, exploding_loss, loader(X, Y), lrs=[1e-3, 1e-2], steps=10,
                 mode="sequential", num_threads=2)
    assert_unchanged(before, snapshot(model, optimizer))


def test_state_is_restored_when_a_callback_raises_between_rounds():
    model, optimizer = trained_setup()
    X, Y = classification()

    def stop_after_first_round(event):
        raise RuntimeError("user callback failed")

    _seed_everything()
    before = snapshot(model, optimizer)
    with pytest.raises(RuntimeError, match="user callback failed"):
        lt.sweep(model, optimizer, cross_entropy, loader(X, Y), steps=8, on_batch=stop_after_first_round)
    assert_unchanged(before, snapshot(model, optimizer))


def test_threads_are_set_for_the_search_and_restored_after():
    X, Y = classification()
    seen = []

    def loss(output, target):
        seen.append(torch.get_num_threads())
        return cross_entropy(output, target)

    torch.set_num_threads(1)
    result = lt.sweep(mlp(), torch.optim.SGD, loss, (X, Y), batch_size=32, lrs=[0.1], steps=3,
                      mode="sequential", num_threads=2)
    assert set(seen) == {2}
    assert torch.get_num_threads() == 1
    assert result.config["torch_threads"] == 2 and "num_threads" in result.config["torch_threads_set_by"]


def test_nothing_is_written_to_disk_and_a_read_only_directory_works(tmp_path, monkeypatch):
    X, Y = classification()
    model = mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    readonly = tmp_path / "ro"
    readonly.mkdir()
    readonly.chmod(0o555)
    monkeypatch.chdir(readonly)
    real_open = builtins.open

    def no_writes(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+"):
            raise PermissionError(f"lrscout tried to write {file!r}")
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", no_writes)
    try:
        result = lt.sweep(model, optimizer, cross_entropy, loader(X, Y), lrs=[1e-2, 1e-1], steps=10,
                          range_test={"steps": 20})
    finally:
        monkeypatch.undo()
        readonly.chmod(0o755)
    assert result.chosen_lr is not None and result.range_test is not None
    assert os.listdir(readonly) == [] and sorted(os.listdir(tmp_path)) == ["ro"]


@pytest.mark.parametrize("mode", ["sequential", "vectorized"])
def test_every_candidate_starts_from_the_same_state_and_batches(mode):
    X, Y = classification()
    problem = lt.TorchProblem(mlp(dropout=0.3), torch.optim.SGD, cross_entropy, loader(X, Y), mode=mode,
                              optimizer_kwargs={"momentum": 0.9})
    together = {t.lr: t for t in problem.train([1e-2, 1e-1, 1.0], 15)}
    alone = problem.train([1e-1], 15)[0]
    # same start, same first batch, same dropout mask: the loss before any update is identical
    assert len({t.train_loss[0] for t in together.values()}) == 1
    np.testing.assert_array_equal(alone.train_loss, together[1e-1].train_loss)


# the engine is named: "auto" picks it by timing, and the two engines agree only to the last digits
@pytest.mark.parametrize("mode", ["sequential", "vectorized"])
def test_a_sweep_of_a_model_with_dropout_repeats_with_the_same_seed_whatever_the_callers_rng(mode):
    X, Y = classification(n=256)

    def model():
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Dropout(0.5),
                                   torch.nn.Linear(32, 3))

    curves = []
    for callers_seed in (1, 2):
        torch.manual_seed(callers_seed)              # whatever the caller's generator holds
        result = lt.sweep(model(), torch.optim.SGD, cross_entropy, (X, Y), batch_size=32, lrs=[0.1], steps=20,
                          seed=7, mode=mode)
        curves.append(result.candidates[0].train_loss)
    assert np.array_equal(curves[0], curves[1])
    other = lt.sweep(model(), torch.optim.SGD, cross_entropy, (X, Y), batch_size=32, lrs=[0.1], steps=20, seed=8,
                     mode=mode)
    assert not np.array_equal(curves[0], other.candidates[0].train_loss)


@pytest.mark.parametrize("mode", ["vectorized", "sequential"])
def test_a_shuffling_dataloader_without_a_generator_gives_the_same_batches_whatever_the_callers_rng(mode):
    X, Y = classification(n=128)          # 4 batches a pass: 20 steps reshuffle five times
    curves = []
    for callers_seed in (1, 2):
        torch.manual_seed(callers_seed)
        result = lt.sweep(mlp(), torch.optim.SGD, cross_entropy, loader(X, Y), lrs=[0.1], steps=20, mode=mode)
        curves.append(result.candidates[0].train_loss)
    assert np.array_equal(curves[0], curves[1])


def test_a_dataloader_with_its_own_generator_is_left_where_it_was_and_gives_the_same_result_twice():
    X, Y = classification(n=128)
    generator = torch.Generator().manual_seed(123)
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, Y), batch_size=32, shuffle=True,
                                       generator=generator)
    before = generator.get_state()
    runs = [lt.sweep(mlp(), torch.optim.SGD, cross_entropy, data, lrs=[0.1], steps=20, mode="sequential")
            for _ in range(2)]
    assert torch.equal(generator.get_state(), before)
    assert np.array_equal(runs[0].candidates[0].train_loss, runs[1].candidates[0].train_loss)
