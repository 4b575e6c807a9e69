"""``lrscout sweep DATA.csv --target COL``.

Only click and the standard library are imported at module level (``cli/main.py`` registers
the command when it loads, and ``lrscout --help`` must stay fast); the sweep and its outputs
load when it runs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .exit_codes import EXIT_INTERRUPTED, EXIT_NO_CHOICE, EXIT_OK

if TYPE_CHECKING:
    from ..data.table import Table
    from ..problems.numpy_models import Model
    from ..problems.streaming import StreamingProblem

MIN_STEPS = 10   # fewer points leave no trend, noise or saw-tooth to read: every verdict would be a guess


@click.command("sweep")
@click.argument("data", metavar="DATA.csv")
@click.option("--target", "-t", required=True, help="Column to predict.")
@click.option("--model", type=click.Choice(["linear", "logistic", "softmax"]), default=None,
              help="Built-in model; inferred from the target when omitted.")
@click.option("--features", default=None, help="Comma-separated feature columns (default: all but the target).")
@click.option("--lrs", default=None, help="Explicit grid, e.g. 1e-3,1e-2,0.1 (skips the adaptive search).")
@click.option("--steps", default=None, type=click.IntRange(min=MIN_STEPS),
              help=f"The window the choice is read over, in steps (default 100; at least {MIN_STEPS}: a shorter "
                   "curve cannot be read). The search spends at most 3x this; with --lrs every rate trains it.")
@click.option("--train-steps", default=None, type=click.IntRange(min=1),
              help="The length of the run you will train, in steps: the rate is chosen for it, and the search "
                   "spends at most --budget-share of it.")
@click.option("--budget-share", default=None, type=click.FloatRange(0.0, 1.0, min_open=True),
              help="With --train-steps: the share of the run the search may spend (default 0.3).")
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
@click.option("--stream", is_flag=True,
              help="Read DATA.csv in chunks and keep only the rows the sweep trains on, for a file larger than "
                   "memory (numeric, comma-separated; mini-batches, --batch-size default 64; no --scale).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the chosen learning rate.")
def sweep_command(**options) -> None:
    """Sweep learning rates for a built-in NumPy model on a CSV file."""
    sys.exit(run(**options))

STREAM_BATCH_SIZE = 64     # --stream trains on mini-batches; a full batch of a huge file is not a sample
INFER_ROWS = 10_000        # rows read to infer the model of a streamed file
SAMPLE_ROW_COPIES = 3      # a streamed sample is merged with each chunk: the kept rows, the chunk, their union


def run(data: str, target: str, model: str | None, features: str | None, lrs: str | None, steps: int | None,
        train_steps: int | None, budget_share: float | None, batch_size: int | None, momentum: float, scale: str,
        compare_scaling: bool, val_fraction: float,
        seed: int, json_path: str | None, plot_path: str | None, report_path: str | None,
        tensorboard_dir: str | None, mlflow: bool, executor: str, workers: int | None, timeout: float | None,
        ray_address: str | None, resume: bool, max_points: int | None, quiet: bool, stream: bool = False) -> int:
    from ..core.grids import parse_grid
    from ..core.planners import default_planner
    from ..core.search import search_budget
    from ..data.table import Table, read_csv
    from ..errors import InvalidConfigError
    from ..executors import runner_for
    from ..executors.journal import journal_path
    from ..report.terminal import print_result
    from ..workflows.sweep import SweepInterrupted
    from ..workflows.tabular import sweep_table
    from .common import (check_outputs, check_sweep_memory, console, json_to_stdout, plain, progress, status,
                         write_outputs)

    out = console(stderr=json_to_stdout(json_path))  # with --json -, stdout carries the results only
    journal = journal_path(json_path) if json_path and not json_to_stdout(json_path) and not compare_scaling else None
    check_outputs(json_path, plot_path, report_path, tensorboard_dir, mlflow, inputs=[("data file", data)],
                  journal=journal)
    grid = parse_grid(lrs) if lrs is not None else None
    feature_list = [f.strip() for f in features.split(",") if f.strip()] if features else None
    # bad combinations fail before any work
    runner = runner_for(executor, workers=workers, ray_address=ray_address, timeout=timeout)
    if resume and journal is None:
        raise InvalidConfigError("--resume continues the sweep journaled next to --json PATH (PATH.journal.jsonl): "
                                 "give the interrupted run's --json file"
                                 + (", without --compare-scaling" if compare_scaling else ""))
    if stream:
        if scale != "none" or compare_scaling:
            raise InvalidConfigError("--stream trains on the features as they are in the file: --scale and "
                                     "--compare-scaling need the whole table; scale the file first, or drop --stream")
    outputs = [option for option, given in (("--json", json_path), ("--report", report_path), ("--plot", plot_path),
                                            ("--tensorboard", tensorboard_dir), ("--mlflow", mlflow)) if given]
    # the first round trains together; the built-in models are convex, so theirs is the convex plan
    candidates = len(grid) if grid is not None else len(default_planner(convex=True).ask())
    # the longest window a candidate may train: --steps for a grid, else the search's (checked here, before work)
    window = (steps or 100) if grid is not None else search_budget(steps, train_steps, budget_share).horizon
    check_sweep_memory(window, candidates, mini_batch=stream or batch_size is not None, outputs=outputs,
                       max_points=max_points)
    journal_was_there = journal is not None and journal.exists()
    try:
        with status(not quiet, f"reading {Path(data).name}") as say:
            source: Table | StreamingProblem
            config: dict[str, Any] = {}
            if stream:
                source, config = _streaming_problem(data, target, model, feature_list, batch_size or STREAM_BATCH_SIZE,
                                                    window, val_fraction, momentum, seed, outputs=outputs,
                                                    candidates=candidates, max_points=max_points)
            else:
                source = read_csv(data, on_progress=_reading(say, Path(data).name))
                if say is not None:
                    say(f"checking and preparing the columns of {Path(data).name}")
        name = Path(data).name
        options: dict[str, Any] = dict(model=model, features=feature_list, val_fraction=val_fraction, lrs=grid,
                                       steps=steps, train_steps=train_steps, budget_share=budget_share,
                                       batch_size=batch_size, momentum=momentum, seed=seed, executor=runner,
                                       max_points=max_points)
        comparison = None
        interrupted = False
        with progress(not quiet, f"sweeping {name}") as on_batch:
            try:
                if not isinstance(source, Table):   # streamed
                    from ..workflows.sweep import sweep

                    result = sweep(source, grid, steps, train_steps=train_steps, budget_share=budget_share,
                                   on_batch=on_batch, config=config, executor=runner, journal=journal, resume=resume,
                                   max_points=max_points)
                elif compare_scaling:
                    from ..workflows.scaling import compare_scaling as compare

                    scaled = scale if scale != "none" else "standard"
                    comparison = compare(source, target, scalings=("none", scaled), on_batch=on_batch, **options)
                    result = comparison.results[comparison.better]
                else:
                    result = sweep_table(source, target, scale=scale, on_batch=on_batch, journal=journal,
                                         resume=resume, **options)
            except SweepInterrupted as stopped:
                result, interrupted, comparison = stopped.result, True, None
            except KeyboardInterrupt:  # the sweep had begun (its journal may exist) but no candidate had
                _drop_empty_journal(journal, journal_was_there)
                out.print("interrupted before any candidate finished: nothing written")
                return EXIT_INTERRUPTED
    except BaseException:
        _drop_empty_journal(journal, journal_was_there)
        raise
    if interrupted and not result.candidates:   # nothing to keep: leave any earlier outputs as they were
        _drop_empty_journal(journal, journal_was_there)
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


def _reading(say, name: str):
    """Progress of reading a file, for the status line: at most a few updates a second."""
    if say is None:
        return None
    from ..data.memory import format_bytes

    last = [0.0]

    def on_progress(read: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.25:
            last[0] = now
            share = f"{min(read / total, 1.0):.0%} of " if total else ""
            say(f"reading {name}: {share}{format_bytes(total)}")

    return on_progress


def _drop_empty_journal(journal: Path | None, was_there: bool) -> None:
    """A journal this run created that holds no finished candidate (only its header) marks no
    sweep worth resuming: left behind, it would make the corrected rerun refuse to start."""
    if journal is None or was_there or not journal.exists():
        return
    from ..errors import LrscoutError
    from ..executors.journal import read_journal

    try:
        try:
            empty = not read_journal(journal).candidates
        except LrscoutError:  # not even a whole header (Ctrl-C as it was created): this run's, holding nothing
            empty = True
        if empty:
            journal.unlink(missing_ok=True)
    except OSError:
        pass


def _streaming_problem(data: str, target: str, model: str | None, features: list[str] | None, batch_size: int,
                       steps: int, val_fraction: float, momentum: float, seed: int, *, outputs: list[str],
                       candidates: int, max_points: int | None) -> tuple[StreamingProblem, dict[str, Any]]:
    """The file streamed once, keeping only the rows the sweep trains on, and the run's config.

    The model is inferred from the target's values in the first rows (or given); the rows the
    sweep then trains on are checked against it, since later rows may hold other labels.
    """
    from ..data.prepare import MAX_CLASSES
    from ..errors import DataError
    from ..problems.numpy_models import LinearRegression, LogisticRegression, SoftmaxRegression
    from ..problems.streaming import StreamingProblem
    from .common import check_sweep_memory

    path = Path(data)
    labels, n_columns = _head_targets(path, target)
    task, classes, why = _stream_task(labels, target, model, MAX_CLASSES)
    built: Model
    if task == "softmax" and classes is not None:   # _stream_task counts the classes of every softmax
        built = SoftmaxRegression(n_classes=classes)
    elif task == "logistic":
        built = LogisticRegression()
    else:
        built = LinearRegression()
    check_sweep_memory(steps, candidates, mini_batch=True, outputs=outputs, max_points=max_points,
                       other_bytes=steps * batch_size * n_columns * SAMPLE_ROW_COPIES * 8,
                       other=f", and a sample of {steps * batch_size:,} rows")
    try:
        problem = StreamingProblem(built, path, target, batch_size=batch_size, features=features, max_steps=steps,
                                   val_fraction=val_fraction, momentum=momentum, seed=seed)
    except UnicodeDecodeError:
        raise DataError(f"{str(path)!r} is not UTF-8 text; save it as a UTF-8 CSV file") from None
    except OSError as exc:
        raise DataError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    sampled = [a for a in (getattr(problem, "_y", None), getattr(problem, "_y_val", None)) if a is not None]
    for values in sampled:
        if task != "linear" and values.size and not ((values == values.round()) & (values >= 0)
                                                     & (values < (classes or 2))).all():
            bad = values[~((values == values.round()) & (values >= 0) & (values < (classes or 2)))][0]
            raise DataError(f"{path.name}: the target {target!r} holds {bad:g} in the rows sampled, beyond the "
                            f"classes 0-{(classes or 2) - 1} that its first {INFER_ROWS:,} rows showed; "
                            "give --model linear, or classes numbered 0, 1, ... throughout")
    config = {"data": path.name, "val_fraction": val_fraction, "target": target, "features": list(problem.features),
              "task": task, "task_inference": why, "classes": [str(k) for k in range(classes or 0)],
              "scaling": "none", "streamed": True}
    return problem, config


def _head_targets(path: Path, target: str) -> tuple[list[float], int]:
    """The target's values in the first ``INFER_ROWS`` rows of a numeric, comma-separated file,
    and the number of columns."""
    import csv
    from itertools import islice

    from ..data.table import _long_fields, _checked_path
    from ..errors import DataError

    _checked_path(path)
    try:
        with _long_fields(), path.open(newline="", encoding="utf-8-sig") as fh:
            rows = csv.reader(fh)
            header = [c.strip() for c in next(rows, [])]
            if target not in header:
                shown = ", ".join(repr(c[:40]) for c in header[:20]) + (", ..." if len(header) > 20 else "")
                hint = ("; --stream reads comma-separated files only" if any(";" in c or "\t" in c for c in header)
                        else "")
                raise DataError(f"{path.name}: no column named {target!r}; the columns are {shown}{hint}")
            column = header.index(target)
            values = []
            for number, row in enumerate(islice(rows, INFER_ROWS), start=1):
                if not "".join(row).strip():
                    continue
                cell = row[column].strip() if column < len(row) else ""
                try:
                    values.append(float(cell))
                except ValueError:
                    raise DataError(f"{path.name}: the target {target!r} holds {cell[:60]!r} on data row {number}; "
                                    "--stream reads numeric files only (encode labels as 0, 1, ...)") from None
    except UnicodeDecodeError:
        raise DataError(f"{str(path)!r} is not UTF-8 text; save it as a UTF-8 CSV file") from None
    except csv.Error as exc:
        raise DataError(f"{str(path)!r} cannot be read as CSV ({exc}); check its quoting") from None
    except OSError as exc:
        raise DataError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    if not values:
        raise DataError(f"{str(path)!r} has a header but no data rows")
    return values, len(header)


def _stream_task(values: list[float], target: str, model: str | None, max_classes: int) -> tuple[str, int | None, str]:
    """(model, number of classes, the sentence saying why) from the first rows' targets."""
    import math

    from ..errors import DataError

    if not all(math.isfinite(v) for v in values):
        raise DataError(f"the target {target!r} holds NaN or inf in its first rows; NaN and inf cannot be trained on")
    distinct = sorted(set(values))
    labels = all(v.is_integer() and v >= 0 for v in distinct)
    head = f"in its first {len(values):,} rows"
    if model is None:
        if distinct == [0.0, 1.0]:
            model, why = "logistic", f"target {target!r} has two values (0, 1) {head}"
        elif (labels and 2 < len(distinct) <= min(max_classes, 20)
              and distinct == list(map(float, range(len(distinct))))):
            model, why = "softmax", f"target {target!r} has {len(distinct)} integer classes {head}"
        else:
            model, why = "linear", f"target {target!r} is real-valued ({len(distinct)} distinct values {head})"
        why = f"model {model}: {why}; streamed, features as they are in the file"
    else:
        why = f"model {model} (given); streamed, features as they are in the file"
    if model == "logistic" and not set(distinct) <= {0.0, 1.0}:
        raise DataError(f"--model logistic with --stream needs a target of 0 and 1; {target!r} holds "
                        f"{', '.join(f'{v:g}' for v in distinct[:5])}{', ...' if len(distinct) > 5 else ''}")
    if model == "softmax":
        if not labels or distinct[-1] >= max_classes:
            raise DataError(f"--model softmax with --stream needs classes numbered 0, 1, ... (at most {max_classes}); "
                            f"{target!r} holds {distinct[0]:g} ... {distinct[-1]:g}")
        return model, int(distinct[-1]) + 1, why
    return model, None, why
