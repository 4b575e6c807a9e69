"""The terminal views (rich): a live display while a sweep runs, then a coloured summary.

Colour follows rich's rules: off when output is not a terminal or ``NO_COLOR`` is set.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..core.result import SweepResult
from ..core.types import as_sentence
from .figures import VERDICT_COLORS, candidate_rows
from .markup import lr_text, number

if TYPE_CHECKING:
    from rich.console import Console, JustifyMethod, RenderableType

    from ..workflows.sweep import BatchDone


def print_result(result: SweepResult, console: Console, title: str | None = None) -> None:
    """The candidate table, the decision with its reasons, the advice and the findings.

    Each candidate keeps one line of the table: when its reason does not fit beside the numbers
    at the console's width (80 columns when piped), the reasons follow the table, one per line.
    """
    from rich.markup import escape
    from rich.measure import Measurement

    rows = candidate_rows(result)
    table = _candidate_table(rows, title, with_reasons=True)
    unbounded = console.options.update(max_width=1 << 20)   # the width each row needs on one line
    inline = Measurement.get(console, unbounded, table).maximum <= console.width
    console.print(table if inline else _candidate_table(rows, title, with_reasons=False))
    if not inline:
        for r in rows:
            console.print(f"  {lr_text(r.lr)} [{r.color}]{r.verdict.value}[/]: {escape(r.reason)}", highlight=False)
    d = result.decision
    if d.chosen:
        console.print(f"[bold green]chosen learning rate: {d.lr:g}[/]")
    else:
        console.print("[bold red]no learning rate chosen[/]")
    console.print(f"  {escape(result.horizon_note())}", highlight=False)
    for reason in d.reasons:
        console.print(f"  - {escape(reason)}", highlight=False)
    for a in d.advice:
        console.print(f"  [yellow]> {escape(a)}[/]", highlight=False)
    for f in result.findings:
        console.print(f"  [bold]{escape(f.kind.value.replace('_', ' '))}[/] ({f.severity.value}): "
                      f"{escape(as_sentence(f.summary))} [yellow]{escape(f.remedy)}[/]", highlight=False)
    if result.range_test is not None and result.range_test.suggestions:
        suggested = ", ".join(f"{escape(name)} {lr:.3g}" for name, lr in result.range_test.suggestions.items())
        console.print(f"  range test suggests: {suggested}", highlight=False)


def _candidate_table(rows, title: str | None, *, with_reasons: bool):
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=None if title is None else escape(title), title_justify="left", header_style="bold")
    columns: list[tuple[str, JustifyMethod]] = [
        ("", "center"), ("lr", "right"), ("verdict", "left"), ("steps", "right"), ("final loss", "right"),
        ("val loss", "right")]
    if with_reasons:
        columns.append(("reason", "left"))
    for name, justify in columns:
        table.add_column(name, justify=justify, overflow="fold")
    for r in rows:
        steps = str(r.steps_used) + (" pruned" if r.pruned and r.error is None else "")
        cells = ["*" if r.chosen else "", lr_text(r.lr), f"[{r.color}]{r.verdict.value}[/]", steps,
                 number(r.final_loss), number(r.val_loss)] + ([escape(r.reason)] if with_reasons else [])
        table.add_row(*cells, style="bold" if r.chosen else None)
    return table


class SweepProgress:
    """What a running sweep has done so far, as a rich renderable updated after each round.

    ``BatchDone`` arrives when a planner round finishes, so the display shows the rates just
    trained (the next round's are not known until the planner asks for them).
    """

    MAX_ROWS = 12  # the newest candidates; a long adaptive sweep would otherwise scroll away

    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.monotonic()
        self.last: BatchDone | None = None

    def update(self, event: BatchDone) -> None:
        self.last = event

    def __rich__(self) -> RenderableType:
        from rich.console import Group
        from rich.markup import escape
        from rich.spinner import Spinner
        from rich.table import Table

        elapsed = time.monotonic() - self.started
        if self.last is None:
            return Spinner("dots", f"{escape(self.label)}: training the first round ({elapsed:.0f} s)")
        done = self.last.candidates
        pruned = [c for c in done if c.trace.pruned]
        steps = sum(c.steps_used for c in done)
        head = Spinner("dots", f"{escape(self.label)}: round {self.last.round} done, {len(done)} candidates "
                               f"({len(pruned)} pruned), {steps} steps trained, {elapsed:.0f} s; just ran "
                               f"{', '.join(lr_text(x) for x in self.last.lrs)}")
        table = Table(box=None, show_header=False, padding=(0, 1))
        just_ran = set(self.last.lrs)
        for c in sorted(done[-self.MAX_ROWS:], key=lambda c: c.lr):
            note = f"pruned at step {c.steps_used}" if c.trace.pruned else f"{c.steps_used} steps"
            table.add_row("•" if c.lr in just_ran else " ", lr_text(c.lr),
                          f"[{VERDICT_COLORS[c.kind]}]{c.kind.value}[/]", note)
        return Group(head, table)
