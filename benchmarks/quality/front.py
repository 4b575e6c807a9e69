"""The cost/quality front of lrscout's search designs: ``python -m benchmarks.quality.front``.

Each design of the search that was tried (a finder in ``finders.py``) is one point: its median
training steps per search against its median and its worst regret over the suite's tasks.
The points are kept in ``designs.json`` (committed, so the plot can be redrawn without
rerunning anything) and drawn into ``front.png`` for the README:

    python -m benchmarks.quality.front --add out/results.json       # record the lrscout finders of a run
    python -m benchmarks.quality.front                              # redraw front.png from designs.json

(The manual includes the README, so the plot is copied to ``docs/benchmarks/front.png`` too.)

``--add`` takes every ``lrscout*`` finder of the run (``--finders`` narrows it), summarized
over ``--tasks`` (default: the run's); ``--rename finder=design`` records a finder under
another name (a run's ``lrscout`` that was another design then). A design recorded before is
replaced by the newer run.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from pathlib import Path
from typing import Any, Sequence

HERE = Path(__file__).parent
DESIGNS = HERE / "designs.json"
PLOT = HERE / "front.png"
# the manual includes the README, whose link to the plot resolves there
DOCS_COPY = HERE.parents[1] / "docs" / "benchmarks" / "front.png"

# What each finder is, in a few words (the README's design table says more).
WHAT = {
    "lrscout-classic": "before: the adaptive plan, every candidate 100 steps",
    "lrscout": "default: budgeted search; finalists: the bracket's, or x2.15 apart for a long run",
    "lrscout-f2s2": "finalists always x2.15 apart",
    "lrscout-f2s2-ts": "the same, with train_steps",
    "lrscout-train-steps": "default with train_steps = the task's budget",
    "lrscout-f2bracket": "finalists: the bracket's good rates",
    "lrscout-f2bracket-ts": "the same, with train_steps",
    "lrscout-f3s18": "three finalists x1.78 apart",
    "lrscout-f3s18-ts": "the same, with train_steps",
    "lrscout-ts-m0": "train_steps; long run: finalist that validates best",
    "lrscout-f2bracket-ts-m0": "bracket finalists, train_steps, best validation",
    "lrscout-50": "budgeted search, 50-step window",
    "lrscout-rtb": "range-test bracket: 3 windows x3 apart, the largest at the edge / 2",
    "lrscout-rtb-ts": "the same, with train_steps",
    "lrscout-rtb-t1": "range-test bracket: 3 windows x3 apart from the edge",
    "lrscout-rtb-t1-ts": "the same, with train_steps",
    "lrscout-rtb-r4": "range-test bracket: 4 windows x2 apart from the edge",
    "lrscout-rtb-r4-ts": "the same, with train_steps",
    "lrscout-range": "lrscout's LR range test (steepest)",
}


def _finite(x: Any) -> float:
    return math.inf if x is None else float(x)


def summarize(run: dict[str, Any], finder: str, tasks: Sequence[str]) -> dict[str, Any]:
    """One finder's point over ``tasks``, from the run's per-task rows and picks (the metrics'
    definitions: median and worst over tasks of the per-task median regret; steps: median over picks)."""
    rows = [r for r in run["per_task"] if r["finder"] == finder and r["task"] in tasks]
    picks = [p for p in run["picks"] if p["finder"] == finder and p["task"] in tasks]
    regrets = [_finite(r["median_regret"]) for r in rows]
    return {"median_regret": statistics.median(regrets), "worst_regret": max(regrets),
            "diverged": sum(p["status"] == "diverged" for p in picks),
            "no_pick": sum(p["status"] in ("no pick", "error") for p in picks),
            "median_steps": statistics.median(p["steps"] for p in picks), "tasks": len(rows)}


def add(results: Path, finders: Sequence[str] | None, tasks: Sequence[str] | None = None,
        rename: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Merge a run's lrscout finders into ``designs.json`` (over ``tasks``, default the run's);
    ``rename`` records a finder under another design name (a design that was the default then)."""
    run = json.loads(results.read_text())
    tasks = list(tasks or run["args"]["tasks"])
    rename = rename or {}
    rows = {row["design"]: row for row in (json.loads(DESIGNS.read_text()) if DESIGNS.exists() else [])}
    for finder in run["args"]["finders"]:
        if not finder.startswith("lrscout") or (finders and finder not in finders):
            continue
        name = rename.get(finder, finder)
        point = summarize(run, finder, tasks)
        rows[name] = {"design": name, "what": WHAT.get(name, name),
                      **{k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in point.items()},
                      "seeds": run["args"]["seeds"], "commit": run["machine"]["git_commit"],
                      "date": run["machine"]["date_utc"][:10],
                      "train_steps": "-ts" in name or "train-steps" in name}
    merged = sorted(rows.values(), key=lambda r: (r["train_steps"], r["median_steps"]))
    DESIGNS.write_text(json.dumps(merged, indent=1) + "\n")
    return merged


def _front(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points no other point beats on both cost and regret, by cost."""
    kept = [p for p in points if not any(q[0] <= p[0] and q[1] <= p[1] and q != p for q in points)]
    return sorted(kept)


def plot(rows: list[dict[str, Any]], path: Path = PLOT) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(12, 5.2), constrained_layout=True)
    ceiling = 1e4                                  # where an infinite worst case (a no pick) is drawn
    for ax, key, title in ((axes[0], "median_regret", "median regret over tasks"),
                           (axes[1], "worst_regret", "worst regret over tasks")):
        for subset, colour, label in ((False, "tab:blue", "without train_steps"),
                                      (True, "tab:orange", "with train_steps (the task's budget)")):
            chosen = [r for r in rows if r["train_steps"] is subset]
            if not chosen:
                continue
            xs = [r["median_steps"] for r in chosen]
            ys = [min(100 * _finite(r[key]), ceiling) for r in chosen]
            ax.scatter(xs, ys, color=colour, label=label, zorder=3)
            line = _front(list(zip(xs, ys)))
            ax.plot([p[0] for p in line], [p[1] for p in line], color=colour, alpha=0.4, zorder=2)
            groups: list[tuple[float, float, list[str]]] = []      # points close together share a label
            for r, x, y in zip(chosen, xs, ys):
                if r["design"] in ("lrscout", "lrscout-train-steps"):
                    ax.scatter([x], [y], s=220, facecolors="none", edgecolors="black", zorder=4)
                name = "lrscout (default)" if r["design"] == "lrscout" else r["design"].replace("lrscout-", "")
                near = next((g for g in groups if abs(g[0] - x) < 25 and abs(math.log(max(g[1], 1e-3) / max(y, 1e-3)))
                             < (0.3 if key == "worst_regret" else 0.08)), None)
                if near is None:
                    groups.append((x, y, [name]))
                else:
                    near[2].append(name)
            for x, y, names in groups:
                ax.annotate(", ".join(names), (x, y), textcoords="offset points", xytext=(6, 3), fontsize=7)
        ax.axvline(300, color="grey", linestyle=":", linewidth=1)
        ax.text(300, 0.99, " 3x a 100-step range test", fontsize=7, color="grey", va="top",
                transform=ax.get_xaxis_transform())
        ax.set_xlabel("median training steps per search")
        ax.set_ylabel(f"{title} (%)")
        ax.set_title(title)
        goal = 3 if key == "median_regret" else 25
        ax.axhline(goal, color="green", linestyle="--", linewidth=1)
        ax.text(ax.get_xlim()[1], goal, f"goal {goal}% ", fontsize=7, color="green", ha="right", va="bottom")
        if key == "worst_regret":
            ax.set_yscale("log")
            if any(_finite(r[key]) * 100 >= ceiling for r in rows):
                ax.text(ax.get_xlim()[0], ceiling, " no pick / diverged", fontsize=7, va="bottom", color="grey")
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, fontsize=8, loc="outside lower center", ncol=2)
    figure.suptitle("lrscout's search designs on the quality benchmark: cost against regret "
                    "(circled: the calls users make)", fontsize=9)
    figure.savefig(path, dpi=130)
    plt.close(figure)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality.front", description=__doc__.splitlines()[0])
    parser.add_argument("--add", type=Path, help="a results.json whose lrscout finders to record")
    parser.add_argument("--finders", help="comma-separated: record only these finders")
    parser.add_argument("--tasks", help="comma-separated: summarize over these tasks only (default: the run's)")
    parser.add_argument("--rename", action="append", default=[], metavar="FINDER=DESIGN",
                        help="record FINDER as DESIGN (e.g. a run's default under the design's own name)")
    args = parser.parse_args(argv)
    if args.add is not None:
        split = lambda text: [x.strip() for x in text.split(",") if x.strip()] if text else None  # noqa: E731
        rename = dict(pair.split("=", 1) for pair in args.rename)
        rows = add(args.add, split(args.finders), split(args.tasks), rename)
    elif DESIGNS.exists():
        rows = json.loads(DESIGNS.read_text())
    else:
        print(f"{DESIGNS} does not exist: record a run first with --add out/results.json", file=sys.stderr)
        return 2
    path = plot(rows)
    if DOCS_COPY.parent.is_dir():
        DOCS_COPY.write_bytes(path.read_bytes())
    print(f"wrote {path} (and {DOCS_COPY})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
