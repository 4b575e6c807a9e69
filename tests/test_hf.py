"""lrscout.hf on real transformers Trainers, offline: a GPT-2 causal LM and a BERT sequence
classifier built from small configs and "pretrained" here. sweep_trainer sweeps the Trainer's
own model copy, optimizer, batches, compute_loss and eval set and leaves the Trainer as it was;
LRScoutCallback chooses the rate at on_train_begin, trains at it and logs why."""

from __future__ import annotations

import copy
import math
import os
import subprocess
import sys
import warnings

import pytest

from test_torch_kit import assert_unchanged, snapshot, torch

os.environ["HF_HUB_OFFLINE"] = "1"          # nothing here downloads; make sure nothing tries
transformers = pytest.importorskip("transformers", reason="lrscout.hf needs transformers: pip install 'lrscout[hf]'")
pytest.importorskip("accelerate", reason="transformers' Trainer needs accelerate: pip install 'lrscout[hf]'")

import lrscout                                                 # noqa: E402
from lrscout.hf import LRScoutCallback, run_length, sweep_trainer  # noqa: E402

transformers.logging.set_verbosity_error()
nn = torch.nn
VOCAB, LENGTH = 48, 12


class Sequences(torch.utils.data.Dataset):
    """Arithmetic token sequences (start + k * stride mod VOCAB): a causal LM learns the rule."""

    def __init__(self, n: int, seed: int, strides: tuple[int, ...] = (3, 4, 5)) -> None:
        g = torch.Generator().manual_seed(seed)
        start = torch.randint(0, VOCAB, (n, 1), generator=g)
        which = torch.randint(0, len(strides), (n, 1), generator=g)
        self.ids = (start + torch.tensor(strides)[which] * torch.arange(LENGTH)) % VOCAB
        self.targets = which.squeeze(1)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict:
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


class Buckets(Sequences):
    """The same sequences labelled by where they start (``classes`` equal ranges of tokens): a
    sequence-classification task."""

    def __init__(self, n: int, seed: int, classes: int = 3) -> None:
        super().__init__(n, seed)
        self.targets = self.ids[:, 0] * classes // VOCAB

    def __getitem__(self, i: int) -> dict:
        return {"input_ids": self.ids[i], "labels": self.targets[i]}


def _args(tmp_path, **kwargs) -> transformers.TrainingArguments:
    base = dict(output_dir=str(tmp_path), per_device_train_batch_size=8, per_device_eval_batch_size=16, max_steps=4,
                learning_rate=1e-3, report_to=[], use_cpu=True, save_strategy="no", logging_strategy="no",
                disable_tqdm=True, seed=7, dataloader_num_workers=0)
    return transformers.TrainingArguments(**{**base, **kwargs})


def _pretrain(model: nn.Module, data: torch.utils.data.Dataset, steps: int = 40) -> nn.Module:
    """A few AdamW steps on a first task, with a private RNG: the "pretrained" weights."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
        loader = torch.utils.data.DataLoader(data, batch_size=16, shuffle=True)
        model.train()
        done = 0
        while done < steps:
            for batch in loader:
                opt.zero_grad()
                model(**batch).loss.backward()
                opt.step()
                done += 1
                if done == steps:
                    break
    return model


@pytest.fixture(scope="module")
def gpt2():
    config = transformers.GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=VOCAB, n_positions=LENGTH,
                                     bos_token_id=0, eos_token_id=0, pad_token_id=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = transformers.GPT2LMHeadModel(config)
    return _pretrain(model, Sequences(256, seed=0, strides=(1, 2)))


@pytest.fixture(scope="module")
def bert_body():
    """A BERT pretrained to tell sequences starting in the lower or upper half apart; its body is what
    the classifier fine-tunes."""
    config = transformers.BertConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                     intermediate_size=64, max_position_embeddings=LENGTH, num_labels=2,
                                     pad_token_id=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = transformers.BertForSequenceClassification(config)
    return _pretrain(model, Buckets(256, seed=0, classes=2)).bert


def _bert(bert_body) -> nn.Module:
    """The pretrained body under a new 3-way head (thirds instead of halves)."""
    config = copy.deepcopy(bert_body.config)
    config.num_labels = 3
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        model = transformers.BertForSequenceClassification(config)
    model.bert.load_state_dict(bert_body.state_dict())
    return model


def _trainer(model, tmp_path, cls=transformers.Trainer, data=Sequences, **kwargs):
    if data is Buckets:          # the classifier's loss is noisy in batches of 8
        kwargs.setdefault("per_device_train_batch_size", 16)
    extra = {k: kwargs.pop(k) for k in ("optimizers", "callbacks", "compute_loss_func") if k in kwargs}
    return cls(model=model, args=_args(tmp_path, **kwargs), train_dataset=data(96, seed=1),
               eval_dataset=data(32, seed=2), **extra)


def _trainer_state(trainer) -> dict:
    return {"state": trainer.state.to_json_string() if hasattr(trainer.state, "to_json_string") else None,
            "optimizer": trainer.optimizer, "lr_scheduler": trainer.lr_scheduler,
            "args": trainer.args.to_json_string(), "callbacks": trainer.callback_handler.callback_list}


LRS = [1e-4, 1e-3, 1e-2, 1e-1, 1.0]


def test_sweep_trainer_sweeps_the_trainers_model_optimizer_batches_and_eval_set(gpt2, tmp_path):
    model = copy.deepcopy(gpt2)
    trainer = _trainer(model, tmp_path, max_steps=30, weight_decay=0.01)
    result = sweep_trainer(trainer, lrs=LRS, steps=15)
    assert isinstance(result, lrscout.SweepResult) and result.chosen_lr is not None
    cfg = result.config
    # AdamW with the Trainer's decay and no-decay groups, both at the same rate
    assert cfg["optimizer"] == "AdamW" and cfg["param_group_lr_ratios"] == [1.0, 1.0]
    assert cfg["hf_optimizer_from"] == "Trainer.create_optimizer()" and trainer.optimizer is None
    assert cfg["train_steps"] == 30 and cfg["train_steps_from"] == "args.max_steps"
    assert cfg["hf_validation"] == "eval_dataset" and cfg["hf_batch_size"] == 8
    assert cfg["hf_max_grad_norm"] == 1.0
    assert all(c.val_loss is not None for c in result.candidates if not c.trace.pruned)


def test_sweep_trainer_leaves_the_trainer_and_its_model_as_they_were_so_training_runs_the_same(gpt2, tmp_path):
    swept, fresh = copy.deepcopy(gpt2), copy.deepcopy(gpt2)
    trainer = _trainer(swept, tmp_path / "a", weight_decay=0.01)
    twin = _trainer(fresh, tmp_path / "b", weight_decay=0.01)
    torch.manual_seed(11)
    before, state_before = snapshot(swept), _trainer_state(trainer)
    sweep_trainer(trainer, lrs=[1e-3, 1e-1], steps=6)
    assert_unchanged(before, snapshot(swept))
    assert _trainer_state(trainer) == state_before
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
    plain = sweep_trainer(_trainer(copy.deepcopy(gpt2), tmp_path / "a"), lrs=[1e-4], steps=3, mode="sequential")
    custom = sweep_trainer(_trainer(copy.deepcopy(gpt2), tmp_path / "b", cls=TenfoldLoss), lrs=[1e-4], steps=3,
                           mode="sequential")
    first_plain, first_custom = plain.candidates[0].train_loss[0], custom.candidates[0].train_loss[0]
    assert first_custom == pytest.approx(10 * first_plain, rel=1e-5)      # same start, same first batch
    assert custom.config["hf_loss"] == "TenfoldLoss.compute_loss"


def test_the_users_optimizer_is_swept_with_its_groups_and_left_unchanged(bert_body, tmp_path):
    model = _bert(bert_body)
    optimizer = torch.optim.SGD([{"params": model.bert.parameters(), "lr": 0.01},
                                 {"params": model.classifier.parameters(), "lr": 0.1}], lr=0.1, momentum=0.9)
    trainer = _trainer(model, tmp_path, data=Buckets, optimizers=(optimizer, None))
    before = snapshot(model, optimizer)
    result = sweep_trainer(trainer, lrs=[1e-2, 1e-1, 1.0], steps=6, mode="sequential")
    assert result.config["optimizer"] == "SGD" and result.config["param_group_lr_ratios"] == [0.1, 1.0]
    assert result.config["hf_optimizer_from"] == "the Trainer's optimizer" and trainer.optimizer is optimizer
    assert_unchanged(before, snapshot(model, optimizer))


def test_the_run_length_is_max_steps_or_epochs_times_optimizer_steps_per_epoch(tmp_path):
    batches = list(range(13))                 # 13 batches a pass
    assert run_length(_args(tmp_path, max_steps=50), batches) == (50, "args.max_steps")
    steps, where = run_length(_args(tmp_path, max_steps=-1, num_train_epochs=3, gradient_accumulation_steps=4),
                              batches)
    assert steps == 12 and "4 optimizer steps per epoch" in where          # ceil(13 / 4) = 4 a pass
    assert run_length(_args(tmp_path, max_steps=-1, num_train_epochs=0.5), batches)[0] == 7
    assert run_length(_args(tmp_path, max_steps=-1), iter(batches))[0] is None


def test_per_group_rates_through_the_trainer(bert_body, tmp_path):
    trainer = _trainer(_bert(bert_body), tmp_path, data=Buckets)
    result = sweep_trainer(trainer, lrs=[1e-4, 1e-3, 1e-2, 1e-1], steps=15, mode="sequential",
                           groups={"head": "classifier", "body": "bert"}, group_ratios=[1, 0.1])
    assert result.chosen_lr is not None and [g.name for g in result.groups] == ["head", "body"]
    assert result.groups[0].lr == result.chosen_lr
    assert [c.lr for c in result.groups[1].candidates] == pytest.approx([result.chosen_lr / 10, result.chosen_lr])
    assert result.group_lrs["body"] in [c.lr for c in result.groups[1].candidates]


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
    trainer = _trainer(_bert(bert_body), tmp_path, data=Buckets, weight_decay=0.01, warmup_steps=2, max_steps=3)
    spy = LogSpy()
    callback = LRScoutCallback(trainer, lrs=[1e-4, 1e-3, 1e-2, 1e-1, 1.0], steps=15, mode="sequential")
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
    callback = LRScoutCallback(lrs=[1e-4, 1e-3, 1e-2, 1e-1, 1.0], steps=10, mode="sequential",
                               val_data=torch.utils.data.DataLoader(val, batch_size=16))
    with_callback = copy.deepcopy(gpt2)
    trainer = _trainer(with_callback, tmp_path / "a", callbacks=[callback], learning_rate=5e-5, weight_decay=0.01)
    trainer.train()
    chosen = callback.result.chosen_lr
    assert chosen is not None and chosen != 5e-5
    assert callback.result.config["hf_loss"] == "the model's outputs.loss"
    assert callback.result.config["train_steps"] == 4
    assert any(entry.get("lrscout/chosen_lr") == chosen for entry in trainer.state.log_history)
    given = copy.deepcopy(gpt2)
    _trainer(given, tmp_path / "b", learning_rate=chosen, weight_decay=0.01).train()
    assert all(torch.equal(a, b) for a, b in zip(with_callback.parameters(), given.parameters()))


def test_with_no_good_rate_the_callback_keeps_the_trainers_and_says_why(gpt2, tmp_path):
    callback = LRScoutCallback(lrs=[1e3, 1e4], steps=5, mode="sequential")
    trainer = _trainer(copy.deepcopy(gpt2), tmp_path, callbacks=[callback], max_steps=1, lr_scheduler_type="constant")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.train()
    assert callback.result.chosen_lr is None
    assert [g["lr"] for g in trainer.optimizer.param_groups] == [1e-3, 1e-3]
    text = next(entry["lrscout"] for entry in trainer.state.log_history if "lrscout" in entry)
    assert "no learning rate was good, so training keeps its own" in text


def test_the_callback_gives_each_named_group_its_rate(bert_body, tmp_path):
    callback = LRScoutCallback(lrs=[1e-4, 1e-3, 1e-2, 1e-1], steps=15, mode="sequential",
                               val_data=torch.utils.data.DataLoader(Buckets(32, seed=2), batch_size=16),
                               groups={"head": "classifier", "body": "bert"}, group_ratios=[1, 0.1])
    model = _bert(bert_body)
    trainer = _trainer(model, tmp_path, data=Buckets, callbacks=[callback], max_steps=1,
                       lr_scheduler_type="constant")
    trainer.train()
    rates = callback.result.group_lrs
    assert set(rates) == {"head", "body"}
    got = {(g["lrscout_group"], g["weight_decay"]): g["lr"] for g in trainer.optimizer.param_groups}
    assert {k: v for k, v in got.items()} == {(name, wd): pytest.approx(rates[name])
                                              for name in ("head", "body") for wd in (0.0,)}


@pytest.mark.parametrize("call, message", [
    (lambda model, tmp_path: sweep_trainer(model), "trainer must be a transformers.Trainer, got GPT2LMHeadModel"),
    (lambda model, tmp_path: sweep_trainer(_trainer(model, tmp_path), optimizer=torch.optim.SGD),
     "optimizer come from the Trainer"),
    (lambda model, tmp_path: LRScoutCallback("trainer"), "trainer must be a transformers.Trainer or None"),
])
def test_bad_arguments_raise_a_config_error_saying_what_to_pass(gpt2, tmp_path, call, message):
    with pytest.raises(lrscout.InvalidConfigError, match=message):
        call(copy.deepcopy(gpt2), tmp_path)


def test_label_smoothing_needs_the_trainer_in_the_callback(gpt2, tmp_path):
    trainer = _trainer(copy.deepcopy(gpt2), tmp_path, callbacks=[LRScoutCallback(lrs=[1e-3], steps=2)],
                       label_smoothing_factor=0.1)
    with pytest.raises(lrscout.InvalidConfigError, match=r"LRScoutCallback\(trainer\)"):
        trainer.train()


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


def test_the_decision_numbers_are_finite_floats_a_reporter_can_take(gpt2, tmp_path):
    callback = LRScoutCallback(lrs=[1e-3, 1e-2], steps=4, mode="sequential")
    trainer = _trainer(copy.deepcopy(gpt2), tmp_path, callbacks=[callback], max_steps=1)
    trainer.train()
    numbers = next(e for e in trainer.state.log_history if "lrscout/candidates" in e)
    assert all(isinstance(v, (int, float)) and math.isfinite(v) for v in numbers.values())
