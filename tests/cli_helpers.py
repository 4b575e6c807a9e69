"""Helpers of the end-to-end command-line tests (no tests here): run the installed ``lrscout``
script in a folder of small CSV files, and check its exit code and its one-line messages.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lrscout import VerdictKind


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
