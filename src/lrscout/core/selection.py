"""Choosing a learning rate from read curves: verdicts and validation losses in, a ``Decision`` out.

The rule, in words (the seeds' workflow):

1. Sort candidates by learning rate. The stable range starts at the smallest ``good`` candidate
   and ends below the first candidate above it that is oscillating, unstable, diverged or
   failed: a ``good`` curve above a bad one is not trusted (it is reported, not chosen).
2. Take the largest ``good`` learning rate in that range.
3. Re-check on validation loss: when a smaller good candidate's validation loss is better by
   more than ``val_margin`` (relative), the training curve hides overfitting or instability;
   choose the largest good candidate whose validation loss is within the margin of the best,
   and say so.
4. When no candidate is good, choose nothing and say what to do instead.

The result does not depend on the order the candidates are given in.
"""

from __future__ import annotations

import math
from typing import Sequence

from .._validation import InstanceOf, SequenceOf, checked
from .planners import split_gap
from .thresholds import DEFAULT_THRESHOLDS, Thresholds
from .types import Candidate, Decision, DecisionStatus, VerdictKind

BLIND_DECADES = 4   # with nothing good in the grid, look this many decades beyond it
REFINE_STEP = 3.0   # advice splits a too-slow / too-high gap into steps under x3, as the adaptive plan does
FINEST_GAP = 1.25   # ... down to the adaptive plan's finest gap (AdaptivePlanner.finest)


def _lr(value: float) -> str:
    return f"{value:.3g}"


def _finite_val(c: Candidate) -> float | None:
    v = c.val_loss
    return v if v is not None and math.isfinite(v) else None


def _near_best(with_val: Sequence[tuple[Candidate, float]],
               margin: float) -> tuple[Candidate, float, float, Candidate]:
    """The best validation loss (its candidate, its value), the tolerance ``margin`` allows
    around it, and the largest rate whose validation loss is within that tolerance."""
    best_c, best_v = min(with_val, key=lambda cv: (cv[1], -cv[0].lr))
    tolerance = margin * max(abs(best_v), 1e-12)
    return best_c, best_v, tolerance, max((c for c, v in with_val if v <= best_v + tolerance), key=lambda c: c.lr)


@checked(candidates=SequenceOf(lambda: (Candidate,), "a sequence of lrscout.Candidate (a result's .candidates)"),
         thresholds=InstanceOf(lambda: (Thresholds,), "a lrscout.Thresholds"))
def choose(candidates: Sequence[Candidate], thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Decision:
    """The largest stable, mostly monotonic learning rate, re-checked on validation loss.

    With the candidates sorted by rate, let ``g`` be the smallest good rate and ``b`` the first
    rate above ``g`` that is oscillating, unstable, diverged or failed. The largest good rate
    below ``b`` is chosen, unless validation disagrees: with ``v*`` the best validation loss
    among those good rates, a choice whose validation loss exceeds
    ``v* + thresholds.val_margin * |v*|`` moves to the largest good rate within that tolerance
    (the module docstring gives the whole rule). The order of ``candidates`` does not matter.

    Examples:
        A smaller rate that validates 20% better wins over the largest good one:

        >>> import numpy as np
        >>> from lrscout import Candidate, Trace, choose, read_curves
        >>> t = np.arange(100)
        >>> traces = [Trace(0.01, np.exp(-0.002 * t), val_loss=0.9),
        ...           Trace(0.1, np.exp(-0.02 * t), val_loss=0.40),
        ...           Trace(1.0, np.exp(-0.03 * t), val_loss=0.50),
        ...           Trace(10.0, np.exp(0.1 * t))]
        >>> candidates = [Candidate(tr, v) for tr, v in zip(traces, read_curves(traces))]
        >>> [c.kind.value for c in candidates]
        ['too_slow', 'good', 'good', 'diverged']
        >>> decision = choose(candidates)
        >>> decision.lr, decision.largest_good_lr
        (0.1, 1.0)
        >>> print(decision.reasons[2])  # doctest: +NORMALIZE_WHITESPACE
        validation re-check: 1 has validation loss 0.5, 25% worse than 0.4 at 0.1;
        chose 0.1, the largest good rate within 5% of the best
    """
    # at one rate read twice, a too-high reading comes first, so the rate is not trusted
    ordered = sorted(candidates, key=lambda c: (c.lr, c.kind is VerdictKind.GOOD, c.kind.value))
    if not ordered:
        return Decision(DecisionStatus.NO_GOOD_CANDIDATE, None, ("no candidates were run",),
                        ("run a sweep with at least one learning rate",))
    good_idx = [i for i, c in enumerate(ordered) if c.kind is VerdictKind.GOOD]
    if not good_idx:
        return _no_good(ordered)

    first_good = good_idx[0]
    boundary = next((i for i in range(first_good + 1, len(ordered))
                     if ordered[i].kind.is_too_high or ordered[i].kind is VerdictKind.FAILED), None)
    eligible = [ordered[i] for i in good_idx if boundary is None or i < boundary]
    ignored = [ordered[i] for i in good_idx if boundary is not None and i > boundary]

    largest = eligible[-1]
    reasons = [f"{_lr(largest.lr)} is the largest good learning rate: {largest.verdict.reason}"]
    advice: list[str] = []
    if boundary is not None:
        above = ordered[boundary]
        reasons.append(f"the next larger, {_lr(above.lr)}, is {above.kind.value}: {above.verdict.reason}")
        if ignored:
            reasons.append("not trusted although good: " + ", ".join(_lr(c.lr) for c in ignored)
                           + f" (above the {above.kind.value} {_lr(above.lr)})")
        lower = _ended_lower(ordered[boundary:], largest)
        if lower:
            reasons.append(lower)

    chosen = largest
    with_val = [(c, v) for c in eligible if (v := _finite_val(c)) is not None]
    if largest.val_loss == math.inf and with_val:   # it blew up on validation: the worst, not unknown
        best_c, best_v, _, chosen = _near_best(with_val, thresholds.val_margin)
        reasons.append(f"validation re-check: {_lr(largest.lr)} has an infinite validation loss; chose "
                       f"{_lr(chosen.lr)}, the largest good rate within {100 * thresholds.val_margin:.0f}% of the "
                       f"best ({best_v:.4g} at {_lr(best_c.lr)})")
    elif _finite_val(largest) is None:
        if largest.val_loss is not None:
            reasons.append(f"its validation loss is not finite ({largest.val_loss}); "
                           "it is kept on the training curve alone")
        elif any(c.val_loss is not None for c in eligible):
            reasons.append("it has no validation loss; chosen on the training curve alone")
        else:
            reasons.append("no validation data: chosen on training curves alone")
    elif len(with_val) > 1:
        best_c, best_v, tolerance, near_best = _near_best(with_val, thresholds.val_margin)
        largest_v = _finite_val(largest)
        if largest_v is not None and largest_v > best_v + tolerance:
            chosen = near_best
            worse = (largest_v - best_v) / max(abs(best_v), 1e-12)
            reasons.append(
                f"validation re-check: {_lr(largest.lr)} has validation loss {largest_v:.4g}, "
                f"{100 * worse:.0f}% worse than {best_v:.4g} at {_lr(best_c.lr)}; "
                f"chose {_lr(chosen.lr)}, the largest good rate within {100 * thresholds.val_margin:.0f}% of the best"
            )
            train_large, train_best = largest.final_train_loss, best_c.final_train_loss
            if train_large is not None and train_best is not None and train_large > train_best:
                # both losses say the same: the larger rate is past its best in this window
                reasons.append(f"its training loss is worse too ({train_large:.4g} against {train_best:.4g}), "
                               "so training and validation agree")
            else:
                advice.append("training and validation disagree: check for overfitting "
                              "(more data, regularisation) before trusting larger rates")
        else:
            reasons.append(f"validation re-check passed: its validation loss {largest_v:.4g} is within "
                           f"{100 * thresholds.val_margin:.0f}% of the best good candidate's ({best_v:.4g})")
    else:
        reasons.append(f"validation loss {_finite_val(largest):.4g} (no smaller good candidate to compare)")

    if chosen.lr == ordered[-1].lr:
        advice.append(f"{_lr(chosen.lr)} is the largest rate tried: extend the grid upward to see "
                      "where instability starts")
    return Decision(DecisionStatus.CHOSEN, chosen.lr, tuple(reasons), tuple(advice), largest.lr)


def _ended_lower(above: Sequence[Candidate], largest: Candidate) -> str | None:
    """Say so, in numbers, when a rate set aside as too high ended lower than the one chosen.

    A too-high verdict is about the curve's shape (it zigzags, rebounds, or its trend waves),
    so a rate can be set aside although its loss ends below the chosen rate's in the window;
    the decision must not hide that.
    """
    mine = largest.final_train_loss
    if mine is None or not math.isfinite(mine):
        return None
    ended = [(c, end) for c in above if (c.kind.is_too_high or c.kind is VerdictKind.FAILED) and not c.trace.pruned
             and (end := c.final_train_loss) is not None and math.isfinite(end) and end < mine]
    if not ended:
        return None
    c, end = min(ended, key=lambda ce: ce[1])
    text = (f"all the same, {_lr(c.lr)} ended lower in this window: training loss {end:.4g} against {mine:.4g} "
            f"at {_lr(largest.lr)}")
    theirs, ours = _finite_val(c), _finite_val(largest)
    if theirs is not None and ours is not None:
        text += f", validation loss {theirs:.4g} against {ours:.4g}"
    return text + f"; it is set aside for the shape of its curve ({c.kind.value}), not for where it ended"


def _no_good(ordered: list[Candidate]) -> Decision:
    kinds = [c.kind for c in ordered]
    lo, hi = ordered[0].lr, ordered[-1].lr
    reasons = ["no candidate is good: " + ", ".join(f"{_lr(c.lr)} {c.kind.value}" for c in ordered)]
    advice: list[str] = []
    if all(k is VerdictKind.FAILED for k in kinds):
        advice.append("every candidate failed while training: read the errors above and fix the model or data")
    elif all(k is VerdictKind.TOO_SLOW for k in kinds):
        advice.append(f"every rate was too slow: extend the grid upward (try up to {_lr(hi * 10**BLIND_DECADES)}) "
                      "or lengthen the window (--steps)")
    elif all(k.is_too_high or k is VerdictKind.FAILED for k in kinds):
        advice.append(f"even the smallest rate, {_lr(lo)}, was too high: extend the grid downward "
                      f"(try down to {_lr(lo / 10**BLIND_DECADES)})")
        advice.append("if the features are on very different scales, scale them first (--scale standard)")
    else:
        slow = [c for c in ordered if c.kind is VerdictKind.TOO_SLOW]
        high = [c for c in ordered if c.kind.is_too_high and slow and c.lr > slow[-1].lr]
        if slow and high:
            a, b = slow[-1].lr, high[0].lr
            inside = split_gap(a, b, REFINE_STEP)
            if b / a > FINEST_GAP * (1 + 1e-9) and inside:
                advice.append(f"a good rate, if there is one, lies between {_lr(a)} (too slow) and {_lr(b)} "
                              f"({high[0].kind.value}): sweep from one to the other, --lrs "
                              + ",".join(_lr(x) for x in (a, *inside, b)))
            else:
                advice.append(f"no rate is good even between {_lr(a)} (too slow) and {_lr(b)} "
                              f"({high[0].kind.value}), only x{b / a:.2g} apart: the learning rate alone cannot "
                              "fix this window; the advice below can")
        advice.append("a noisy loss (small batches) can hide a good rate: try a larger batch or more steps")
        advice.append("if the features are on very different scales, scale them first (--scale standard)")
    return Decision(DecisionStatus.NO_GOOD_CANDIDATE, None, tuple(reasons), tuple(advice))
