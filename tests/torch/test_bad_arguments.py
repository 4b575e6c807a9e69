"""``lrscout.torch.sweep`` and ``range_test`` answer every bad argument with an ``LrscoutError``
that names it, before any candidate trains (the same rule as ``test_api_bad_arguments``)."""

from __future__ import annotations

import math

import pytest

from torch_kit import classification, cross_entropy, torch

import lrscout
import lrscout.torch as lt
from lrscout.errors import LrscoutError

X, Y = classification(n=64)
nn = torch.nn


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Linear(8, 3)


def _sweep(**overrides):
    args = {"model": _model(), "optimizer": torch.optim.SGD, "loss_fn": cross_entropy, "train_data": (X, Y),
            "lrs": [0.01, 0.1], "steps": 4, "batch_size": 16, "mode": "sequential", **overrides}
    return lt.sweep(**args)


def _range_test(**overrides):
    args = {"model": _model(), "optimizer": torch.optim.SGD, "loss_fn": cross_entropy, "train_data": (X, Y),
            "steps": 5, "batch_size": 16, **overrides}
    return lt.range_test(**args)


SHARED = {
    "model": [None, "mlp", nn.Linear, 3],
    "optimizer": [None, "sgd", 3, torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)],
    "loss_fn": ["cross_entropy", 3],
    "train_data": [None, "data.csv", 3, [], (X, Y[:10]), (X[:0], Y[:0])],
    "batch_size": [0, -1, 2.5, "16"],
    "seed": [-1, 2.5, "0"],
    "device": ["gpu9", 3],
    "dtype": ["float128", 3],
    "amp": ["fp8", 3],
    "accumulation_steps": [0, 2.5, "2"],
    "max_grad_norm": [0, -1.0, math.nan, math.inf, "1", True],
    "num_threads": [0, 2.5, "2"],
    "optimizer_kwargs": [{"lr": 0.1}, "momentum=0.9", {"bogus_option": 1}],
}
SWEEP_ONLY = {
    "lrs": [[], [0.1, -1.0], "0.1", [math.nan]],
    "steps": [0, 2.5, "4"],                    # None is the default: the search's window
    "train_steps": [0, 2.5, "4", -1],
    "val_data": ["val.csv", [], (X[:0], Y[:0]), (X[:8], Y[:5])],
    "val_batches": [0, "2"],
    "mode": ["fast", 3],
    "chunk_size": [0, "2"],
    "range_test": [{"min_lr": -1.0}, {"bogus": 1}, {"spacing": "log"}],
    "thresholds": [None, {"val_margin": 0.1}],
    "prune": [None, "yes"],
    "planner": [object()],
    "on_batch": [3],
}
RANGE_ONLY = {
    "min_lr": [0, -1.0, math.nan, "1e-7"],
    "max_lr": [1e-8, math.inf],
    "steps": [1, 0, 2.5],
    "spacing": ["log", 3],
    "stop_factor": [1.0, math.nan],
}
NAMED = {"train_data": "train_data", "val_data": "val_data", "range_test": "range_test"}


def _cases(entry, table):
    for arg, values in table.items():
        for value in values:
            yield pytest.param(entry, arg, value, id=f"{entry}-{arg}={repr(value)[:30]}")


CASES = [*_cases("sweep", {**SHARED, **SWEEP_ONLY}), *_cases("range_test", {**SHARED, **RANGE_ONLY})]


@pytest.mark.parametrize(("entry", "arg", "bad"), CASES)
def test_a_bad_argument_raises_an_lrscout_error_that_names_it(entry, arg, bad):
    call = {"sweep": _sweep, "range_test": _range_test}[entry]
    if arg == "planner":
        call(lrs=None, planner=lrscout.FixedGrid([0.1]))        # the valid call this case varies
    else:
        call()
    overrides = {arg: bad, **({"lrs": None} if arg == "planner" else {})}
    with pytest.raises(LrscoutError) as caught:
        call(**overrides)
    message = str(caught.value)
    assert NAMED.get(arg, arg) in message or repr(bad) in message, f"{entry}({arg}={bad!r:.40}): {message}"
