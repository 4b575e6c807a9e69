"""``lrscout sweep DATA.csv --target COL``.

Only click is imported at module level (``cli/main.py`` registers the command when it loads,
and ``lrscout --help`` must stay fast); the sweep and its outputs load when it runs.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from .exit_codes import EXIT_INTERRUPTED, EXIT_NO_CHOICE, EXIT_OK

MIN_STEPS = 10   # fewer points leave no trend, noise or saw-tooth to read: every verdict would be a guess


@click.command("sweep")
@click.argument("data", metavar="DATA.csv")
@click.option("--target", "-t", required=True, help="Column to predict.")
@click.option("--model", type=click.Choice(["linear", "logistic", "softmax"]), default=None,
              help="Built-in model; inferred from the target when omitted.")
@click.option("--features", default=None, help="Comma-separated feature columns (default: all but the target).")
@click.option("--lrs", default=None, help="Explicit grid, e.g. 1e-3,1e-2,0.1 (skips the adaptive search).")
@click.option("--steps", default=100, show_default=True, type=click.IntRange(min=MIN_STEPS),
              help=f"Training steps per candidate (at least {MIN_STEPS}: a shorter curve cannot be read).")
@click.option("--batch-size", default=None, type=click.IntRange(min=1), help="Mini-batch size (default: full batch).")
@click.option("--momentum", default=0.0, show_default=True, type=click.FloatRange(0.0, 1.0, max_open=True),
              help="Heavy-ball momentum.")
@click.option("--scale", type=click.Choice(["none", "standard", "minmax"]), default="none", show_default=True,
              help="Feature scaling, fitted on the training split.")
@click.option("--compare-scaling", is_flag=True,
              help="Sweep raw and scaled features (--scale, or standard) and report the better range.")
@click.option("--val-fraction", default=0.2, show_default=True, type=click.FloatRange(0.0, 0.9),
              help="Share of rows held out.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="Seed for the split and batch order.")
@click.option("--json", "json_path", default=None,
              help="Write the full results as JSON here; '-' prints them to stdout, and nothing else there.")
@click.option("--plot", "plot_path", default=None, help="Write loss curves here (.png, .svg or .pdf).")
@click.option("--report", "report_path", default=None,
              help="Write an interactive HTML report here (.html; one file that opens offline).")
@click.option("--tensorboard", "tensorboard_dir", default=None, metavar="DIR",
              help="Write each candidate's curve as a TensorBoard run under DIR (needs lrscout[tensorboard]).")
@click.option("--mlflow", is_flag=True,
              help="Log the sweep to MLflow's tracking URI, one child run per candidate (needs lrscout[mlflow]).")
@click.option("--executor", type=click.Choice(["inline", "processes", "ray"]), default="inline", show_default=True,
              help="Where candidates train: this process, a local process pool, or Ray (needs lrscout[ray]).")
@click.option("--workers", default=None, type=click.IntRange(min=1),
              help="Worker processes (processes) or CPUs of the local Ray cluster (ray); default: one per core.")
@click.option("--timeout", default=None, type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="processes: a candidate still training after SECONDS is taken to be hung; its worker is killed "
                   "and the candidate recorded as failed.")
@click.option("--ray-address", default=None, metavar="HOST:PORT",
              help="Run on this Ray cluster instead of starting a local one (RAY_ADDRESS is not read).")
@click.option("--resume", is_flag=True,
              help="Continue the sweep journaled next to --json (PATH.journal.jsonl); finished candidates "
                   "are not rerun.")
@click.option("--max-points", default=None, type=click.IntRange(min=3), metavar="N",
              help="Keep at most N points per curve in the results (block means; first and last step exact). "
                   "Verdicts are read from every step first; the journal keeps every step.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the chosen learning rate.")
def sweep_command(**options) -> None:
    """Sweep learning rates for a built-in NumPy model on a CSV file."""
    sys.exit(run(**options))


def run(data: str, target: str, model: str | None, features: str | None, lrs: str | None, steps: int,
        batch_size: int | None, momentum: float, scale: str, compare_scaling: bool, val_fraction: float,
        seed: int, json_path: str | None, plot_path: str | None, report_path: str | None,
        tensorboard_dir: str | None, mlflow: bool, executor: str, workers: int | None, timeout: float | None,
        ray_address: str | None, resume: bool, max_points: int | None, quiet: bool) -> int:
    from ..core.grids import parse_grid
    from ..data import read_csv
    from ..errors import InvalidConfigError
    from ..executors import runner_for
    from ..executors.journal import journal_path
    from ..report.terminal import print_result
    from ..workflows.sweep import SweepInterrupted
    from ..workflows.tabular import sweep_table
    from .common import check_outputs, console, json_to_stdout, plain, progress, write_outputs

    out = console(stderr=json_to_stdout(json_path))  # with --json -, stdout carries the results only
    check_outputs(json_path, plot_path, report_path, tensorboard_dir, mlflow)
    grid = parse_grid(lrs) if lrs is not None else None
    feature_list = [f.strip() for f in features.split(",") if f.strip()] if features else None
    # bad combinations fail before any work
    runner = runner_for(executor, workers=workers, ray_address=ray_address, timeout=timeout)
    journal = journal_path(json_path) if json_path and not json_to_stdout(json_path) and not compare_scaling else None
    if resume and journal is None:
        raise InvalidConfigError("--resume continues the sweep journaled next to --json PATH (PATH.journal.jsonl): "
                                 "give the interrupted run's --json file"
                                 + (", without --compare-scaling" if compare_scaling else ""))
    table = read_csv(data)
    options: dict[str, Any] = dict(model=model, features=feature_list, val_fraction=val_fraction, lrs=grid,
                                   steps=steps, batch_size=batch_size, momentum=momentum, seed=seed, executor=runner,
                                   max_points=max_points)
    comparison = None
    interrupted = False
    with progress(not quiet, f"sweeping {table.name}") as on_batch:
        try:
            if compare_scaling:
                from ..workflows.scaling import compare_scaling as compare

                scaled = scale if scale != "none" else "standard"
                comparison = compare(table, target, scalings=("none", scaled), on_batch=on_batch, **options)
                result = comparison.results[comparison.better]
            else:
                result = sweep_table(table, target, scale=scale, on_batch=on_batch, journal=journal, resume=resume,
                                     **options)
        except SweepInterrupted as stopped:
            result, interrupted, comparison = stopped.result, True, None
    if interrupted and not result.candidates:   # nothing to keep: leave any earlier outputs as they were
        if journal is not None:
            journal.unlink(missing_ok=True)       # it holds no candidate, only its header
        out.print("interrupted before any candidate finished: nothing written")
        return EXIT_INTERRUPTED
    if quiet:
        out.print(f"{result.chosen_lr:g}" if result.decision.chosen else "none")
    else:
        out.print(plain(result.config["task_inference"]))
        for title, shown in comparison.titled() if comparison else [(None, result)]:
            print_result(shown, out, title=title)
        for reason in comparison.reasons if comparison else ():
            out.print(f"[bold]{reason}[/]" if reason.startswith("better") else reason, highlight=False)
    write_outputs(result, json_path, plot_path, out, quiet, panels=comparison.titled() if comparison else None,
                  report_path=report_path, tensorboard_dir=tensorboard_dir, mlflow=mlflow)
    if interrupted:
        out.print(plain(f"interrupted: {len(result.candidates)} finished candidate(s) kept"
                        + (f" in {journal}; run the same command with --resume to finish" if journal else "")))
        return EXIT_INTERRUPTED
    if journal is not None and max_points is None:
        journal.unlink(missing_ok=True)  # the results file holds every candidate; a journal marks an unfinished sweep
    elif journal is not None and not quiet:
        out.print(plain(f"full-resolution curves kept in {journal} (the results hold at most {max_points} points "
                        "per curve; delete it, or pass --resume, before running this command again)"))
    return EXIT_OK if result.decision.chosen else EXIT_NO_CHOICE
