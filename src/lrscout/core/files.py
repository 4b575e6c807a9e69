"""Writing files so that a crash never leaves half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import ResultsFileError


def check_writable(path: Path, doing: str) -> None:
    """Refuse, before anything is written, a path that is a folder or whose folder is missing."""
    if path.is_dir():
        raise ResultsFileError(f"cannot {doing} to {str(path)!r}: it is a folder; give a file name in it, e.g. "
                               f"{str(path / 'sweep.json')!r}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise ResultsFileError(f"cannot {doing} to {str(path)!r}: the folder {str(parent)!r} does not exist; "
                               "create it first (mkdir -p) or choose another path")
    if not parent.is_dir():
        raise ResultsFileError(f"cannot {doing} to {str(path)!r}: {str(parent)!r} is a file, not a folder")


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        # mkstemp makes 0600 files; give the result the mode a plain open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path
