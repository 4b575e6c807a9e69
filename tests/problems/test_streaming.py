"""Sweeping a CSV larger than memory: the file is streamed once in chunks and only the rows a
sweep can train on are kept (benchmarks/EXECUTORS.md measures the memory on a multi-GB file)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import lrscout
from executor_helpers import assert_same_result
from lrscout import LinearRegression, LogisticRegression
from lrscout.errors import DataError, InvalidConfigError
from lrscout.problems.streaming import StreamingProblem
from lrscout.executors import InlineRunner


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.standard_normal(3000) + 1.0
    path = tmp_path_factory.mktemp("data") / "big.csv"
    with path.open("w") as fh:
        fh.write("a,b,c,price\n")
        np.savetxt(fh, np.column_stack([X, y]), fmt="%.9g", delimiter=",")
    return path


def streamed(path, **kw):
    kw = {"batch_size": 16, "max_steps": 60, "val_rows": 200, **kw}
    return StreamingProblem(LinearRegression(), path, "price", **kw)


def test_a_streamed_sweep_does_not_depend_on_the_chunk_size(csv_file):
    small_chunks = lrscout.sweep(streamed(csv_file, chunk_rows=7), steps=60)
    one_chunk = lrscout.sweep(streamed(csv_file, chunk_rows=10_000), steps=60)
    assert_same_result(small_chunks, one_chunk, bitwise=True)
    assert small_chunks.decision.chosen


def test_it_counts_every_row_and_keeps_only_what_a_sweep_can_use(csv_file):
    problem = streamed(csv_file, chunk_rows=500)
    d = problem.describe()
    assert d["n_rows"] == 3000 and d["n_train"] + d["n_val"] == 3000
    assert 500 < d["n_val"] < 700  # about val_fraction=0.2 of the rows
    assert d["n_val_used"] == 200 and d["features"] == ["a", "b", "c"]
    assert len(pickle.dumps(problem)) < 60 * 16 * 4 * 8 * 1.5 + 200 * 4 * 8 * 1.5  # the samples, not the file


def test_fewer_steps_train_on_a_prefix_of_the_same_sample(csv_file):
    short = lrscout.sweep(streamed(csv_file, max_steps=30), [1e-2, 1e-1], steps=30)
    long = lrscout.sweep(streamed(csv_file, max_steps=60), [1e-2, 1e-1], steps=30)
    assert_same_result(short, long, bitwise=True)


def test_the_streamed_problem_travels_to_worker_processes_with_the_same_result(csv_file):
    problem, grid = streamed(csv_file), [1e-3, 1e-2, 1e-1, 1.0]
    here = lrscout.sweep(problem, grid, steps=40, executor=InlineRunner(per_candidate=True))
    pooled = lrscout.sweep(problem, grid, steps=40, executor="processes", workers=2)
    assert_same_result(here, pooled, bitwise=True)


def test_a_changed_file_is_a_different_sweep_for_resume(csv_file, tmp_path):
    copy = tmp_path / "copy.csv"
    copy.write_bytes(csv_file.read_bytes())
    journal = tmp_path / "s.journal.jsonl"
    lrscout.sweep(streamed(copy), [1e-2], steps=10, journal=journal)
    with copy.open("a") as fh:
        fh.write("0,0,0,1\n")
    with pytest.raises(InvalidConfigError, match="data_fingerprint"):
        lrscout.sweep(streamed(copy), [1e-2], steps=10, journal=journal, resume=True)


def test_steps_beyond_the_sample_are_refused_naming_max_steps(csv_file):
    with pytest.raises(InvalidConfigError, match="steps 61 exceeds this StreamingProblem's max_steps=60"):
        lrscout.sweep(streamed(csv_file), [1e-2], steps=61)


def test_bad_files_are_reported_with_the_column_or_rows_at_fault(tmp_path, csv_file):
    with pytest.raises(DataError, match="no column named 'cost'"):
        StreamingProblem(LinearRegression(), csv_file, "cost", batch_size=8)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,y\n1,0\n2,1\nthree,0\n")
    with pytest.raises(DataError, match=r"bad.csv: data rows 1-3 are not all numeric"):
        StreamingProblem(LogisticRegression(), bad, "y", batch_size=2, chunk_rows=10)
    with pytest.raises(DataError, match="does not exist"):
        StreamingProblem(LinearRegression(), tmp_path / "nope.csv", "y", batch_size=8)
