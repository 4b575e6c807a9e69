"""A learning rate per named parameter group: after the base rate, each other group's ratio to it
is trained, read and chosen like any candidate; the rates reach the schedule recommendation, an
optimizer (apply_group_rates) and to_torch; bad group specifications say what to fix."""

from __future__ import annotations

import copy
import math

import pytest

from torch_kit import assert_unchanged, snapshot, torch

import lrscout
import lrscout.torch as lt
from lrscout.schedules import to_torch

nn = torch.nn
ce = nn.functional.cross_entropy


def _teacher_data(n: int, readout: torch.Tensor, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Labels read out of a fixed random feature map: a pretrained body can learn those features."""
    g = torch.Generator().manual_seed(0)
    features = torch.randn(32, 16, generator=g) / 4
    gx = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 16, generator=gx)
    logits = torch.tanh(X @ features.T) @ readout.T
    return X, (logits + 0.1 * torch.randn(logits.shape, generator=gx)).argmax(1)


def _finetune_setup() -> tuple[nn.Module, tuple, tuple]:
    """A body pretrained on a 10-class task, a new 4-class head, 64 labelled rows to fine-tune on:
    training the body as fast as the head fits those 64 rows at the expense of the features."""
    g = torch.Generator().manual_seed(1)
    task_a, task_b = torch.randn(10, 32, generator=g), torch.randn(4, 32, generator=g)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        body = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh())
        head_a = nn.Linear(64, 10)
        X, Y = _teacher_data(2000, task_a, seed=1)
        opt = torch.optim.Adam([*body.parameters(), *head_a.parameters()], 3e-3)
        gi = torch.Generator().manual_seed(2)
        for _ in range(200):
            i = torch.randint(0, len(X), (64,), generator=gi)
            opt.zero_grad()
            ce(head_a(body(X[i])), Y[i]).backward()
            opt.step()
        torch.manual_seed(2)
        model = nn.Sequential()
        model.add_module("body", body)
        model.add_module("head", nn.Linear(64, 4))
    return model, _teacher_data(64, task_b, seed=2), _teacher_data(1000, task_b, seed=3)


@pytest.fixture(scope="module")
def finetune():
    return _finetune_setup()


LRS = [1e-3, 1e-2, 1e-1, 1.0]


@pytest.fixture(scope="module")
def searched(finetune):
    model, train, val = finetune
    return lt.sweep(model, torch.optim.Adam, ce, train, batch_size=16, val_data=val, lrs=LRS, steps=60,
                    mode="sequential", groups={"head": model.head, "body": model.body})



def test_each_group_after_the_first_is_searched_at_ratios_of_the_chosen_rate_and_read_like_a_candidate(searched):
    result = searched
    base = result.chosen_lr
    assert base is not None
    head, body = result.groups
    assert (head.name, head.lr, head.ratio) == ("head", base, 1.0)
    assert head.params == ("head.weight", "head.bias") and len(body.params) == 4
    # the body's candidates: the chosen rate times 1, 1/3, 1/10, 1/30, each with a verdict and a validation loss
    assert [c.lr for c in body.candidates] == pytest.approx([base / 30, base / 10, base / 3, base])
    assert all(c.verdict.reason and c.val_loss is not None for c in body.candidates)
    assert body.decision is not None and body.lr == body.decision.lr and body.ratio == pytest.approx(body.lr / base)
    assert result.group_lrs == {"head": base, "body": body.lr}
    assert result.config["group_ratios"] == pytest.approx([1, 1 / 3, 1 / 10, 1 / 30])
    assert result.config["group_search_steps"] == sum(c.steps_used for c in body.candidates)
    # the evidence survives a round trip and is in the summary
    assert lrscout.SweepResult.from_json(result.to_json()) == result
    assert "learning rate per parameter group:" in result.summary() and body.reasons[0] in result.summary()


def test_the_pretrained_body_gets_a_smaller_rate_when_it_validates_better_by_more_than_the_margin(searched):
    result = searched
    body = result.groups[1]
    at_base = body.candidates[-1]
    chosen = next(c for c in body.candidates if c.lr == body.lr)
    # measured: the body at the head's rate validated 19% worse than at a third of it
    assert body.ratio < 1
    assert chosen.val_loss < (1 - result.thresholds.val_margin) * at_base.val_loss
    assert "validation re-check" in " ".join(body.reasons)


def test_without_validation_data_every_ratio_reads_good_and_the_group_keeps_the_chosen_rate(finetune):
    model, train, _ = finetune
    result = lt.sweep(model, torch.optim.Adam, ce, train, batch_size=16, lrs=[1e-3, 1e-2, 1e-1], steps=40,
                      mode="sequential", groups={"head": "head", "body": lambda name: True})
    body = result.groups[1]
    assert all(c.kind is lrscout.VerdictKind.GOOD for c in body.candidates)
    assert body.ratio == 1.0 and body.lr == result.chosen_lr
    assert "no validation data" in " ".join(body.reasons)
    assert not any("largest rate tried" in a for a in body.decision.advice)


def test_groups_leave_the_users_model_optimizer_and_random_state_bit_for_bit_unchanged(finetune):
    model, train, val = finetune
    model = copy.deepcopy(model)
    optimizer = torch.optim.AdamW([{"params": model.body.parameters(), "weight_decay": 0.1},
                                   {"params": model.head.parameters(), "weight_decay": 0.0}], lr=1e-3)
    before = snapshot(model, optimizer)
    result = lt.sweep(model, optimizer, ce, train, batch_size=16, val_data=val, lrs=[1e-3, 1e-2], steps=20,
                      groups={"head": model.head, "body": model.body})
    assert len(result.groups[1].candidates) == 4
    assert_unchanged(before, snapshot(model, optimizer))


def test_group_search_follows_a_vectorized_sweep_and_a_factory_optimizer(finetune):
    model, train, val = finetune
    result = lt.sweep(model, lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9), ce, train,
                      batch_size=16, val_data=val, lrs=[1e-3, 1e-2, 1e-1], steps=20, mode="vectorized",
                      groups={"head": ["head.weight", "head.bias"], "body": model.body}, group_ratios=[1, 0.25])
    assert result.config["mode"] == "vectorized"
    assert [c.lr for c in result.groups[1].candidates] == pytest.approx([result.chosen_lr / 4, result.chosen_lr])


def test_with_no_rate_chosen_the_groups_say_they_were_not_searched(finetune):
    model, train, _ = finetune
    result = lt.sweep(model, torch.optim.SGD, ce, train, batch_size=16, lrs=[1e3, 1e4], steps=10,
                      groups={"head": model.head, "body": model.body})
    assert result.chosen_lr is None and result.group_lrs == {}
    assert all(g.lr is None and "not searched" in g.reasons[0] for g in result.groups)
    with pytest.raises(lrscout.InvalidConfigError, match="no per-group rates"):
        lt.apply_group_rates(torch.optim.SGD(model.parameters(), lr=0.1), model, result)


@pytest.mark.parametrize("groups, ratios, message", [
    ({"head": "head"}, None, "at least two"),
    ({"head": "head", "body": "bod"}, None, r"4 trainable parameter\(s\) belong to no group \(body.0.weight"),
    ({"all": lambda n: True, "head": "head"}, None, r"groups\['head'\] holds no trainable parameter"),
    ({"head": "head", "body": 3}, None, r"groups\['body'\] must be a submodule"),
    ({"head": "", "body": "body"}, None, "empty prefix"),
    ({"head": nn.Linear(2, 2), "body": "body"}, None, "holds no parameter of the model"),
    ({"head": "head", "body": "body"}, [1, 0], "positive finite"),
    ({"head": "head", "body": "body"}, [1, 1.0], "twice"),
    ({"head": "head", "body": "body"}, "fast", "positive numbers"),
])
def test_bad_groups_or_ratios_raise_a_config_error_naming_them(finetune, groups, ratios, message):
    model, train, _ = finetune
    extra = {} if ratios is None else {"group_ratios": ratios}
    with pytest.raises(lrscout.InvalidConfigError, match=message):
        lt.sweep(model, torch.optim.SGD, ce, train, batch_size=16, lrs=[1e-2], steps=5, groups=groups, **extra)


def test_a_module_group_needs_the_model_itself_not_a_factory(finetune):
    model, train, _ = finetune
    with pytest.raises(lrscout.InvalidConfigError, match="given as a factory"):
        lt.sweep(lambda: copy.deepcopy(model), torch.optim.SGD, ce, train, batch_size=16, lrs=[1e-2], steps=5,
                 groups={"head": model.head, "body": "body"})


def test_apply_group_rates_splits_each_parameter_group_and_keeps_its_other_settings_and_state(finetune, searched):
    model = copy.deepcopy(finetune[0])
    decay = [p for n, p in model.named_parameters() if n.endswith("weight")]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias")]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=searched.chosen_lr)
    ce(model(finetune[1][0]), finetune[1][1]).backward()
    optimizer.step()
    state = {id(p): copy.deepcopy(s) for p, s in optimizer.state.items()}
    lt.apply_group_rates(optimizer, model, searched)
    rates = searched.group_lrs
    by_group = {(g["lrscout_group"], g["weight_decay"]): g["lr"] for g in optimizer.param_groups}
    assert by_group == {("body", 0.1): pytest.approx(rates["body"]), ("head", 0.1): pytest.approx(rates["head"]),
                        ("body", 0.0): pytest.approx(rates["body"]), ("head", 0.0): pytest.approx(rates["head"])}
    assert sum(len(g["params"]) for g in optimizer.param_groups) == len(list(model.parameters()))
    assert all(torch.equal(optimizer.state[p]["exp_avg"], state[id(p)]["exp_avg"]) for p in model.parameters())
    with pytest.raises(lrscout.InvalidConfigError, match="already split"):
        lt.apply_group_rates(optimizer, model, searched)


def test_the_recommended_schedule_reaches_each_group_through_apply_group_rates_and_to_torch(finetune, searched):
    model = copy.deepcopy(finetune[0])
    rec = searched.recommend_schedule(200)
    assert rec.group_peaks == pytest.approx(searched.group_lrs)
    assert "per parameter group" in rec.reasons[-1]
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)       # only ratios matter to to_torch
    lt.apply_group_rates(optimizer, model, searched)
    scheduler = to_torch(rec.schedule, optimizer)
    for step in range(200):
        if step in (0, 10, 60, 199):
            for group in optimizer.param_groups:
                want = rec.group_schedule(group["lrscout_group"])(step)
                assert math.isclose(group["lr"], want, rel_tol=1e-9, abs_tol=1e-15)
        optimizer.step()
        scheduler.step()
    with pytest.raises(lrscout.InvalidConfigError, match="no parameter group named 'neck'"):
        rec.group_schedule("neck")


@pytest.mark.parametrize("make", [
    lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda step: min(1.0, (step + 1) / 10)),
    lambda opt: torch.optim.lr_scheduler.SequentialLR(
        opt, [torch.optim.lr_scheduler.LinearLR(opt, 0.1, total_iters=5), torch.optim.lr_scheduler.StepLR(opt, 5)],
        milestones=[5]),
    lambda opt: torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[0.1, 0.05], total_steps=20),
])
def test_schedulers_built_before_the_split_follow_it(finetune, searched, make):
    model = copy.deepcopy(finetune[0])
    optimizer = torch.optim.SGD([{"params": model.body.parameters()}, {"params": model.head.parameters()}], lr=0.1)
    scheduler = make(optimizer)
    twin_model = copy.deepcopy(model)
    twin = torch.optim.SGD([{"params": twin_model.body.parameters()}, {"params": twin_model.head.parameters()}],
                           lr=0.1)
    twin_scheduler = make(twin)
    lt.apply_group_rates(optimizer, model, searched, schedulers=[scheduler])
    ratio = searched.groups[1].ratio
    for _ in range(12):
        optimizer.step()
        scheduler.step()
        twin.step()
        twin_scheduler.step()
        # each part follows its parent group's schedule, times its group's ratio
        want = {("body", 0): twin.param_groups[0]["lr"] * ratio, ("head", 0): twin.param_groups[0]["lr"],
                ("body", 1): twin.param_groups[1]["lr"] * ratio, ("head", 1): twin.param_groups[1]["lr"]}
        got = {}
        for group in optimizer.param_groups:
            parent = 0 if any(p is q for p in group["params"] for q in model.body.parameters()) and \
                group["lrscout_group"] == "body" else 1
            got[(group["lrscout_group"], parent)] = group["lr"]
        assert got[("body", 0)] == pytest.approx(want[("body", 0)])
        assert got[("head", 1)] == pytest.approx(want[("head", 1)])


def test_a_scheduler_with_per_group_state_lrscout_cannot_split_is_refused_before_anything_changes(finetune, searched):
    model = copy.deepcopy(finetune[0])
    optimizer = torch.optim.SGD([{"params": model.body.parameters()}, {"params": model.head.parameters()}], lr=0.1)

    class PerGroupWarmup(torch.optim.lr_scheduler.LRScheduler):
        def __init__(self, opt):
            self.warmups = [5, 10]
            super().__init__(opt)

        def get_lr(self):
            return [b * min(1, (self.last_epoch + 1) / w) for b, w in zip(self.base_lrs, self.warmups)]

    scheduler = PerGroupWarmup(optimizer)
    groups_before = [dict(g) for g in optimizer.param_groups]
    with pytest.raises(lrscout.InvalidConfigError, match=r"PerGroupWarmup keeps per-group values in \['warmups'\]"):
        lt.apply_group_rates(optimizer, model, searched, schedulers=[scheduler])
    assert [dict(g) for g in optimizer.param_groups] == groups_before

