"""Helpers of the command-line tests (no tests here): run ``lrscout`` in a folder of small CSV
files -- the installed script in a subprocess (``run_cli``), or ``lrscout.cli.main.main`` in this
process (``invoke``) for tests that run it many times (a subprocess per call costs a second of
start-up, the command itself a fraction of that) -- and check its exit code, its one-line
messages and which files it touched.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from lrscout import VerdictKind
from lrscout.cli.main import main

LRSCOUT = Path(sys.executable).with_name("lrscout")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
VERDICT_WORDS = {k.value for k in VerdictKind}
CHOSEN_LINE = re.compile(r"^chosen learning rate: (\S+)\s*$", re.MULTILINE)

# Variables that would make rich emit colour or change the layout whatever the test intends.
LAYOUT_ENV = ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CLICOLOR_FORCE",
               "COLUMNS", "LINES", "JUPYTER_COLUMNS", "JUPYTER_LINES")


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in LAYOUT_ENV}
    full_env["COLUMNS"] = "120"
    if env:
        full_env.update(env)
    return subprocess.run([str(LRSCOUT), *args], cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=timeout)


def write_csv(path: Path, header, rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(list(header))
        for r in rows:
            w.writerow(list(r))
    return path


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def regression_csv(folder: Path, n: int = 80, name: str = "reg.csv") -> Path:
    """A small, well-conditioned regression problem: y = 2 x1 - x2 + 0.5 + noise."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    y = 2 * X[:, 0] - X[:, 1] + 0.5 + rng.normal(0, 0.1, n)
    return write_csv(folder / name, ("x1", "x2", "y"),
                     ([f"{a:.6g}", f"{b:.6g}", f"{t:.6g}"] for (a, b), t in zip(X, y)))


def numeric_csv(path: Path, n: int = 60, columns: int = 2, target: str = "y", binary: bool = False) -> Path:
    """``columns`` normal features x0, x1, ... and a linear target (0/1 when ``binary``)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, columns))
    y = X @ np.linspace(1, -1, columns) + 0.5
    y = (y > 0.5).astype(float) if binary else y
    names = [f"x{j}" for j in range(columns)] + [target]
    lines = [",".join(names)] + [",".join(f"{v:.6g}" for v in row) for row in np.column_stack([X, y])]
    path.write_text("\n".join(lines) + "\n")
    return path


def housing_csv(n: int = 1000, seed: int = 0) -> str:
    """The house-price example's table as CSV text, for the end-to-end runs of the command line."""
    from lrscout.data import housing

    t = housing(n, seed)
    lines = [",".join(t.columns)] + [",".join(row) for row in zip(*t.cells)]
    return "\n".join(lines) + "\n"


def sklearn_csv(folder: Path, loader: str, name: str, *, text_labels: bool = False) -> Path:
    datasets = pytest.importorskip("sklearn.datasets")
    bunch = getattr(datasets, loader)()
    target = [bunch.target_names[k] for k in bunch.target] if text_labels else list(bunch.target)
    rows = ([repr(float(v)) for v in x] + [t if text_labels else repr(t.item())]
            for x, t in zip(bunch.data, target))
    return write_csv(folder / name, list(bunch.feature_names) + ["target"], rows)


def chosen_from(stdout: str) -> str:
    found = CHOSEN_LINE.findall(stdout)
    assert len(found) == 1, f"expected one 'chosen learning rate: X' line in:\n{stdout}"
    return found[0]


def flat(text: str) -> str:
    """Whitespace collapsed, so checks do not depend on where the terminal wraps lines."""
    return " ".join(text.split())


def assert_bad_input(proc: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit 2, one 'lrscout: error: ...' line on stderr containing every fragment, no traceback."""
    assert proc.returncode == 2, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one message line on stderr, got:\n{proc.stderr}"
    message = lines[0]
    assert message.startswith("lrscout: error: "), message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


def dotfiles(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def invoke(*args: str, cwd: Path, columns: int = 120) -> Outcome:
    """``lrscout ARGS`` run in ``cwd``; any exception other than the exit escapes to the test,
    as a traceback would reach a user. Output goes to strings (not terminals: no live display)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    saved_env = {k: os.environ.pop(k) for k in LAYOUT_ENV if k in os.environ}
    os.environ["COLUMNS"] = str(columns)
    here = os.getcwd()
    code = 0
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        os.chdir(here)
        os.environ.pop("COLUMNS", None)
        os.environ.update(saved_env)
    return Outcome(code, stdout.getvalue(), stderr.getvalue())


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder`` (relative path -> content digest, or 'dir')."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            out[rel] = "link:" + os.readlink(path)
        elif path.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


def assert_error(outcome: Outcome, *fragments: str) -> str:
    """An ``invoke`` that exited 2 with one 'lrscout: error: ...' line holding every fragment."""
    assert outcome.code == 2, outcome.output
    message = outcome.stderr.strip()
    assert message.startswith("lrscout: error: ") and "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message
