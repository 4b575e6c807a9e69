"""Tables (``prepare``, ``sweep_table``) and streamed CSV files go through the same array checker
as arrays do: too large a value, too few rows and rare classes read the same everywhere."""

from __future__ import annotations

import numpy as np
import pytest

from lrscout import DataError, FindingKind, LinearRegression, Severity
from lrscout._validation import spelled_as
from lrscout.cli.main import as_flag
from lrscout.data import prepare
from lrscout.data.table import Table
from lrscout.problems.streaming import StreamingProblem
from lrscout.workflows.tabular import sweep_table


def _table(columns: dict[str, list], name: str = "d.csv") -> Table:
    names = tuple(columns)
    return Table(name, names, tuple(tuple(str(v) for v in columns[c]) for c in names))


def _regression(rows: int, seed: int = 0) -> dict[str, list]:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(2, rows))
    return {"a": list(a), "b": list(b), "price": list(2 * a - b + 0.1 * rng.normal(size=rows))}


def test_a_huge_cell_in_a_table_names_the_file_column_and_data_row():
    columns = _regression(40)
    columns["b"][11] = 1e200
    for scale in ("none", "standard"):
        with pytest.raises(DataError, match=r"d.csv holds values too large to train on: column 'b', data row 12 "):
            prepare(_table(columns), "price", scale=scale)


def test_three_rows_of_three_classes_are_refused_stating_the_minimum():
    table = _table({"a": [1, 2, 3], "b": [2, 1, 4], "y": ["cat", "dog", "eel"]})
    with spelled_as(as_flag), pytest.raises(DataError, match=r"d.csv \(3 rows, --val-fraction 0.2\) has 2 training "
                                                             r"rows; a sweep needs at least 10.*Use more data"):
        prepare(table, "y")                       # as the command line says it
    with pytest.raises(DataError, match=r"d.csv \(3 rows, val_fraction 0.2\) has 2 training rows"):
        prepare(table, "y")                       # from Python: the argument's name


def test_a_validation_split_too_small_to_judge_says_which_fraction_works():
    with spelled_as(as_flag), pytest.raises(DataError, match=r"has 4 validation rows; validating needs at least 5.*"
                                                             r"--val-fraction 0 to sweep without validation, "
                                                             r"--val-fraction 0.23 or more"):
        prepare(_table(_regression(20)), "price")
    with pytest.raises(DataError, match=r"val_fraction 0 to sweep without validation, val_fraction 0.23 or more"):
        prepare(_table(_regression(20)), "price")
    assert prepare(_table(_regression(20)), "price", val_fraction=0.25).X_val.shape == (5, 2)
    assert prepare(_table(_regression(20)), "price", val_fraction=0).X_val is None


def test_a_rare_text_class_in_a_table_is_named_in_the_findings():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 300))
    label = np.where(a > 0, "dog", "cat").astype(object)
    label[np.argsort(b)[:4]] = "eel"                             # four rows of a third class
    result = sweep_table(_table({"a": list(a), "b": list(b), "pet": list(label)}), "pet", lrs=[0.01, 0.1], steps=20)
    finding = next(f for f in result.findings if f.kind is FindingKind.CLASS_BALANCE)
    assert finding.severity is Severity.WARNING and "class 'eel' has" in finding.summary


def _csv(path, rows):
    path.write_text("a,b,price\n" + "\n".join(",".join(str(v) for v in r) for r in rows) + "\n")
    return path


def test_a_streamed_file_with_a_huge_cell_names_its_column_and_data_row(tmp_path):
    rows = [[i, i % 7, 2 * i] for i in range(200)]
    rows[150][1] = 1e200
    path = _csv(tmp_path / "big.csv", rows)
    with pytest.raises(DataError, match=r"big.csv holds values too large to train on: column 'b', data row 151 "):
        StreamingProblem(LinearRegression(), path, "price", batch_size=8, max_steps=20, chunk_rows=64)


def test_a_streamed_file_too_small_to_sweep_states_the_minimum(tmp_path):
    path = _csv(tmp_path / "tiny.csv", [[i, i % 3, i] for i in range(6)])
    with pytest.raises(DataError, match=r"tiny.csv \(6 data rows, val_fraction 0\) has 6 training rows; a sweep "
                                        r"needs at least 10"):
        StreamingProblem(LinearRegression(), path, "price", batch_size=2, max_steps=10, val_fraction=0.0)
