"""Pieces shared by the commands: consoles, the live progress display, writing outputs."""

from __future__ import annotations

import os
import sys
import tempfile
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


def _same_path(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """One file under two names: the same inode when both exist (links, hard links), else the
    same resolved path (``./d.csv`` and ``d.csv``, a folder reached through a link)."""
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    except OSError:
        pass
    try:
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, RuntimeError):   # a symlink loop: compare the names as written
        return os.path.abspath(a) == os.path.abspath(b)


class _Probe:
    """Whether a folder takes a new file, tried for real: a folder can exist and still refuse
    (read-only mounts, /proc, permissions), and finding out after training costs the training."""

    def __init__(self) -> None:
        self.tried: dict[str, str | None] = {}

    def __call__(self, folder: Path) -> str | None:
        """None when a file can be created in ``folder``, else why not."""
        key = os.path.abspath(folder)
        if key not in self.tried:
            try:
                fd, name = tempfile.mkstemp(prefix=".lrscout-probe-", dir=folder)
            except OSError as exc:
                self.tried[key] = exc.strerror or str(exc)
            else:
                os.close(fd)
                os.unlink(name)
                self.tried[key] = None
        return self.tried[key]


def _check_file(option: str, path: str, probe: _Probe) -> None:
    from ..errors import InvalidConfigError

    p = Path(path)
    folder = p.parent
    try:
        if not folder.is_dir():
            raise InvalidConfigError(f"{option} {path!r}: the folder {str(folder)!r} does not exist")
        if p.is_dir():
            raise InvalidConfigError(f"{option} {path!r} is a folder; give a file name")
        if p.exists() and not p.is_file():
            raise InvalidConfigError(f"{option} {path!r} is not a regular file (a device or a pipe); give a file "
                                     "name" + (" (--json - prints the results)" if option == "--json" else ""))
        problem = probe(folder)
    except OSError as exc:   # e.g. a name longer than the file system allows
        raise InvalidConfigError(f"{option} {path!r}: {exc.strerror or exc}") from None
    if problem is not None:
        raise InvalidConfigError(f"{option} {path!r}: cannot write in the folder {str(folder)!r} ({problem}); "
                                 "give a path in a folder you can write to")


def _check_folder(option: str, path: str, probe: _Probe) -> None:
    """A folder that will be created if missing: it must not be a file, and its nearest
    existing ancestor must take new entries."""
    from ..errors import InvalidConfigError

    p = Path(path)
    try:
        if p.exists() and not p.is_dir():
            raise InvalidConfigError(f"{option} {path!r} is a file; give a folder")
        existing = p if p.exists() else next((a for a in p.absolute().parents if a.exists()), None)
        if existing is not None and not existing.is_dir():
            raise InvalidConfigError(f"{option} {path!r}: {str(existing)!r} is a file, so no folder can be made "
                                     "under it")
        problem = None if existing is None else probe(existing)
    except OSError as exc:
        raise InvalidConfigError(f"{option} {path!r}: {exc.strerror or exc}") from None
    if problem is not None:
        raise InvalidConfigError(f"{option} {path!r}: cannot write in {str(existing)!r} ({problem}); give a folder "
                                 "you can write to")


def check_outputs(json_path: str | None, plot_path: str | None, report_path: str | None = None,
                  tensorboard_dir: str | None = None, mlflow: bool = False, *,
                  report_option: str = "--report", inputs: Sequence[tuple[str, str]] = (),
                  journal: Path | None = None, folders: Sequence[tuple[str, str]] = ()) -> None:
    """Reject unusable outputs before any work, so a typo or a missing extra costs nothing.

    Every output must be writable (its folder is tried), and none may be an input (``inputs``:
    (what, path) pairs, such as the data file) or another output, under any name: writing it
    would destroy what was read, or one output would overwrite another. ``journal`` is the file
    a sweep with --json records its candidates in; ``folders`` are further (option, folder)
    outputs that are created when missing, as the TensorBoard folder is (the demo's --out).
    """
    from ..errors import InvalidConfigError
    from ..report.html import SUFFIXES
    from ..report.plot import FORMATS

    given = (("--json", json_path), ("--plot", plot_path), (report_option, report_path),
             ("--tensorboard", tensorboard_dir), *folders)
    for option, path in given:
        if path is not None and not str(path).strip():
            kind = "folder" if option == "--tensorboard" or option in dict(folders) else "file"
            raise InvalidConfigError(f"{option} is empty; give a {kind} name")
    if plot_path and Path(plot_path).suffix.lower() not in FORMATS:
        raise InvalidConfigError(f"--plot {plot_path!r}: the file must end in {', '.join(FORMATS)}")
    if report_path and Path(report_path).suffix.lower() not in SUFFIXES:
        raise InvalidConfigError(f"{report_option} {report_path!r}: the file must end in {' or '.join(SUFFIXES)}")
    files = [(option, path) for option, path in (("--json", None if json_to_stdout(json_path) else json_path),
                                                 ("--plot", plot_path), (report_option, report_path)) if path]
    if journal is not None:
        files.append(("the journal of --json", str(journal)))
    dirs = [(option, path) for option, path in (("--tensorboard", tensorboard_dir), *folders) if path]
    probe = _Probe()
    for option, path in files:
        _check_file(option, path, probe)
    for option, path in dirs:
        _check_folder(option, path, probe)
    outputs = files + dirs
    for option, path in outputs:   # writing an input destroys what was read
        for what, source in inputs:
            if _same_path(path, source):
                raise InvalidConfigError(f"{option} {path!r} is the {what} {source!r}: writing it would destroy what "
                                         "is read; give the output another name")
    for i, (option, path) in enumerate(outputs):   # one file for two outputs: the second would overwrite the first
        for other, other_path in outputs[i + 1:]:
            if _same_path(path, other_path):
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


# Memory a sweep takes, per candidate and step (measured on 100,000-step sweeps of 5 candidates):
# training keeps three float64 curves per candidate plus float32 copies in the result; writing
# an output holds every point again as Python floats and text (the JSON results and the
# journal, the HTML report's chart data, matplotlib's lines). Outputs are written one at a
# time, so the largest counts. Per step, a mini-batch keeps its row indices.
TRAIN_BYTES = 40
OUTPUT_BYTES = {"--json": 450, "--report": 750, "--plot": 200, "--tensorboard": 420, "--mlflow": 750}
BATCH_BYTES = {True: 160, False: 16}


def sweep_memory(steps: int, candidates: int, *, mini_batch: bool, outputs: Sequence[str],
                 max_points: int | None) -> tuple[int, int]:
    """(bytes per step, bytes in all) that a sweep of ``candidates`` trained together needs."""
    per_step = candidates * TRAIN_BYTES + BATCH_BYTES[mini_batch]
    if max_points is None:
        per_step += candidates * max((OUTPUT_BYTES[o] for o in outputs), default=0)
    elif "--json" in outputs:
        per_step += OUTPUT_BYTES["--json"]   # the journal still writes every step, one candidate at a time
    return per_step, steps * per_step


def check_sweep_memory(steps: int, candidates: int, *, mini_batch: bool, outputs: Sequence[str],
                       max_points: int | None, other_bytes: int = 0, other: str = "") -> None:
    """Refuse a sweep whose curves cannot fit in memory, before it allocates them, saying how
    much they would take and how many steps would fit."""
    from ..data import memory
    from ..errors import InvalidConfigError

    per_step, need = sweep_memory(steps, candidates, mini_batch=mini_batch, outputs=outputs, max_points=max_points)
    need += other_bytes
    available = memory.available_bytes()
    if available is None or need <= available:
        return
    fit = max(0, (available - other_bytes) // per_step)
    what = f"{candidates} candidates' curves of {steps:,} steps"
    what += f" written to {', '.join(outputs)}" if outputs else ""
    advice = (f"use --steps {fit:,} or fewer" if fit >= 10
              else "even the shortest window does not fit; free memory first")
    if outputs and max_points is None:
        advice += ", or --max-points to keep fewer points per curve in the outputs"
    raise InvalidConfigError(f"--steps {steps:,} would take about {memory.format_bytes(need)} of memory ({what}"
                             f"{other}), and about {memory.format_bytes(available)} is available: {advice}")


@contextmanager
def status(enabled: bool, text: str) -> Iterator:
    """A spinner with a line of text on stderr while something slow runs before the sweep's own
    display (reading a large file, preparing its columns); yields a function that changes the
    text, or None when disabled or stderr is not a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    with console(stderr=True).status(plain(text), spinner="dots") as shown:
        yield lambda new: shown.update(plain(new))


def ensure_dir(path: str) -> Path:
    from ..errors import InvalidConfigError

    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidConfigError(f"cannot create folder {path!r}: {exc.strerror or exc}") from None
    return p
