"""Reading a CSV into named columns, with errors that say which column and row are wrong."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError

# Cells that spell a missing value (compared stripped and lower-cased): one list, for every column
MISSING_TOKENS = frozenset({"", "na", "nan", "n/a", "null", "none", "?"})


@dataclass(frozen=True)
class Table:
    """Columns of a table as strings (parsed on demand), in file order."""

    name: str
    columns: tuple[str, ...]
    cells: tuple[tuple[str, ...], ...]   # one tuple per column

    @property
    def n_rows(self) -> int:
        return len(self.cells[0]) if self.cells else 0

    def column(self, name: str) -> tuple[str, ...]:
        try:
            return self.cells[self.columns.index(name)]
        except ValueError:
            raise DataError(_unknown_column(name, self.columns, self.name)) from None

    def numeric(self, name: str) -> list[float]:
        """The column as floats; a missing, non-numeric or non-finite cell is an error."""
        values = []
        missing = [i for i, v in enumerate(self.column(name)) if v.strip().lower() in MISSING_TOKENS]
        if missing:
            raise DataError(f"{self.name}: column {name!r} has {len(missing)} missing value(s), first on "
                            f"data row {missing[0] + 1}; fill or drop them before sweeping")
        for i, v in enumerate(self.column(name)):
            try:
                f = float(v)
            except ValueError:
                raise DataError(f"{self.name}: column {name!r} is not numeric (data row {i + 1} holds {v!r}); "
                                "drop it or encode it as numbers") from None
            if not math.isfinite(f):
                raise DataError(f"{self.name}: column {name!r} holds {v!r} on data row {i + 1}; "
                                "NaN and inf cannot be trained on")
            values.append(f)
        return values


def _unknown_column(name: str, columns: tuple[str, ...], source: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, columns, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"{source}: no column named {name!r}; the columns are {', '.join(repr(c) for c in columns)}.{hint}"


def read_csv(path: str | Path) -> Table:
    """Read a CSV file with a header row. Cells stay strings until a column is used."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"data file {str(p)!r} does not exist")
    if p.is_dir():
        raise DataError(f"{str(p)!r} is a directory; give the path of a CSV file")
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            sample = fh.read(65536)
            fh.seek(0)
            try:
                dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            rows = [r for r in csv.reader(fh, dialect) if any(cell.strip() for cell in r)]
    except UnicodeDecodeError:
        raise DataError(f"{str(p)!r} is not a UTF-8 text file; export it as CSV") from None
    except OSError as exc:
        raise DataError(f"cannot read {str(p)!r}: {exc.strerror or exc}") from None
    if not rows:
        raise DataError(f"{str(p)!r} is empty; it needs a header row and data rows")
    header = tuple(c.strip() for c in rows[0])
    if any(not c for c in header):
        raise DataError(f"{str(p)!r}: the header row has an empty column name (column {header.index('') + 1})")
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise DataError(f"{str(p)!r}: duplicate column name(s) {', '.join(map(repr, dupes))} in the header")
    body = rows[1:]
    for i, r in enumerate(body):
        if len(r) != len(header):
            raise DataError(f"{str(p)!r}: data row {i + 1} has {len(r)} cells but the header has {len(header)}")
    if not body:
        raise DataError(f"{str(p)!r} has a header but no data rows")
    cells = tuple(tuple(r[j].strip() for r in body) for j in range(len(header)))
    return Table(name=p.name, columns=header, cells=cells)
