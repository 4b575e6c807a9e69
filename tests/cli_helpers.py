"""Running ``lrscout`` in this process (``lrscout.cli.main.main``), for tests that run it many
times: a subprocess per call costs a second of start-up, the command itself a fraction of that."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

from lrscout.cli.main import main

# Variables that would make rich change the layout or colour whatever the test intends.
LAYOUT_ENV = ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CLICOLOR_FORCE",
              "COLUMNS", "LINES", "JUPYTER_COLUMNS", "JUPYTER_LINES")


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
