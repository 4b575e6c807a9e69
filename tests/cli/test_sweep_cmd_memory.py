"""``lrscout sweep`` and memory: what cannot fit is refused before work, and --stream.

Specification:
- a file that would not fit in memory as a table is refused before it is parsed, with the
  memory it would take, what is available and the option that handles it (--stream), which
  then sweeps the same file under the same limit;
- a number of steps whose curves cannot fit is refused before training, saying how many fit;
- a MemoryError that no check foresaw is still one message and exit 2;
- a slow read shows progress on a terminal;
- --stream infers the model from the first rows and refuses what needs the whole table.
"""

from __future__ import annotations

import os
import pty
import subprocess

import pytest
from cli_helpers import LRSCOUT, assert_error, invoke, numeric_csv

import lrscout.data.memory
import lrscout.workflows.tabular
from lrscout import SweepResult


# reading -------------------------------------------------------------------------------------------------
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
    monkeypatch.setattr(lrscout.data.memory, "available_bytes", lambda: 2_000_000)   # a small fake limit
    message = assert_error(invoke("sweep", "big.csv", "-t", "y", "--steps", "20", cwd=tmp_path),
                           "'big.csv' is 542 kB: read as a table it would take about", "2.0 MB is available",
                           "--stream")
    assert "MB of memory" in message
    streamed = invoke("sweep", "big.csv", "-t", "y", "--steps", "20", "--stream", cwd=tmp_path)
    assert streamed.code == 0, streamed.output
    assert "model linear" in streamed.stdout and "streamed" in streamed.stdout


def test_steps_whose_curves_cannot_fit_are_refused_before_training(tmp_path):
    numeric_csv(tmp_path / "d.csv")
    message = assert_error(invoke("sweep", "d.csv", "-t", "y", "--steps", str(10**12), "--json", "r.json",
                                  cwd=tmp_path), "--steps 1,000,000,000,000 would take about", "PB of memory",
                           "is available: use --steps")
    assert "--max-points" in message
    assert not list(tmp_path.glob("r*"))


def test_the_steps_that_fit_are_the_ones_suggested(tmp_path, monkeypatch):
    numeric_csv(tmp_path / "d.csv")
    monkeypatch.setattr(lrscout.data.memory, "available_bytes", lambda: 1_000_000)
    message = assert_error(invoke("sweep", "d.csv", "-t", "y", "--steps", "1000000", "--lrs", "0.01,0.1",
                                  cwd=tmp_path), "use --steps")
    fit = int(message.split("use --steps ")[1].split()[0].replace(",", ""))
    outcome = invoke("sweep", "d.csv", "-t", "y", "--steps", str(fit), "--lrs", "0.01,0.1", "-q", cwd=tmp_path)
    assert outcome.code in (0, 3), outcome.output


def test_a_memory_error_no_check_foresaw_is_one_message(tmp_path, monkeypatch):
    numeric_csv(tmp_path / "d.csv")

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(lrscout.workflows.tabular, "prepare", out_of_memory)
    assert_error(invoke("sweep", "d.csv", "-t", "y", cwd=tmp_path), "ran out of memory", "--steps", "--stream")



# --stream ----------------------------------------------------------------------------------------------
def test_stream_infers_logistic_from_a_zero_one_target(tmp_path):
    numeric_csv(tmp_path / "d.csv", n=400, binary=True)
    outcome = invoke("sweep", "d.csv", "-t", "y", "--stream", "--steps", "20", "--json", "r.json", cwd=tmp_path)
    assert outcome.code in (0, 3), outcome.output
    assert "model logistic" in outcome.stdout
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
