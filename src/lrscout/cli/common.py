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


def write_outputs(result: SweepResult, json_path: str | None, plot_path: str | None, out) -> None:
    from ..errors import InvalidConfigError

    if json_path:
        try:
            result.save(json_path)
        except OSError as exc:
            raise InvalidConfigError(f"cannot write --json {json_path!r}: {exc.strerror or exc}") from None
        out.print(f"results written to {json_path}")
    if plot_path:
        from ..report.plot import save_plot

        save_plot(result, plot_path)
        out.print(f"plot written to {plot_path}")


def ensure_dir(path: str) -> Path:
    from ..errors import InvalidConfigError

    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidConfigError(f"cannot create folder {path!r}: {exc.strerror or exc}") from None
    return p
