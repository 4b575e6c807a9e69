"""The terminal summary: a coloured table of candidates and the decision (rich).

Colour follows rich's rules: off when output is not a terminal or ``NO_COLOR`` is set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..result import SweepResult
from .figures import VERDICT_COLORS

if TYPE_CHECKING:
    from rich.console import Console


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def print_result(result: SweepResult, console: "Console", title: str | None = None) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=None if title is None else escape(title), title_justify="left", header_style="bold")
    for name, justify in (("", "center"), ("lr", "right"), ("verdict", "left"), ("steps", "right"),
                          ("final loss", "right"), ("val loss", "right"), ("reason", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    for c in result.candidates:
        chosen = result.chosen_lr is not None and c.lr == result.chosen_lr
        color = VERDICT_COLORS[c.kind]
        table.add_row("*" if chosen else "", f"{c.lr:.3g}", f"[{color}]{c.kind.value}[/]", str(c.steps_used),
                      _fmt(c.final_train_loss), _fmt(c.val_loss), escape(c.verdict.reason),
                      style="bold" if chosen else None)
    console.print(table)
    d = result.decision
    if d.chosen:
        console.print(f"[bold green]chosen learning rate: {d.lr:g}[/]")
    else:
        console.print("[bold red]no learning rate chosen[/]")
    for r in d.reasons:
        console.print(f"  - {escape(r)}", highlight=False)
    for a in d.advice:
        console.print(f"  [yellow]> {escape(a)}[/]", highlight=False)
