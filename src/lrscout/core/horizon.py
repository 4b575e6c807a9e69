"""Validation along the training path: where a convex model's run of a given length would end.

For full-batch gradient descent on a convex loss, a rate below the edge of stability follows
nearly the same path whatever its size: ``lr`` for ``s`` steps reaches about the point ``lr/2``
reaches in ``2s`` (both approximate gradient flow to "training time" ``lr * s``). Every stable
candidate a search read (up to the largest good rate where the choice was made) is therefore a
sample of one path: its validation loss at time ``lr * steps``. A run of ``run_steps`` at the
chosen rate ends at time ``chosen * run_steps``. When a reading before that time validated
worse than the best reading by more than the margin, after it, the run would train past the
point that validated best: the rate for the run becomes the one whose run ends at the latest
time that validated within the margin of the best, ``t / run_steps``, smaller than the choice.
This is the early-stopping effect of a small, separable or noisy table, predicted for the run's
length instead of read in a short window; it costs no training step (it reads what the search
trained).

Where the validation loss only fell along the path, or rose by no more than the margin (the
noise of a small split), or rose only past the run's reach, the choice stands.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from .types import Candidate, VerdictKind


@dataclass(frozen=True)
class PathPoint:
    """One stable candidate's validation loss at training time ``lr * steps``."""

    lr: float
    steps: int
    val_loss: float

    @property
    def time(self) -> float:
        return self.lr * self.steps


@dataclass(frozen=True)
class RunLengthCheck:
    """The evidence and the outcome of ``check_run_length``.

    ``chosen_lr``: the choice checked; ``best``: the point that validated best; ``rose``: the
    first later point within the run's reach that validated worse than the margin allows (when
    none did, the latest point); ``kept``: the latest point before ``rose`` within the margin
    of the best (its time sets the new rate); ``lr``: the rate for the run (the choice when it
    stands); ``moved``: whether it changed.
    """

    run_steps: int
    margin: float
    chosen_lr: float
    best: PathPoint
    rose: PathPoint
    kept: PathPoint
    lr: float
    moved: bool

    def as_dict(self) -> dict[str, object]:
        """The numbers, for a result's config."""
        return {"run_steps": self.run_steps, "margin": self.margin, "lr_before": self.chosen_lr, "lr": self.lr,
                "moved": self.moved, "best": self._point(self.best), "rose": self._point(self.rose),
                "kept": self._point(self.kept)}

    @staticmethod
    def _point(p: PathPoint) -> dict[str, object]:
        return {"lr": p.lr, "steps": p.steps, "time": p.time, "val_loss": p.val_loss}

    def reason(self) -> str:
        best = (f"validation along the training path (lr x steps): lowest {self.best.val_loss:.4g} at time "
                f"{self.best.time:.3g} (lr {self.best.lr:.3g}, {self.best.steps} steps)")
        reach = self.chosen_lr * self.run_steps
        if not self.moved:
            text = (best + f"; read up to time {self.rose.time:.3g}, nothing after the best validated more than "
                    f"{100 * self.margin:.0f}% worse within the reach of a {self.run_steps}-step run at "
                    f"{self.chosen_lr:.3g} (time {reach:.3g})")
            return text + (f"; the path past time {self.rose.time:.3g} is not read" if self.rose.time < reach else "")
        rose = (self.rose.val_loss - self.best.val_loss) / max(abs(self.best.val_loss), 1e-12)
        return (best + f", {self.rose.val_loss:.4g} at {self.rose.time:.3g} (lr {self.rose.lr:.3g}, "
                f"{self.rose.steps} steps), {100 * rose:.0f}% worse: a {self.run_steps}-step run at "
                f"{self.chosen_lr:.3g} would train to time {reach:.3g}, past the best; chose {self.lr:.3g}, whose "
                f"{self.run_steps}-step run ends at time {self.kept.time:.3g}, the latest that validated within "
                f"{100 * self.margin:.0f}% of the best (a convex model's rates below the edge follow the same path)")


def _readable(x: float) -> float:
    return float(f"{x:.2g}")


def path_points(candidates: Sequence[Candidate], up_to: float) -> list[PathPoint]:
    """The samples of the path: stable, unpruned candidates with a finite validation loss, at
    most ``up_to`` and below the first rate above the smallest good one that is too high or
    failed (nearer the edge, a rate no longer follows the path)."""
    ordered = sorted(candidates, key=lambda c: c.lr)
    first_good = next((i for i, c in enumerate(ordered) if c.kind is VerdictKind.GOOD), None)
    if first_good is None:
        return []
    edge = next((c.lr for c in ordered[first_good:] if c.kind.is_too_high or c.kind is VerdictKind.FAILED),
                math.inf)
    return [PathPoint(c.lr, c.steps_used, c.val_loss) for c in ordered
            if c.lr < edge and c.lr <= up_to and c.kind.is_stable and not c.trace.pruned and c.trace.error is None
            and c.val_loss is not None and math.isfinite(c.val_loss) and c.steps_used > 0]


def check_run_length(candidates: Sequence[Candidate], chosen_lr: float, run_steps: int,
                     margin: float, *, largest_good: float | None = None) -> RunLengthCheck | None:
    """The rate for a ``run_steps``-step run, read from validation along the path (module
    docstring): the samples are the rates up to ``largest_good`` (the largest rate read good
    where the choice was made; default the choice); None when fewer than two validated."""
    points = path_points(candidates, max(chosen_lr, largest_good or chosen_lr))
    if len(points) < 2:
        return None
    run_time = chosen_lr * run_steps
    best = min(points, key=lambda p: (p.val_loss, -p.time))
    tolerance = margin * max(abs(best.val_loss), 1e-12)
    # the first reading after the best that validated worse than the margin allows, within the run's reach
    rose = sorted((p for p in points if best.time < p.time <= run_time and p.val_loss > best.val_loss + tolerance),
                  key=lambda p: p.time)
    if not rose:
        latest = max(points, key=lambda p: p.time)
        return RunLengthCheck(run_steps, margin, chosen_lr, best, latest, latest, chosen_lr, False)
    worse = rose[0]
    kept = max((p for p in points if p.val_loss <= best.val_loss + tolerance and p.time < worse.time),
               key=lambda p: p.time)
    lr = min(chosen_lr, _readable(kept.time / run_steps))
    return RunLengthCheck(run_steps, margin, chosen_lr, best, worse, kept, lr, lr < chosen_lr)
