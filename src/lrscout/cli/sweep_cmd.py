"""``lrscout sweep DATA.csv --target COL``."""

from __future__ import annotations

import time
from pathlib import Path

from ..grids import parse_grid
from ..report.terminal import print_result
from ..tabular import sweep_table
from .common import (check_outputs, check_sweep_memory, console, json_to_stdout, plain, progress, status,
                     write_outputs)
from .main import EXIT_INTERRUPTED, EXIT_NO_CHOICE, EXIT_OK

STREAM_BATCH_SIZE = 64     # --stream trains on mini-batches; a full batch of a huge file is not a sample
INFER_ROWS = 10_000        # rows read to infer the model of a streamed file
SAMPLE_ROW_COPIES = 3      # a streamed sample is merged with each chunk: the kept rows, the chunk, their union


def run(data: str, target: str, model: str | None, features: str | None, lrs: str | None, steps: int,
        batch_size: int | None, momentum: float, scale: str, compare_scaling: bool, val_fraction: float,
        seed: int, json_path: str | None, plot_path: str | None, report_path: str | None,
        tensorboard_dir: str | None, mlflow: bool, executor: str, workers: int | None, timeout: float | None,
        ray_address: str | None, resume: bool, max_points: int | None, quiet: bool, stream: bool = False) -> int:
    from ..data.table import read_csv
    from ..errors import InvalidConfigError
    from ..runners import runner_for
    from ..runners.journal import journal_path
    from ..sweep import SweepInterrupted

    out = console(stderr=json_to_stdout(json_path))  # with --json -, stdout carries the results only
    journal = journal_path(json_path) if json_path and not json_to_stdout(json_path) and not compare_scaling else None
    check_outputs(json_path, plot_path, report_path, tensorboard_dir, mlflow, inputs=[("data file", data)],
                  journal=journal)
    grid = parse_grid(lrs) if lrs is not None else None
    feature_list = [f.strip() for f in features.split(",") if f.strip()] if features else None
    runner = runner_for(executor, workers=workers, ray_address=ray_address, timeout=timeout)  # bad combinations fail before any work
    if resume and journal is None:
        raise InvalidConfigError("--resume continues the sweep journaled next to --json PATH (PATH.journal.jsonl): give "
                                 "the interrupted run's --json file"
                                 + (", without --compare-scaling" if compare_scaling else ""))
    if stream:
        if scale != "none" or compare_scaling:
            raise InvalidConfigError("--stream trains on the features as they are in the file: --scale and "
                                     "--compare-scaling need the whole table; scale the file first, or drop --stream")
        batch_size = batch_size or STREAM_BATCH_SIZE
    outputs = [option for option, given in (("--json", json_path), ("--report", report_path), ("--plot", plot_path),
                                            ("--tensorboard", tensorboard_dir), ("--mlflow", mlflow)) if given]
    from ..planners import AdaptivePlanner

    candidates = len(grid) if grid is not None else len(AdaptivePlanner().ask())   # the first round, trained together
    check_sweep_memory(steps, candidates, mini_batch=batch_size is not None, outputs=outputs, max_points=max_points)
    journal_was_there = journal is not None and journal.exists()
    try:
        with status(not quiet, f"reading {Path(data).name}") as say:
            if stream:
                problem, config = _streaming_problem(data, target, model, feature_list, batch_size, steps, val_fraction,
                                                     momentum, seed, outputs=outputs, candidates=candidates,
                                                     max_points=max_points)
                table = None
            else:
                table = read_csv(data, on_progress=_reading(say, Path(data).name))
                if say is not None:
                    say(f"checking and preparing the columns of {Path(data).name}")
        name = Path(data).name
        options = dict(model=model, features=feature_list, val_fraction=val_fraction, lrs=grid, steps=steps,
                       batch_size=batch_size, momentum=momentum, seed=seed, executor=runner, max_points=max_points)
        comparison = None
        interrupted = False
        with progress(not quiet, f"sweeping {name}") as on_batch:
            try:
                if stream:
                    from ..sweep import sweep

                    result = sweep(problem, grid, steps, on_batch=on_batch, config=config, executor=runner,
                                   journal=journal, resume=resume, max_points=max_points)
                elif compare_scaling:
                    from ..scaling import compare_scaling as compare

                    scaled = scale if scale != "none" else "standard"
                    comparison = compare(table, target, scalings=("none", scaled), on_batch=on_batch, **options)
                    result = comparison.results[comparison.better]
                else:
                    result = sweep_table(table, target, scale=scale, on_batch=on_batch, journal=journal,
                                         resume=resume, **options)
            except SweepInterrupted as stopped:
                result, interrupted, comparison = stopped.result, True, None
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
    from .._memory import format_bytes

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
    from ..runners.journal import read_journal

    try:
        if not read_journal(journal).candidates:
            journal.unlink()
    except (LrscoutError, OSError):
        pass


def _streaming_problem(data: str, target: str, model: str | None, features: list[str] | None, batch_size: int,
                       steps: int, val_fraction: float, momentum: float, seed: int, *, outputs, candidates: int,
                       max_points: int | None):
    """The file streamed once, keeping only the rows the sweep trains on, and the run's config.

    The model is inferred from the target's values in the first rows (or given); the rows the
    sweep then trains on are checked against it, since later rows may hold other labels.
    """
    from ..data.prepare import MAX_CLASSES
    from ..errors import DataError
    from ..problems.numpy_models import LinearRegression, LogisticRegression, SoftmaxRegression
    from ..problems.streaming import StreamingProblem

    path = Path(data)
    labels, n_columns = _head_targets(path, target)
    task, classes, why = _stream_task(labels, target, model, MAX_CLASSES)
    built = {"linear": LinearRegression(), "logistic": LogisticRegression()}.get(task) \
        or SoftmaxRegression(n_classes=classes)
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
        elif labels and 2 < len(distinct) <= min(max_classes, 20) and distinct == list(map(float, range(len(distinct)))):
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
