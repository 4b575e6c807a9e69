"""The markdown tables: suite summary, per-task regret and picks, and lrscout's diagnostics."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from .hindsight import Reference
from .metrics import WITHIN, Pick, Summary, TaskRow
from .tasks import Task


def lr_text(lr: float | None) -> str:
    return "-" if lr is None else f"{lr:.2g}"


def regret_text(regret: float) -> str:
    return "∞" if math.isinf(regret) else f"{regret * 100:+.1f}%"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> list[str]:
    align = align or "l" * len(header)
    rule = ["---:" if a == "r" else "---" for a in align]
    return ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |",
            *("| " + " | ".join(row) + " |" for row in rows)]


def summary_table(summaries: Sequence[Summary]) -> list[str]:
    header = ["finder", "median regret", "worst regret", *(f"within {w:.0%}" for w in WITHIN), "diverged",
              "no pick", "median wall (s)", "median steps", "wall vs fastest peer range test",
              "spread, decades (median / max)"]
    rows = []
    for s in summaries:
        spread = "-" if s.median_spread is None else f"{s.median_spread:.2f} / {s.max_spread:.2f}"
        ratio = "-" if s.cost_vs_range_test is None else f"{s.cost_vs_range_test:.2f}x"
        rows.append([s.finder, regret_text(s.median_regret), regret_text(s.worst_regret),
                     *(f"{s.within[w]}/{s.picks}" for w in WITHIN), str(s.diverged), str(s.no_pick),
                     f"{s.median_wall_s:.3g}", f"{s.median_steps:.0f}", ratio, spread])
    return _table(header, rows, "lrrrrrrrrrr")


def _regret_cell(row: TaskRow | None) -> str:
    if row is None:
        return "n/a"
    failed = [p.status for p in row.picks if p.status != "ok"]
    notes = ", ".join(f"{failed.count(s)} {s}" for s in dict.fromkeys(failed))
    return regret_text(row.regret) + (f" ({notes})" if notes else "")


def regret_table(tasks: Sequence[Task], finders: Sequence[str], rows: Mapping[tuple[str, str], TaskRow],
                 references: Mapping[str, Reference]) -> list[str]:
    header = ["task", "best lr (hindsight)", "best val loss", *finders]
    body = []
    for task in tasks:
        best_lr, best = references[task.name].best
        body.append([task.name, lr_text(best_lr), f"{best.mean:.4g}",
                     *(_regret_cell(rows.get((f, task.name))) for f in finders)])
    return _table(header, body, "lrr" + "r" * len(finders))


def picks_table(tasks: Sequence[Task], finders: Sequence[str], rows: Mapping[tuple[str, str], TaskRow]) -> list[str]:
    header = ["task", *finders]
    body = []
    for task in tasks:
        cells = []
        for f in finders:
            row = rows.get((f, task.name))
            # a per-group pick: the first group's rate, and the others' ratio to it
            cells.append("n/a" if row is None else ", ".join(
                lr_text(p.run.lr) + ("" if p.run.ratio == 1.0 else f" (x{p.run.ratio:.2g})") for p in row.picks))
        body.append([task.name, *cells])
    return _table(header, body)


def hindsight_curve(reference: Reference) -> str:
    """The grid's mean final validation losses on one line ("div" where a seed blew up)."""
    return " · ".join(f"{lr:.2g}: {'div' if s.diverged else f'{s.mean:.4g}'}" for lr, s in reference.grid)


def lrscout_diagnostics(tasks: Sequence[Task], rows: Mapping[tuple[str, str], TaskRow],
                        references: Mapping[str, Reference]) -> list[str]:
    """Per task and seed: each candidate's verdict and reason beside the hindsight loss at the
    nearest grid point, so a misjudged curve shows against what the full budget made of it."""
    out = ["## lrscout diagnostics", "",
           ("Each candidate lrscout trained (100 steps, its verdict and reason, its loss on the inner "
            "validation split) next to the hindsight mean final validation loss at the nearest grid rate "
            "(full budget). `*` marks the pick."), ""]
    for task in tasks:
        row = rows.get(("lrscout", task.name))
        if row is None:
            continue
        ref = references[task.name]
        best_lr, best = ref.best
        intro = f"{task.summary}. Best in hindsight: lr {best_lr:.2g}, val loss {best.mean:.4g}."
        out += [f"### {task.name}", "", intro, "", f"Hindsight curve: {hindsight_curve(ref)}", ""]
        for pick in row.picks:
            out += _diagnostic_block(pick, ref)
    return out


def _diagnostic_block(pick: Pick, ref: Reference) -> list[str]:
    run = pick.run
    info = run.info
    head = f"**seed {run.seed}**: pick {lr_text(run.lr)}, regret {regret_text(pick.regret)} ({pick.status})"
    if run.error:
        return [head + f"; the sweep raised `{run.error}`", ""]
    head += f"; engine {info.get('mode')}; findings: {', '.join(info.get('findings', [])) or 'none'}"
    body = []
    for c in info.get("candidates", []):
        grid_lr, score = ref.nearest(c["lr"])
        hindsight = "div" if score.diverged else f"{score.mean:.4g}"
        # beyond the grid's ends the nearest point is the end itself: say so rather than imply a match
        where = "at" if abs(math.log10(c["lr"] / grid_lr)) <= 0.125 else "grid ends at"
        mark = "*" if run.lr is not None and c["lr"] == run.lr else ""
        inner = "-" if c["inner_val"] is None else f"{c['inner_val']:.4g}"
        body.append([f"{mark}{c['lr']:.2g}", c["verdict"], c["reason"].replace("|", "/"), inner,
                     f"{hindsight} ({where} {grid_lr:.2g})"])
    lines = [head, "", *_table(["lr", "verdict", "reason", "inner val", "hindsight val"], body, "lllrr")]
    lines += ["", *(f"- {reason}" for reason in info.get("decision", [])), ""]
    return lines


def errors_section(rows: Mapping[tuple[str, str], TaskRow]) -> list[str]:
    failed = [p.run for row in rows.values() for p in row.picks if p.run.error]
    if not failed:
        return []
    out = ["## Finder errors", ""]
    out += [f"- {r.finder} on {r.task}, seed {r.seed}: `{r.error}`" for r in failed]
    return out + [""]
