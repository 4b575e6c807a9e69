"""``lrscout sweep DATA.csv --target COL``."""

from __future__ import annotations

from ..grids import parse_grid
from ..report.terminal import print_result
from ..tabular import sweep_table
from .common import check_outputs, console, json_to_stdout, progress, write_outputs
from .main import EXIT_NO_CHOICE, EXIT_OK


def run(data: str, target: str, model: str | None, features: str | None, lrs: str | None, steps: int,
        batch_size: int | None, momentum: float, scale: str, compare_scaling: bool, val_fraction: float,
        seed: int, json_path: str | None, plot_path: str | None, report_path: str | None,
        tensorboard_dir: str | None, mlflow: bool, quiet: bool) -> int:
    from ..data import read_csv

    out = console(stderr=json_to_stdout(json_path))  # with --json -, stdout carries the results only
    check_outputs(json_path, plot_path, report_path, tensorboard_dir, mlflow)
    grid = parse_grid(lrs) if lrs is not None else None
    feature_list = [f.strip() for f in features.split(",") if f.strip()] if features else None
    table = read_csv(data)
    options = dict(model=model, features=feature_list, val_fraction=val_fraction, lrs=grid, steps=steps,
                   batch_size=batch_size, momentum=momentum, seed=seed)
    comparison = None
    with progress(not quiet, f"sweeping {table.name}") as on_batch:
        if compare_scaling:
            from ..scaling import compare_scaling as compare

            scaled = scale if scale != "none" else "standard"
            comparison = compare(table, target, scalings=("none", scaled), on_batch=on_batch, **options)
            result = comparison.results[comparison.better]
        else:
            result = sweep_table(table, target, scale=scale, on_batch=on_batch, **options)
    if quiet:
        out.print(f"{result.chosen_lr:g}" if result.decision.chosen else "none")
    else:
        out.print(result.config["task_inference"])
        for title, shown in comparison.titled() if comparison else [(None, result)]:
            print_result(shown, out, title=title)
        for reason in comparison.reasons if comparison else ():
            out.print(f"[bold]{reason}[/]" if reason.startswith("better") else reason, highlight=False)
    write_outputs(result, json_path, plot_path, out, quiet, panels=comparison.titled() if comparison else None,
                  report_path=report_path, tensorboard_dir=tensorboard_dir, mlflow=mlflow)
    return EXIT_OK if result.decision.chosen else EXIT_NO_CHOICE
