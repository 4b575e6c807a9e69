"""``lrscout demo``: the house-price example (lot frontage and depth), as real runs.

Only click is imported at module level, so ``lrscout --help`` stays fast.
"""

from __future__ import annotations

import sys

import click

from .exit_codes import EXIT_OK

GRID = (1e-3, 1e-2, 1e-1)
TITLE = "the house-price example"
MOMENTUM = 0.5      # heavy-ball, as practitioners train; it moves the edge of stability up, not down


@click.command("demo")
@click.option("--out", default="lrscout-demo", show_default=True, help="Folder for the report, plot and JSON results.")
@click.option("--quiet", "-q", is_flag=True, help="Print less.")
def demo_command(out: str, quiet: bool) -> None:
    """The house-price example (lot frontage and depth): raw features, then standardized."""
    sys.exit(run(out, quiet))


def demo_results():
    """(title, result) for raw and standardized features on the grid 0.001, 0.01, 0.1."""
    from ..data.housing import BATCH_SIZE, STEPS, housing
    from ..workflows.tabular import sweep_table

    table = housing()
    return [
        (f"{label} features", sweep_table(table, "price", scale=scale, lrs=GRID, steps=STEPS,
                                          batch_size=BATCH_SIZE, momentum=MOMENTUM))
        for label, scale in (("raw", "none"), ("standardized", "standard"))
    ]


def run(out_dir: str, quiet: bool) -> int:
    from ..data.housing import BATCH_SIZE, STEPS
    from ..errors import InvalidConfigError
    from ..report.html import write_html
    from ..report.plot import save_plot
    from ..report.terminal import print_result
    from .common import check_outputs, console, ensure_dir, plain

    out = console()
    check_outputs(None, None, folders=[("--out", out_dir)])   # before the sweeps, not after them
    folder = ensure_dir(out_dir)
    if not quiet:
        out.print("[bold]The house-price example[/]: price from lot frontage and depth, linear regression, "
                  f"mini-batch gradient descent with momentum {MOMENTUM:g} (batch {BATCH_SIZE}, {STEPS} steps), "
                  f"learning rates {', '.join(f'{x:g}' for x in GRID)}.\n")
    results = demo_results()
    for title, result in results:
        path = folder / f"{title.split()[0]}.json"
        try:
            result.save(path)
        except OSError as exc:
            raise InvalidConfigError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
        if quiet:
            out.print(f"{title}: chosen {result.chosen_lr:g}")
        else:
            print_result(result, out, title=title)
            out.print()
    plot = save_plot(results, folder / "demo.png")
    report = write_html(results, folder / "report.html", title=f"lrscout demo: {TITLE}")
    out.print(plain(f"curves written to {plot}; results to {folder / 'raw.json'} and {folder / 'standardized.json'}"))
    out.print(f"[bold]report written to {plain(report)}[/]: open it in a browser (it works offline)")
    return EXIT_OK
