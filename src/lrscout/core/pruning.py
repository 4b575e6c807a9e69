"""The pruning rule: stop training a candidate whose loss has clearly diverged."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validation import finite_real


@dataclass(frozen=True)
class DivergencePruner:
    """Stop a candidate once its loss is NaN/inf or ``ratio`` x its starting loss.

    Such a curve has clearly diverged (or exploded after a gain); training it further only
    costs time. The steps it used are recorded in its trace.
    """

    ratio: float = 10.0

    def __post_init__(self) -> None:
        finite_real("prune ratio", self.ratio, low=1.0, low_open=True)

    def should_stop(self, start: np.ndarray, loss: np.ndarray) -> np.ndarray:
        """Element-wise: which candidates (start loss, current loss) to stop now."""
        start = np.asarray(start, dtype=np.float64)
        loss = np.asarray(loss, dtype=np.float64)
        scale = np.where(start != 0, np.abs(start), 1.0)
        with np.errstate(invalid="ignore", over="ignore"):
            return ~np.isfinite(loss) | (loss - start >= (self.ratio - 1.0) * scale)

    def stop_one(self, start: float, loss: float) -> bool:
        """``should_stop`` for one candidate, in plain floats (engines call it every step)."""
        if not (math.isfinite(start) and math.isfinite(loss)):
            return True
        scale = abs(start) if start != 0 else 1.0
        return loss - start >= (self.ratio - 1.0) * scale
