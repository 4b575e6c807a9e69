"""Entry point: the ``lrscout`` click group and ``main``. Each command lives in its own module,
which imports only click until it runs, so ``lrscout --help`` answers quickly. User mistakes
exit 2 with one clear message."""

from __future__ import annotations

import sys

import click

from .demo_cmd import demo_command
from .exit_codes import EXIT_BAD_INPUT, EXIT_INTERRUPTED
from .lab_cmd import lab_command
from .report_cmd import report_command
from .schedule_cmd import schedule_command
from .sweep_cmd import sweep_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lrscout")
def cli() -> None:
    """Find a good learning rate with short log-scale sweeps, and explain the loss curves.

    Exit codes: 0 a learning rate was chosen, 2 bad input, 3 no candidate was good
    (the advice says what to try).
    """


for _command in (sweep_command, demo_command, lab_command, schedule_command, report_command):
    cli.add_command(_command)


def as_flag(argument: str) -> str:
    """A Python argument as the command line's option: ``val_fraction`` -> ``--val-fraction``."""
    return "--" + argument.replace("_", "-")


def main(argv: list[str] | None = None) -> None:
    from .._validation import spelled_as
    from ..errors import LrscoutError

    try:
        with spelled_as(as_flag):    # library messages name --val-fraction, not val_fraction
            cli.main(args=argv, prog_name="lrscout", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        ctx = getattr(exc, "ctx", None)   # a UsageError knows its command; other ClickExceptions do not
        command = ctx.command_path if ctx else "lrscout"
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
