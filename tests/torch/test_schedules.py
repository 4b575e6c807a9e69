"""``to_torch``: a schedule driving a PyTorch optimizer, keeping the ratios between its groups."""

from __future__ import annotations

import io

import numpy as np
import pytest

from lrscout.core.schedules import constant, cosine_decay, linear_warmup, warmup_cosine

torch = pytest.importorskip("torch")

from lrscout.torch.schedules import to_torch  # noqa: E402  (needs torch)


def two_group_optimizer(lrs):
    torch = pytest.importorskip("torch")
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups)


def drive(scheduler, optimizer, steps):
    seen = []
    for _ in range(steps):
        seen.append([g["lr"] for g in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
    return np.array(seen)


def test_to_torch_gives_the_largest_group_the_schedule_and_keeps_the_others_ratio():
    schedule = warmup_cosine(0.5, 10, 100)
    optimizer = two_group_optimizer([0.1, 1.0])  # the head at 1x is second, the body at 0.1x
    seen = drive(to_torch(schedule, optimizer), optimizer, 100)
    np.testing.assert_allclose(seen[:, 1], schedule.values(100), rtol=1e-12)
    np.testing.assert_allclose(seen[:, 0], 0.1 * schedule.values(100), rtol=1e-12)


def test_to_torch_follows_a_warm_up_that_starts_at_zero():
    schedule = linear_warmup(0.3, 4)
    optimizer = two_group_optimizer([0.3, 0.03])
    seen = drive(to_torch(schedule, optimizer), optimizer, 6)
    np.testing.assert_allclose(seen, [[0, 0], [0.075, 0.0075], [0.15, 0.015], [0.225, 0.0225],
                                      [0.3, 0.03], [0.3, 0.03]], rtol=1e-12)


def test_to_torch_state_dict_resumes_from_a_weights_only_checkpoint():
    torch = pytest.importorskip("torch")
    schedule = cosine_decay(0.2, 20)
    optimizer = two_group_optimizer([1.0])
    scheduler = to_torch(schedule, optimizer)
    drive(scheduler, optimizer, 5)
    buffer = io.BytesIO()
    torch.save(scheduler.state_dict(), buffer)
    buffer.seek(0)
    resumed_optimizer = two_group_optimizer([1.0])
    resumed = to_torch(schedule, resumed_optimizer)
    resumed.load_state_dict(torch.load(buffer, weights_only=True))
    resumed.step()
    assert resumed_optimizer.param_groups[0]["lr"] == pytest.approx(schedule(6))


def test_to_torch_refuses_an_optimizer_whose_lrs_are_all_zero():
    with pytest.raises(ValueError, match="to_torch: .*lr must be positive"):
        to_torch(constant(0.1), two_group_optimizer([0.0, 0.0]))
