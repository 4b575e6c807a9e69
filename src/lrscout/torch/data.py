"""Training and validation batches, taken once and replayed identically for every candidate.

A search compares learning rates, so every candidate must see the same batches in the same
order. ``BatchSource`` pulls the batches a window needs from the user's data once (cycling
through it when it is shorter than the window), moves them to the device and keeps them:
each candidate, each planner round and the range test replay that list. The cost is memory
for ``steps x accumulation_steps`` batches, the price of an exact comparison.

Accepted data: a ``DataLoader`` or any re-iterable of batches; a map-style ``Dataset``
(batched by a private ``DataLoader``); or a tuple of tensors ``(inputs, targets)`` sharing
their first dimension, batched with ``batch_size`` (``None``: the full set) and shuffled each
pass by a private generator seeded by ``seed`` -- never the global RNG.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

import torch

from .._validation import positive_int
from ..errors import DataError


def move(batch: Any, device: torch.device, dtype: torch.dtype | None) -> Any:
    """A batch's tensors on ``device``; floating ones cast to ``dtype`` when one is given."""
    if isinstance(batch, torch.Tensor):
        cast = dtype if dtype is not None and batch.is_floating_point() else None
        return batch.to(device=device, dtype=cast)
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):      # namedtuple
        return type(batch)(*(move(b, device, dtype) for b in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(move(b, device, dtype) for b in batch)
    if isinstance(batch, dict):
        return {k: move(v, device, dtype) for k, v in batch.items()}
    return batch


def batch_size_of(batch: Any) -> int:
    """Rows in a batch: the first dimension of its first tensor (1 when it has none)."""
    if isinstance(batch, torch.Tensor):
        return int(batch.shape[0]) if batch.dim() else 1
    items = batch.values() if isinstance(batch, dict) else batch if isinstance(batch, (list, tuple)) else ()
    for item in items:
        if isinstance(item, (torch.Tensor, list, tuple, dict)):
            return batch_size_of(item)
    return 1


class _TensorBatches:
    """(inputs, targets) tensors as mini-batches. For training, each pass reshuffles (privately
    seeded) and drops a short last batch, so every step sees a full batch; for validation
    (``evaluation``) the rows go in order and every row counts."""

    def __init__(self, tensors: tuple[torch.Tensor, ...], batch_size: int | None, seed: int,
                 evaluation: bool = False) -> None:
        self.tensors = tensors
        self.rows = int(tensors[0].shape[0])
        self.batch_size = self.rows if batch_size is None else min(batch_size, self.rows)
        self.generator = torch.Generator().manual_seed(seed)
        self.evaluation = evaluation

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        if self.evaluation:
            for start in range(0, self.rows, self.batch_size):
                yield tuple(t[start:start + self.batch_size] for t in self.tensors)
            return
        order = torch.randperm(self.rows, generator=self.generator)
        for start in range(0, self.rows - self.batch_size + 1, self.batch_size):
            idx = order[start:start + self.batch_size]
            yield tuple(t[idx] for t in self.tensors)


def _as_iterable(data: Any, name: str, batch_size: int | None, seed: int, evaluation: bool) -> Iterable[Any]:
    if isinstance(data, (tuple, list)) and data and all(isinstance(t, torch.Tensor) for t in data):
        rows = {int(t.shape[0]) if t.dim() else -1 for t in data}
        if len(rows) != 1 or -1 in rows:
            shapes = ", ".join(str(tuple(t.shape)) for t in data)
            raise DataError(f"{name}: tensors given as (inputs, targets) must share their first dimension, "
                            f"got shapes {shapes}")
        if rows == {0}:
            raise DataError(f"{name}: the tensors have no rows; pass at least one example")
        return _TensorBatches(tuple(data), batch_size, seed, evaluation)
    if isinstance(data, torch.utils.data.IterableDataset):
        # torch's convention: an IterableDataset yields examples, which a DataLoader batches
        return torch.utils.data.DataLoader(data, batch_size=batch_size or 32)
    if isinstance(data, torch.utils.data.Dataset) and not isinstance(data, torch.utils.data.DataLoader):
        if not hasattr(data, "__len__"):
            raise DataError(f"{name}: the Dataset has no __len__, so it cannot be shuffled; give it a __len__ or "
                            "pass a DataLoader over it")
        if len(data) == 0:
            raise DataError(f"{name}: the Dataset is empty; pass at least one example")
        return torch.utils.data.DataLoader(data, batch_size=batch_size or 32, shuffle=not evaluation,
                                           generator=torch.Generator().manual_seed(seed))
    if isinstance(data, (str, bytes)) or not isinstance(data, Iterable):
        raise DataError(f"{name} must be a DataLoader, an iterable of batches, a Dataset or a tuple of "
                        f"(inputs, targets) tensors, got {type(data).__name__}")
    return data


class BatchSource:
    """The user's data as a list of device-resident batches, pulled on demand and kept."""

    def __init__(self, data: Any, *, name: str, device: torch.device, dtype: torch.dtype | None = None,
                 batch_size: int | None = None, seed: int = 0, evaluation: bool = False) -> None:
        if batch_size is not None:
            batch_size = positive_int(f"{name} batch_size", batch_size)
        self.name = name
        self.device = device
        self.dtype = dtype
        self._data = _as_iterable(data, name, batch_size, seed, evaluation)
        self._cache: list[Any] = []
        self._pass_len: int | None = None      # batches in one full pass, once one has ended
        self._iterator: Iterator[Any] | None = None
        # A DataLoader without a generator of its own shuffles with torch's global generator:
        # pulling it from a private state seeded with ``seed`` gives the same batches whichever
        # engine pulls them and whatever the caller's generator holds.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self._rng = torch.get_rng_state()
        # A DataLoader with a generator of its own shuffles with that: it is pulled from a private
        # copy of its state, and the user's generator is left where it was.
        own = getattr(self._data, "generator", None)
        self._generator = own if isinstance(own, torch.Generator) else None
        self._generator_state = None if self._generator is None else self._generator.get_state()
        if evaluation:
            # an empty validation set would fail every candidate after its training: refuse it now
            self.one_pass(1)

    @property
    def batch_size(self) -> int | str:
        """The rows in a batch when the data says so (tensors, a Dataset or a DataLoader), for the
        result's config; otherwise how the batches are made."""
        size = getattr(self._data, "batch_size", None)
        return int(size) if isinstance(size, int) else "set by the data (an iterable of batches)"

    def _pull(self) -> bool:
        """Append the next batch of the current pass to the cache; False at the end of a pass."""
        users = None if self._generator is None else self._generator.get_state()
        with torch.random.fork_rng(devices=[]):
            torch.set_rng_state(self._rng)
            if self._generator is not None and self._generator_state is not None:   # (set together)
                self._generator.set_state(self._generator_state)
            try:
                if self._iterator is None:
                    self._iterator = iter(self._data)
                batch = next(self._iterator)
            except StopIteration:
                self._iterator = None
                return False
            finally:
                self._rng = torch.get_rng_state()
                if self._generator is not None and users is not None:
                    self._generator_state = self._generator.get_state()
                    self._generator.set_state(users)
        self._cache.append(move(batch, self.device, self.dtype))
        return True

    def take(self, n: int) -> list[Any]:
        """The first ``n`` batches, cycling through the data when one pass is shorter.

        A new pass re-iterates the data (a shuffling DataLoader gives a new order, as in
        training); a one-shot iterator that yields nothing more is replayed from the cache.
        """
        while len(self._cache) < n:
            if self._pull():
                continue
            if not self._cache:
                raise DataError(f"{self.name} yielded no batches; pass a non-empty DataLoader or "
                                "(inputs, targets) tensors")
            self._pass_len = self._pass_len or len(self._cache)
            if not self._pull():                          # one-shot iterator: replay what it gave
                while len(self._cache) < n:
                    self._cache.append(self._cache[len(self._cache) % self._pass_len])
        return self._cache[:n]

    def one_pass(self, limit: int | None = None) -> list[Any]:
        """Every batch of one pass (at most ``limit``), for validation."""
        while (limit is None or len(self._cache) < limit) and self._pass_len is None:
            if not self._pull():
                if not self._cache:
                    raise DataError(f"{self.name} yielded no batches; pass a non-empty DataLoader or "
                                    "(inputs, targets) tensors, or leave it out")
                self._pass_len = len(self._cache)
        end = len(self._cache) if self._pass_len is None else self._pass_len
        return self._cache[:end if limit is None else min(end, limit)]
