"""Reading a CSV (``lrscout.data.table``) at the edges: huge cells, wide files, bytes that are
not text, files that are not files.

Specification:
- reading a CSV is linear in its size whatever its shape (100,000 columns read in seconds),
  and a long cell is a cell (csv's 128 kB limit does not apply); messages quote at most the
  start of a cell and the first columns of a wide header;
- the delimiter (comma, semicolon, tab) is the one that splits the complete lines like the
  header, in narrow and wide files alike; a byte-order mark is not part of a name;
- bytes that are not UTF-8, a row of the wrong length and duplicate names are named by line,
  row and column; a pipe is refused instead of read for ever;
- reading reports its progress, and the memory a table would take grows with the file.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from cli_helpers import assert_error, invoke, numeric_csv

from lrscout.data.table import _sniff, estimate_memory, read_csv
from lrscout.errors import DataError


# cells, headers, bytes ------------------------------------------------------------------------------
def test_a_megabyte_cell_in_a_column_not_used_is_read_and_the_sweep_runs(tmp_path):
    path = numeric_csv(tmp_path / "d.csv", n=40)
    lines = path.read_text().splitlines()
    lines = [lines[0] + ",notes"] + [line + ',"' + ("long text, " * 100_000 if i == 3 else "short") + '"'
                                     for i, line in enumerate(lines[1:])]
    path.write_text("\n".join(lines) + "\n")
    outcome = invoke("sweep", "d.csv", "-t", "y", "--features", "x0,x1", "--steps", "10", "--lrs", "0.1",
                     cwd=tmp_path)
    assert outcome.code in (0, 3), outcome.output
    assert read_csv(path).column("notes")[3].startswith("long text, long text")


def test_a_megabyte_number_is_named_by_column_and_row_and_quoted_only_in_part(tmp_path):
    (tmp_path / "d.csv").write_text("a,b,y\n1," + "9" * (1 << 20) + ",3\n2,3,4\n3,4,5\n")
    message = assert_error(invoke("sweep", "d.csv", "-t", "y", cwd=tmp_path), "column 'b'", "data row 1",
                           "1,048,576 characters", "too large")
    assert len(message) < 400


def test_bytes_that_are_not_utf8_are_named_by_line(tmp_path):
    (tmp_path / "d.csv").write_bytes(b"a,b,y\n1,2,3\n2,caf\xe9,4\n")
    assert_error(invoke("sweep", "d.csv", "-t", "y", cwd=tmp_path), "not UTF-8", "line 3", "0xe9")


def test_a_byte_order_mark_is_not_part_of_the_first_column_name(tmp_path):
    numeric_csv(tmp_path / "d.csv", n=40)
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf" + (tmp_path / "d.csv").read_bytes())
    assert read_csv(tmp_path / "bom.csv").columns == ("x0", "x1", "y")


def test_duplicate_header_names_are_all_named_once(tmp_path):
    (tmp_path / "d.csv").write_text("a,b,a,c,b,y\n1,2,3,4,5,6\n")
    assert_error(invoke("sweep", "d.csv", "-t", "y", cwd=tmp_path), "duplicate column name(s) 'a', 'b'")


def test_a_row_of_the_wrong_length_names_its_data_row_and_line(tmp_path):
    (tmp_path / "d.csv").write_text("a,b,y\n1,2,3\n\n2,3\n")
    assert_error(invoke("sweep", "d.csv", "-t", "y", cwd=tmp_path), "data row 2 (line 4) has 2 cells")


@pytest.mark.parametrize("columns", [3, 2000])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_delimiter_is_found_in_narrow_and_wide_files(tmp_path, delimiter, columns):
    # csv.Sniffer gave up on a wide file whose sample ends mid-line (2,000 columns: the first 64 kB)
    rng = np.random.default_rng(0)
    lines = [delimiter.join(f"x{j}" for j in range(columns))]
    lines += [delimiter.join(f"{v:.3g}" for v in row) for row in rng.normal(size=(60, columns))]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    table = read_csv(tmp_path / "d.csv")
    assert len(table.columns) == columns and table.n_rows == 60


def test_a_delimiter_inside_quotes_or_decimal_commas_does_not_mislead(tmp_path):
    (tmp_path / "d.csv").write_text('a;b;note\n1,5;2;"x;y"\n2,5;3;z\n')
    assert read_csv(tmp_path / "d.csv").cells == (("1,5", "2,5"), ("2", "3"), ("x;y", "z"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a named pipe")
def test_a_pipe_is_refused_instead_of_read_for_ever(tmp_path):
    os.mkfifo(tmp_path / "pipe.csv")
    assert_error(invoke("sweep", "pipe.csv", "-t", "y", cwd=tmp_path), "not a regular file")


def test_a_hundred_thousand_columns_are_read_and_swept_in_linear_time(tmp_path):
    # the duplicate-name checks were quadratic: 100,000 columns took minutes before printing anything
    numeric_csv(tmp_path / "wide.csv", n=10, columns=100_000)   # the fewest rows a sweep trains on
    outcome = invoke("sweep", "wide.csv", "-t", "y", "--val-fraction", "0", "--steps", "10", "--lrs", "0.001", "-q",
                     cwd=tmp_path)
    assert outcome.code in (0, 3), outcome.output
    message = assert_error(invoke("sweep", "wide.csv", "-t", "price", cwd=tmp_path), "no column named 'price'",
                           "(100,001 in all)")
    assert len(message) < 1000



# sizes -------------------------------------------------------------------------------------------------
def test_reading_reports_progress_as_it_goes(tmp_path):
    path = numeric_csv(tmp_path / "d.csv", n=60_000, columns=3)
    reports = []
    read_csv(path, on_progress=lambda done, total: reports.append((done, total)))
    size = path.stat().st_size
    assert len(reports) >= 2 and all(total == size for _, total in reports)
    assert [done for done, _ in reports] == sorted(done for done, _ in reports) and reports[-1][0] <= size


def test_the_estimate_grows_with_the_file(tmp_path):
    numeric_csv(tmp_path / "a.csv", n=1_000)
    numeric_csv(tmp_path / "b.csv", n=10_000)
    def estimate(path):
        text = path.read_text()
        return estimate_memory(text[:4096], _sniff(text[:4096], cut=True), path.stat().st_size)

    small, large = estimate(tmp_path / "a.csv"), estimate(tmp_path / "b.csv")
    assert 8 < large / small < 12
    assert large > 10 * (tmp_path / "b.csv").stat().st_size   # a cell takes far more as a string than in the file


def test_a_table_read_in_memory_names_its_reading_errors_as_data_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_csv(tmp_path / "missing.csv")
