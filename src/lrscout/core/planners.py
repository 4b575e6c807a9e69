"""Planners propose the next learning rates from the results so far (ask/tell).

The runner executes whatever a planner asks for; the planner never trains and the runner
never decides, so the same plan runs inline, on a process pool or on a cluster.
"""

from __future__ import annotations

import math
from typing import Protocol, Sequence

from .analysis import same_curve
from ..errors import InvalidConfigError
from .grids import check_grid
from .types import Candidate, VerdictKind
from .._validation import finite_real, positive_int


class Planner(Protocol):
    """What ``sweep(planner=...)`` needs: ``ask`` for rates, ``tell`` what they gave, until ``ask`` is empty."""

    def ask(self) -> tuple[float, ...]:
        """The next batch of learning rates to run; empty when the plan is complete."""

    def tell(self, candidates: Sequence[Candidate]) -> None:
        """Every candidate run so far, with verdicts read across the whole sweep."""


class FixedGrid:
    """Run exactly the given learning rates, in one batch (``--lrs``)."""

    def __init__(self, lrs: Sequence[float]) -> None:
        self.lrs = check_grid(lrs, where="lrs")
        self._asked = False

    def ask(self) -> tuple[float, ...]:
        if self._asked:
            return ()
        self._asked = True
        return self.lrs

    def tell(self, candidates: Sequence[Candidate]) -> None:
        pass

    def __repr__(self) -> str:
        return f"FixedGrid({list(self.lrs)})"


def _readable(x: float, digits: int = 2) -> float:
    """Two significant digits: a refinement point a user can type back (0.0022, not 0.00215443)."""
    return float(f"{x:.{digits}g}")


def split_gap(lo: float, hi: float, step: float) -> tuple[float, ...]:
    """Rates strictly between ``lo`` and ``hi``, equally spaced on the log scale, no step wider than ``step``.

    At least one rate (the gap split in two) and as few as the steps allow; rounded to two
    significant digits, or more where two would land on or outside an end (a narrow gap). A x10
    gap with ``step=3`` gives 2.2 and 4.6 times ``lo``. Empty when no rate fits between them.

    >>> split_gap(2.2e-07, 4.6e-07, 3.0)
    (3.2e-07,)
    >>> split_gap(0.01, 0.1, 3.0)
    (0.022, 0.046)
    """
    if not (0 < lo < hi and math.isfinite(hi) and step > 1):
        return ()
    parts = max(2, math.ceil(math.log(hi / lo) / math.log(step) - 1e-9))
    exact = [lo * (hi / lo) ** (k / parts) for k in range(1, parts)]
    for digits in (2, 3, 4, 6, 17):
        points = tuple(dict.fromkeys(_readable(x, digits) for x in exact))
        if len(points) == len(exact) and all(lo < x < hi for x in points):
            return points
    return ()


def _r(x: float) -> float:
    return float(f"{x:.6g}")


CONVEX_MIN_LR = 1e-15   # how far the plan descends for a convex model (``default_planner``)
CONVEX_MAX_CANDIDATES = 24


class AdaptivePlanner:
    """The usual manual search: start small, go up by x10 until curves stop being good, refine by x3.

    1. Ask for the ladder ``start, start*10, ...`` (``decades`` rungs; 1e-4 ... 1 by default).
    2. Going up: while no candidate above the largest stable one is too high, ask for the next
       two rungs; stop after two consecutive too-high ones (or at ``max_lr``).
    3. Going down: while the smallest candidate is too high, ask for a rung below (down to
       ``min_lr``), unless the two smallest trace the same curve (then neither moves the model:
       the verdict is the batches' noise, which the diagnosis reports); when the smallest is
       already good (too fast to show the slow side), one more rung.
    4. Refining: while the gap from the largest good rate to the first too-high one above it
       is wider than ``refine`` (x3), split it in one round into equal steps on the log scale
       no wider than ``refine``: a x10 gap gets two rates, at about x2.2 and x4.6. The best
       rate over a long run usually sits just below the edge of stability, so how close the
       choice gets to that edge matters more than the rates far below it. The edge is the
       first rate above that is not good; no point is asked within a tenth of a refinement
       step of one already run.
    5. Searching a gap: while no candidate is good, the gap from the largest too-slow rate to
       the first too-high one above it is split again (in two once it is under ``refine``)
       until a rate in it is good or it is no wider than ``finest`` (x1.25): the plan looks
       inside the gap itself instead of leaving it to the user.
    Stops at ``max_candidates``, or at once when every candidate so far failed (training
    raised at every rate: another rate will not say more).
    """

    def __init__(self, start: float = 1e-4, *, factor: float = 10.0, refine: float = 3.0,
                 decades: int = 5, min_lr: float = 1e-8, max_lr: float = 1e3,
                 max_candidates: int = 16, finest: float = 1.25) -> None:
        self.start = finite_real("start", start, low=0.0, low_open=True)
        self.factor = finite_real("factor", factor, low=1.0, low_open=True)
        self.refine = finite_real("refine", refine, low=1.0, low_open=True)
        if self.refine >= self.factor:
            raise InvalidConfigError(f"refine ({self.refine:g}) must be below factor ({self.factor:g}): refining "
                                     "splits the steps of the x-factor ladder")
        self.decades = positive_int("decades", decades)
        self.min_lr = finite_real("min_lr", min_lr, low=0.0, low_open=True)
        self.max_lr = finite_real("max_lr", max_lr, low=0.0, low_open=True)
        if not self.min_lr <= self.start <= self.max_lr:
            raise InvalidConfigError(f"start ({self.start:g}) must lie between min_lr ({self.min_lr:g}) and max_lr "
                                     f"({self.max_lr:g})")
        self.max_candidates = positive_int("max_candidates", max_candidates, minimum=2)
        self.finest = finite_real("finest", finest, low=1.0, low_open=True)
        self._candidates: list[Candidate] = []
        self._asked: set[float] = set()
        self._went_below_good = False

    def __repr__(self) -> str:
        return (f"AdaptivePlanner(start={self.start:g}, factor={self.factor:g}, refine={self.refine:g}, "
                f"decades={self.decades}, min_lr={self.min_lr:g}, max_lr={self.max_lr:g}, "
                f"max_candidates={self.max_candidates}, finest={self.finest:g})")

    def tell(self, candidates: Sequence[Candidate]) -> None:
        self._candidates = sorted(candidates, key=lambda c: c.lr)

    def ask(self) -> tuple[float, ...]:
        if not self._asked:
            ladder = [_r(self.start * self.factor ** k) for k in range(self.decades)]
            return self._take(([lr for lr in ladder if lr <= self.max_lr] or [self.start])[:self.max_candidates])
        budget = self.max_candidates - len(self._asked)
        if budget <= 0 or not self._candidates:
            return ()
        return self._take(self._next()[:budget])

    def _take(self, lrs: list[float]) -> tuple[float, ...]:
        fresh = list(dict.fromkeys(lr for lr in lrs if lr not in self._asked))   # rounding can repeat a rate
        self._asked.update(fresh)
        return tuple(fresh)

    def _next(self) -> list[float]:
        cs = self._candidates
        kinds = [c.kind for c in cs]
        if all(k is VerdictKind.FAILED for k in kinds):
            return []   # training itself fails at every rate: no other rate will say more
        bad = [k.is_too_high or k is VerdictKind.FAILED for k in kinds]

        # going down: the smallest is too high, or already good (the slow side is unseen)
        smallest = cs[0]
        below = _r(smallest.lr / self.factor)
        if below >= self.min_lr:
            # two rates tracing the same curve do not move the model: their "too high" verdicts are
            # the batches' own jumps, and a smaller rate would trace that curve again
            still = len(cs) >= 2 and same_curve(cs[1].train_loss, smallest.train_loss)
            if bad[0] and not still:
                return [below]
            if kinds[0] is VerdictKind.GOOD and not self._went_below_good:
                self._went_below_good = True
                return [below]

        # going up: until two too-high rungs stand above the largest stable one
        stable = [i for i, k in enumerate(kinds) if k.is_stable]
        if stable:
            above = len(cs) - 1 - stable[-1]  # every candidate above the largest stable is too high
            if above < 2:
                nxt = [_r(cs[-1].lr * self.factor ** k) for k in range(1, 3 - above)]
                nxt = [lr for lr in nxt if lr <= self.max_lr]
                if nxt:
                    return nxt

        # refining: between the largest good and the first too-high rate above it
        good = [i for i, k in enumerate(kinds) if k is VerdictKind.GOOD]
        if good:
            lo_i = good[-1]
        else:
            slow = [i for i, k in enumerate(kinds) if k is VerdictKind.TOO_SLOW]
            if not slow:
                return []
            lo_i = slow[-1]
        if not any(bad[lo_i + 1:]):
            return []
        # the edge: the first rate above that is not good (too high, or a curve no better than slow)
        hi_i = next(i for i in range(lo_i + 1, len(cs)) if kinds[i] is not VerdictKind.GOOD)
        lo, hi = cs[lo_i].lr, cs[hi_i].lr
        if good and hi / lo <= self.refine * (1 + 1e-9):
            return []       # a good rate within one refinement step of the edge: close enough
        if not good and hi / lo <= self.finest * (1 + 1e-9):
            return []       # nothing good even this close to the edge: no rate between will be
        return [lr for lr in split_gap(lo, hi, self.refine) if not self._near_asked(lr)]

    def _near_asked(self, lr: float) -> bool:
        """Within a tenth of the refinement step (a quarter of ``finest``'s, when that is less) of a
        rate already asked for: nothing new to see."""
        margin = min(self.refine ** 0.1, self.finest ** 0.25)
        return any(asked / margin < lr < asked * margin for asked in self._asked)


def default_planner(*, convex: bool = False) -> AdaptivePlanner:
    """The plan a sweep runs when given neither ``lrs`` nor a planner.

    For a convex loss (the built-in linear, logistic and softmax regressions declare theirs:
    ``lrscout.problems.protocols.DeclaresConvexity``), gradient descent is stable below 2/L
    whatever the data, so a stable rate exists however large the features are: the plan keeps
    descending by x10 until it finds one, down to ``CONVEX_MIN_LR`` (1e-15), with
    ``CONVEX_MAX_CANDIDATES`` so that the search still has candidates left to refine there.
    Other models keep the default floor of 1e-8: a network too high even there is rarely a
    learning-rate problem.
    """
    if convex:
        return AdaptivePlanner(min_lr=CONVEX_MIN_LR, max_candidates=CONVEX_MAX_CANDIDATES)
    return AdaptivePlanner()
