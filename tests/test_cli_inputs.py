"""Inputs at the edges: huge cells, wide files, bytes that are not text, sizes that cannot fit.

Specification:
- reading a CSV is linear in its size whatever its shape (100,000 columns read in seconds),
  and a long cell is a cell (csv's 128 kB limit does not apply); messages quote at most the
  start of a cell and the first columns of a wide header;
- a file that would not fit in memory as a table is refused before it is parsed, with the
  memory it would take, what is available and the option that handles it (--stream), which
  then sweeps the same file under the same limit;
- a number of steps whose curves cannot fit is refused before training, saying how many fit;
  a schedule too long to evaluate step by step is sampled, never allocated whole;
- a MemoryError that no check foresaw is still one message and exit 2;
- a slow read shows progress on a terminal.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lrscout._memory
from cli_helpers import invoke
from lrscout.data.table import read_csv
from lrscout.errors import DataError, InvalidConfigError
from lrscout.schedules import cosine_decay

LRSCOUT = Path(sys.executable).with_name("lrscout")


def numeric_csv(path: Path, n: int = 60, columns: int = 2, target: str = "y", binary: bool = False) -> Path:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, columns))
    y = X @ np.linspace(1, -1, columns) + 0.5
    y = (y > 0.5).astype(float) if binary else y
    names = [f"x{j}" for j in range(columns)] + [target]
    lines = [",".join(names)] + [",".join(f"{v:.6g}" for v in row) for row in np.column_stack([X, y])]
    path.write_text("\n".join(lines) + "\n")
    return path


def assert_error(outcome, *fragments: str) -> str:
    assert outcome.code == 2, outcome.output
    message = outcome.stderr.strip()
    assert message.startswith("lrscout: error: ") and "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


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
    numeric_csv(tmp_path / "wide.csv", n=4, columns=100_000)
    outcome = invoke("sweep", "wide.csv", "-t", "y", "--steps", "10", "--lrs", "0.001", "-q", cwd=tmp_path)
    assert outcome.code in (0, 3), outcome.output
    message = assert_error(invoke("sweep", "wide.csv", "-t", "price", cwd=tmp_path), "no column named 'price'",
                           "(100,001 in all)")
    assert len(message) < 1000


def test_reading_reports_progress_as_it_goes(tmp_path):
    path = numeric_csv(tmp_path / "d.csv", n=60_000, columns=3)
    reports = []
    read_csv(path, on_progress=lambda done, total: reports.append((done, total)))
    size = path.stat().st_size
    assert len(reports) >= 2 and all(total == size for _, total in reports)
    assert [done for done, _ in reports] == sorted(done for done, _ in reports) and reports[-1][0] <= size


@pytest.mark.skipif(os.name != "posix", reason="needs a pseudo-terminal")
def test_a_terminal_sees_what_is_being_read_before_the_sweep_starts(tmp_path):
    numeric_csv(tmp_path / "d.csv", n=200)
    controller, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")} | {"TERM": "xterm"}
    proc = subprocess.Popen([str(LRSCOUT), "sweep", "d.csv", "-t", "y", "--steps", "10", "--lrs", "0.1"],
                            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=terminal)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:   # the other end closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert proc.wait(timeout=60) == 0
    before_the_sweep = shown.split(b"sweeping d.csv")[0]
    assert b"reading d.csv" in before_the_sweep or b"preparing the columns of d.csv" in before_the_sweep


# memory -------------------------------------------------------------------------------------------------
def test_a_file_too_large_for_memory_is_refused_before_parsing_naming_stream(tmp_path, monkeypatch):
    numeric_csv(tmp_path / "big.csv", n=20_000)                        # about 0.6 MB
    monkeypatch.setattr(lrscout._memory, "available_bytes", lambda: 2_000_000)   # a small fake limit
    message = assert_error(invoke("sweep", "big.csv", "-t", "y", "--steps", "20", cwd=tmp_path),
                           "'big.csv' is 542 kB: read as a table it would take about", "2.0 MB is available",
                           "--stream")
    assert "MB of memory" in message
    streamed = invoke("sweep", "big.csv", "-t", "y", "--steps", "20", "--stream", cwd=tmp_path)
    assert streamed.code == 0, streamed.output
    assert "model linear" in streamed.stdout and "streamed" in streamed.stdout


def test_the_estimate_grows_with_the_file(tmp_path):
    numeric_csv(tmp_path / "a.csv", n=1_000)
    numeric_csv(tmp_path / "b.csv", n=10_000)
    from lrscout.data.table import estimate_memory, _sniff

    def estimate(path):
        text = path.read_text()
        return estimate_memory(text[:4096], _sniff(text[:4096], cut=True), path.stat().st_size)

    small, large = estimate(tmp_path / "a.csv"), estimate(tmp_path / "b.csv")
    assert 8 < large / small < 12
    assert large > 10 * (tmp_path / "b.csv").stat().st_size   # a cell takes far more as a string than in the file


def test_steps_whose_curves_cannot_fit_are_refused_before_training(tmp_path):
    numeric_csv(tmp_path / "d.csv")
    message = assert_error(invoke("sweep", "d.csv", "-t", "y", "--steps", str(10**12), "--json", "r.json",
                                  cwd=tmp_path), "--steps 1,000,000,000,000 would take about", "PB of memory",
                           "is available: use --steps")
    assert "--max-points" in message
    assert not list(tmp_path.glob("r*"))


def test_the_steps_that_fit_are_the_ones_suggested(tmp_path, monkeypatch):
    numeric_csv(tmp_path / "d.csv")
    monkeypatch.setattr(lrscout._memory, "available_bytes", lambda: 1_000_000)
    message = assert_error(invoke("sweep", "d.csv", "-t", "y", "--steps", "1000000", "--lrs", "0.01,0.1",
                                  cwd=tmp_path), "use --steps")
    fit = int(message.split("use --steps ")[1].split()[0].replace(",", ""))
    outcome = invoke("sweep", "d.csv", "-t", "y", "--steps", str(fit), "--lrs", "0.01,0.1", "-q", cwd=tmp_path)
    assert outcome.code in (0, 3), outcome.output


def test_a_memory_error_no_check_foresaw_is_one_message(tmp_path, monkeypatch):
    import lrscout.data.prepare

    numeric_csv(tmp_path / "d.csv")

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(lrscout.tabular, "prepare", out_of_memory)
    assert_error(invoke("sweep", "d.csv", "-t", "y", cwd=tmp_path), "ran out of memory", "--steps", "--stream")


def test_a_schedule_of_ten_billion_steps_is_sampled_not_allocated(tmp_path):
    outcome = invoke("schedule", "cosine", "--peak", "0.1", "--steps", str(10**10), "--plot", "s.png", cwd=tmp_path)
    assert outcome.code == 0, outcome.output
    assert "9999999999" in outcome.stdout and "of the 10,000,000,000 steps" in outcome.stdout
    assert (tmp_path / "s.png").stat().st_size > 0


def test_evaluating_more_values_than_memory_holds_is_refused_saying_how_much(monkeypatch):
    with pytest.raises(InvalidConfigError, match=r"n=10,000,000,000 values take 80 GB of memory"):
        monkeypatch.setattr(lrscout._memory, "available_bytes", lambda: 10**9)
        cosine_decay(0.1, 10**10).values(10**10)
    assert cosine_decay(0.1, 100).values(3).tolist() == [0.1, pytest.approx(0.1 * (1 + np.cos(np.pi / 100)) / 2),
                                                         pytest.approx(0.1 * (1 + np.cos(2 * np.pi / 100)) / 2)]


def test_available_memory_follows_the_address_space_limit():
    code = ("import resource, lrscout._memory as m; soft = 4 << 30; "
            "resource.setrlimit(resource.RLIMIT_AS, (soft, resource.getrlimit(resource.RLIMIT_AS)[1])); "
            "print(m.available_bytes() <= soft)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_available_memory_is_a_positive_number_here():
    available = lrscout._memory.available_bytes()
    assert available is None or available > 0
    assert lrscout._memory.format_bytes(1_900_000_000) == "1.9 GB"
    assert lrscout._memory.format_bytes(850_000_000) == "850 MB"


# --stream ----------------------------------------------------------------------------------------------
def test_stream_infers_logistic_from_a_zero_one_target(tmp_path):
    numeric_csv(tmp_path / "d.csv", n=400, binary=True)
    outcome = invoke("sweep", "d.csv", "-t", "y", "--stream", "--steps", "20", "--json", "r.json", cwd=tmp_path)
    assert outcome.code in (0, 3), outcome.output
    assert "model logistic" in outcome.stdout
    from lrscout import SweepResult

    config = SweepResult.load(tmp_path / "r.json").config
    assert config["streamed"] is True and config["batch_size"] == 64 and config["task"] == "logistic"


@pytest.mark.parametrize("args, fragments", [
    (("--scale", "standard"), ("--stream", "--scale")),
    (("--compare-scaling",), ("--stream", "--compare-scaling")),
    (("--model", "logistic"), ("--model logistic with --stream needs a target of 0 and 1",)),
])
def test_stream_refuses_what_it_cannot_do(tmp_path, args, fragments):
    numeric_csv(tmp_path / "d.csv")
    assert_error(invoke("sweep", "d.csv", "-t", "y", "--stream", *args, cwd=tmp_path), *fragments)


def test_stream_refuses_text_and_bytes_that_are_not_utf8(tmp_path):
    (tmp_path / "t.csv").write_text("a,y\n1,cat\n2,dog\n")
    assert_error(invoke("sweep", "t.csv", "-t", "y", "--stream", cwd=tmp_path), "numeric files only")
    (tmp_path / "b.csv").write_bytes(b"a,y\n1,0\n2,1\n" + b"3,\xff\n" * 5)
    assert_error(invoke("sweep", "b.csv", "-t", "y", "--stream", cwd=tmp_path), "not UTF-8")


def test_a_table_read_in_memory_names_its_reading_errors_as_data_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_csv(tmp_path / "missing.csv")
