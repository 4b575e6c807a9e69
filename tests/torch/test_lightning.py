"""The Lightning entry points sweep a LightningModule with its own configure_optimizers and
training_step: as a plain function, and as a callback inside a real Trainer.fit on CPU."""

from __future__ import annotations

import warnings

import pytest

from torch_kit import assert_unchanged, classification, loader, snapshot, torch

pl = pytest.importorskip("pytorch_lightning")

import lrscout                                                     # noqa: E402
from lrscout.torch.lightning import LRScoutCallback, sweep_lightning  # noqa: E402

nn = torch.nn


class Classifier(pl.LightningModule):
    def __init__(self, lr: float = 0.05):
        super().__init__()
        self.lr = lr
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            self.net = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.cross_entropy(self.net(x), y)
        self.log("train_loss", loss)
        return {"loss": loss}

    def configure_optimizers(self):
        backbone, head = self.net[0].parameters(), self.net[-1].parameters()
        optimizer = torch.optim.SGD([{"params": backbone, "lr": self.lr * 0.1}, {"params": head}],
                                    lr=self.lr, momentum=0.9)
        return {"optimizer": optimizer, "lr_scheduler": torch.optim.lr_scheduler.StepLR(optimizer, 10)}


def _trainer(max_steps=3, **kwargs):
    return pl.Trainer(max_steps=max_steps, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False, **kwargs)


def test_sweep_lightning_uses_the_modules_optimizer_and_training_step():
    X, Y = classification()
    module = Classifier()
    before = snapshot(module)
    result = sweep_lightning(module, loader(X, Y), val_dataloaders=loader(X[:64], Y[:64]),
                             lrs=[1e-3, 1e-2, 1e-1, 1.0, 100.0], steps=30)
    assert isinstance(result, lrscout.SweepResult) and result.chosen_lr is not None
    assert result.config["optimizer"] == "SGD" and result.config["param_group_lr_ratios"] == [0.1, 1.0]
    assert all(c.val_loss is not None for c in result.candidates if not c.trace.pruned)
    assert_unchanged(before, snapshot(module))


def test_sweep_lightning_and_the_callback_clip_gradients_when_given_max_grad_norm(tmp_path):
    X, Y = classification()

    def first_step(**options):
        trace = sweep_lightning(Classifier(), loader(X, Y, shuffle=False), lrs=[0.5], steps=3, mode="sequential",
                                **options).candidates[0].trace
        return trace.grad_norm[0], trace.update_ratio[0]

    norm, free = first_step()
    same_norm, clipped = first_step(max_grad_norm=0.01)
    assert same_norm == norm and norm > 0.01
    # the first SGD step is lr x gradient in every group, so clipping scales the whole update
    assert clipped / free == pytest.approx(0.01 / (norm + 1e-6), rel=1e-4)
    callback = LRScoutCallback(lrs=[0.01, 0.1], steps=3, mode="sequential", max_grad_norm=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # Lightning's own notices, as in the tests below
        _trainer(max_steps=20, callbacks=[callback], default_root_dir=tmp_path).fit(Classifier(), loader(X, Y))
    assert callback.result.config["max_grad_norm"] == 0.5


def test_callback_sweeps_inside_a_real_trainer_and_trains_at_the_chosen_lr(tmp_path):
    X, Y = classification()
    callback = LRScoutCallback(lrs=[1e-3, 1e-2, 1e-1, 1.0], steps=25)
    module = Classifier()
    start = {n: p.detach().clone() for n, p in module.named_parameters()}
    seen_at_first_step = {}

    class Spy(pl.Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            if not seen_at_first_step:
                seen_at_first_step.update({n: p.detach().clone() for n, p in pl_module.named_parameters()})

    trainer = _trainer(callbacks=[callback, Spy()], default_root_dir=tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # Lightning's own notices about tiny dataloaders
        trainer.fit(module, loader(X, Y))
    chosen = callback.result.chosen_lr
    assert chosen is not None
    groups = trainer.optimizers[0].param_groups
    assert [g["lr"] for g in groups] == pytest.approx([chosen * 0.1, chosen])
    assert trainer.lr_scheduler_configs[0].scheduler.base_lrs == pytest.approx([chosen * 0.1, chosen])
    # the sweep trained a copy: Trainer.fit's first step saw the module's own starting weights
    assert all(torch.equal(start[n], seen_at_first_step[n]) for n in start)


class ScheduledClassifier(Classifier):
    """One parameter group under a scheduler whose first lr is not its peak."""

    def __init__(self, scheduler: str):
        super().__init__()
        self.scheduler = scheduler

    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=0.1)
        if self.scheduler == "one_cycle":
            scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=100)
        else:   # a linear warm-up from 10% of the rate
            scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, 0.1 + step / 10))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


@pytest.mark.parametrize("scheduler", ["one_cycle", "warmup"])
def test_callback_makes_the_schedules_peak_the_chosen_lr(tmp_path, scheduler):
    X, Y = classification()
    callback = LRScoutCallback(lrs=[1e-3, 1e-2, 1e-1, 1.0], steps=25)
    trainer = _trainer(callbacks=[callback], default_root_dir=tmp_path, max_steps=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(ScheduledClassifier(scheduler), loader(X, Y))
    chosen = callback.result.chosen_lr
    assert chosen is not None
    group = trainer.optimizers[0].param_groups[0]
    if scheduler == "one_cycle":        # the peak is max_lr, the start max_lr / 25 as before
        assert group["max_lr"] == pytest.approx(chosen) and group["initial_lr"] == pytest.approx(chosen / 25)
    else:                               # the warm-up still climbs from 10% to the chosen lr
        assert group["initial_lr"] == pytest.approx(chosen)
        assert trainer.lr_scheduler_configs[0].scheduler.base_lrs == pytest.approx([chosen])


def test_callback_chooses_for_the_run_the_trainer_will_train(tmp_path):
    X, Y = classification()
    callback = LRScoutCallback()
    trainer = _trainer(callbacks=[callback], default_root_dir=tmp_path, max_steps=400)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(Classifier(), loader(X, Y))
    result = callback.result
    assert result.train_steps == trainer.estimated_stepping_batches == 400
    assert result.search_steps <= 120                   # 30% of the trainer's run
    assert "chosen for a 400-step run" in result.summary()


def test_sweep_lightning_reads_the_runs_length_from_a_trainer_and_an_explicit_one_wins(tmp_path):
    X, Y = classification()
    trainer = _trainer(default_root_dir=tmp_path, max_steps=500)
    from_trainer = sweep_lightning(Classifier(), loader(X, Y), trainer=trainer)
    assert from_trainer.train_steps == 500 and from_trainer.search_steps <= 150
    explicit = sweep_lightning(Classifier(), loader(X, Y), trainer=trainer, train_steps=1000)
    assert explicit.train_steps == 1000 and explicit.search_steps <= 300


def test_a_short_run_read_from_the_trainer_gets_the_smallest_search_never_more_than_the_run(tmp_path):
    X, Y = classification()
    result = sweep_lightning(Classifier(), loader(X, Y), trainer=_trainer(default_root_dir=tmp_path, max_steps=97))
    assert result.train_steps == 97 and result.config["budget_share"] == pytest.approx(50 / 97)
    assert result.search_steps <= 50


def test_a_trainer_without_an_end_leaves_the_choice_for_runs_of_about_its_window(tmp_path):
    from lrscout.torch.lightning import run_length

    endless = pl.Trainer(max_epochs=-1, max_steps=-1, accelerator="cpu", devices=1, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         default_root_dir=tmp_path)
    assert run_length(endless) is None


def test_sweep_lightning_and_the_callback_search_and_apply_a_rate_per_named_group(tmp_path):
    X, Y = classification()
    groups = {"head": "net.2", "body": "net.0"}
    result = sweep_lightning(Classifier(), loader(X, Y), val_dataloaders=loader(X[:64], Y[:64]),
                             lrs=[1e-3, 1e-2, 1e-1, 1.0], steps=20, groups=groups, group_ratios=[1, 0.1])
    assert result.chosen_lr is not None and set(result.group_lrs) == {"head", "body"}
    callback = LRScoutCallback(lrs=[1e-3, 1e-2, 1e-1, 1.0], steps=20, groups=groups, group_ratios=[1, 0.1])
    trainer = _trainer(callbacks=[callback], default_root_dir=tmp_path, max_steps=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(Classifier(), loader(X, Y), loader(X[:64], Y[:64]))
    chosen, ratio = callback.result.chosen_lr, callback.result.groups[1].ratio
    rates = {g["lrscout_group"]: g["lr"] for g in trainer.optimizers[0].param_groups}
    # the module's own 0.1x backbone ratio, times the body's searched ratio
    assert rates == {"head": pytest.approx(chosen), "body": pytest.approx(chosen * 0.1 * ratio)}
    assert trainer.lr_scheduler_configs[0].scheduler.base_lrs == pytest.approx([chosen * 0.1 * ratio, chosen])
