"""The benchmark's training tasks: small PyTorch problems whose good learning rate differs.

A ``Task`` fixes everything except the learning rate: a seeded model factory, the optimizer
class and its other arguments, the loss, a fixed train/validation split, the batch size, the
full training budget in steps, the optimizer's common default lr (the ``default`` finder) and
the log-lr range its hindsight grid covers. Every task is a plain ``nn.Module`` trained on
``(inputs, targets)`` tensors, so every finder (lrscout, Lightning, torch-lr-finder, fastai,
Optuna) can run it unchanged.

All data ships with the installed packages or is generated: scikit-learn's bundled data sets
(diabetes, breast cancer, digits, wine), a seeded synthetic regression, and the source text of
a few standard-library modules for the character-level language models. Nothing is
downloaded. Tasks are built on demand by name (``get_task``), so worker processes rebuild
them instead of unpickling tensors.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import itertools
import json
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

SGD_DEFAULT_LR = 0.01       # torch.optim.SGD has no default lr; 0.01 is Keras' and most tutorials'
ADAM_DEFAULT_LR = 1e-3      # torch.optim.Adam's default

Tensors = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True, eq=False)
class Task:
    """One training problem; ``lr`` is the only free choice."""

    name: str
    summary: str
    build_model: Callable[[], nn.Module]
    optimizer: type[torch.optim.Optimizer]
    optimizer_kwargs: dict[str, Any]
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    train: Tensors
    val: Tensors
    batch_size: int
    steps: int
    default_lr: float
    grid_decades: tuple[float, float]          # hindsight grid: 10**lo .. 10**hi, 4 points a decade
    notes: str = ""
    inner_fraction: float = 0.2     # the finders' inner validation split, taken from the end of train
    step_ms: float = 0.2            # rough cost of a step on one thread: only to start long jobs first
    # named parameter groups, (name, parameter-name prefix): the first keeps the rate, the others
    # can train at a ratio of it (lrscout-groups); every trained parameter is in one
    groups: tuple[tuple[str, str], ...] = ()
    # a full-budget run of the task's own (task, lr, seed, steps, train, val, ratio) -> RunOutcome,
    # instead of the plain loop (the fine-tuning task that trains through transformers.Trainer)
    run: Callable[..., Any] | None = None
    recipe: dict[str, Any] | None = None      # more of the definition, for the digest (the pretraining's)

    def make_model(self, seed: int) -> nn.Module:
        """A fresh model whose initial weights depend only on ``seed`` (the global RNG is left as it was)."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return self.build_model()

    def make_optimizer(self, params: Any, lr: float) -> torch.optim.Optimizer:
        return self.optimizer(params, lr=lr, **self.optimizer_kwargs)

    def inner_split(self) -> tuple[Tensors, Tensors]:
        """The training split cut into (fit, inner validation): the last ``inner_fraction`` of its rows.

        Finders never see ``val``; those that validate (lrscout, Optuna) use this inner split.
        """
        x, y = self.train
        cut = round(x.shape[0] * (1 - self.inner_fraction))
        return (x[:cut], y[:cut]), (x[cut:], y[cut:])

    def grid(self) -> list[float]:
        """The hindsight learning rates: 4 per decade, exact powers of ten included."""
        lo, hi = (round(4 * d) for d in self.grid_decades)
        return [10.0 ** (k / 4) for k in range(lo, hi + 1)]

    def optimizer_label(self) -> str:
        extra = ", ".join(f"{k}={v}" for k, v in self.optimizer_kwargs.items())
        return f"{self.optimizer.__name__}({extra})" if extra else self.optimizer.__name__

    def digest(self) -> str:
        """A hash of the task's definition: data, architecture, seed-0 initial weights, optimizer,
        loss, batch size and budget. A change to any of them invalidates cached results."""
        h = hashlib.sha256()
        spec = {"name": self.name, "optimizer": self.optimizer.__name__, "kwargs": self.optimizer_kwargs,
                "loss": self.loss_fn.__name__, "batch_size": self.batch_size, "steps": self.steps,
                "inner_fraction": self.inner_fraction}
        if self.groups or self.run is not None or self.recipe is not None:      # older tasks keep their digests
            spec.update({"groups": self.groups, "run": getattr(self.run, "__name__", None), "recipe": self.recipe})
        h.update(json.dumps(spec, sort_keys=True).encode())
        model = self.make_model(0)
        h.update(repr(model).encode())
        for tensor in [*model.state_dict().values(), *self.train, *self.val]:
            h.update(str((tuple(tensor.shape), tensor.dtype)).encode())
            h.update(tensor.detach().contiguous().numpy().tobytes())
        return h.hexdigest()[:16]


# ------------------------------------------------------------------------------ losses

def mse(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(output, target)


def binary_cross_entropy(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(output, target)


def cross_entropy(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(output, target)


def next_char_cross_entropy(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of (batch, time, vocab) logits against (batch, time) next characters."""
    return F.cross_entropy(output.reshape(-1, output.shape[-1]), target.reshape(-1))


# ------------------------------------------------------------------------------ data

def _split(x: np.ndarray, y: np.ndarray, val_fraction: float, seed: int = 0) -> tuple[Tensors, Tensors]:
    """A fixed shuffled split (data sets ship sorted by class), as float32/int64 tensors."""
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    cut = len(x) - round(len(x) * val_fraction)
    as_x = torch.tensor(x, dtype=torch.float32)
    as_y = torch.tensor(y, dtype=torch.float32 if y.dtype.kind == "f" else torch.int64)
    return (as_x[:cut], as_y[:cut]), (as_x[cut:], as_y[cut:])


def _standardized(train: Tensors, val: Tensors) -> tuple[Tensors, Tensors]:
    """Features scaled with the training split's mean and standard deviation."""
    mean, std = train[0].mean(0), train[0].std(0).clamp_min(1e-8)
    return ((train[0] - mean) / std, train[1]), ((val[0] - mean) / std, val[1])


def _diabetes() -> tuple[Tensors, Tensors]:
    """sklearn's diabetes data in its original units (age in years, BMI, blood pressure, serum
    measurements up to ~300); the target standardized so both regression tasks share a scale."""
    from sklearn.datasets import load_diabetes

    data = load_diabetes(scaled=False)
    y = (data.target - data.target.mean()) / data.target.std()
    return _split(data.data, y[:, None], 0.2)


def _breast_cancer() -> tuple[Tensors, Tensors]:
    """sklearn's breast cancer data, raw (features from ~0.05 to ~4000)."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    return _split(data.data, data.target.astype(np.float64)[:, None], 0.25)


def _digits(images: bool) -> tuple[Tensors, Tensors]:
    """sklearn's 8x8 digits, pixels scaled from 0..16 to 0..1; flat or as 1x8x8 images."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = data.data / 16.0
    train, val = _split(x, data.target, 0.25)
    if images:
        train, val = (train[0].reshape(-1, 1, 8, 8), train[1]), (val[0].reshape(-1, 1, 8, 8), val[1])
    return train, val


def _wine() -> tuple[Tensors, Tensors]:
    from sklearn.datasets import load_wine

    data = load_wine()
    return _standardized(*_split(data.data, data.target, 0.3))


def _teacher_regression(rows: int = 2500, features: int = 16) -> tuple[Tensors, Tensors]:
    """A smooth nonlinear target from a fixed random teacher network, plus noise (seed 0)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, features))
    w1 = rng.normal(size=(features, 32)) / math.sqrt(features)
    w2 = rng.normal(size=(32, 1)) / math.sqrt(32)
    y = np.tanh(x @ w1) @ w2 + 0.1 * rng.normal(size=(rows, 1))
    y = (y - y.mean()) / y.std()
    return _split(x, y, 0.2)


CORPUS_MODULES = ("textwrap", "string", "shlex", "fnmatch", "heapq", "bisect", "colorsys", "difflib")
CONTEXT = 24


@functools.cache
def _corpus() -> tuple[str, str]:
    """The source of a few standard-library modules (shipped with Python, never downloaded), and
    its character vocabulary. Its exact text depends on the Python version; the task digest
    covers the encoded data, so cached results follow it."""
    import importlib

    text = "\n".join(inspect.getsource(importlib.import_module(m)) for m in CORPUS_MODULES)
    return text, "".join(sorted(set(text)))


def _char_windows() -> tuple[Tensors, Tensors]:
    """Non-overlapping windows of CONTEXT characters and their next characters; the last 10% of
    the text is validation, so no window straddles the split."""
    text, vocab = _corpus()
    index = {c: i for i, c in enumerate(vocab)}
    codes = torch.tensor([index[c] for c in text], dtype=torch.int64)
    cut = int(len(codes) * 0.9)

    def windows(part: torch.Tensor) -> Tensors:
        n = (len(part) - 1) // CONTEXT
        x = part[:n * CONTEXT].reshape(n, CONTEXT)
        y = part[1:n * CONTEXT + 1].reshape(n, CONTEXT)
        return x, y

    train = windows(codes[:cut])
    order = torch.randperm(train[0].shape[0], generator=torch.Generator().manual_seed(0))
    return (train[0][order], train[1][order]), windows(codes[cut:])


# ------------------------------------------------------------------------------ models

class DeepTanh(nn.Sequential):
    """A deep tanh MLP with no normalisation, initialised with gain 1.5 (std 1.5/sqrt(fan_in)):
    past the edge of chaos, so gradients grow with depth and large steps explode."""

    def __init__(self, features: int, width: int = 64, depth: int = 12, gain: float = 1.5) -> None:
        layers: list[nn.Module] = []
        sizes = [features] + [width] * (depth - 1)
        for fan_in, fan_out in itertools.pairwise(sizes):
            linear = nn.Linear(fan_in, fan_out)
            nn.init.normal_(linear.weight, std=gain / math.sqrt(fan_in))
            nn.init.zeros_(linear.bias)
            layers += [linear, nn.Tanh()]
        layers.append(nn.Linear(width, 1))
        super().__init__(*layers)


class CharGRU(nn.Module):
    """Embedding -> one GRU layer -> logits for the next character at every position."""

    def __init__(self, vocab: int, embed: int = 32, hidden: int = 64) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.gru = nn.GRU(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.gru(self.embed(x))
        return self.head(out)


class CharTransformer(nn.Module):
    """A tiny causal transformer (pre-norm, one block, d=32, 4 heads) over characters."""

    def __init__(self, vocab: int, d: int = 32, heads: int = 4, blocks: int = 1) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.position = nn.Parameter(torch.randn(CONTEXT, d) * 0.02)
        layer = nn.TransformerEncoderLayer(d, heads, dim_feedforward=4 * d, dropout=0.0, batch_first=True,
                                           norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, blocks, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(CONTEXT), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x) + self.position[:x.shape[1]]
        h = self.blocks(h, mask=self.mask[:x.shape[1], :x.shape[1]], is_causal=True)
        return self.head(self.norm(h))


def _mlp(*sizes: int) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        layers: list[nn.Module] = []
        for fan_in, fan_out in itertools.pairwise(sizes[:-1]):
            layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
        layers.append(nn.Linear(sizes[-2], sizes[-1]))
        return nn.Sequential(*layers)
    return build


def _small_cnn() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 4 * 4, 10))


# ------------------------------------------------------------------------------ the suite

def _linreg(scaled: bool) -> Task:
    train, val = _diabetes()
    if scaled:
        train, val = _standardized(train, val)
    return Task(
        name="linreg-std" if scaled else "linreg-raw",
        summary=f"linear regression, diabetes ({'standardized' if scaled else 'raw'} features), SGD",
        build_model=lambda: nn.Linear(10, 1), optimizer=torch.optim.SGD, optimizer_kwargs={}, loss_fn=mse,
        train=train, val=val, batch_size=32, steps=500, default_lr=SGD_DEFAULT_LR,
        grid_decades=(-4.0, 0.5) if scaled else (-8.0, -3.5),
        notes="" if scaled else "raw serum measurements reach ~300: the stiff direction caps the lr near 1e-5, "
                                "while age/sex/bmi directions need far larger steps")


def _logreg(scaled: bool) -> Task:
    train, val = _breast_cancer()
    if scaled:
        train, val = _standardized(train, val)
    return Task(
        name="logreg-std" if scaled else "logreg-raw",
        summary=f"logistic regression, breast cancer ({'standardized' if scaled else 'raw'} features), SGD",
        build_model=lambda: nn.Linear(30, 1), optimizer=torch.optim.SGD, optimizer_kwargs={},
        loss_fn=binary_cross_entropy, train=train, val=val, batch_size=32, steps=500, default_lr=SGD_DEFAULT_LR,
        grid_decades=(-3.0, 2.0) if scaled else (-7.5, -1.0),
        notes="" if scaled else "raw areas reach ~4000, so the logits saturate after one large step")


def _mlp_digits_sgdm() -> Task:
    train, val = _digits(images=False)
    return Task(
        name="mlp-sgdm", summary="MLP 64-128-128-10 on digits, SGD momentum 0.9",
        build_model=_mlp(64, 128, 128, 10), optimizer=torch.optim.SGD, optimizer_kwargs={"momentum": 0.9},
        loss_fn=cross_entropy, train=train, val=val, batch_size=64, steps=600, default_lr=SGD_DEFAULT_LR,
        grid_decades=(-4.0, 0.5), step_ms=0.6)


def _mlp_wine_adam() -> Task:
    train, val = _wine()
    return Task(
        name="mlp-adam", summary="MLP 13-64-64-3 on wine (standardized, 125 training rows), Adam",
        build_model=_mlp(13, 64, 64, 3), optimizer=torch.optim.Adam, optimizer_kwargs={},
        loss_fn=cross_entropy, train=train, val=val, batch_size=16, steps=300, default_lr=ADAM_DEFAULT_LR,
        grid_decades=(-5.0, 0.0), notes="tiny data: large rates overfit within the budget")


def _cnn_digits() -> Task:
    train, val = _digits(images=True)
    return Task(
        name="cnn-adam", summary="CNN (2 conv + pool + linear) on 8x8 digit images, Adam",
        build_model=_small_cnn, optimizer=torch.optim.Adam, optimizer_kwargs={}, loss_fn=cross_entropy,
        train=train, val=val, batch_size=64, steps=400, default_lr=ADAM_DEFAULT_LR, grid_decades=(-5.0, 0.0),
        step_ms=3.5)


def _char_gru() -> Task:
    train, val = _char_windows()
    vocab = len(_corpus()[1])
    return Task(
        name="char-gru", summary=f"character GRU LM on stdlib source ({vocab} symbols, context {CONTEXT}), Adam",
        build_model=lambda: CharGRU(vocab), optimizer=torch.optim.Adam, optimizer_kwargs={},
        loss_fn=next_char_cross_entropy, train=train, val=val, batch_size=32, steps=250,
        default_lr=ADAM_DEFAULT_LR, grid_decades=(-4.5, 0.5), step_ms=9.0)


def _char_transformer() -> Task:
    train, val = _char_windows()
    vocab = len(_corpus()[1])
    return Task(
        name="char-transformer",
        summary="tiny causal transformer LM on stdlib source (one block, d=32), AdamW wd 0.01",
        build_model=lambda: CharTransformer(vocab), optimizer=torch.optim.AdamW,
        optimizer_kwargs={"weight_decay": 0.01}, loss_fn=next_char_cross_entropy, train=train, val=val,
        batch_size=32, steps=250, default_lr=ADAM_DEFAULT_LR, grid_decades=(-4.5, 0.5), step_ms=7.0)


def _deep_tanh() -> Task:
    train, val = _teacher_regression()
    return Task(
        name="deep-tanh", summary="12-layer tanh MLP, no normalisation, init gain 1.5, synthetic regression, SGD",
        build_model=lambda: DeepTanh(16), optimizer=torch.optim.SGD, optimizer_kwargs={}, loss_fn=mse,
        train=train, val=val, batch_size=64, steps=600, default_lr=SGD_DEFAULT_LR, grid_decades=(-5.0, 0.0),
        notes="gradients grow with depth; the stable range ends abruptly", step_ms=0.8)


# ------------------------------------------------------------------------------ holdout tasks
# Added after the rule changes this benchmark drove (README, "Holdout tasks"): nothing in lrscout
# was tuned on them. Each brings what the first ten lack: features on their natural scale with
# a softmax, an optimizer lrscout cannot vectorize (RMSprop), BatchNorm, and dropout.

def _iris() -> tuple[Tensors, Tensors]:
    """sklearn's iris, measurements in cm as shipped (0.1 .. 7.9)."""
    from sklearn.datasets import load_iris

    data = load_iris()
    return _split(data.data, data.target, 0.3)


def _softmax_iris() -> Task:
    train, val = _iris()
    return Task(
        name="holdout-softmax-iris", summary="softmax regression on iris (raw cm), SGD",
        build_model=lambda: nn.Linear(4, 3), optimizer=torch.optim.SGD, optimizer_kwargs={},
        loss_fn=cross_entropy, train=train, val=val, batch_size=16, steps=300, default_lr=SGD_DEFAULT_LR,
        grid_decades=(-4.0, 1.5))


def _mlp_cancer_rmsprop() -> Task:
    train, val = _standardized(*_breast_cancer())
    return Task(
        name="holdout-mlp-rmsprop", summary="MLP 30-64-1 on breast cancer (standardized), RMSprop",
        build_model=_mlp(30, 64, 1), optimizer=torch.optim.RMSprop, optimizer_kwargs={},
        loss_fn=binary_cross_entropy, train=train, val=val, batch_size=32, steps=400, default_lr=0.01,
        grid_decades=(-5.5, 0.5), notes="RMSprop: torch's default lr is 0.01; lrscout trains it sequentially")


def _bn_mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(16, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 64), nn.BatchNorm1d(64),
                         nn.ReLU(), nn.Linear(64, 1))


def _bn_mlp_sgdm() -> Task:
    train, val = _teacher_regression()
    return Task(
        name="holdout-bn-sgdm", summary="MLP with BatchNorm on the synthetic regression, SGD momentum 0.9",
        build_model=_bn_mlp, optimizer=torch.optim.SGD, optimizer_kwargs={"momentum": 0.9}, loss_fn=mse,
        train=train, val=val, batch_size=64, steps=500, default_lr=SGD_DEFAULT_LR, grid_decades=(-4.0, 1.0),
        step_ms=0.8)


def _dropout_mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))


def _dropout_adamw() -> Task:
    train, val = _digits(images=False)
    return Task(
        name="holdout-dropout-adamw", summary="MLP with dropout 0.2 on digits, AdamW (weight decay 0.01)",
        build_model=_dropout_mlp, optimizer=torch.optim.AdamW, optimizer_kwargs={"weight_decay": 0.01},
        loss_fn=cross_entropy, train=train, val=val, batch_size=64, steps=400, default_lr=ADAM_DEFAULT_LR,
        grid_decades=(-5.0, 0.5), step_ms=0.6)


# ------------------------------------------------------------------------------ long tasks
# Added for issue #15 after its rules were set, and never used to choose one (README, "Long
# tasks"). Their budgets (2000-3000 steps) are long enough that the best constant rate for the
# whole run is not the best for a 100-step run, each for its own reason: mini-batch noise at a
# stiff quadratic's edge, memorised label noise, an overconfident deep net, a CNN under AdamW.

def _stiff_regression(rows: int = 5000, features: int = 20) -> tuple[Tensors, Tensors]:
    """A linear target on features whose scales run from 1 to 10 (the loss's curvature spans a
    factor 100), every direction carrying the same share of the signal, plus label noise worth
    about a third of the target's variance (seed 0); the target standardized."""
    rng = np.random.default_rng(0)
    scales = np.logspace(0.0, 1.0, features)
    x = rng.normal(size=(rows, features)) * scales
    w = rng.normal(size=(features, 1)) / scales[:, None]
    y = x @ w + 3.0 * rng.normal(size=(rows, 1))
    y = (y - y.mean()) / y.std()
    return _split(x, y, 0.2)


def _noisy_classes() -> tuple[Tensors, Tensors]:
    """sklearn's ``make_classification`` (generated, seed 0): 4 classes of 2 clusters each in 20
    features, 15% of the labels reassigned at random; standardized."""
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=5000, n_features=20, n_informative=10, n_redundant=4, n_classes=4,
                               n_clusters_per_class=2, flip_y=0.15, class_sep=1.0, random_state=0)
    return _standardized(*_split(x, y, 0.2))


def _linreg_stiff_sgd() -> Task:
    train, val = _stiff_regression()
    return Task(
        name="long-linreg-sgd", summary="linear regression, synthetic features scaled 1..10, label noise, SGD, "
                                        "batch 8, 3000 steps",
        build_model=lambda: nn.Linear(20, 1), optimizer=torch.optim.SGD, optimizer_kwargs={}, loss_fn=mse,
        train=train, val=val, batch_size=8, steps=3000, default_lr=SGD_DEFAULT_LR, grid_decades=(-5.0, -1.5),
        notes="the stiff features cap the rate; a short run wants that cap for the flat ones, a long one has "
              "converged and pays the mini-batch noise, which grows with the rate")


def _mlp_noisy_sgdm() -> Task:
    train, val = _noisy_classes()
    return Task(
        name="long-mlp-sgdm", summary="MLP 20-128-128-4 on synthetic classes with 15% label noise, SGD momentum "
                                      "0.9, 3000 steps",
        build_model=_mlp(20, 128, 128, 4), optimizer=torch.optim.SGD, optimizer_kwargs={"momentum": 0.9},
        loss_fn=cross_entropy, train=train, val=val, batch_size=32, steps=3000, default_lr=SGD_DEFAULT_LR,
        grid_decades=(-4.0, 0.5), notes="large rates memorise the flipped labels within the budget", step_ms=0.6)


def _one_conv_cnn() -> nn.Module:
    # one convolution: a second one doubles the step's cost on one thread (~2.6 against ~1.8 ms)
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(8 * 4 * 4, 10))


def _cnn_digits_adamw() -> Task:
    train, val = _digits(images=True)
    return Task(
        name="long-cnn-adamw", summary="CNN (conv 8 channels, max-pool, linear) on 8x8 digit images, AdamW "
                                       "(weight decay 0.01), batch 32, 2000 steps",
        build_model=_one_conv_cnn, optimizer=torch.optim.AdamW, optimizer_kwargs={"weight_decay": 0.01},
        loss_fn=cross_entropy, train=train, val=val, batch_size=32, steps=2000, default_lr=ADAM_DEFAULT_LR,
        grid_decades=(-4.5, 0.0), notes="the rate that learns fastest in 100 steps overfits by the end",
        step_ms=1.8)


def _deep_relu_mlp() -> nn.Module:
    """Six hidden ReLU layers of 64, He-initialised. torch's default init shrinks the signal layer
    by layer: at this depth rates up to 0.01 then learn nothing in 3000 steps, and larger ones
    leave the plateau at a moment that depends on the seed, which makes a poor reference."""
    model = _mlp(64, *[64] * 6, 10)()
    for layer in model:
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    return model


def _deep_relu_sgd() -> Task:
    train, val = _digits(images=False)
    return Task(
        name="long-deep-sgd", summary="7-layer ReLU MLP (6 hidden layers of 64, He init, no normalisation) on digits, "
                                      "SGD, batch 32, 3000 steps",
        build_model=_deep_relu_mlp, optimizer=torch.optim.SGD, optimizer_kwargs={}, loss_fn=cross_entropy,
        train=train, val=val, batch_size=32, steps=3000, default_lr=SGD_DEFAULT_LR, grid_decades=(-4.0, 0.5),
        notes="the rate that learns fastest in 100 steps fits the training digits so hard by the end that its "
              "validation loss rises", step_ms=0.8)


BUILDERS: dict[str, Callable[[], Task]] = {
    "linreg-raw": lambda: _linreg(scaled=False),
    "linreg-std": lambda: _linreg(scaled=True),
    "logreg-raw": lambda: _logreg(scaled=False),
    "logreg-std": lambda: _logreg(scaled=True),
    "mlp-sgdm": _mlp_digits_sgdm,
    "mlp-adam": _mlp_wine_adam,
    "cnn-adam": _cnn_digits,
    "char-gru": _char_gru,
    "char-transformer": _char_transformer,
    "deep-tanh": _deep_tanh,
    "holdout-softmax-iris": _softmax_iris,
    "holdout-mlp-rmsprop": _mlp_cancer_rmsprop,
    "holdout-bn-sgdm": _bn_mlp_sgdm,
    "holdout-dropout-adamw": _dropout_adamw,
    "long-linreg-sgd": _linreg_stiff_sgd,
    "long-mlp-sgdm": _mlp_noisy_sgdm,
    "long-cnn-adamw": _cnn_digits_adamw,
    "long-deep-sgd": _deep_relu_sgd,
}


# ------------------------------------------------------------------------------ fine-tuning tasks
# issue #16: pretrained by the benchmark itself (benchmarks/quality/finetune.py); held out like
# the long tasks. Imported on demand: the Trainer task needs transformers.

def _finetune(name: str) -> Task:
    from .finetune import FINETUNE_BUILDERS, SCRATCH_BUILDERS

    return {**FINETUNE_BUILDERS, **SCRATCH_BUILDERS}[name]()


for _name in ("finetune-mlp-lm", "finetune-gpt2-trainer"):
    BUILDERS[_name] = functools.partial(_finetune, _name)
TASK_NAMES = tuple(BUILDERS)
# each fine-tuning task's twin with a random body (not in the suite: finetune.py's check)
TWINS = {f"{name}-scratch": functools.partial(_finetune, f"{name}-scratch")
         for name in ("finetune-mlp-lm", "finetune-gpt2-trainer")}


@functools.cache
def get_task(name: str) -> Task:
    """The task called ``name`` (built once per process)."""
    if name in TWINS:
        return TWINS[name]()
    if name not in BUILDERS:
        raise KeyError(f"unknown task {name!r}; the tasks are {', '.join(TASK_NAMES)}")
    return BUILDERS[name]()
