"""The house-price example (lot frontage and depth), generated deterministically (nothing is
downloaded).

Each lot has a frontage x1 and a depth x2, in hundreds of feet, drawn uniformly from
0.5-8.5 and 1-9; the price (in $100k) is 0.8 x1 + 0.5 x2 + 0.6 plus noise (sd 0.2). The
features are positive with means (4.5, 5) well above their spread (sd about 2.3): unscaled,
the design is badly conditioned (with the intercept, the loss's Hessian has eigenvalues of
about 0.1, 5.5 and 52), which is exactly the case the example is about. The demo
trains linear regression by mini-batch gradient descent with heavy-ball momentum 0.5 (batch
32, 200 steps):

- at 0.001 the loss barely moves (too slow);
- at 0.01 it falls steadily;
- at 0.1 the step is past the edge of stability along the stiff direction (the features'
  common mean): with momentum m, a direction of curvature h is stable only for
  lr < 2 (1 + m) / h, here 3 / 52 = 0.058. Each update overshoots further than the last and the
  loss explodes within a few steps (too high);
- standardized, every direction has curvature near 1, and 0.1 is a good rate.

Momentum does not cause the explosion: it moves the edge up, from 2 / h to 2 (1 + m) / h. On
lots half this size (the largest curvature near 19) under plain gradient descent, 0.1 lies
between 1 / h and 2 / h: its updates zigzag across the valley while its loss falls further
than 0.01's (89% against 26%), the fastest rate zigzagging rather than one too high, and it
is read as good. The demo also shows that mini-batch noise is not read as oscillation.
"""

from __future__ import annotations

import numpy as np

from .table import Table

FRONTAGE = (0.5, 8.5)
DEPTH = (1.0, 9.0)
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

