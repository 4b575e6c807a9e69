"""``lrscout schedule KIND --peak LR --steps N``: see a schedule before training with it.

Only click is imported here at module level, so ``lrscout --help`` stays fast; the schedule,
the table and matplotlib load when the command runs.
"""

from __future__ import annotations

import sys

import click

# The kinds of ``lrscout.core.recipes.KINDS``, spelled out so that --help needs no import
# (tests/cli/test_schedule_cmd.py checks the two agree).
KINDS = ("warmup_cosine", "cosine", "one_cycle", "step", "constant")
_MARKS = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9)   # fractions of the run shown in the table


@click.command("schedule")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--peak", required=True, type=click.FloatRange(min=0.0, min_open=True),
              help="Peak learning rate (the sweep's chosen rate; max_lr for one_cycle).")
@click.option("--steps", required=True, type=click.IntRange(min=2), help="Total training steps.")
@click.option("--warmup", default=0, show_default=True, type=click.IntRange(min=0),
              help="Warm-up steps for warmup_cosine (0: 5% of the run) or the rising phase of one_cycle.")
@click.option("--plot", "plot_path", default=None, help="Write the schedule's curve here (.png, .svg or .pdf).")
def schedule_command(kind: str, peak: float, steps: int, warmup: int, plot_path: str | None) -> None:
    """Print (and plot) a learning-rate schedule before training with it.

    KIND is warmup_cosine, cosine, one_cycle, step or constant.
    """
    from ..core.recipes import build_schedule
    from .common import check_outputs, console
    from .exit_codes import EXIT_OK

    check_outputs(None, plot_path)
    schedule = build_schedule(kind, peak, steps, warmup_steps=warmup)
    values = schedule.values(steps)
    out = console()
    out.print(repr(schedule), highlight=False)
    _print_table(values, out)
    if plot_path:
        _save_plot(values, f"{kind}: peak {peak:g}, {steps} steps", plot_path)
        out.print(f"plot written to {plot_path}")
    sys.exit(EXIT_OK)


def _print_table(values, out) -> None:
    from rich.table import Table

    n = len(values)
    steps = sorted({0, n - 1, int(values.argmax()), *(int(f * (n - 1)) for f in _MARKS)})
    table = Table(header_style="bold")
    table.add_column("step", justify="right")
    table.add_column("learning rate", justify="right")
    table.add_column("of peak", justify="right")
    top = float(values.max())
    for step in steps:
        table.add_row(str(step), f"{values[step]:.4g}", f"{100 * values[step] / top:.0f}%")
    out.print(table)
    out.print(f"min {values.min():.4g}, max {top:.4g} (first at step {int(values.argmax())}), mean {values.mean():.4g}")


def _save_plot(values, title: str, path: str) -> None:
    from pathlib import Path

    import matplotlib

    from ..errors import InvalidConfigError

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.plot(range(len(values)), values, color="#0072B2", linewidth=1.8)
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    try:
        fig.savefig(Path(path), dpi=120)
    except OSError as exc:
        raise InvalidConfigError(f"cannot write plot {path!r}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
