"""A built-in model swept on a CSV file larger than memory, read one chunk at a time.

A sweep of ``steps`` mini-batches of ``batch_size`` rows trains on ``steps x batch_size`` rows,
whatever the file's size. So the file is streamed once, chunk by chunk, and only the rows a
sweep can use are kept: a uniform random sample of training rows (enough for ``max_steps``
steps) and a sample of validation rows (``val_rows``). Memory then depends on the chunk and
the samples, never on the file: ``benchmarks/EXECUTORS.md`` measures it.

Each row's fate is decided by a hash of its row number and the seed (splitmix64), not by a
random generator stepping through the file, so it does not depend on the chunk size:

- the row is for validation when one hash falls below ``val_fraction``;
- training rows are ranked by a second hash, and the ``max_steps x batch_size`` lowest are
  kept (a bottom-k sample: uniform, without replacement, in random order). Any prefix of that
  order is itself a uniform sample, so a sweep of fewer steps trains on the first
  ``steps x batch_size`` rows of the same sample, and every candidate, on every executor, on
  the same rows in the same order.

Training is delegated to ``NumpyProblem`` on those rows (one epoch over them, as the steps
need), so the models, pruning and vectorized candidates are exactly the in-memory ones; the
model starts from the best constant model of the rows it trains on.
"""

from __future__ import annotations

import os
from itertools import islice
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .._validation import finite_real, non_negative_int, positive_int
from ..core.pruning import DivergencePruner
from ..core.types import Trace
from ..data.prepare import feature_columns
from ..data.validation import MIN_TRAIN_ROWS, MIN_VAL_ROWS, check_features, check_split_sizes
from ..errors import DataError, InvalidConfigError
from .numpy_models import Model, NumpyProblem, is_convex

_VAL_SALT, _ORDER_SALT = 0x5EED_0001, 0x5EED_0002


class StreamingProblem:
    """A built-in ``model`` on the numeric CSV at ``path`` (header row, comma-separated).

    ``target`` names the column to predict; ``features`` the inputs (default: every other
    column). Rows are read ``chunk_rows`` at a time; ``max_steps`` bounds the steps a sweep may
    ask for (it sizes the training sample). Features are used as they are in the file.
    """

    def __init__(self, model: Model, path: str | os.PathLike[str], target: str, *, batch_size: int,
                 features: Sequence[str] | None = None, max_steps: int = 1000, val_fraction: float = 0.2,
                 val_rows: int = 10_000, momentum: float = 0.0, seed: int = 0, chunk_rows: int = 100_000) -> None:
        self.model = model
        self.path = Path(path)
        self.batch_size = positive_int("batch_size", batch_size)
        self.max_steps = positive_int("max_steps", max_steps)
        self.val_fraction = finite_real("val_fraction", val_fraction, low=0.0, high=0.9)
        self.val_rows = non_negative_int("val_rows", val_rows)
        self.momentum = finite_real("momentum", momentum, low=0.0, high=1.0, high_open=True)
        self.seed = non_negative_int("seed", seed)
        self.chunk_rows = positive_int("chunk_rows", chunk_rows)
        self.target = target
        stat = _stat(self.path)
        self._file_id = f"{self.path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
        self.features, columns = _header(self.path, target, features)
        sample = _sample(self.path, columns, (*self.features, target), self.chunk_rows,
                         self.max_steps * self.batch_size, self.val_rows, self.val_fraction, self.seed)
        self.n_rows, self.n_train, self.n_val = sample.n_rows, sample.n_train, sample.n_val
        self._X, self._y, self._X_val, self._y_val = sample.X, sample.y, sample.X_val, sample.y_val
        self._problems: dict[int, NumpyProblem] = {}

    def loss_is_convex(self) -> bool:
        """Whether the model is a built-in regression: see ``NumpyProblem.loss_is_convex``."""
        return is_convex(self.model)

    def describe(self) -> Mapping[str, Any]:
        return {
            "problem": "numpy-streaming",
            "model": self.model.name,
            "data": self.path.name,
            "target": self.target,
            "features": list(self.features),
            "n_rows": self.n_rows,
            "n_train": self.n_train,
            "n_val": self.n_val,
            "n_val_used": 0 if self._X_val is None else int(self._X_val.shape[0]),
            "n_features": len(self.features),
            "batch_size": self.batch_size,
            "momentum": self.momentum,
            "seed": self.seed,
            "max_steps": self.max_steps,
        }

    def fingerprint(self) -> str:
        """The file as the resume guard sees it: its path, size and modification time."""
        return self._file_id

    def train(self, lrs: Sequence[float], steps: int, *, pruner: DivergencePruner | None = None) -> list[Trace]:
        steps = positive_int("steps", steps)
        if steps > self.max_steps:
            raise InvalidConfigError(f"steps {steps} exceeds this StreamingProblem's max_steps={self.max_steps}, "
                                     "which sized its training sample; build it with a larger max_steps")
        return self._window(steps).train(lrs, steps, pruner=pruner)

    def _window(self, steps: int) -> NumpyProblem:
        """The in-memory problem over the first ``steps x batch_size`` sampled rows."""
        if steps not in self._problems:
            rows = max(steps * self.batch_size, MIN_TRAIN_ROWS)
            self._problems[steps] = NumpyProblem(
                self.model, self._X[:rows], self._y[:rows], X_val=self._X_val, y_val=self._y_val,
                batch_size=self.batch_size, momentum=self.momentum, seed=self.seed)
        return self._problems[steps]

    def __getstate__(self) -> dict[str, Any]:
        # workers rebuild the small in-memory problems themselves; only the samples travel
        return dict(self.__dict__, _problems={})


class _Sample:
    def __init__(self, n_rows: int, n_train: int, n_val: int, X: np.ndarray, y: np.ndarray,
                 X_val: np.ndarray | None, y_val: np.ndarray | None) -> None:
        self.n_rows, self.n_train, self.n_val = n_rows, n_train, n_val
        self.X, self.y, self.X_val, self.y_val = X, y, X_val, y_val


def _stat(path: Path) -> os.stat_result:
    try:
        if path.is_dir():
            raise DataError(f"{str(path)!r} is a directory; give the path of a CSV file")
        return path.stat()
    except FileNotFoundError:
        raise DataError(f"data file {str(path)!r} does not exist") from None


def _header(path: Path, target: str, features: Sequence[str] | None) -> tuple[tuple[str, ...], list[int]]:
    """Feature names and the column indices to read (features first, target last)."""
    with path.open(encoding="utf-8-sig") as fh:
        names = [c.strip() for c in fh.readline().rstrip("\r\n").split(",")]
    if target not in names:
        raise DataError(f"{path.name}: no column named {target!r}; the columns are "
                        f"{', '.join(map(repr, names))}")
    unknown = [c for c in features or () if c not in names]
    if unknown:
        raise DataError(f"{path.name}: no feature column(s) {', '.join(map(repr, unknown))}")
    chosen = feature_columns(names, target, features, source=path.name)
    return chosen, [names.index(c) for c in chosen] + [names.index(target)]


def _sample(path: Path, columns: list[int], names: tuple[str, ...], chunk_rows: int, train_keep: int,
            val_keep: int, val_fraction: float, seed: int) -> _Sample:
    """One pass over the file: count rows, keep the bottom-k training rows and the first
    ``val_keep`` validation rows in hash order."""
    train = _BottomK(train_keep)
    val = _BottomK(val_keep)
    n_rows = n_val = 0
    with path.open(encoding="utf-8-sig") as fh:
        next(fh)  # the header
        while True:
            lines = list(islice(fh, chunk_rows))
            if not lines:
                break
            block = _parse(lines, columns, names, path, first_row=n_rows + 1, kept_rows=max(train_keep, val_keep))
            index = np.arange(n_rows, n_rows + block.shape[0], dtype=np.uint64)
            is_val = _unit_hash(index, seed, _VAL_SALT) < val_fraction
            order = _unit_hash(index, seed, _ORDER_SALT)
            train.offer(order[~is_val], block[~is_val])
            val.offer(order[is_val], block[is_val])
            n_rows += block.shape[0]
            n_val += int(is_val.sum())
    X, y = train.rows()
    X_val, y_val = val.rows() if val.size else (None, None)
    check_split_sizes(n_rows - n_val, 0 if X_val is None else X_val.shape[0],
                      train_name=f"{path.name} ({n_rows} data rows, val_fraction {val_fraction:g})",
                      val_name=f"{path.name} ({n_rows} data rows, val_fraction {val_fraction:g}, val_rows {val_keep})",
                      train_fix="Use more data, or a smaller val_fraction.",
                      val_fix=f"Use val_fraction=0 to sweep without validation, or more rows for it (at least "
                              f"{MIN_VAL_ROWS}: a larger val_fraction or val_rows, or more data).")
    return _Sample(n_rows, n_rows - n_val, n_val, X, y, X_val, y_val)


class _BottomK:
    """The ``k`` rows with the lowest keys seen so far, kept sorted by key."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.keys = np.empty(0)
        self.block: np.ndarray | None = None

    @property
    def size(self) -> int:
        return int(self.keys.size)

    def offer(self, keys: np.ndarray, block: np.ndarray) -> None:
        if self.k == 0 or keys.size == 0:
            return
        keys = np.concatenate([self.keys, keys])
        block = block if self.block is None else np.concatenate([self.block, block])
        keep = np.argsort(keys, kind="stable")[:self.k]
        self.keys, self.block = keys[keep], block[keep]

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        block = self.block if self.block is not None else np.empty((0, 1))
        return block[:, :-1], block[:, -1]


def _parse(lines: list[str], columns: list[int], names: tuple[str, ...], path: Path, first_row: int,
           kept_rows: int) -> np.ndarray:
    """A chunk of rows as numbers, checked as the in-memory data are (``lrscout.data.validation``);
    values are held to the magnitude the ``kept_rows`` a sweep trains on allow."""
    try:
        block = np.loadtxt(lines, delimiter=",", usecols=columns, ndmin=2, dtype=np.float64)
    except ValueError as exc:
        raise DataError(f"{path.name}: data rows {first_row}-{first_row + len(lines) - 1} are not all numeric "
                        f"({exc}); the streaming reader takes numeric CSV only") from None
    return check_features(block, name=path.name, column_names=names, row_base=first_row, row_word="data row",
                          limit_rows=kept_rows)


def _unit_hash(index: np.ndarray, seed: int, salt: int) -> np.ndarray:
    """splitmix64 of (row number, seed, salt) as a float in [0, 1): the same for a row
    whatever chunk it is read in."""
    with np.errstate(over="ignore"):
        z = index + np.uint64((seed * 0x9E3779B97F4A7C15 + salt) % 2**64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(2**53)
