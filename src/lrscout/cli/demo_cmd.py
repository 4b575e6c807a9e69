"""``lrscout demo``: the seeds' housing example, as real runs.

Only click is imported at module level, so ``lrscout --help`` stays fast.
"""

from __future__ import annotations

import sys

import click

from .exit_codes import EXIT_OK

SEEDS_GRID = (1e-3, 1e-2, 1e-1)
MOMENTUM = 0.5      # heavy-ball, as practitioners train; it moves the edge of stability up, not down


@click.command("demo")
@click.option("--out", default="lrscout-demo", show_default=True, help="Folder for the report, plot and JSON results.")
@click.option("--quiet", "-q", is_flag=True, help="Print less.")
def demo_command(out: str, quiet: bool) -> None:
    """The seeds' housing example: raw features, then standardized."""
    sys.exit(run(out, quiet))


def demo_results():
    """(title, result) for raw and standardized features on the seeds' grid."""
    from ..data.housing import BATCH_SIZE, STEPS, housing
    from ..workflows.tabular import sweep_table

    table = housing()
    return [
        (f"{label} features", sweep_table(table, "price", scale=scale, lrs=SEEDS_GRID, steps=STEPS,
                                          batch_size=BATCH_SIZE, momentum=MOMENTUM))
        for label, scale in (("raw", "none"), ("standardized", "standard"))
    ]


def run(out_dir: str, quiet: bool) -> int:
    from ..data.housing import BATCH_SIZE, STEPS
    from ..errors import InvalidConfigError
    from ..report.html import write_html
    from ..report.plot import save_plot
    from ..report.terminal import print_result
    from .common import console, ensure_dir, plain

    out = console()
    folder = ensure_dir(out_dir)
    if not quiet:
        out.print("[bold]The seeds' housing example[/]: price from lot frontage and depth, linear regression, "
                  f"mini-batch gradient descent with momentum {MOMENTUM:g} (batch {BATCH_SIZE}, {STEPS} steps), "
                  f"learning rates {', '.join(f'{x:g}' for x in SEEDS_GRID)}.\n")
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
    report = write_html(results, folder / "report.html", title="lrscout demo: the seeds' housing example")
    out.print(plain(f"curves written to {plot}; results to {folder / 'raw.json'} and {folder / 'standardized.json'}"))
    out.print(f"[bold]report written to {plain(report)}[/]: open it in a browser (it works offline)")
    return EXIT_OK
