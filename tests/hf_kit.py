"""Shared pieces of the lrscout.hf tests (no tests here): small transformers models built from
configs and "pretrained" here, token datasets with something to learn, and Trainers over them.
Nothing downloads (HF_HUB_OFFLINE=1)."""

from __future__ import annotations

import copy
import os

import pytest

from torch_kit import torch

os.environ["HF_HUB_OFFLINE"] = "1"          # nothing here downloads; make sure nothing tries
transformers = pytest.importorskip("transformers", reason="lrscout.hf needs transformers: pip install 'lrscout[hf]'")
pytest.importorskip("accelerate", reason="transformers' Trainer needs accelerate: pip install 'lrscout[hf]'")

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


def training_args(tmp_path, **kwargs) -> transformers.TrainingArguments:
    base = dict(output_dir=str(tmp_path), per_device_train_batch_size=8, per_device_eval_batch_size=16, max_steps=4,
                learning_rate=1e-3, report_to=[], use_cpu=True, save_strategy="no", logging_strategy="no",
                disable_tqdm=True, seed=7, dataloader_num_workers=0)
    return transformers.TrainingArguments(**{**base, **kwargs})


def pretrain(model: nn.Module, data: torch.utils.data.Dataset, steps: int = 40) -> nn.Module:
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


def pretrained_gpt2() -> nn.Module:
    """A 2-layer GPT-2 pretrained on sequences of strides 1 and 2."""
    config = transformers.GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=VOCAB, n_positions=LENGTH,
                                     bos_token_id=0, eos_token_id=0, pad_token_id=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = transformers.GPT2LMHeadModel(config)
    return pretrain(model, Sequences(256, seed=0, strides=(1, 2)))


def pretrained_bert_body() -> nn.Module:
    """A BERT pretrained to tell sequences starting in the lower or upper half apart; its body is what
    the classifier fine-tunes."""
    config = transformers.BertConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                     intermediate_size=64, max_position_embeddings=LENGTH, num_labels=2,
                                     pad_token_id=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = transformers.BertForSequenceClassification(config)
    return pretrain(model, Buckets(256, seed=0, classes=2)).bert


def bert_classifier(bert_body) -> nn.Module:
    """The pretrained body under a new 3-way head (thirds instead of halves)."""
    config = copy.deepcopy(bert_body.config)
    config.num_labels = 3
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        model = transformers.BertForSequenceClassification(config)
    model.bert.load_state_dict(bert_body.state_dict())
    return model


def make_trainer(model, tmp_path, cls=transformers.Trainer, data=Sequences, **kwargs):
    if data is Buckets:          # the classifier's loss is noisy in batches of 8
        kwargs.setdefault("per_device_train_batch_size", 16)
    extra = {k: kwargs.pop(k) for k in ("optimizers", "callbacks", "compute_loss_func") if k in kwargs}
    return cls(model=model, args=training_args(tmp_path, **kwargs), train_dataset=data(96, seed=1),
               eval_dataset=data(32, seed=2), **extra)


def trainer_state(trainer) -> dict:
    return {"state": trainer.state.to_json_string() if hasattr(trainer.state, "to_json_string") else None,
            "optimizer": trainer.optimizer, "lr_scheduler": trainer.lr_scheduler,
            "args": trainer.args.to_json_string(), "callbacks": trainer.callback_handler.callback_list}


LRS = [1e-4, 1e-3, 1e-2, 1e-1, 1.0]
