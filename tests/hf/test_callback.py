"""LRScoutCallback in a real transformers Trainer, offline: it chooses the rate at on_train_begin,
trains at it (per named group too) exactly as a run given that rate would, keeps the Trainer's
own when nothing is good, and logs the decision with its reasons."""

from __future__ import annotations

import copy
import math
import warnings

import pytest

from hf_kit import Buckets, Sequences, bert_classifier, make_trainer, transformers
from torch_kit import torch

import lrscout
from lrscout.hf import LRScoutCallback


class LogSpy(transformers.TrainerCallback):
    """What reporters see: every on_log's logs, and the rates at the first step."""

    def __init__(self):
        self.logs: list[dict] = []
        self.first_step_lrs: list[float] | None = None

    def on_log(self, args, state, control, logs=None, **kwargs):
        self.logs.append(dict(logs or {}))

    def on_step_begin(self, args, state, control, optimizer=None, **kwargs):
        if self.first_step_lrs is None:
            self.first_step_lrs = [g["lr"] for g in optimizer.param_groups]


def test_the_callback_with_the_trainer_sweeps_sets_the_rate_and_logs_the_decision_to_the_reporters(
        bert_body, tmp_path):
    trainer = make_trainer(bert_classifier(bert_body), tmp_path, data=Buckets, weight_decay=0.01, warmup_steps=2,
                           max_steps=3)
    spy = LogSpy()
    callback = LRScoutCallback(trainer, lrs=[1e-4, 1e-3, 1e-2, 1e-1, 1.0], steps=15, mode="sequential",
                              train_steps=None)
    trainer.add_callback(callback)
    trainer.add_callback(spy)
    trainer.train()
    chosen = callback.result.chosen_lr
    assert chosen is not None
    # the warm-up now climbs to the chosen rate in both the decay and the no-decay group
    assert trainer.lr_scheduler.base_lrs == [chosen, chosen]
    assert spy.first_step_lrs == [0.0, 0.0]
    assert any(log.get("lrscout/chosen_lr") == chosen for log in spy.logs)
    text = next(entry["lrscout"] for entry in trainer.state.log_history if "lrscout" in entry)
    assert text.startswith(f"lrscout: training at {chosen:g}") and callback.result.decision.reasons[0] in text
    assert callback.result.config["hf_loss"] == "Trainer.compute_loss"


def test_the_callback_in_callbacks_trains_exactly_as_a_run_given_the_chosen_rate(gpt2, tmp_path):
    val = Sequences(32, seed=2)
    callback = LRScoutCallback(lrs=[1e-4, 1e-3, 1e-2, 1e-1, 1.0], steps=10, mode="sequential", train_steps=None,
                               val_data=torch.utils.data.DataLoader(val, batch_size=16))
    with_callback = copy.deepcopy(gpt2)
    trainer = make_trainer(with_callback, tmp_path / "a", callbacks=[callback], learning_rate=5e-5, weight_decay=0.01)
    trainer.train()
    chosen = callback.result.chosen_lr
    assert chosen is not None and chosen != 5e-5
    assert callback.result.config["hf_loss"] == "the model's outputs.loss"
    assert callback.result.config["hf_run_steps"] == 4 and callback.result.train_steps is None
    assert any(entry.get("lrscout/chosen_lr") == chosen for entry in trainer.state.log_history)
    given = copy.deepcopy(gpt2)
    make_trainer(given, tmp_path / "b", learning_rate=chosen, weight_decay=0.01).train()
    assert all(torch.equal(a, b) for a, b in zip(with_callback.parameters(), given.parameters()))


def test_with_no_good_rate_the_callback_keeps_the_trainers_and_says_why(gpt2, tmp_path):
    callback = LRScoutCallback(lrs=[1e3, 1e4], steps=5, mode="sequential", train_steps=None)
    trainer = make_trainer(copy.deepcopy(gpt2), tmp_path, callbacks=[callback], max_steps=1,
                           lr_scheduler_type="constant")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.train()
    assert callback.result.chosen_lr is None
    assert [g["lr"] for g in trainer.optimizer.param_groups] == [1e-3, 1e-3]
    text = next(entry["lrscout"] for entry in trainer.state.log_history if "lrscout" in entry)
    assert "no learning rate was good, so training keeps its own" in text


def test_the_callback_gives_each_named_group_its_rate(bert_body, tmp_path):
    callback = LRScoutCallback(lrs=[1e-4, 1e-3, 1e-2, 1e-1], steps=15, mode="sequential", train_steps=None,
                               val_data=torch.utils.data.DataLoader(Buckets(32, seed=2), batch_size=16),
                               groups={"head": "classifier", "body": "bert"}, group_ratios=[1, 0.1])
    model = bert_classifier(bert_body)
    trainer = make_trainer(model, tmp_path, data=Buckets, callbacks=[callback], max_steps=1,
                       lr_scheduler_type="constant")
    trainer.train()
    rates = callback.result.group_lrs
    assert set(rates) == {"head", "body"}
    got = {(g["lrscout_group"], g["weight_decay"]): g["lr"] for g in trainer.optimizer.param_groups}
    assert {k: v for k, v in got.items()} == {(name, wd): pytest.approx(rates[name])
                                              for name in ("head", "body") for wd in (0.0,)}



def test_label_smoothing_needs_the_trainer_in_the_callback(gpt2, tmp_path):
    trainer = make_trainer(copy.deepcopy(gpt2), tmp_path, callbacks=[LRScoutCallback(lrs=[1e-3], steps=2)],
                       label_smoothing_factor=0.1)
    with pytest.raises(lrscout.InvalidConfigError, match=r"LRScoutCallback\(trainer\)"):
        trainer.train()



def test_the_decision_numbers_are_finite_floats_a_reporter_can_take(gpt2, tmp_path):
    callback = LRScoutCallback(lrs=[1e-3, 1e-2], steps=4, mode="sequential", train_steps=None)
    trainer = make_trainer(copy.deepcopy(gpt2), tmp_path, callbacks=[callback], max_steps=1)
    trainer.train()
    numbers = next(e for e in trainer.state.log_history if "lrscout/candidates" in e)
    assert all(isinstance(v, (int, float)) and math.isfinite(v) for v in numbers.values())


def test_a_second_train_keeps_the_groups_the_first_split_and_says_so(bert_body, tmp_path):
    callback = LRScoutCallback(lrs=[1e-3, 1e-2, 1e-1], steps=15, mode="sequential", train_steps=None,
                               groups={"head": "classifier", "body": "bert"}, group_ratios=[1, 0.1])
    # unclipped: clipped at the default 1.0, the first sweep picks 0.01, after whose step the second
    # sweep's 15-step curves are too noisy to call any rate good -- and this test is about the groups
    trainer = make_trainer(bert_classifier(bert_body), tmp_path, data=Buckets, callbacks=[callback], max_steps=1,
                           lr_scheduler_type="constant", max_grad_norm=0.0)
    trainer.train()
    trainer.train()
    assert callback.result.group_lrs
    text = next(entry["lrscout"] for entry in trainer.state.log_history if "lrscout" in entry)   # the second run's
    assert "the per-group rates were not applied again" in text
    assert {g["lrscout_group"] for g in trainer.optimizer.param_groups} == {"head", "body"}


def test_the_callback_chooses_for_the_runs_length_and_says_so_in_the_log(gpt2, tmp_path):
    callback = LRScoutCallback(mode="sequential")
    trainer = make_trainer(copy.deepcopy(gpt2), tmp_path, callbacks=[callback], max_steps=170,
                           lr_scheduler_type="constant")
    trainer.train()
    result = callback.result
    assert result.train_steps == 170 and result.config["train_steps_from"].startswith("state.max_steps")
    assert result.search_steps <= 0.3 * 170
    text = next(entry["lrscout"] for entry in trainer.state.log_history if "lrscout" in entry)
    assert "chosen for a 170-step run" in text
