"""A sweep as TensorBoard runs: one run per candidate, so TensorBoard overlays the curves.

Needs the ``tensorboard`` extra (``tensorboardX``, which writes event files without
TensorFlow). Point TensorBoard at the folder: ``tensorboard --logdir DIR``.
"""

from __future__ import annotations

import importlib.util
import math
import os
from pathlib import Path

from ..core.result import SweepResult
from ..core.types import Candidate
from ..errors import BackendUnavailableError, InvalidConfigError

MODULE, EXTRA = "tensorboardX", "tensorboard"
FEATURE = "writing TensorBoard runs (--tensorboard)"


def check(log_dir: str | os.PathLike[str]) -> Path:
    """Fail before a sweep, not after it: a folder that is a file, or no writer installed."""
    root = Path(log_dir)
    if root.exists() and not root.is_dir():
        raise InvalidConfigError(f"TensorBoard folder {str(root)!r} is a file; give a folder")
    if importlib.util.find_spec(MODULE) is None:
        raise BackendUnavailableError(FEATURE, EXTRA, MODULE)
    return root


def run_name(index: int, candidate: Candidate) -> str:
    """``03_lr_0.01_good``: the index keeps TensorBoard's alphabetical run list in lr order."""
    return f"{index:02d}_lr_{candidate.lr:.3g}_{candidate.kind.value}"


def write_tensorboard(result: SweepResult, log_dir: str | os.PathLike[str]) -> tuple[Path, ...]:
    """Write each candidate's training loss (scalar ``train_loss`` per step), its validation
    loss (``val_loss`` at its last step) and its verdict (text ``verdict``) as its own run."""
    root = check(log_dir)
    try:
        from tensorboardX import SummaryWriter
    except ImportError:  # found but broken: say the same as when missing
        raise BackendUnavailableError(FEATURE, EXTRA, MODULE) from None
    runs = []
    for index, c in enumerate(result.candidates):
        folder = root / run_name(index, c)
        with SummaryWriter(logdir=str(folder)) as writer:
            for step, loss in zip(c.trace.loss_steps().tolist(), c.train_loss.tolist()):
                if math.isfinite(loss):  # TensorBoard draws no NaN; the run simply ends where it diverged
                    writer.add_scalar("train_loss", loss, step)
            if c.val_loss is not None and math.isfinite(c.val_loss):
                writer.add_scalar("val_loss", c.val_loss, max(c.steps_used - 1, 0))
            chosen = " (chosen)" if result.chosen_lr == c.lr else ""
            writer.add_text("verdict", f"**{c.kind.value}**{chosen}: {c.verdict.reason}", 0)
        runs.append(folder)
    return tuple(runs)
