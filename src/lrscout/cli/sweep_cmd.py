"""``lrscout sweep DATA.csv --target COL``."""

from __future__ import annotations

from ..core.grids import parse_grid
from ..report.terminal import print_result
from ..workflows.tabular import sweep_table
from .common import check_outputs, console, json_to_stdout, plain, progress, write_outputs
from .main import EXIT_INTERRUPTED, EXIT_NO_CHOICE, EXIT_OK


def run(data: str, target: str, model: str | None, features: str | None, lrs: str | None, steps: int,
        batch_size: int | None, momentum: float, scale: str, compare_scaling: bool, val_fraction: float,
        seed: int, json_path: str | None, plot_path: str | None, report_path: str | None,
        tensorboard_dir: str | None, mlflow: bool, executor: str, workers: int | None, timeout: float | None,
        ray_address: str | None, resume: bool, max_points: int | None, quiet: bool) -> int:
    from ..data import read_csv
    from ..errors import InvalidConfigError
    from ..executors import runner_for
    from ..executors.journal import journal_path
    from ..workflows.sweep import SweepInterrupted

    out = console(stderr=json_to_stdout(json_path))  # with --json -, stdout carries the results only
    check_outputs(json_path, plot_path, report_path, tensorboard_dir, mlflow)
    grid = parse_grid(lrs) if lrs is not None else None
    feature_list = [f.strip() for f in features.split(",") if f.strip()] if features else None
    runner = runner_for(executor, workers=workers, ray_address=ray_address, timeout=timeout)  # bad combinations fail before any work
    journal = journal_path(json_path) if json_path and not json_to_stdout(json_path) and not compare_scaling else None
    if resume and journal is None:
        raise InvalidConfigError("--resume continues the sweep journaled next to --json PATH (PATH.journal.jsonl): give "
                                 "the interrupted run's --json file"
                                 + (", without --compare-scaling" if compare_scaling else ""))
    table = read_csv(data)
    options = dict(model=model, features=feature_list, val_fraction=val_fraction, lrs=grid, steps=steps,
                   batch_size=batch_size, momentum=momentum, seed=seed, executor=runner, max_points=max_points)
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
