"""The options of a PyTorch search, as the user gave them (``SetupOptions``), and how each
training step runs once they are checked (``TrainOptions``: device, dtype, mixed precision,
accumulation, gradient clipping, CPU threads).

``SetupOptions`` is built once by ``lrscout.torch.sweep`` (or ``TorchProblem``, or the range
test) and handed down, so the keywords are listed here and nowhere else below the public
calls. ``TrainOptions`` is one validated value shared by the sweep engines and the range test,
so both train a step the same way and the result's ``config`` can say exactly how it was run.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Callable, ContextManager, Mapping

import torch

from .._validation import Optional, Real, positive_int
from ..errors import InvalidConfigError

# None (no clipping) or a positive finite norm: a zero norm would zero every gradient
_MAX_GRAD_NORM = Optional(Real(low=0.0, low_open=True))

_AMP_DTYPES = {"bf16": torch.bfloat16, "bfloat16": torch.bfloat16, torch.bfloat16: torch.bfloat16,
               "fp16": torch.float16, "float16": torch.float16, torch.float16: torch.float16}


@dataclass(frozen=True, eq=False)
class SetupOptions:
    """Everything a search takes besides the model, the optimizer, the loss and the training data;
    each means what it means in ``lrscout.torch.sweep``. Plain values as given: each is checked,
    with a message naming it, where it is used (the workbench, ``TrainOptions``, the engine choice).

    The range test uses the workbench's part (``val_data``, ``val_batches`` and the engine
    options ``mode`` .. ``cuda_graphs`` are the sweep's alone).
    """

    val_data: Any = None
    batch_loss: Callable[[torch.nn.Module, Any], Any] | None = None
    optimizer_kwargs: Mapping[str, Any] | None = None
    batch_size: int | None = None
    seed: int = 0
    device: Any = None
    dtype: Any = None
    amp: Any = None
    accumulation_steps: int = 1
    max_grad_norm: float | None = None
    num_threads: int | None = None
    val_batches: int | None = None
    mode: str = "auto"
    chunk_size: int | None = None
    compile: bool = False
    cuda_graphs: bool = False


@dataclass(frozen=True)
class TrainOptions:
    """``device``/``dtype``: where and in what precision the working copy lives (``None``: as
    the model is). ``amp``: ``"bf16"`` or ``"fp16"`` autocast (fp16 adds a ``GradScaler``).
    ``accumulation_steps``: micro-batches whose gradients are summed into one step.
    ``max_grad_norm``: clip each candidate's gradient to this total L2 norm before its step, as
    ``torch.nn.utils.clip_grad_norm_`` does (``None``: no clipping).
    ``num_threads``: torch's CPU threads during the search (restored after); ``None`` keeps the
    current setting, which is recorded either way."""

    device: torch.device
    dtype: torch.dtype | None = None
    amp: torch.dtype | None = None
    accumulation_steps: int = 1
    max_grad_norm: float | None = None
    num_threads: int | None = None

    @classmethod
    def resolve(cls, model: torch.nn.Module, *, device: Any = None, dtype: Any = None, amp: Any = None,
                accumulation_steps: int = 1, max_grad_norm: float | None = None,
                num_threads: int | None = None) -> "TrainOptions":
        """Validate the user's options; ``device=None`` means the model's own device."""
        if device is None:
            first = next(iter(model.parameters()), None)
            resolved = first.device if first is not None else torch.device("cpu")
        else:
            try:
                resolved = torch.device(device)
            except (RuntimeError, TypeError) as exc:
                raise InvalidConfigError(f"device {device!r} is not a torch device (e.g. 'cpu', 'cuda:0'): "
                                         f"{exc}") from None
        if resolved.type == "cuda" and not torch.cuda.is_available():
            raise InvalidConfigError(f"device {device!r} asks for CUDA, but torch {torch.__version__} sees no GPU; "
                                     "use device='cpu'")
        if dtype is not None and not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
            raise InvalidConfigError(f"dtype must be a floating torch dtype such as torch.float32, got {dtype!r}")
        if amp is not None and amp not in _AMP_DTYPES:
            raise InvalidConfigError(f"amp must be None, 'bf16' or 'fp16', got {amp!r}")
        threads = None if num_threads is None else positive_int("num_threads", num_threads)
        return cls(device=resolved, dtype=dtype, amp=None if amp is None else _AMP_DTYPES[amp],
                   accumulation_steps=positive_int("accumulation_steps", accumulation_steps),
                   max_grad_norm=_MAX_GRAD_NORM("max_grad_norm", max_grad_norm), num_threads=threads)

    def autocast(self) -> ContextManager[Any]:
        if self.amp is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp)

    def grad_scaler(self) -> "torch.amp.GradScaler | None":
        """fp16 gradients underflow without loss scaling; bf16 has fp32's range and needs none."""
        if self.amp is not torch.float16:
            return None
        return torch.amp.GradScaler(self.device.type)

    def describe(self) -> Mapping[str, Any]:
        return {
            "device": str(self.device),
            "dtype": None if self.dtype is None else str(self.dtype).replace("torch.", ""),
            "amp": None if self.amp is None else str(self.amp).replace("torch.", ""),
            "accumulation_steps": self.accumulation_steps,
            "max_grad_norm": self.max_grad_norm,
        }

    def clip_scale(self, grad_norm: torch.Tensor) -> torch.Tensor | None:
        """The factor each candidate's gradients are multiplied by, from their (K,) total norms:
        ``max_grad_norm / (norm + 1e-6)`` capped at 1, the formula of
        ``torch.nn.utils.clip_grad_norm_``; ``None`` when nothing is clipped."""
        if self.max_grad_norm is None:
            return None
        return (self.max_grad_norm / (grad_norm + 1e-6)).clamp(max=1.0)
