"""The journal: an append-only record of every finished candidate, so a sweep can resume.

A long sweep that crashes, is killed or is stopped with Ctrl-C keeps what it finished. The
journal is a JSON-lines file (next to the results: ``out.json`` -> ``out.journal.jsonl``):

- line 1, the header: the schema, and the configuration that decides the curves (the problem's
  ``describe()``, a fingerprint of its data, steps, planner, pruning, the caller's config) with
  its SHA-256;
- then one line per finished candidate, ``{"candidate": Candidate.to_dict(), "at": time}``,
  appended, flushed and fsynced as it finishes. The file is never rewritten in place. It
  holds every step: ``sweep(max_points=...)`` compacts only the result's curves, so a resumed
  sweep reads its candidates again as the uninterrupted one did.

Each entry carries the candidate's verdict read on its own, for a person following progress
with ``tail -f``; a resumed sweep keeps only the traces and reads them again alongside the
others (one rule, "far slower than the best", depends on the whole sweep).

A process killed in the middle of an append leaves a torn last line: reading skips a line that
is not JSON, and appending first ends it with a newline. Candidates that failed are journaled
(the record is complete) but run again on resume, since a worker that died may not die twice.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .._version import __version__
from ..core.types import Candidate, Trace, Verdict
from ..errors import InvalidConfigError, ResultsFileError
from ..problems.protocols import Fingerprinted

SCHEMA = "lrscout.journal/1"


def journal_path(results_path: str | os.PathLike[str]) -> Path:
    """Where the journal of a sweep whose results go to ``results_path`` lives."""
    p = Path(results_path)
    return p.with_name(f"{p.stem if p.suffix else p.name}.journal.jsonl")


def data_fingerprint(problem: Any) -> str | None:
    """A digest of what the problem trains on, so resuming on other data is caught: the
    problem's own ``fingerprint()`` (``Fingerprinted``; every built-in problem has one), or
    None for a problem that gives none (then only its ``describe()`` guards a resume).
    """
    return str(problem.fingerprint()) if isinstance(problem, Fingerprinted) else None


def config_hash(config: Mapping[str, Any]) -> str:
    return hashlib.sha256(_canonical(config).encode()).hexdigest()


def _canonical(value: Any) -> str:
    # a value JSON cannot hold (a NumPy integer, an object) is compared by its repr
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr)


def _plain(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config as JSON gives it back (tuples become lists), so stored and live compare equal."""
    return json.loads(_canonical(config))


@dataclass(frozen=True, eq=False)
class JournalContents:
    """What an existing journal holds: its configuration and the candidates finished so far."""

    config: Mapping[str, Any]
    candidates: tuple[Candidate, ...]
    torn_lines: int

    @property
    def finished(self) -> dict[float, Trace]:
        """Traces to reuse, by learning rate: every candidate that did not fail."""
        out: dict[float, Trace] = {}
        for c in self.candidates:
            if c.trace.error is None:
                out.setdefault(c.lr, c.trace)
        return out


def read_journal(path: str | os.PathLike[str]) -> JournalContents:
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ResultsFileError(f"cannot read journal {str(p)!r}: {exc.strerror or exc}") from exc
    header = _parse(lines[0]) if lines else None
    if not isinstance(header, dict) or header.get("schema") != SCHEMA:
        raise ResultsFileError(f"{str(p)!r} is not an lrscout journal (its first line is not a "
                               f"{SCHEMA} header); give another --json path or remove the file")
    candidates, torn = [], 0
    for number, line in enumerate(lines[1:], start=2):
        entry = _parse(line)
        if entry is None:
            torn += 1  # a write cut short by a crash: that candidate simply runs again
            continue
        try:
            candidates.append(Candidate.from_dict(entry["candidate"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ResultsFileError(f"journal {str(p)!r}, line {number}: not a candidate record ({exc})") from exc
    return JournalContents(config=header.get("config", {}), candidates=tuple(candidates), torn_lines=torn)


def _parse(line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


class Journal:
    """An open journal, appended to as candidates finish. Use ``Journal.open``; close it after."""

    def __init__(self, path: Path, contents: JournalContents | None, fh: Any) -> None:
        self.path = path
        self.earlier = contents
        self._fh = fh

    @classmethod
    def open(cls, path: str | os.PathLike[str], config: Mapping[str, Any], *, resume: bool) -> "Journal":
        """Start a journal for ``config``, or with ``resume`` continue the one at ``path``.

        An existing journal is never overwritten: without ``resume`` that is an error, and with
        it the journal must be for the same configuration (the error names what differs).
        """
        p = Path(path)
        try:
            return cls._open(p, _plain(config), resume=resume)
        except OSError as exc:   # an unwritable folder, a name too long: the user's path, not a bug
            raise InvalidConfigError(f"cannot open journal {str(p)!r}: {exc.strerror or exc}") from None

    @classmethod
    def _open(cls, p: Path, live: dict[str, Any], *, resume: bool) -> "Journal":
        if p.exists():
            if not resume:
                raise InvalidConfigError(
                    f"journal {str(p)!r} already exists (an earlier sweep's finished candidates, kept because "
                    "that sweep was interrupted or kept its full curves); reuse them with --resume "
                    "(resume=True) or delete the file to start over")
            contents = read_journal(p)
            _check_same(p, contents.config, live)
            fh = p.open("a", encoding="utf-8")
            if not _ends_with_newline(p):
                fh.write("\n")  # end the torn line a crash left, so the next entry stands alone
            return cls(p, contents, fh)
        if not p.parent.is_dir():
            raise InvalidConfigError(f"journal {str(p)!r}: the folder {str(p.parent)!r} does not exist")
        fh = p.open("x", encoding="utf-8")
        journal = cls(p, None, fh)
        journal._write({"schema": SCHEMA, "lrscout_version": __version__, "config_hash": config_hash(live),
                        "config": live})
        _fsync_dir(p.parent)  # the new file's name must survive a crash too
        return journal

    @property
    def finished(self) -> dict[float, Trace]:
        return {} if self.earlier is None else self.earlier.finished

    def append(self, trace: Trace, verdict: Verdict) -> None:
        at = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        self._write({"candidate": Candidate(trace, verdict).to_dict(), "at": at})

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    def _write(self, record: Mapping[str, Any]) -> None:
        self._fh.write(json.dumps(record) + "\n")  # candidates hold no NaN (to_dict writes null)
        self._fh.flush()
        os.fsync(self._fh.fileno())


def _check_same(path: Path, stored: Mapping[str, Any], live: Mapping[str, Any]) -> None:
    if stored == live:
        return
    keys = sorted(set(stored) | set(live))
    diffs = [f"{k}: {_show(stored, k)} in the journal, {_show(live, k)} now"
             for k in keys if stored.get(k, _MISSING) != live.get(k, _MISSING)]
    raise InvalidConfigError(f"journal {str(path)!r} belongs to a different sweep, so it cannot be resumed "
                             f"here ({'; '.join(diffs)}); use another results path, or remove the journal "
                             "to start over")


_MISSING = object()


def _show(config: Mapping[str, Any], key: str) -> str:
    return "(absent)" if key not in config else json.dumps(config[key])[:120]


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() == 0:
            return True
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # platforms that cannot open a folder (Windows) keep names durable by themselves
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
