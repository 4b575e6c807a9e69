"""``TorchTrace``: a core ``Trace`` plus the per-step update/parameter norm ratio.

The core ``Trace`` has no field for the ratio yet; this subclass carries it through a sweep
(``result.candidate(lr).trace.update_ratio``) so later diagnosis can read it. It is not part
of the JSON written by ``SweepResult.save`` until the core ``Trace`` grows the field.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..types import Trace, _frozen_array


@dataclass(frozen=True, eq=False)
class TorchTrace(Trace):
    """``update_ratio[t]`` = ||theta_{t+1} - theta_t|| / ||theta_t|| for each update applied.

    The usual reading: around 1e-3 per step is healthy for SGD-type training; 1e-1 and more
    means each step rewrites a large part of the weights.
    """

    update_ratio: np.ndarray | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.update_ratio is not None:
            object.__setattr__(self, "update_ratio", _frozen_array(self.update_ratio))
