"""``lrscout sweep DATA.csv --target COL``."""

from __future__ import annotations

from ..grids import parse_grid
from ..report.terminal import print_result
from ..tabular import sweep_table
from .common import check_outputs, console, progress, write_outputs
from .main import EXIT_NO_CHOICE, EXIT_OK


def run(data: str, target: str, model: str | None, features: str | None, lrs: str | None, steps: int,
        batch_size: int | None, momentum: float, scale: str, val_fraction: float, seed: int,
        json_path: str | None, plot_path: str | None, quiet: bool) -> int:
    from ..data import read_csv

    out = console()
    check_outputs(json_path, plot_path)
    grid = parse_grid(lrs) if lrs is not None else None
    feature_list = [f.strip() for f in features.split(",") if f.strip()] if features else None
    table = read_csv(data)
    with progress(not quiet, f"sweeping {table.name}") as on_batch:
        result = sweep_table(table, target, model=model, features=feature_list, scale=scale,
                             val_fraction=val_fraction, lrs=grid, steps=steps, batch_size=batch_size,
                             momentum=momentum, seed=seed, on_batch=on_batch)
    if quiet:
        out.print(f"{result.chosen_lr:g}" if result.decision.chosen else "none")
    else:
        out.print(result.config["task_inference"])
        print_result(result, out)
    write_outputs(result, json_path, plot_path, out, quiet)
    return EXIT_OK if result.decision.chosen else EXIT_NO_CHOICE
