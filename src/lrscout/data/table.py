"""Reading a CSV into named columns, with errors that say which column and row are wrong.

Reading is linear in the file's size, whatever its shape (a million rows or a hundred
thousand columns), and refuses a file that cannot fit in memory before parsing it: the
memory a table takes is estimated from the file's size and the cells in its first megabyte.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import stat
import sys
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from . import memory
from ..errors import DataError

# Cells that spell a missing value (compared stripped and lower-cased): one list, for every column
MISSING_TOKENS = frozenset({"", "na", "nan", "n/a", "null", "none", "?"})

# Measured end to end (read, checks, float arrays, split, scaling; a 48 MB file of 4 M numeric
# cells took 135 bytes a cell, one of 0.5 M short cells 115): each cell costs a string object,
# its slots in the row and the column, and its float in the arrays; each byte of a long cell
# costs itself in the string and again while the row is parsed.
BYTES_PER_CELL = 110
BYTES_PER_FILE_BYTE = 2
SAMPLE_BYTES = 1 << 20          # the part of the file read to estimate its cells' size
SNIFF_LINES = 100               # lines the delimiter is guessed from
DELIMITERS = ",;\t"
PROGRESS_EVERY = 1 << 20        # characters read between two progress reports
ROWS_PER_BLOCK = 4096           # rows parsed before they are moved into the columns
SHOWN_COLUMNS = 20              # column names listed in an error message before "..."

ProgressCallback = Callable[[int, int], None]   # (characters read so far, file size in bytes)


@dataclass(frozen=True)
class Table:
    """Columns of a table as strings (parsed on demand), in file order."""

    name: str
    columns: tuple[str, ...]
    cells: tuple[tuple[str, ...], ...]   # one tuple per column
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # a dict, not columns.index: a table may have 100,000 columns, each looked up once
        index: dict[str, int] = {}
        for i, name in enumerate(self.columns):
            index.setdefault(name, i)
        object.__setattr__(self, "_index", index)

    @property
    def n_rows(self) -> int:
        return len(self.cells[0]) if self.cells else 0

    def column(self, name: str) -> tuple[str, ...]:
        try:
            return self.cells[self._index[name]]
        except KeyError:
            raise DataError(_unknown_column(name, self.columns, self.name)) from None

    def numeric(self, name: str) -> list[float]:
        """The column as floats; a missing, non-numeric or non-finite cell is an error."""
        import numpy as np

        cells = self.column(name)
        try:   # the common case at C speed; any doubt goes to the cell-by-cell reading below
            parsed = np.array(cells, dtype=np.float64)
            if np.isfinite(parsed).all():
                return parsed.tolist()
        except (ValueError, TypeError, OverflowError):
            pass
        missing = [i for i, v in enumerate(cells) if v.strip().lower() in MISSING_TOKENS]
        if missing:
            raise DataError(f"{self.name}: column {name!r} has {len(missing)} missing value(s), first on "
                            f"data row {missing[0] + 1}; fill or drop them before sweeping")
        values = []
        for i, v in enumerate(cells):
            try:
                f = float(v)
            except ValueError:
                raise DataError(f"{self.name}: column {name!r} is not numeric (data row {i + 1} holds "
                                f"{_shown(v)}); drop it or encode it as numbers") from None
            if not math.isfinite(f):
                if v.strip().lower().lstrip("+-") in ("nan", "inf", "infinity"):
                    raise DataError(f"{self.name}: column {name!r} holds {_shown(v)} on data row {i + 1}; "
                                    "NaN and inf cannot be trained on")
                raise DataError(f"{self.name}: column {name!r} holds {_shown(v)} on data row {i + 1}, a number too "
                                "large for a 64-bit float (beyond about 1.8e308); rescale or drop the column")
            values.append(f)
        return values


def _shown(text: str, limit: int = 60) -> str:
    """A cell quoted for a message, cut short: a cell may hold a megabyte."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text):,} characters)"


def _listed(names: Iterable[str]) -> str:
    names = list(names)
    shown = ", ".join(_shown(c, 40) for c in names[:SHOWN_COLUMNS])
    return shown if len(names) <= SHOWN_COLUMNS else f"{shown}, ... ({len(names):,} in all)"


def _unknown_column(name: str, columns: tuple[str, ...], source: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, columns, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"{source}: no column named {_shown(name)}; the columns are {_listed(columns)}.{hint}"


@contextmanager
def _long_fields() -> Iterator[None]:
    """csv refuses a cell over 128 kB by default; a long text column is still a table. The
    limit is process-wide state, so it is raised only while this module reads."""
    previous = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _checked_path(path: str | Path) -> tuple[Path, int]:
    p = Path(path)
    try:
        info = p.stat()
    except FileNotFoundError:
        raise DataError(f"data file {str(p)!r} does not exist") from None
    except OSError as exc:
        raise DataError(f"cannot read {str(p)!r}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise DataError(f"{str(p)!r} is a directory; give the path of a CSV file")
    if not stat.S_ISREG(info.st_mode):
        raise DataError(f"{str(p)!r} is not a regular file (a pipe or a device cannot be sized or read twice); "
                        "save the data to a CSV file and give its path")
    return p, info.st_size


class _Dialect(csv.excel):
    delimiter = ","


def _sniff(sample: str, cut: bool) -> type[csv.Dialect]:
    """The delimiter (comma, semicolon or tab) that splits the sample's complete lines into the
    same number of cells as the header, most cells first. csv.Sniffer gives up on wide files
    whose sample ends mid-line (or succeeds there and fails on a longer sample)."""
    lines = list(io.StringIO(sample, newline=""))
    if cut and len(lines) > 1:
        lines = lines[:-1]            # cut by the sample's end
    lines = lines[:SNIFF_LINES]
    best: tuple[tuple[bool, float, int], str] | None = None
    for delimiter in DELIMITERS:
        try:
            widths = [len(row) for row in csv.reader(lines, delimiter=delimiter) if row]
        except csv.Error:
            continue
        if widths:
            agreeing = sum(w == widths[0] for w in widths) / len(widths)
            score = ((widths[0] > 1, agreeing, widths[0]), delimiter)
            best = score if best is None or score[0] > best[0] else best
    return type("Dialect", (_Dialect,), {"delimiter": best[1] if best else ","})


def estimate_memory(sample: str, dialect, file_bytes: int) -> int:
    """Bytes a file of ``file_bytes`` takes as a table and its arrays, from its first part."""
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and len(sample.encode("utf-8", "replace")) < file_bytes:
        lines = lines[:-1]   # cut by the sample's end
    try:
        cells = sum(len(row) for row in csv.reader(lines, dialect))
    except csv.Error:
        cells = sum(line.count(",") + 1 for line in lines)
    read = max(1, sum(len(line.encode("utf-8", "replace")) for line in lines))
    return int(max(cells, 1) * file_bytes / read * BYTES_PER_CELL + file_bytes * BYTES_PER_FILE_BYTE)


def check_memory(p: Path, need: int, file_bytes: int) -> None:
    available = memory.available_bytes()
    if available is not None and need > available:
        raise DataError(
            f"{str(p)!r} is {memory.format_bytes(file_bytes)}: read as a table it would take about "
            f"{memory.format_bytes(need)} of memory, and about {memory.format_bytes(available)} is available. "
            "Stream it instead (lrscout sweep --stream; in Python, lrscout.problems.streaming.StreamingProblem), "
            "which keeps only the rows a sweep trains on, or sweep a sample of its rows")


class _Lines:
    """The file's lines, counted, so errors name the line and progress can be reported."""

    def __init__(self, fh, total: int, on_progress: ProgressCallback | None) -> None:
        self.fh, self.total, self.on_progress = fh, total, on_progress
        self.number = 0
        self.read = 0

    def __iter__(self) -> Iterator[str]:
        next_report = PROGRESS_EVERY
        for line in self.fh:
            self.number += 1
            self.read += len(line)
            if self.on_progress is not None and self.read >= next_report:
                self.on_progress(self.read, self.total)
                next_report = self.read + PROGRESS_EVERY
            yield line


def read_csv(path: str | Path, *, on_progress: ProgressCallback | None = None) -> Table:
    """Read a CSV file with a header row. Cells stay strings until a column is used.

    ``on_progress(characters_read, file_bytes)`` is called about every megabyte. A file that
    would not fit in the memory available is refused before it is parsed (``DataError``).
    """
    p, size = _checked_path(path)
    lines = None
    try:
        with _long_fields(), p.open(newline="", encoding="utf-8-sig") as fh:
            sample = fh.read(SAMPLE_BYTES)
            fh.seek(0)
            dialect = _sniff(sample, cut=len(sample) >= SAMPLE_BYTES)
            check_memory(p, estimate_memory(sample, dialect, size), size)
            lines = _Lines(fh, size, on_progress)
            header, cells = _parse(p, csv.reader(lines, dialect), lines)
    except UnicodeDecodeError:
        raise _not_utf8(p) from None
    except csv.Error as exc:
        where = f" on line {lines.number}" if lines is not None else ""
        raise DataError(f"{str(p)!r} cannot be read as CSV{where} ({exc}); check its quoting") from None
    except OSError as exc:
        raise DataError(f"cannot read {str(p)!r}: {exc.strerror or exc}") from None
    return Table(name=p.name, columns=header, cells=cells)


def _not_utf8(p: Path) -> DataError:
    """Where the first byte that is not UTF-8 sits, found again in binary (the text reader
    that failed cannot say which line it was on)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    try:
        with p.open("rb") as fh:
            while chunk := fh.read(SAMPLE_BYTES):
                try:
                    line += decoder.decode(chunk).count("\n")
                except UnicodeDecodeError as exc:
                    line += exc.object[:exc.start].count(b"\n")
                    return DataError(f"{str(p)!r} is not UTF-8 text: line {line} holds the byte "
                                     f"0x{exc.object[exc.start]:02x}; save it as a UTF-8 CSV file")
    except OSError:
        pass
    return DataError(f"{str(p)!r} is not UTF-8 text; save it as a UTF-8 CSV file")


def _parse(p: Path, reader: Iterator[list[str]], lines: _Lines) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    header: tuple[str, ...] | None = None
    columns: list[list[str]] = []
    block: list[list[str]] = []
    data_rows = 0

    def flush() -> None:
        for column, values in zip(columns, zip(*block)):
            column.extend(map(str.strip, values))
        block.clear()

    for row in reader:
        if not "".join(row).strip():
            continue   # a blank line, or one of empty cells
        if header is None:
            header = _check_header(p, row)
            columns = [[] for _ in header]
            continue
        data_rows += 1
        if len(row) != len(header):
            raise DataError(f"{str(p)!r}: data row {data_rows} (line {lines.number}) has {len(row)} cells but "
                            f"the header has {len(header)}")
        block.append(row)
        if len(block) >= ROWS_PER_BLOCK:
            flush()
    flush()
    if header is None:
        raise DataError(f"{str(p)!r} is empty; it needs a header row and data rows")
    if not data_rows:
        raise DataError(f"{str(p)!r} has a header but no data rows")
    cells = []
    for j in range(len(columns)):   # one column at a time, so the copy never doubles the table
        cells.append(tuple(columns[j]))
        columns[j] = []
    return header, tuple(cells)


def _check_header(p: Path, row: list[str]) -> tuple[str, ...]:
    header = tuple(c.strip() for c in row)
    empty = [i for i, c in enumerate(header) if not c]
    if empty:
        raise DataError(f"{str(p)!r}: the header row has an empty column name (column {empty[0] + 1}); "
                        "name every column")
    counts = Counter(header)
    dupes = [c for c, n in counts.items() if n > 1]
    if dupes:
        raise DataError(f"{str(p)!r}: duplicate column name(s) {_listed(sorted(dupes))} in the header; "
                        "name each column once")
    return header


__all__ = ["Table", "check_memory", "estimate_memory", "read_csv"]
