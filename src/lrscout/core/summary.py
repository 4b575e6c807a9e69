"""A sweep result as plain text: the candidate table, the decision and the findings.

``SweepResult.summary()`` returns it; the terminal's coloured table (``lrscout.report.terminal``)
shows the same rows with rich, for a console.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .types import GroupRate, as_sentence, ratio_text

if TYPE_CHECKING:
    from .result import SweepResult


def summary_text(result: "SweepResult") -> str:
    """A plain-text table, the decision, the findings and the rate per parameter group (if searched)."""
    lines = [f"{'lr':>10}  {'verdict':<12} {'steps':>5}  {'final loss':>11}  {'val loss':>10}  reason"]
    for c in result.candidates:
        mark = "*" if result.chosen_lr is not None and c.lr == result.chosen_lr else " "
        fin = c.final_train_loss
        val = c.val_loss
        lines.append(f"{mark}{c.lr:>9.3g}  {c.kind.value:<12} {c.steps_used:>5}  "
                     f"{'-' if fin is None else f'{fin:.4g}':>11}  "
                     f"{'-' if val is None else f'{val:.4g}':>10}  {c.verdict.reason}")
    d = result.decision
    lines.append("")
    lines.append(f"chosen learning rate: {d.lr:g}" if d.chosen else "no learning rate chosen")
    lines.append(f"  {result.horizon_note()}")
    lines += [f"  - {r}" for r in d.reasons]
    lines += [f"  > {a}" for a in d.advice]
    for f in result.findings:
        name = f.kind.value.replace("_", " ")
        lines.append(f"  {name} ({f.severity.value}): {as_sentence(f.summary)} {f.remedy}")
    lines += group_lines(result.groups)
    return "\n".join(lines)


def group_lines(groups: tuple[GroupRate, ...]) -> list[str]:
    """The per-group rates (``lrscout.torch.sweep(groups=...)``): one line per group, then its reasons."""
    if not groups:
        return []
    lines = ["", "learning rate per parameter group:"]
    for g in groups:
        rate = "not searched" if g.lr is None else f"{g.lr:g} ({ratio_text(g.ratio or 1.0)} of the chosen rate)"
        lines.append(f"  {g.name} ({len(g.params)} tensors): {rate}")
        lines += [f"    - {r}" for r in g.reasons]
    return lines
