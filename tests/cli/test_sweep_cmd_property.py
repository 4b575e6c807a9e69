"""Any CSV file and any arguments: ``lrscout sweep`` gives a result or one clear error.

Property, over generated files (random shapes, blanks, extreme and non-finite values, odd and
duplicate headers, long cells, byte-order marks, bytes that are not UTF-8, other delimiters)
and generated arguments (target, features, steps, grid, batch size, scaling, model, outputs
that may name the data file or each other or a missing folder, --stream):

- the exit code is 0 (chosen), 3 (nothing good) or 2 (bad input), never anything else;
- nothing escapes as an exception (a user would see a traceback), and a refusal is one
  ``lrscout: error:`` line;
- no file is written or changed except the outputs named (and the journal of --json, and
  the TensorBoard folder's contents): the data file in particular is left as it was.

The CLI runs in this process (``cli_helpers.invoke``), so sixty examples take seconds.
"""

from __future__ import annotations

import csv
import io
import math
import tempfile
import warnings
from pathlib import Path

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from cli_helpers import changed, invoke, snapshot

GOOD_NAMES = ["a", "b", "c", "x1", "x2", "price", "label", "y"]
ODD_NAMES = ["", " ", "a", "[/]", "é", "x" * 300, "Δt", "1", "nan", "\"q\"", "a,b", "\ufeffz"]
SPECIAL_CELLS = ["", " ", "NaN", "nan", "inf", "-inf", "Infinity", "1e999", "-1e999", "0", "-0", "?", "NA", "abc",
                 "1,5", "\"", "0x10", "1_000", "  2  ", "\n", "a\nb", "9" * 400, "1e50", "-3e-90"]
# Magnitudes whose squares or sums leave float64 (near 1e300, below 1e-150): the second property
# below puts them in single cells, and whole columns at such a scale (a feature's spread whose
# square underflows to 0 is still a spread).
EXTREME_CELLS = ["1e308", "-1e308", "1.7976931348623157e308", "1e300", "-1e300", "1e-320", "5e-324", "2.2e-308",
                 "1e-200", "-1e-250"]
EXTREME_FACTORS = [1e-150, 1e-200, 1e-300, 1e-320, 1e150, 1e300]
HUGE_CELL = "7" * 140_000          # past csv's default 128 kB field limit
ENCODINGS = ["utf-8", "utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16"]


odd_cell = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf]).map(repr),
    st.floats(1e-90, 1e90).map(lambda v: repr(v)), st.floats(-1e90, -1e-90).map(repr),
    st.integers(min_value=-10**6, max_value=10**6).map(str),
    st.sampled_from(SPECIAL_CELLS),
    st.text(max_size=8),
)
extreme_cell = st.one_of(
    st.sampled_from(EXTREME_CELLS),
    st.floats(min_value=1e100, max_value=1.7e308).map(lambda v: f"{v:.6g}"),
    st.floats(min_value=5e-324, max_value=1e-100, allow_subnormal=True).map(lambda v: f"{-v:.6g}"),
)
number = st.one_of(st.just(0.0), st.floats(1e-3, 100), st.floats(-100, -1e-3)).map(lambda v: f"{v:.5g}")


def chances(draw):
    """``usually(odds)``: True all but one time in ``odds``, so that most examples get as far as
    training while every kind of mistake still comes up."""
    return lambda odds=4: draw(st.sampled_from(range(odds))) < odds - 1   # 0, what hypothesis tries first, is True


@st.composite
def table(draw, extreme: bool = False) -> tuple[list[str], list[list[str]]]:
    usually = chances(draw)
    n_columns = draw(st.integers(2, 5)) if usually(10) else 1
    header = draw(st.lists(st.sampled_from(GOOD_NAMES), min_size=n_columns, max_size=n_columns, unique=True))
    if not usually(10):
        header[draw(st.integers(0, n_columns - 1))] = draw(st.one_of(st.sampled_from(ODD_NAMES), st.text(max_size=6)))
    n_rows = draw(st.integers(5, 30)) if usually(10) else draw(st.integers(0, 4))
    classes = draw(st.sampled_from([None, None, 2, 3]))   # a label column sometimes, so every model gets tried
    rows = []
    for _ in range(n_rows):
        row = [draw(number) for _ in range(n_columns)]
        if classes:
            row[-1] = str(draw(st.integers(0, classes - 1)))
        rows.append(row)
    whole_column = bool(rows) and extreme and usually(2)
    if whole_column:                            # one column, every row, at an extreme scale
        column, factor = draw(st.integers(0, n_columns - 1)), draw(st.sampled_from(EXTREME_FACTORS))
        for row in rows:
            row[column] = f"{float(row[column]) * factor:.6g}"
    if rows and ((extreme and not whole_column) or not usually(5)):
        # odd cells: blanks, non-finite values, text, long ones; or extreme magnitudes
        for _ in range(draw(st.integers(1, 3))):
            row = rows[draw(st.integers(0, len(rows) - 1))]
            row[draw(st.integers(0, n_columns - 1))] = draw(extreme_cell if extreme else odd_cell)
    if rows and not usually(30):
        rows[draw(st.integers(0, len(rows) - 1))].extend(draw(odd_cell) for _ in range(draw(st.integers(1, 2))))
    if rows and not usually(20):
        rows[draw(st.integers(0, len(rows) - 1))][0:1] = [HUGE_CELL]
    return header, rows


def encode(draw, usually, header: list[str], rows: list[list[str]]) -> bytes:
    delimiter = "," if usually(8) else draw(st.sampled_from([";", "\t", "|"]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    for row in rows:
        if not usually(12):
            buffer.write("\n")        # a blank line
        writer.writerow(row)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig"])) if usually(10) else draw(st.sampled_from(ENCODINGS))
    data = buffer.getvalue().encode(encoding, errors="replace")
    if data and not usually(15):   # a stray byte anywhere
        at = draw(st.integers(0, len(data)))
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at:]
    return data


# (option, values that work, values that do not: a missing folder, a bad suffix, an input, a folder...)
OUTPUTS = {
    "--json": (["out.json", "sub/out.json", "-"], ["data.csv", "./data.csv", "same.out", "missing/out.json",
                                                   "keep.txt", "folder", ""]),
    "--plot": (["out.png", "out.svg", "sub/p.pdf"], ["same.out", "out.txt", "data.csv", "missing/p.png"]),
    "--report": (["out.html"], ["data.csv", "same.out", "missing/r.html", "out.json"]),
    "--tensorboard": (["runs", "sub/runs"], ["data.csv", "keep.txt"]),
}
OPTIONS = {   # option: (values that work, values that do not)
    "--batch-size": (["1", "4", "16"], ["0", "-3"]),
    "--scale": (["standard", "minmax", "none"], ["zscore"]),
    "--model": (["linear", "logistic", "softmax"], ["tree"]),
    "--val-fraction": (["0", "0.2", "0.5"], ["0.95", "nan"]),
    "--max-points": (["3", "5"], ["2"]),
    "--momentum": (["0.9", "0.5"], ["1", "-0.1"]),
    "--seed": (["1", "7"], ["-1"]),
    "--steps": (["10", "12", "25"], ["9", "x", "-1"]),
    "--lrs": (["0.01,0.1", "1e-3", "0.1,1,10", "1e-4 1e-2"], ["0,1", "1e-3,1e-3", "abc", "nan", ","]),
}


@st.composite
def cases(draw, extreme: bool = False) -> tuple[bytes, list[str]]:
    usually = chances(draw)
    header, rows = draw(table(extreme))
    data = encode(draw, usually, header, rows)

    def value(good: list[str], bad: list[str], odds: int = 25) -> str:
        return draw(st.sampled_from(good)) if usually(odds) else draw(st.sampled_from(bad))

    source = value(["data.csv", "./data.csv"], ["missing.csv", "folder", "keep.txt"])
    target = header[-1] if usually(10) else draw(st.one_of(st.sampled_from(header), st.text(max_size=4)))
    args = ["sweep", source, "--target", target]
    if not usually(4):
        features = [c for c in header if c != target]
        args += ["--features", ",".join(draw(st.lists(st.sampled_from(features or header), min_size=1, max_size=3,
                                                      unique=True)) if usually(8) else
                                        draw(st.lists(st.sampled_from(header + ["zz", ""]), max_size=3)))]
    for option, (good, bad) in OPTIONS.items():
        if option == "--steps" or not usually(3):
            args += [option, value(good, bad)]
    for option, (good, bad) in OUTPUTS.items():
        if not usually(5 if option in ("--report", "--tensorboard") else 2):
            args += [option, value(good, bad, odds=8)]
    for flag in ("--quiet", "--stream", "--compare-scaling"):
        if not usually(4 if flag == "--quiet" else 12):
            args.append(flag)
    return data, args


def allowed_changes(args: list[str]) -> set[str]:
    """What the command may write: the outputs named, the journal of --json, TensorBoard's runs."""
    allowed = set()
    for option, value in zip(args, args[1:]):
        if option in OUTPUTS and value not in ("-", ""):
            path = Path(value).as_posix().removeprefix("./")
            allowed.add(path)
            if option == "--json":
                allowed.add(Path(path).with_name(f"{Path(path).stem}.journal.jsonl").as_posix())
            if option == "--tensorboard":
                allowed.add(path + "/")
    return allowed


def is_allowed(changed_path: str, allowed: set[str]) -> bool:
    return changed_path in allowed or any(a.endswith("/") and (changed_path + "/").startswith(a) for a in allowed)


def check(case: tuple[bytes, list[str]]) -> None:
    data, args = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "data.csv").write_bytes(data)
        (folder / "keep.txt").write_text("an unrelated file\n")
        (folder / "folder").mkdir()
        (folder / "sub").mkdir()
        before = snapshot(folder)
        with warnings.catch_warnings():
            warnings.simplefilter("error")   # a warning printed to a user is a defect too
            outcome = invoke(*args, cwd=folder)
        event(f"exit {outcome.code}")
        assert outcome.code in (0, 2, 3), (args, outcome.output)
        assert "Traceback" not in outcome.output, (args, outcome.output)
        if outcome.code == 2:
            errors = [line for line in outcome.stderr.splitlines() if "error:" in line]
            assert len(errors) == 1 and errors[0].startswith("lrscout: error: "), (args, outcome.stderr)
        allowed = allowed_changes(args)
        unexpected = {p for p in changed(before, snapshot(folder)) if not is_allowed(p, allowed)}
        assert not unexpected, (args, unexpected, outcome.output)
        if outcome.code != 0:
            assert (folder / "data.csv").read_bytes() == data


HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
          HealthCheck.filter_too_much]


@settings(max_examples=60, deadline=None, suppress_health_check=HEALTH)
@given(case=cases())
def test_any_csv_and_arguments_give_a_result_or_one_clear_error_and_touch_only_the_outputs(case):
    check(case)


def tiny_unit_table() -> bytes:
    """A feature in units of 1e-200, whose squared deviations underflow to 0, and a target of it."""
    rows = [f"{(i % 7 - 3) * 1e-200:.6g},{(i % 5) / 4:.5g},{(i % 7 - 3) + (i % 5) / 4:.5g}" for i in range(30)]
    return ("a,b,y\n" + "\n".join(rows) + "\n").encode()


@settings(max_examples=30, deadline=None, suppress_health_check=HEALTH)
@example(case=(tiny_unit_table(), ["sweep", "data.csv", "--target", "y", "--scale", "standard", "--steps", "10"]))
@given(case=cases(extreme=True))
def test_extreme_magnitudes_give_a_result_or_one_clear_error_and_touch_only_the_outputs(case):
    check(case)
