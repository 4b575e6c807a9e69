"""sweep_trainer on real transformers Trainers, offline (a GPT-2 causal LM and a BERT sequence
classifier built from small configs and pretrained in tests/hf_kit.py): it sweeps the Trainer's
own model copy, optimizer, batches, compute_loss and eval set, and leaves the Trainer as it was."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest

from hf_kit import Buckets, bert_classifier, make_trainer, trainer_state, training_args, transformers
from torch_kit import assert_unchanged, snapshot, torch

import lrscout
from lrscout.hf import LRScoutCallback, run_length, sweep_trainer

GradientState = pytest.importorskip("accelerate.state").GradientState

LRS = [1e-4, 1e-3, 1e-2, 1e-1, 1.0]


def test_sweep_trainer_sweeps_the_trainers_model_optimizer_batches_and_eval_set(gpt2, tmp_path):
    model = copy.deepcopy(gpt2)
    trainer = make_trainer(model, tmp_path, max_steps=30, weight_decay=0.01)
    result = sweep_trainer(trainer, lrs=LRS, steps=15)
    assert isinstance(result, lrscout.SweepResult) and result.chosen_lr is not None
    cfg = result.config
    # AdamW with the Trainer's decay and no-decay groups, both at the same rate
    assert cfg["optimizer"] == "AdamW" and cfg["param_group_lr_ratios"] == [1.0, 1.0]
    assert cfg["hf_optimizer_from"] == "Trainer.create_optimizer()" and trainer.optimizer is None
    assert cfg["train_steps"] == 30 and cfg["train_steps_from"] == "args.max_steps"
    assert cfg["hf_validation"] == "eval_dataset" and cfg["hf_batch_size"] == 8
    assert cfg["hf_max_grad_norm"] == 1.0 and cfg["max_grad_norm"] == 1.0     # the sweep clips as the Trainer does
    assert all(c.val_loss is not None for c in result.candidates if not c.trace.pruned)


def test_sweep_trainer_leaves_the_trainer_and_its_model_as_they_were_so_training_runs_the_same(gpt2, tmp_path):
    swept, fresh = copy.deepcopy(gpt2), copy.deepcopy(gpt2)
    trainer = make_trainer(swept, tmp_path / "a", weight_decay=0.01)
    twin = make_trainer(fresh, tmp_path / "b", weight_decay=0.01)
    torch.manual_seed(11)
    before, state_before = snapshot(swept), trainer_state(trainer)
    sweep_trainer(trainer, lrs=[1e-3, 1e-1], steps=6, train_steps=None)
    assert_unchanged(before, snapshot(swept))
    assert trainer_state(trainer) == state_before
    # the sweep pulled only part of a pass: accelerate is told that pass ended
    assert not GradientState().in_dataloader
    # the swept trainer's run is bit for bit the run of a trainer that was never swept
    torch.manual_seed(11)
    trainer.train()
    torch.manual_seed(11)
    twin.train()
    assert all(torch.equal(a, b) for a, b in zip(swept.parameters(), fresh.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(swept.parameters(), gpt2.parameters()))


class TenfoldLoss(transformers.Trainer):
    """A custom loss: ten times the model's."""

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        outputs = model(**inputs)
        return (10 * outputs.loss, outputs) if return_outputs else 10 * outputs.loss


def test_a_subclass_compute_loss_is_the_loss_the_sweep_reads(gpt2, tmp_path):
    plain = sweep_trainer(make_trainer(copy.deepcopy(gpt2), tmp_path / "a"), lrs=[1e-4], steps=3, mode="sequential")
    custom = sweep_trainer(make_trainer(copy.deepcopy(gpt2), tmp_path / "b", cls=TenfoldLoss), lrs=[1e-4], steps=3,
                           mode="sequential")
    first_plain, first_custom = plain.candidates[0].train_loss[0], custom.candidates[0].train_loss[0]
    assert first_custom == pytest.approx(10 * first_plain, rel=1e-5)      # same start, same first batch
    assert custom.config["hf_loss"] == "TenfoldLoss.compute_loss"


def test_the_users_optimizer_is_swept_with_its_groups_and_left_unchanged(bert_body, tmp_path):
    model = bert_classifier(bert_body)
    optimizer = torch.optim.SGD([{"params": model.bert.parameters(), "lr": 0.01},
                                 {"params": model.classifier.parameters(), "lr": 0.1}], lr=0.1, momentum=0.9)
    trainer = make_trainer(model, tmp_path, data=Buckets, optimizers=(optimizer, None))
    before = snapshot(model, optimizer)
    result = sweep_trainer(trainer, lrs=[1e-2, 1e-1, 1.0], steps=6, mode="sequential",
                           train_steps=None)
    assert result.config["optimizer"] == "SGD" and result.config["param_group_lr_ratios"] == [0.1, 1.0]
    assert result.config["hf_optimizer_from"] == "the Trainer's optimizer" and trainer.optimizer is optimizer
    assert_unchanged(before, snapshot(model, optimizer))


def test_the_run_length_is_max_steps_or_epochs_times_optimizer_steps_per_epoch(tmp_path):
    batches = list(range(13))                 # 13 batches a pass
    assert run_length(training_args(tmp_path, max_steps=50), batches) == (50, "args.max_steps")
    steps, where = run_length(training_args(tmp_path, max_steps=-1, num_train_epochs=3, gradient_accumulation_steps=4),
                              batches)
    assert steps == 12 and "4 optimizer steps per epoch" in where          # ceil(13 / 4) = 4 a pass
    assert run_length(training_args(tmp_path, max_steps=-1, num_train_epochs=0.5), batches)[0] == 7
    assert run_length(training_args(tmp_path, max_steps=-1), iter(batches))[0] is None


def test_per_group_rates_through_themake_trainer(bert_body, tmp_path):
    trainer = make_trainer(bert_classifier(bert_body), tmp_path, data=Buckets)
    result = sweep_trainer(trainer, lrs=[1e-4, 1e-3, 1e-2, 1e-1], steps=15, mode="sequential", train_steps=None,
                           groups={"head": "classifier", "body": "bert"}, group_ratios=[1, 0.1])
    assert result.chosen_lr is not None and [g.name for g in result.groups] == ["head", "body"]
    assert result.groups[0].lr == result.chosen_lr
    assert [c.lr for c in result.groups[1].candidates] == pytest.approx([result.chosen_lr / 10, result.chosen_lr])
    assert result.group_lrs["body"] in [c.lr for c in result.groups[1].candidates]



@pytest.mark.parametrize("call, message", [
    (lambda model, tmp_path: sweep_trainer(model), "trainer must be a transformers.Trainer, got GPT2LMHeadModel"),
    (lambda model, tmp_path: sweep_trainer(make_trainer(model, tmp_path), optimizer=torch.optim.SGD),
     "optimizer come from the Trainer"),
    (lambda model, tmp_path: LRScoutCallback("trainer"), "trainer must be a transformers.Trainer or None"),
])
def test_bad_arguments_raise_a_config_error_saying_what_to_pass(gpt2, tmp_path, call, message):
    with pytest.raises(lrscout.InvalidConfigError, match=message):
        call(copy.deepcopy(gpt2), tmp_path)


def test_lrscout_hf_without_transformers_names_the_extra_to_install():
    block = ("import importlib.abc, sys\n"
             "class _No(importlib.abc.MetaPathFinder):\n"
             "    def find_spec(self, name, path, target=None):\n"
             "        if name == 'transformers' or name.startswith('transformers.'):\n"
             "            raise ImportError(name)\n"
             "sys.meta_path.insert(0, _No())\n"
             "import lrscout\n"
             "try:\n"
             "    import lrscout.hf\n"
             "except lrscout.BackendUnavailableError as e:\n"
             "    print(type(e).__name__, isinstance(e, ImportError), '|', e)\n")
    out = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("BackendUnavailableError True |") and "pip install 'lrscout[hf]'" in out.stdout


def test_the_rate_is_chosen_for_the_trainers_max_steps_and_the_search_stays_within_its_share(gpt2, tmp_path):
    trainer = make_trainer(copy.deepcopy(gpt2), tmp_path, max_steps=200)
    result = sweep_trainer(trainer)
    assert result.train_steps == 200 and result.config["train_steps_from"] == "args.max_steps"
    assert result.config["budget_share"] == 0.3
    assert result.search_steps <= 0.3 * 200          # the engine probe included
    assert "chosen for a 200-step run" in result.horizon_note()


def test_the_run_length_from_epochs_counts_gradient_accumulation(gpt2, tmp_path):
    # 96 rows in batches of 8: 12 batches a pass, 6 optimizer steps with accumulation 2; 30 passes
    trainer = make_trainer(copy.deepcopy(gpt2), tmp_path, max_steps=-1, num_train_epochs=30,
                           gradient_accumulation_steps=2)
    result = sweep_trainer(trainer, lrs=[1e-3, 1e-2], steps=10, mode="sequential")
    assert result.train_steps == 180
    assert result.config["train_steps_from"] == "args.num_train_epochs (30) x 6 optimizer steps per epoch"


def test_the_callers_train_steps_wins_and_none_chooses_without_a_run_length(gpt2, tmp_path):
    trainer = make_trainer(copy.deepcopy(gpt2), tmp_path, max_steps=30)
    longer = sweep_trainer(trainer, lrs=[1e-3, 1e-2], steps=10, mode="sequential", train_steps=500)
    assert longer.train_steps == 500 and longer.config["train_steps_from"] == "the caller (train_steps=)"
    assert longer.config["hf_run_steps"] == 30
    without = sweep_trainer(trainer, lrs=[1e-3, 1e-2], steps=50, mode="sequential", train_steps=None)
    assert without.train_steps is None and without.config["hf_run_steps"] == 30
    assert "pass train_steps" in without.horizon_note()


def test_a_run_too_short_for_the_default_share_gets_the_smallest_search_never_more_than_the_run(gpt2, tmp_path):
    trainer = make_trainer(copy.deepcopy(gpt2), tmp_path, max_steps=100)
    result = sweep_trainer(trainer)
    assert result.train_steps == 100 and result.config["budget_share"] == 0.5     # 50 steps, the smallest search
    assert result.search_steps <= 50
    assert "the smallest search, 50 steps (50% of it" in result.config["train_steps_from"]


@pytest.mark.parametrize("options, message", [
    ({}, r"the Trainer's run is 40 steps \(args.max_steps\).*leaves the search 12 steps.*train_steps=None"),
    ({"lrs": [1e-3], "steps": 60}, r"steps=60 is longer than the Trainer's run \(40 steps, args.max_steps\)"),
])
def test_a_run_too_short_for_the_search_says_where_its_length_came_from(gpt2, tmp_path, options, message):
    trainer = make_trainer(copy.deepcopy(gpt2), tmp_path, max_steps=40)
    with pytest.raises(lrscout.InvalidConfigError, match=message):
        sweep_trainer(trainer, **options)


@pytest.mark.parametrize(("trainer_norm", "swept_norm"), [(0.25, 0.25), (0.0, None), (None, None), (-1.0, None)])
def test_the_sweep_clips_gradients_to_the_trainers_max_grad_norm_and_not_where_the_trainer_does_not(
        gpt2, tmp_path, trainer_norm, swept_norm):
    trainer = make_trainer(copy.deepcopy(gpt2), tmp_path, max_steps=30, max_grad_norm=trainer_norm)
    result = sweep_trainer(trainer, lrs=[1e-3], steps=3, mode="sequential")
    assert result.config["max_grad_norm"] == swept_norm
    assert result.config["hf_max_grad_norm"] == trainer_norm
    assert ("so does the sweep" in result.config["hf_max_grad_norm_note"]) == (swept_norm is not None)


def test_a_max_grad_norm_passed_to_sweep_trainer_wins_over_the_trainers(gpt2, tmp_path):
    trainer = make_trainer(copy.deepcopy(gpt2), tmp_path, max_steps=30)
    assert sweep_trainer(trainer, lrs=[1e-3], steps=3, mode="sequential",
                         max_grad_norm=None).config["max_grad_norm"] is None
    assert sweep_trainer(trainer, lrs=[1e-3], steps=3, mode="sequential",
                         max_grad_norm=5.0).config["max_grad_norm"] == 5.0


def test_the_sweeps_first_step_is_scaled_down_as_the_trainers_clipping_scales_it(gpt2, tmp_path):
    # plain SGD: the first update is lr x the gradient, so clipping divides it by norm / max_grad_norm
    def first_step(max_grad_norm):
        model = copy.deepcopy(gpt2)
        trainer = make_trainer(model, tmp_path, max_steps=30, max_grad_norm=max_grad_norm,
                               optimizers=(torch.optim.SGD(model.parameters(), lr=0.1), None))
        trace = sweep_trainer(trainer, lrs=[0.1], steps=2, mode="sequential").candidates[0].trace
        return trace.grad_norm[0], trace.update_ratio[0]

    norm, free_ratio = first_step(None)
    same_norm, clipped_ratio = first_step(1e-3)
    assert same_norm == norm and norm > 1e-2                   # measured before clipping, as the Trainer logs it
    assert clipped_ratio / free_ratio == pytest.approx(1e-3 / (norm + 1e-6), rel=1e-4)
