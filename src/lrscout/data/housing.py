"""The house-price example (lot frontage and depth), generated deterministically (nothing is
downloaded).

Each lot has a frontage x1 and a depth x2, in hundreds of feet, drawn uniformly from
0.5-4.5 and 1-5; the price (in $100k) is 0.8 x1 + 0.5 x2 + 0.6 plus noise (sd 0.2). The
features are positive with means (2.5, 3) well above their spread (sd about 1.15): unscaled,
the design is badly conditioned (with the intercept, the loss's Hessian has eigenvalues of
about 0.07, 1.5 and 19),
which is exactly the case the example is about:

- at 0.001 the loss barely moves next to 0.01 (too slow);
- at 0.01 it falls steadily;
- at 0.1 the step is larger than 1/19, so along the stiff direction (the features' common
  mean, moved by every mini-batch) each update overshoots and the next one comes back: the
  updates zigzag across the valley (oscillating), although the loss still falls;
- standardized, every direction has curvature near 1, and 0.1 is a good rate.

The demo trains linear regression by mini-batch gradient descent (batch 32, 200 steps), so it
also shows that mini-batch noise is not read as oscillation.
"""

from __future__ import annotations

import numpy as np

from .table import Table

FRONTAGE = (0.5, 4.5)
DEPTH = (1.0, 5.0)
# How the example trains (``lrscout demo``, and the lab's scenarios): 200 steps of mini-batches of 32
STEPS = 200
BATCH_SIZE = 32


def housing(n: int = 1000, seed: int = 0) -> Table:
    rng = np.random.default_rng(seed)
    frontage = rng.uniform(*FRONTAGE, n)
    depth = rng.uniform(*DEPTH, n)
    price = 0.8 * frontage + 0.5 * depth + 0.6 + rng.normal(0.0, 0.2, n)
    cols = ("frontage", "depth", "price")
    cells = tuple(tuple(f"{v:.6g}" for v in col) for col in (frontage, depth, price))
    return Table(name=f"housing(n={n}, seed={seed})", columns=cols, cells=cells)

