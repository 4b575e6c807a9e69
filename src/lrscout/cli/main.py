"""Entry point: a click group whose commands import their heavy parts only when they run,
so ``lrscout --help`` answers quickly. User mistakes exit 2 with one clear message."""

from __future__ import annotations

import sys

import click

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_NO_CHOICE = 3
EXIT_INTERRUPTED = 130
MIN_STEPS = 10   # fewer points leave no trend, noise or saw-tooth to read: every verdict would be a guess


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lrscout")
def cli() -> None:
    """Find a good learning rate with short log-scale sweeps, and explain the loss curves.

    Exit codes: 0 a learning rate was chosen, 2 bad input, 3 no candidate was good
    (the advice says what to try).
    """


@cli.command("sweep")
@click.argument("data", metavar="DATA.csv")
@click.option("--target", "-t", required=True, help="Column to predict.")
@click.option("--model", type=click.Choice(["linear", "logistic", "softmax"]), default=None,
              help="Built-in model; inferred from the target when omitted.")
@click.option("--features", default=None, help="Comma-separated feature columns (default: all but the target).")
@click.option("--lrs", default=None, help="Explicit grid, e.g. 1e-3,1e-2,0.1 (skips the adaptive search).")
@click.option("--steps", default=100, show_default=True, type=click.IntRange(min=MIN_STEPS),
              help=f"Training steps per candidate (at least {MIN_STEPS}: a shorter curve cannot be read).")
@click.option("--batch-size", default=None, type=click.IntRange(min=1), help="Mini-batch size (default: full batch).")
@click.option("--momentum", default=0.0, show_default=True, type=click.FloatRange(0.0, 1.0, max_open=True), help="Heavy-ball momentum.")
@click.option("--scale", type=click.Choice(["none", "standard", "minmax"]), default="none", show_default=True,
              help="Feature scaling, fitted on the training split.")
@click.option("--compare-scaling", is_flag=True,
              help="Sweep raw and scaled features (--scale, or standard) and report the better range.")
@click.option("--val-fraction", default=0.2, show_default=True, type=click.FloatRange(0.0, 0.9), help="Share of rows held out.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Seed for the split and batch order.")
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
              help="Continue the sweep journaled next to --json (PATH.journal.jsonl); finished candidates are not rerun.")
@click.option("--max-points", default=None, type=click.IntRange(min=3), metavar="N",
              help="Keep at most N points per curve in the results (block means; first and last step exact). "
                   "Verdicts are read from every step first; the journal keeps every step.")
@click.option("--stream", is_flag=True,
              help="Read DATA.csv in chunks and keep only the rows the sweep trains on, for a file larger than "
                   "memory (numeric, comma-separated; mini-batches, --batch-size default 64; no --scale).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the chosen learning rate.")
def sweep_command(**options) -> None:
    """Sweep learning rates for a built-in NumPy model on a CSV file."""
    from .sweep_cmd import run

    sys.exit(run(**options))


@cli.command("demo")
@click.option("--out", default="lrscout-demo", show_default=True, help="Folder for the report, plot and JSON results.")
@click.option("--quiet", "-q", is_flag=True, help="Print less.")
def demo_command(out: str, quiet: bool) -> None:
    """The house-price example (lot frontage and depth): raw features, then standardized."""
    from .demo_cmd import run

    sys.exit(run(out, quiet))


from .lab_cmd import lab_command  # noqa: E402  (click only; the lab loads when it runs)
from .schedule_cmd import schedule_command  # noqa: E402
from .report_cmd import report_command  # noqa: E402  (click only; plotly loads when it runs)

cli.add_command(lab_command)
cli.add_command(schedule_command)
cli.add_command(report_command)


def main(argv: list[str] | None = None) -> None:
    from ..errors import LrscoutError

    try:
        cli.main(args=argv, prog_name="lrscout", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        command = exc.ctx.command_path if getattr(exc, "ctx", None) else "lrscout"
        click.echo(f"lrscout: error: {exc.format_message()} (see '{command} --help')", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except LrscoutError as exc:
        click.echo(f"lrscout: error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except MemoryError:
        # the checks before work refuse what clearly cannot fit; this is what they could not foresee
        click.echo("lrscout: error: ran out of memory; use fewer --steps or candidates, a smaller file, or "
                   "--stream for a file larger than memory", err=True)
        sys.exit(EXIT_BAD_INPUT)


if __name__ == "__main__":  # pragma: no cover
    main()
