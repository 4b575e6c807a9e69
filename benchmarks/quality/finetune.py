"""Fine-tuning tasks (issue #16): a model the benchmark pretrains itself, fine-tuned with a fresh head.

Both tasks pretrain a character model on the source of some standard-library modules (the
char-* tasks' corpus) and fine-tune it, under a new output head, on the source of *other*
modules with few rows and a short budget:

- ``finetune-mlp-lm``: a plain-PyTorch MLP language model over the last 8 characters
  (embedding + two ReLU layers: the body), a fresh linear head, Adam;
- ``finetune-gpt2-trainer``: a 2-layer GPT-2 built from a ``transformers`` config, a fresh
  (untied) LM head, trained **through** ``transformers.Trainer`` with its defaults for a
  fine-tuning (AdamW with weight decay 0.01 and the Trainer's no-decay groups, linear decay to
  zero, gradient clipping at 1.0): every full-budget run of this task, Optuna's trials
  included, is that Trainer run, and lrscout's finders sweep a Trainer built the same way
  (``lrscout.hf.sweep_trainer``).

Pretraining is deterministic (seeded, one thread) and cached in ``.cache/pretrained-*.pt``
(gitignored), keyed by a digest of its recipe: the architecture, the optimizer, the steps,
the seed and the encoded pretraining text. Nothing downloads.

Each task has a ``-scratch`` twin (not in the suite): the same architecture, data, optimizer
and budget with a randomly initialised body. ``python -m benchmarks.quality.finetune`` trains
both over the hindsight grid at the evaluation seeds and prints the best of each: a task
counts as a fine-tuning task only when the pretrained body clearly wins.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import inspect
import json
import math
import os
import string
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import torch
from torch import nn

from .tasks import ADAM_DEFAULT_LR, CORPUS_MODULES, Task, Tensors, cross_entropy, next_char_cross_entropy

CACHE_DIR = Path(__file__).parent / ".cache"
VOCAB = string.printable                 # 100 symbols; anything else is code 0
FINETUNE_MODULES = ("json.decoder", "json.encoder", "csv", "configparser", "calendar")
MLP_CONTEXT = 8
GPT2_CONTEXT = 32
HF_WEIGHT_DECAY = 0.01


# ------------------------------------------------------------------------------ text

def encode(text: str) -> torch.Tensor:
    index = {c: i + 1 for i, c in enumerate(VOCAB)}
    return torch.tensor([index.get(c, 0) for c in text], dtype=torch.int64)


@functools.cache
def source_codes(modules: tuple[str, ...]) -> torch.Tensor:
    """The encoded source of ``modules`` (shipped with Python: its text depends on the version,
    which the digests follow)."""
    return encode("\n".join(inspect.getsource(importlib.import_module(m)) for m in modules))


def context_rows(codes: torch.Tensor, context: int, rows: int | None, seed: int) -> Tensors:
    """(the ``context`` characters before, the next character) at ``rows`` random positions
    (every position when None), in a seeded order."""
    positions = torch.randperm(len(codes) - context, generator=torch.Generator().manual_seed(seed))
    if rows is not None:
        positions = positions[:rows]
    x = torch.stack([codes[p:p + context] for p in positions.tolist()])
    return x, codes[positions + context]


def windows(codes: torch.Tensor, context: int, rows: int | None, seed: int) -> Tensors:
    """Non-overlapping windows of ``context`` characters and their next characters (targets
    shifted by one), ``rows`` of them in a seeded order (all when None)."""
    n = (len(codes) - 1) // context
    x = codes[:n * context].reshape(n, context)
    y = codes[1:n * context + 1].reshape(n, context)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    if rows is not None:
        order = order[:rows]
    return x[order], y[order]


def finetune_split(make: Callable[[torch.Tensor, int | None, int], Tensors], rows: int,
                   val_rows: int) -> tuple[Tensors, Tensors]:
    """``rows`` training rows from the first 80% of the fine-tuning text, ``val_rows`` from the
    rest: the two never share a character."""
    codes = source_codes(FINETUNE_MODULES)
    cut = int(len(codes) * 0.8)
    return make(codes[:cut], rows, 0), make(codes[cut:], val_rows, 1)


# ------------------------------------------------------------------------------ the pretraining cache

@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Pretraining's float results depend on the thread count: always one, whatever the caller runs on."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def recipe_digest(recipe: Mapping[str, Any], data: Tensors) -> str:
    h = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode())
    h.update(torch.__version__.encode())
    for tensor in data:
        h.update(tensor.contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def pretrained_state(name: str, recipe: Mapping[str, Any], data: Tensors, build: Callable[[], nn.Module],
                     loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                     cache_dir: Path | None = None) -> tuple[dict[str, torch.Tensor], str]:
    """The weights ``build()`` reaches after the pretraining ``recipe`` (steps, batch, lr, seed)
    on ``data``, and the recipe's digest; read from the cache when it holds them."""
    digest = recipe_digest(recipe, data)
    path = (CACHE_DIR if cache_dir is None else cache_dir) / f"pretrained-{name}-{digest}.pt"
    if path.exists():
        return torch.load(path, weights_only=True), digest
    with one_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(recipe["seed"])
        model = build()
        optimizer = torch.optim.AdamW(model.parameters(), lr=recipe["lr"], weight_decay=recipe["weight_decay"])
        generator = torch.Generator().manual_seed(recipe["seed"])
        x, y = data
        for _ in range(recipe["steps"]):
            rows = torch.randint(0, len(x), (recipe["batch_size"],), generator=generator)
            loss = loss_fn(model(x[rows]), y[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    # two workers may pretrain at once: each writes its own file, the rename is atomic
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    torch.save(state, tmp)
    os.replace(tmp, path)
    return state, digest


# ------------------------------------------------------------------------------ finetune-mlp-lm

class ContextBody(nn.Sequential):
    """The last ``MLP_CONTEXT`` characters, embedded and through two ReLU layers."""

    def __init__(self, embed: int = 16, width: int = 256) -> None:
        super().__init__(nn.Embedding(len(VOCAB) + 1, embed), nn.Flatten(), nn.Linear(MLP_CONTEXT * embed, width),
                         nn.ReLU(), nn.Linear(width, width), nn.ReLU())


class BodyHead(nn.Module):
    def __init__(self, body: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.body = body
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


MLP_RECIPE = {"model": "ContextBody(embed=16, width=256) + Linear(256, 101)", "optimizer": "AdamW", "lr": 2e-3,
              "weight_decay": 0.0, "steps": 3000, "batch_size": 128, "seed": 0, "text": list(CORPUS_MODULES),
              "context": MLP_CONTEXT}


@functools.cache
def mlp_body_state() -> tuple[dict[str, torch.Tensor], str]:
    """The pretrained body: next-character prediction over every position of the char-* corpus."""
    data = context_rows(source_codes(CORPUS_MODULES), MLP_CONTEXT, None, 0)
    state, digest = pretrained_state("mlp-lm", MLP_RECIPE, data,
                                     lambda: BodyHead(ContextBody(), nn.Linear(256, len(VOCAB) + 1)), cross_entropy)
    return {k[len("body."):]: v for k, v in state.items() if k.startswith("body.")}, digest


def finetune_mlp_lm(pretrained: bool = True) -> Task:
    train, val = finetune_split(lambda codes, rows, seed: context_rows(codes, MLP_CONTEXT, rows, seed), 1500, 4000)
    body_state, digest = mlp_body_state() if pretrained else ({}, None)

    def build() -> nn.Module:
        body = ContextBody()
        if pretrained:
            body.load_state_dict(body_state)
        return BodyHead(body, nn.Linear(256, len(VOCAB) + 1))

    return Task(
        name="finetune-mlp-lm" if pretrained else "finetune-mlp-lm-scratch",
        summary="MLP char LM (8-char context) pretrained on stdlib source, fine-tuned on other modules' source "
                "(1500 rows) under a fresh head, Adam" + ("" if pretrained else " -- from scratch"),
        build_model=build, optimizer=torch.optim.Adam, optimizer_kwargs={}, loss_fn=cross_entropy, train=train,
        val=val, batch_size=32, steps=300, default_lr=ADAM_DEFAULT_LR, grid_decades=(-5.0, 0.0), step_ms=0.7,
        groups=(("head", "head"), ("body", "body")),
        recipe={"pretraining": digest}, notes="held out: no lrscout rule was tuned on it")


# ------------------------------------------------------------------------------ finetune-gpt2-trainer

class LMLogits(nn.Module):
    """A ``transformers`` causal LM as a plain module: token ids in, logits out (for the peers'
    APIs, which train ``model(x)`` against targets); ``hf`` is the model the Trainer trains."""

    def __init__(self, hf: nn.Module) -> None:
        super().__init__()
        self.hf = hf

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.hf(input_ids=x).logits


def gpt2_config() -> Any:
    import transformers

    return transformers.GPT2Config(vocab_size=len(VOCAB) + 1, n_positions=GPT2_CONTEXT + 1, n_embd=64, n_layer=2,
                                   n_head=4, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                                   tie_word_embeddings=False, bos_token_id=0, eos_token_id=0, pad_token_id=0)


def new_gpt2() -> nn.Module:
    import transformers

    transformers.logging.set_verbosity_error()
    return LMLogits(transformers.GPT2LMHeadModel(gpt2_config()))


GPT2_RECIPE = {"model": "GPT2LMHeadModel(n_layer=2, n_embd=64, n_head=4, untied, no dropout)", "optimizer": "AdamW",
               "lr": 2e-3, "weight_decay": 0.01, "steps": 1200, "batch_size": 32, "seed": 0,
               "text": list(CORPUS_MODULES), "context": GPT2_CONTEXT}


@functools.cache
def gpt2_state() -> tuple[dict[str, torch.Tensor], str]:
    """The pretrained GPT-2 (its LM head included; fine-tuning replaces it)."""
    data = windows(source_codes(CORPUS_MODULES), GPT2_CONTEXT, None, 0)
    state, digest = pretrained_state("gpt2", GPT2_RECIPE, data, new_gpt2, next_char_cross_entropy)
    return {k[len("hf."):]: v for k, v in state.items()}, digest


def finetune_gpt2_trainer(pretrained: bool = True) -> Task:
    import transformers
    import transformers.trainer  # noqa: F401  (loaded with the task, so that no finder's clock pays for it)

    train, val = finetune_split(lambda codes, rows, seed: windows(codes, GPT2_CONTEXT, rows, seed), 320, 400)
    state, digest = gpt2_state() if pretrained else ({}, None)
    body = {k: v for k, v in state.items() if not k.startswith("lm_head.")}

    def build() -> nn.Module:
        model = new_gpt2()
        if pretrained:
            missing, unexpected = model.hf.load_state_dict(body, strict=False)
            assert not unexpected and all(k.startswith("lm_head.") for k in missing), (missing, unexpected)
        return model

    return Task(
        name="finetune-gpt2-trainer" if pretrained else "finetune-gpt2-trainer-scratch",
        summary="2-layer GPT-2 (transformers, from a config) pretrained on stdlib source, fine-tuned on other "
                "modules' source (320 windows) under a fresh LM head through transformers.Trainer (AdamW wd 0.01, "
                "linear decay, clipping 1.0)" + ("" if pretrained else " -- from scratch"),
        build_model=build, optimizer=torch.optim.AdamW, optimizer_kwargs={"weight_decay": HF_WEIGHT_DECAY},
        loss_fn=next_char_cross_entropy, train=train, val=val, batch_size=16, steps=200,
        default_lr=5e-5, grid_decades=(-5.0, 0.0), step_ms=12.0,
        groups=(("head", "hf.lm_head"), ("body", "hf.transformer")),
        run=trainer_run, recipe={"pretraining": digest, "transformers": transformers.__version__,
                                 "trainer": trainer_args_spec()},
        notes="held out: no lrscout rule was tuned on it; default_lr is TrainingArguments' 5e-5; the peers' range "
              "tests train the same model through their own APIs with AdamW(weight_decay=0.01)")


# ------------------------------------------------------------------------------ the Trainer run

def trainer_args_spec() -> dict[str, Any]:
    """What the task's Trainer runs set; the rest are TrainingArguments' defaults."""
    return {"weight_decay": HF_WEIGHT_DECAY, "lr_scheduler_type": "linear", "max_grad_norm": 1.0,
            "optim": "adamw_torch", "dataloader_drop_last": True}


class TokenWindows(torch.utils.data.Dataset):
    """``(x, y)`` windows as the Trainer's batches: ``input_ids`` is the window and its last next
    character, ``labels`` the same ids (the model shifts them), so the model's loss is the task's."""

    def __init__(self, data: Tensors) -> None:
        x, y = data
        self.ids = torch.cat([x, y[:, -1:]], dim=1)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


def make_trainer(task: Task, model: nn.Module, lr: float, seed: int, steps: int, train: Tensors,
                 val: Tensors | None, output_dir: str) -> Any:
    """The Trainer a user would build for this fine-tuning (``model`` is an ``LMLogits``)."""
    import transformers

    transformers.logging.set_verbosity_error()
    args = transformers.TrainingArguments(
        output_dir=output_dir, max_steps=steps, per_device_train_batch_size=task.batch_size,
        per_device_eval_batch_size=64, learning_rate=lr, seed=seed, data_seed=seed, use_cpu=True, report_to=[],
        save_strategy="no", logging_strategy="no", eval_strategy="no", disable_tqdm=True,
        dataloader_num_workers=0, **trainer_args_spec())
    trainer = transformers.Trainer(model=model.hf, args=args, train_dataset=TokenWindows(train),
                                   eval_dataset=None if val is None else TokenWindows(val))
    trainer.remove_callback(transformers.PrinterCallback)      # it prints the run's metrics at the end
    return trainer


def regrouped(optimizer: torch.optim.Optimizer, model: nn.Module, groups: tuple[tuple[str, str], ...],
              ratio: float) -> torch.optim.Optimizer:
    """The same optimizer with each of its groups split by named group: the first named group
    keeps the rate, the others train at ``ratio`` of it (each part keeps its weight decay)."""
    names = {id(p): n for n, p in model.named_parameters()}
    split = []
    for group in optimizer.param_groups:
        for k, (_, prefix) in enumerate(groups):
            params = [p for p in group["params"] if names[id(p)].startswith(prefix + ".")]
            if params:
                split.append({**{key: v for key, v in group.items() if key != "params"}, "params": params,
                              "lr": group["lr"] * (1.0 if k == 0 else ratio)})
    counted = sum(len(g["params"]) for g in split)
    if counted != sum(len(g["params"]) for g in optimizer.param_groups):
        raise ValueError(f"the groups {groups} do not cover every trained parameter")
    return type(optimizer)(split, lr=optimizer.defaults["lr"])      # every group carries its own settings


def trainer_run(task: Task, lr: float, seed: int, steps: int, train: Tensors, val: Tensors, ratio: float) -> Any:
    """One full-budget run through ``transformers.Trainer`` (the task's ``run``)."""
    from .training import RunOutcome, mean_loss

    model = task.make_model(seed)
    init_val, init_train = mean_loss(task, model, val), mean_loss(task, model, train)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = make_trainer(task, model, lr, seed, steps, train, None, tmp)
        if ratio != 1.0:
            trainer.create_optimizer()
            trainer.optimizer = regrouped(trainer.optimizer, model.hf, tuple((n, p[len("hf."):])
                                                                             for n, p in task.groups), ratio)
        trainer.train()
    final_val, final_train = mean_loss(task, model, val), mean_loss(task, model, train)
    finite = [v if math.isfinite(v) else math.inf for v in (final_val, final_train)]
    return RunOutcome(init_val, finite[0], steps, init_train, finite[1])


FINETUNE_BUILDERS: dict[str, Callable[[], Task]] = {
    "finetune-mlp-lm": finetune_mlp_lm,
    "finetune-gpt2-trainer": finetune_gpt2_trainer,
}
SCRATCH_BUILDERS: dict[str, Callable[[], Task]] = {
    "finetune-mlp-lm-scratch": lambda: finetune_mlp_lm(pretrained=False),
    "finetune-gpt2-trainer-scratch": lambda: finetune_gpt2_trainer(pretrained=False),
}


# ------------------------------------------------------------------------------ does pretraining matter?

def main(argv: list[str] | None = None) -> int:
    """Train each fine-tuning task and its scratch twin over the hindsight grid at the evaluation
    seeds; print the best rate of each, per seed and on average."""
    import argparse

    from .evaluation import SEEDS, Evaluations
    from .pool import MAX_WORKERS, single_threaded
    from .tasks import get_task

    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality.finetune", description=main.__doc__)
    parser.add_argument("--tasks", default=",".join(FINETUNE_BUILDERS))
    parser.add_argument("--workers", type=int, default=MAX_WORKERS)
    args = parser.parse_args(argv)
    single_threaded()
    names = [n.strip() for n in args.tasks.split(",") if n.strip()]
    tasks = [get_task(n) for n in names] + [get_task(f"{n}-scratch") for n in names]
    digests = {t.name: t.digest() for t in tasks}
    evaluations = Evaluations()
    evaluations.ensure([(t.name, lr) for t in tasks for lr in t.grid()], digests, args.workers)
    for name in names:
        print(f"\n{name}: best rate of the grid at each evaluation seed, and of the mean over seeds")
        for task in (get_task(name), get_task(f"{name}-scratch")):
            line = [f"  {'pretrained' if task.name == name else 'scratch':10s}"]
            for seed in SEEDS:
                runs = [(evaluations.get(digests[task.name], lr, seed), lr) for lr in task.grid()]
                val, lr = min((o.final_val, lr) for o, lr in runs if not o.diverged)
                line.append(f"seed {seed}: {val:.4f} at {lr:.3g}")
            means = [(evaluations.score(digests[task.name], lr).mean, lr) for lr in task.grid()]
            val, lr = min(means)
            line.append(f"mean: {val:.4f} at {lr:.3g}")
            print(" | ".join(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
