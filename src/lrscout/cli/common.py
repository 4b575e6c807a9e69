"""Pieces shared by the commands: consoles, progress display, writing outputs."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..result import SweepResult


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


@contextmanager
def progress(enabled: bool, label: str) -> Iterator:
    """A spinner on stderr with candidates done; yields an ``on_batch`` callback."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.status import Status

    with Status(label, console=console(stderr=True)) as status:
        def on_batch(event) -> None:
            pruned = sum(1 for c in event.candidates if c.trace.pruned)
            status.update(f"{label}: round {event.round}, {len(event.candidates)} candidates done"
                          f" ({pruned} pruned), last lrs {', '.join(f'{x:g}' for x in event.lrs)}")

        yield on_batch


def check_outputs(json_path: str | None, plot_path: str | None) -> None:
    """Reject unusable output paths before any training, so a typo costs nothing."""
    from ..errors import InvalidConfigError
    from ..report.plot import FORMATS

    if plot_path and Path(plot_path).suffix.lower() not in FORMATS:
        raise InvalidConfigError(f"--plot {plot_path!r}: the file must end in {', '.join(FORMATS)}")
    for option, path in (("--json", json_path), ("--plot", plot_path)):
        if path:
            folder = Path(path).parent
            if not folder.is_dir():
                raise InvalidConfigError(f"{option} {path!r}: the folder {str(folder)!r} does not exist")
            if Path(path).is_dir():
                raise InvalidConfigError(f"{option} {path!r} is a folder; give a file name")


def write_outputs(result: SweepResult, json_path: str | None, plot_path: str | None, out,
                  quiet: bool = False) -> None:
    from ..errors import InvalidConfigError

    if json_path:
        try:
            result.save(json_path)
        except OSError as exc:
            raise InvalidConfigError(f"cannot write --json {json_path!r}: {exc.strerror or exc}") from None
        if not quiet:
            out.print(f"results written to {json_path}")
    if plot_path:
        from ..report.plot import save_plot

        save_plot(result, plot_path)
        if not quiet:
            out.print(f"plot written to {plot_path}")


def ensure_dir(path: str) -> Path:
    from ..errors import InvalidConfigError

    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidConfigError(f"cannot create folder {path!r}: {exc.strerror or exc}") from None
    return p
