"""Comparing feature scalings on one table: the seeds' "after feature scaling, alpha = 0.1 might
work fine -- scaling changes the optimal range", as two real sweeps side by side.

``compare_scaling`` sweeps the same table, split and grid once per scaling and calls the one
whose chosen rate reached the lower validation loss (training loss without a validation
split) in the same number of steps the better. A run that chose no rate loses to one that
did. The raw run's feature-scaling finding, when there is one, gets the comparison appended
to its remedy, so the advice says what scaling actually bought on this data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

from ..core.result import SweepResult
from ..core.types import FindingKind, VerdictKind
from ..data.prepare import SCALINGS
from ..data.table import Table, read_csv
from ..errors import InvalidConfigError
from .tabular import sweep_table

_LABELS = {"none": "raw", "standard": "standardized", "minmax": "min-max scaled"}


@dataclass(frozen=True, eq=False)
class ScalingComparison:
    """One sweep per scaling (in the order run), which was better, and why in words."""

    results: Mapping[str, SweepResult]
    better: str
    reasons: tuple[str, ...]

    def titled(self) -> list[tuple[str, SweepResult]]:
        """``(title, result)`` pairs for ``lrscout.report.plot.save_plot`` and the terminal."""
        return [(f"{_LABELS[s]} features", r) for s, r in self.results.items()]


def _score(result: SweepResult) -> tuple[float, str]:
    """The chosen candidate's validation loss (else final training loss), lower is better."""
    if not result.decision.chosen or result.chosen_lr is None:   # (a chosen decision has a rate)
        return math.inf, "no rate chosen"
    chosen = result.candidate(result.chosen_lr)
    if chosen.val_loss is not None and math.isfinite(chosen.val_loss):
        return chosen.val_loss, f"validation loss {chosen.val_loss:.4g}"
    final = chosen.final_train_loss
    return (math.inf, "no finite loss") if final is None else (final, f"training loss {final:.4g}")


def _good_range(result: SweepResult) -> str:
    good = [c.lr for c in result.candidates if c.kind is VerdictKind.GOOD]
    if not good:
        return "no good rate"
    return f"good at {good[0]:.3g}" if len(good) == 1 else f"good from {good[0]:.3g} to {good[-1]:.3g}"


def compare_scaling(data: Table | str, target: str, *, scalings: Sequence[str] = ("none", "standard"),
                    **options: Any) -> ScalingComparison:
    """Sweep ``data`` once per scaling with the same ``options`` (those of ``sweep_table``)."""
    if "scale" in options:
        raise InvalidConfigError("give the scalings to compare as scalings=(...), not scale=")
    scalings = tuple(scalings)
    unknown = [s for s in scalings if s not in SCALINGS]
    if unknown or len(scalings) < 2 or len(set(scalings)) != len(scalings):
        raise InvalidConfigError(f"scalings must be two or more distinct values of {', '.join(SCALINGS)}, "
                                 f"got {scalings!r}")
    table = read_csv(data) if isinstance(data, str) else data
    results = {s: sweep_table(table, target, scale=s, **options) for s in scalings}

    scored = {s: _score(r) for s, r in results.items()}
    better = min(scalings, key=lambda s: (scored[s][0], -(results[s].chosen_lr or 0.0)))
    steps = next(iter(results.values())).config.get("steps")
    reasons = []
    for s, r in results.items():
        chosen = f"chose {r.chosen_lr:.3g}" if r.decision.chosen else "chose no rate"
        reasons.append(f"{_LABELS[s]}: {chosen} ({_good_range(r)}), {scored[s][1]} after {steps} steps")
    reasons.append(f"better: {_LABELS[better]} features"
                   + ("" if math.isfinite(scored[better][0]) else " (no scaling found a good rate)"))

    best = results[better]
    if best.decision.chosen:
        note = (f" On {_LABELS[better]} features this sweep chose {best.chosen_lr:.3g} and reached a "
                f"{scored[better][1]}.")
        results = {s: _with_remedy_note(r, note) if s != better else r for s, r in results.items()}
    return ScalingComparison(results, better, tuple(reasons))


def _with_remedy_note(result: SweepResult, note: str) -> SweepResult:
    """The result with ``note`` appended to its feature-scaling finding's remedy (if it has one)."""
    findings = tuple(replace(f, remedy=f.remedy + note) if f.kind is FindingKind.FEATURE_SCALING else f
                     for f in result.findings)
    return replace(result, findings=findings)


__all__ = ["ScalingComparison", "compare_scaling"]
