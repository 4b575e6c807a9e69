"""Pieces shared by the commands: consoles, the live progress display, writing outputs."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from ..result import SweepResult

STDOUT = "-"  # ``--json -``: the results on stdout, for a script to read, and nothing else there


def json_to_stdout(json_path: str | None) -> bool:
    return json_path == STDOUT


def console(stderr: bool = False):
    """A rich console; with ``--json -`` pass ``stderr=True`` so people's text stays off stdout."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


@contextmanager
def progress(enabled: bool, label: str) -> Iterator:
    """A live display on stderr (rounds, candidates done with their verdicts, steps, pruned
    ones) that disappears when the sweep ends; yields an ``on_batch`` callback, or None when
    disabled or stderr is not a terminal (a log file should not fill with redraws)."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.live import Live

    from ..report.terminal import SweepProgress

    view = SweepProgress(label)
    with Live(view, console=console(stderr=True), transient=True, refresh_per_second=8) as live:
        def on_batch(event) -> None:
            view.update(event)
            live.refresh()

        yield on_batch


def _check_file(option: str, path: str) -> None:
    from ..errors import InvalidConfigError

    folder = Path(path).parent
    if not folder.is_dir():
        raise InvalidConfigError(f"{option} {path!r}: the folder {str(folder)!r} does not exist")
    if Path(path).is_dir():
        raise InvalidConfigError(f"{option} {path!r} is a folder; give a file name")


def check_outputs(json_path: str | None, plot_path: str | None, report_path: str | None = None,
                  tensorboard_dir: str | None = None, mlflow: bool = False) -> None:
    """Reject unusable outputs before any training, so a typo or a missing extra costs nothing."""
    from ..errors import InvalidConfigError
    from ..report.html import SUFFIXES
    from ..report.plot import FORMATS

    if plot_path and Path(plot_path).suffix.lower() not in FORMATS:
        raise InvalidConfigError(f"--plot {plot_path!r}: the file must end in {', '.join(FORMATS)}")
    if report_path and Path(report_path).suffix.lower() not in SUFFIXES:
        raise InvalidConfigError(f"--report {report_path!r}: the file must end in {' or '.join(SUFFIXES)}")
    for option, path in (("--json", None if json_to_stdout(json_path) else json_path), ("--plot", plot_path),
                         ("--report", report_path)):
        if path:
            _check_file(option, path)
    if tensorboard_dir:
        from ..report.tensorboard_export import check

        check(tensorboard_dir)
    if mlflow:
        from ..report.mlflow_export import check_available

        check_available()


def write_outputs(result: SweepResult, json_path: str | None, plot_path: str | None, out,
                  quiet: bool = False, *, panels: Sequence[tuple[str, SweepResult]] | None = None,
                  report_path: str | None = None, tensorboard_dir: str | None = None, mlflow: bool = False) -> None:
    """Write what was asked for; ``out`` takes the "written to" notes (stderr with ``--json -``).

    The plot and the report show ``panels`` side by side when given (e.g. raw and scaled
    features); the results file, TensorBoard and MLflow get ``result``, the one acted on.
    """
    from ..errors import InvalidConfigError

    shown = result if panels is None else panels

    def note(text: str) -> None:
        if not quiet:
            out.print(text)

    if json_to_stdout(json_path):
        sys.stdout.write(result.to_json(indent=1) + "\n")
        sys.stdout.flush()
    elif json_path:
        try:
            result.save(json_path)
        except OSError as exc:
            raise InvalidConfigError(f"cannot write --json {json_path!r}: {exc.strerror or exc}") from None
        note(f"results written to {json_path}")
    if plot_path:
        from ..report.plot import save_plot

        save_plot(shown, plot_path)
        note(f"plot written to {plot_path}")
    if report_path:
        from ..report.html import write_html

        write_html(shown, report_path)
        note(f"report written to {report_path} (opens offline in any browser)")
    if tensorboard_dir:
        from ..report.tensorboard_export import write_tensorboard

        runs = write_tensorboard(result, tensorboard_dir)
        note(f"{len(runs)} TensorBoard runs written to {tensorboard_dir} (tensorboard --logdir {tensorboard_dir})")
    if mlflow:
        from ..report.mlflow_export import log_mlflow

        # the report written above shows the panels; MLflow's run is about ``result`` alone
        run_id = log_mlflow(result, report_path=report_path if panels is None else None)
        note(f"MLflow run {run_id} logged, one child run per candidate")


def ensure_dir(path: str) -> Path:
    from ..errors import InvalidConfigError

    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidConfigError(f"cannot create folder {path!r}: {exc.strerror or exc}") from None
    return p
