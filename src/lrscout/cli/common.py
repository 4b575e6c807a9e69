"""Pieces shared by the commands: consoles, the live progress display, writing outputs."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from ..core.result import SweepResult

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


def plain(text: object) -> str:
    """User text (a column name, a path) made safe to print: rich would read ``[x]`` as markup."""
    from rich.markup import escape

    return escape(str(text))


def _check_file(option: str, path: str) -> None:
    from ..errors import InvalidConfigError

    folder = Path(path).parent
    try:
        if not folder.is_dir():
            raise InvalidConfigError(f"{option} {path!r}: the folder {str(folder)!r} does not exist")
        if Path(path).is_dir():
            raise InvalidConfigError(f"{option} {path!r} is a folder; give a file name")
    except OSError as exc:   # e.g. a name longer than the file system allows
        raise InvalidConfigError(f"{option} {path!r}: {exc.strerror or exc}") from None


def check_outputs(json_path: str | None, plot_path: str | None, report_path: str | None = None,
                  tensorboard_dir: str | None = None, mlflow: bool = False, *,
                  report_option: str = "--report") -> None:
    """Reject unusable outputs before any training, so a typo or a missing extra costs nothing."""
    from ..errors import InvalidConfigError
    from ..report.html import SUFFIXES
    from ..report.plot import FORMATS

    if plot_path and Path(plot_path).suffix.lower() not in FORMATS:
        raise InvalidConfigError(f"--plot {plot_path!r}: the file must end in {', '.join(FORMATS)}")
    if report_path and Path(report_path).suffix.lower() not in SUFFIXES:
        raise InvalidConfigError(f"{report_option} {report_path!r}: the file must end in {' or '.join(SUFFIXES)}")
    files = [(option, path) for option, path in (("--json", None if json_to_stdout(json_path) else json_path),
                                                 ("--plot", plot_path), (report_option, report_path)) if path]
    for option, path in files:
        _check_file(option, path)
    for i, (option, path) in enumerate(files):   # one file for two outputs: the second would overwrite the first
        for other, other_path in files[i + 1:]:
            if Path(path).resolve() == Path(other_path).resolve():
                raise InvalidConfigError(f"{option} and {other} both name {path!r}; give each output its own file")
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
    Every output is attempted even when an earlier one fails, so one bad path does not cost
    the others; the failures are raised together at the end.
    """
    from ..errors import InvalidConfigError, LrscoutError

    shown = result if panels is None else panels
    failures: list[str] = []

    def note(text: str) -> None:
        if not quiet:
            out.print(plain(text))

    def attempt(what: str, write) -> None:
        try:
            write()
        except OSError as exc:
            failures.append(f"cannot write {what}: {exc.strerror or exc}")
        except LrscoutError as exc:      # already says what it could not write
            failures.append(str(exc))

    def results_file(json_path: str) -> None:
        result.save(json_path)
        note(f"results written to {json_path}")

    def plot(plot_path: str) -> None:
        from ..report.plot import save_plot

        save_plot(shown, plot_path)
        note(f"plot written to {plot_path}")

    def report(report_path: str) -> None:
        from ..report.html import write_html

        write_html(shown, report_path)
        note(f"report written to {report_path} (opens offline in any browser)")

    def tensorboard(tensorboard_dir: str) -> None:
        from ..report.tensorboard_export import write_tensorboard

        runs = write_tensorboard(result, tensorboard_dir)
        note(f"{len(runs)} TensorBoard runs written to {tensorboard_dir} (tensorboard --logdir {tensorboard_dir})")

    def mlflow_run() -> None:
        from ..report.mlflow_export import log_mlflow

        # the report written above shows the panels; MLflow's run is about ``result`` alone
        run_id = log_mlflow(result, report_path=report_path if panels is None else None)
        note(f"MLflow run {run_id} logged, one child run per candidate")

    if json_to_stdout(json_path):
        sys.stdout.write(result.to_json(indent=1) + "\n")
        sys.stdout.flush()
    elif json_path:
        attempt(f"--json {json_path!r}", lambda: results_file(json_path))
    if plot_path:
        attempt(f"--plot {plot_path!r}", lambda: plot(plot_path))
    if report_path:
        attempt(f"--report {report_path!r}", lambda: report(report_path))
    if tensorboard_dir:
        attempt(f"--tensorboard {tensorboard_dir!r}", lambda: tensorboard(tensorboard_dir))
    if mlflow:
        attempt("--mlflow", mlflow_run)
    if failures:
        raise InvalidConfigError("; ".join(failures))


def ensure_dir(path: str) -> Path:
    from ..errors import InvalidConfigError

    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidConfigError(f"cannot create folder {path!r}: {exc.strerror or exc}") from None
    return p
