"""End-to-end tests of the ``lrscout`` console script, run as a real subprocess.

Every test writes its own small CSV files into pytest's ``tmp_path`` and runs the installed
``lrscout`` script (next to ``sys.executable``) there. The contract checked here:

- exit 0 when a learning rate is chosen, 3 when none is good, 2 for bad input;
- bad input gives one clear message on stderr naming what is wrong, never a traceback;
- results files (JSON, PNG) are complete, load back, and leave no temporary files behind.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from lrscout import SweepResult, VerdictKind

from cli_helpers import (CHOSEN_LINE, LAYOUT_ENV, LRSCOUT, PNG_MAGIC, VERDICT_WORDS, assert_bad_input, chosen_from,
                         dotfiles, flat, housing_csv, regression_csv, run_cli, sklearn_csv, write_text)


# bad input: files ----------------------------------------------------------------------------
def test_missing_file_exits_2_with_the_path_in_the_message(tmp_path):
    path = tmp_path / "no-such-file.csv"
    assert_bad_input(run_cli("sweep", str(path), "--target", "y", cwd=tmp_path), str(path), "does not exist")


def test_directory_instead_of_a_file_exits_2_and_says_it_is_a_directory(tmp_path):
    (tmp_path / "data").mkdir()
    assert_bad_input(run_cli("sweep", "data", "--target", "y", cwd=tmp_path), "'data'", "directory")


def test_empty_file_exits_2_and_says_it_is_empty(tmp_path):
    write_text(tmp_path / "empty.csv", "")
    assert_bad_input(run_cli("sweep", "empty.csv", "-t", "y", cwd=tmp_path), "empty.csv", "empty")


def test_header_only_file_exits_2_and_says_there_are_no_data_rows(tmp_path):
    write_text(tmp_path / "header.csv", "a,b,price\n")
    assert_bad_input(run_cli("sweep", "header.csv", "-t", "price", cwd=tmp_path), "header.csv", "no data rows")


# bad input: columns and cells ----------------------------------------------------------------
def test_unknown_target_lists_the_columns_and_suggests_the_close_match(tmp_path):
    write_text(tmp_path / "houses.csv", "a,b,price\n1,2,3\n2,3,4.5\n3,5,5\n4,4,6\n")
    message = assert_bad_input(run_cli("sweep", "houses.csv", "-t", "prise", cwd=tmp_path),
                               "'prise'", "'a'", "'b'", "'price'")
    assert "Did you mean 'price'?" in message


def test_non_numeric_feature_value_names_the_column_row_and_value(tmp_path):
    write_text(tmp_path / "d.csv", "a,b,price\n1,2,3\n2,x,4\n3,4,5\n4,5,6\n")
    assert_bad_input(run_cli("sweep", "d.csv", "-t", "price", cwd=tmp_path),
                     "column 'b'", "not numeric", "data row 2", "'x'")


def test_missing_feature_value_names_the_column_and_row(tmp_path):
    write_text(tmp_path / "d.csv", "a,b,price\n1,2,3\n2,,4\n3,4,5\n4,5,6\n")
    assert_bad_input(run_cli("sweep", "d.csv", "-t", "price", cwd=tmp_path),
                     "column 'b'", "missing", "data row 2")


def test_missing_target_value_names_the_target_and_row(tmp_path):
    write_text(tmp_path / "d.csv", "a,b,price\n1,2,3\n2,3,4\n3,4,\n4,5,6\n")
    assert_bad_input(run_cli("sweep", "d.csv", "-t", "price", cwd=tmp_path),
                     "target 'price'", "missing", "data row 3")


def test_a_single_data_row_exits_2_and_asks_for_at_least_two(tmp_path):
    write_text(tmp_path / "d.csv", "a,b,price\n1,2,3\n")
    assert_bad_input(run_cli("sweep", "d.csv", "-t", "price", cwd=tmp_path), "1 data row", "at least 2")


def test_constant_target_exits_2_and_says_there_is_nothing_to_learn(tmp_path):
    write_text(tmp_path / "d.csv", "a,b,price\n1,2,3\n2,3,3\n3,4,3\n4,5,3\n5,1,3\n")
    assert_bad_input(run_cli("sweep", "d.csv", "-t", "price", cwd=tmp_path),
                     "'price'", "same value", "nothing to learn")


def test_zero_variance_feature_is_named_with_advice_to_drop_it(tmp_path):
    write_text(tmp_path / "d.csv", "a,b,price\n1,7,3\n2,7,4\n3,7,5\n4,7,6\n5,7,1\n6,7,2\n")
    assert_bad_input(run_cli("sweep", "d.csv", "-t", "price", cwd=tmp_path),
                     "'b'", "zero variance", "--features")


@pytest.mark.parametrize("cell", ["NaN", "nan", "inf", "-inf", "Infinity"])
def test_nan_or_inf_in_a_feature_names_the_column_and_row(tmp_path, cell):
    write_text(tmp_path / "d.csv", f"a,b,price\n1,2,3\n2,{cell},4\n3,4,5\n4,5,6\n")
    assert_bad_input(run_cli("sweep", "d.csv", "-t", "price", cwd=tmp_path), "column 'b'", "data row 2")


@pytest.mark.parametrize("cell", ["inf", "-inf"])
def test_inf_in_a_feature_is_called_out_as_non_finite(tmp_path, cell):
    write_text(tmp_path / "d.csv", f"a,b,price\n1,2,3\n2,{cell},4\n3,4,5\n4,5,6\n")
    assert_bad_input(run_cli("sweep", "d.csv", "-t", "price", cwd=tmp_path), f"'{cell}'", "NaN and inf")


# bad input: options --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lrs", "fragments"),
    [
        ("0,0.1", ("--lrs", "entry 0", "positive")),
        ("-1e-3", ("--lrs", "-0.001", "positive")),
        ("1e-3,1e-3", ("--lrs", "duplicate", "0.001")),
        ("abc", ("--lrs", "'abc'", "not a number")),
        ("nan", ("--lrs", "finite")),
        (",", ("--lrs", "empty")),
    ],
    ids=["zero", "negative", "duplicate", "not-a-number", "nan", "empty"],
)
def test_bad_lrs_grid_exits_2_and_names_the_bad_value(tmp_path, lrs, fragments):
    regression_csv(tmp_path)
    proc = run_cli("sweep", "reg.csv", "-t", "y", "--lrs", lrs, cwd=tmp_path)
    assert_bad_input(proc, *fragments)
    assert proc.stdout == ""  # rejected before any sweeping


@pytest.mark.parametrize("steps", ["0", "2", "9"])
def test_a_window_too_short_to_read_exits_2_and_names_steps_and_the_value(tmp_path, steps):
    regression_csv(tmp_path)
    proc = run_cli("sweep", "reg.csv", "-t", "y", "--steps", steps, cwd=tmp_path)
    assert_bad_input(proc, "--steps", steps, "x>=10")
    assert proc.stdout == ""


def test_val_fraction_above_one_exits_2_and_names_the_value(tmp_path):
    regression_csv(tmp_path)
    proc = run_cli("sweep", "reg.csv", "-t", "y", "--val-fraction", "1.5", cwd=tmp_path)
    assert_bad_input(proc, "--val-fraction", "1.5")
    assert proc.stdout == ""


def test_plot_with_an_unknown_extension_exits_2_naming_the_file_and_the_formats(tmp_path):
    regression_csv(tmp_path)
    proc = run_cli("sweep", "reg.csv", "-t", "y", "--plot", "out.txt", cwd=tmp_path)
    assert_bad_input(proc, "--plot", "out.txt", ".png")
    assert not (tmp_path / "out.txt").exists()


def test_bad_plot_extension_is_rejected_before_sweeping_or_writing_json(tmp_path):
    regression_csv(tmp_path)
    proc = run_cli("sweep", "reg.csv", "-t", "y", "--json", "out.json", "--plot", "out.txt", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert not (tmp_path / "out.json").exists()


def test_logistic_model_on_a_three_class_target_exits_2_and_suggests_softmax(tmp_path):
    sklearn_csv(tmp_path, "load_iris", "iris.csv")
    proc = run_cli("sweep", "iris.csv", "-t", "target", "--model", "logistic", cwd=tmp_path)
    assert_bad_input(proc, "logistic", "two classes", "'target' has 3", "softmax")


def test_unknown_option_is_a_click_usage_error_with_exit_2(tmp_path):
    regression_csv(tmp_path)
    proc = run_cli("sweep", "reg.csv", "-t", "y", "--bogus", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "--bogus" in proc.stderr and "lrscout sweep --help" in proc.stderr
    assert "No such option" in proc.stderr and "--bogus" in proc.stderr
    assert proc.stdout == ""


def test_missing_required_target_option_is_a_usage_error_with_exit_2(tmp_path):
    regression_csv(tmp_path)
    proc = run_cli("sweep", "reg.csv", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "--target" in proc.stderr


# real sweeps ---------------------------------------------------------------------------------
def test_breast_cancer_sweep_infers_logistic_chooses_a_rate_and_writes_json_and_png(tmp_path):
    sklearn_csv(tmp_path, "load_breast_cancer", "cancer.csv")
    proc = run_cli("sweep", "cancer.csv", "--target", "target", "--json", "out.json", "--plot", "out.png",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "model logistic" in proc.stdout
    printed = chosen_from(proc.stdout)
    assert float(printed) > 0

    result = SweepResult.load(tmp_path / "out.json")
    assert result.config["task"] == "logistic"
    assert result.chosen_lr is not None
    assert f"{result.chosen_lr:g}" == printed
    assert result.chosen_lr == pytest.approx(float(printed), rel=1e-5)
    # the table shows each candidate's verdict, and only verdict words
    table_words = set(re.findall(r"│\s*\*?\s*│\s*[0-9.e+-]+\s*│\s*([a-z_]+)\s*│", proc.stdout))
    assert table_words == {c.kind.value for c in result.candidates}
    assert table_words <= VERDICT_WORDS
    assert "good" in table_words
    assert (tmp_path / "out.png").read_bytes()[:8] == PNG_MAGIC
    assert "results written to out.json" in proc.stdout
    assert "plot written to out.png" in proc.stdout


def test_diabetes_sweep_with_standard_scaling_infers_linear_and_chooses_a_rate(tmp_path):
    sklearn_csv(tmp_path, "load_diabetes", "diabetes.csv")
    proc = run_cli("sweep", "diabetes.csv", "-t", "target", "--scale", "standard", "--json", "d.json",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "model linear" in proc.stdout
    printed = chosen_from(proc.stdout)
    result = SweepResult.load(tmp_path / "d.json")
    assert result.config["task"] == "linear"
    assert result.config["scaling"] == "standard"
    assert f"{result.chosen_lr:g}" == printed


def test_train_steps_chooses_for_that_run_within_thirty_percent_of_it_and_says_so(tmp_path):
    sklearn_csv(tmp_path, "load_diabetes", "diabetes.csv")
    proc = run_cli("sweep", "diabetes.csv", "-t", "target", "--scale", "standard", "--batch-size", "32",
                   "--train-steps", "2000", "--json", "d.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = SweepResult.load(tmp_path / "d.json")
    assert result.train_steps == 2000 and result.search_steps <= 600
    assert "chosen for a 2000-step run" in flat(proc.stdout)
    assert f"the search trained {result.search_steps} steps" in flat(proc.stdout)


def test_without_train_steps_the_output_says_which_run_length_the_choice_is_good_for(tmp_path):
    regression_csv(tmp_path)
    proc = run_cli("sweep", "reg.csv", "-t", "y", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "good for runs of about that length; pass train_steps (--train-steps) for a longer run" in flat(proc.stdout)


def test_budget_share_sets_the_share_of_the_run_the_search_may_spend(tmp_path):
    sklearn_csv(tmp_path, "load_diabetes", "diabetes.csv")
    proc = run_cli("sweep", "diabetes.csv", "-t", "target", "--scale", "standard", "--train-steps", "400",
                   "--budget-share", "0.5", "--json", "d.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = SweepResult.load(tmp_path / "d.json")
    assert result.config["search_budget"] == 200 and result.search_steps <= 200


def test_budget_share_without_train_steps_exits_2_and_says_to_give_the_runs_length(tmp_path):
    regression_csv(tmp_path)
    proc = run_cli("sweep", "reg.csv", "-t", "y", "--budget-share", "0.5", cwd=tmp_path)
    assert_bad_input(proc, "budget_share=0.5", "pass train_steps")


def test_a_run_too_short_for_a_search_exits_2_and_says_what_to_raise(tmp_path):
    regression_csv(tmp_path)
    proc = run_cli("sweep", "reg.csv", "-t", "y", "--train-steps", "60", cwd=tmp_path)
    assert_bad_input(proc, "train_steps=60", "leaves the search 18 steps", "raise budget_share")


@pytest.mark.parametrize("value", ["0", "-5", "abc"])
def test_a_train_steps_that_is_not_a_positive_integer_exits_2_naming_the_option(tmp_path, value):
    regression_csv(tmp_path)
    proc = run_cli("sweep", "reg.csv", "-t", "y", "--train-steps", value, cwd=tmp_path)
    assert_bad_input(proc, "--train-steps", value)


def test_three_integer_classes_infer_softmax(tmp_path):
    sklearn_csv(tmp_path, "load_iris", "iris.csv")
    proc = run_cli("sweep", "iris.csv", "-t", "target", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "model softmax" in proc.stdout
    assert "3 integer classes" in proc.stdout
    chosen_from(proc.stdout)


def test_text_labelled_target_infers_softmax(tmp_path):
    sklearn_csv(tmp_path, "load_iris", "species.csv", text_labels=True)
    proc = run_cli("sweep", "species.csv", "-t", "target", "--json", "s.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "model softmax" in proc.stdout
    assert "3 text labels" in proc.stdout
    result = SweepResult.load(tmp_path / "s.json")
    assert result.config["classes"] == ["setosa", "versicolor", "virginica"]
    assert f"{result.chosen_lr:g}" == chosen_from(proc.stdout)


def test_quiet_prints_only_the_chosen_learning_rate(tmp_path):
    regression_csv(tmp_path)
    proc = run_cli("sweep", "reg.csv", "-t", "y", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout
    assert float(lines[0]) > 0
    assert proc.stderr == ""


def test_quiet_agrees_with_the_full_report(tmp_path):
    regression_csv(tmp_path)
    quiet = run_cli("sweep", "reg.csv", "-t", "y", "-q", cwd=tmp_path)
    full = run_cli("sweep", "reg.csv", "-t", "y", cwd=tmp_path)
    assert quiet.stdout.strip() == chosen_from(full.stdout)


def test_quiet_with_json_output_still_prints_only_the_chosen_learning_rate(tmp_path):
    regression_csv(tmp_path)
    proc = run_cli("sweep", "reg.csv", "-t", "y", "--quiet", "--json", "out.json", cwd=tmp_path)
    assert proc.returncode == 0
    assert (tmp_path / "out.json").exists()
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout
    float(lines[0])


def test_max_points_keeps_the_json_curves_short_and_the_verdicts_the_same(tmp_path):
    regression_csv(tmp_path)
    args = ("sweep", "reg.csv", "-t", "y", "--lrs", "1e-3,1e-2,1e-1,1", "--steps", "600", "--quiet")
    assert run_cli(*args, "--json", "full.json", cwd=tmp_path).returncode == 0
    assert run_cli(*args, "--json", "short.json", "--max-points", "40", cwd=tmp_path).returncode == 0
    full, short = SweepResult.load(tmp_path / "full.json"), SweepResult.load(tmp_path / "short.json")
    assert [c.verdict for c in short.candidates] == [c.verdict for c in full.candidates]
    assert short.decision == full.decision
    assert [c.steps_used for c in short.candidates] == [c.steps_used for c in full.candidates]
    assert all(c.train_loss.size <= 40 for c in short.candidates) and short.candidates[0].trace.stride > 1
    # the full curves stay on disk in the journal; without --max-points the finished journal is removed
    assert (tmp_path / "short.journal.jsonl").exists() and not (tmp_path / "full.journal.jsonl").exists()
    assert_bad_input(run_cli(*args, "--max-points", "2", cwd=tmp_path), "--max-points", "2")


def test_timeout_applies_to_the_processes_executor_only(tmp_path):
    regression_csv(tmp_path)
    proc = run_cli("sweep", "reg.csv", "-t", "y", "--timeout", "5", cwd=tmp_path)
    assert_bad_input(proc, "timeout", "processes")


# outputs -------------------------------------------------------------------------------------
def test_results_are_written_atomically_leaving_no_temporary_files(tmp_path):
    regression_csv(tmp_path)
    out = tmp_path / "results"
    out.mkdir()
    proc = run_cli("sweep", "reg.csv", "-t", "y", "--json", "results/r.json", "--plot", "results/r.png",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["r.json", "r.png"]
    assert dotfiles(out) == []
    # a second run replaces the file in place, still without leftovers
    proc = run_cli("sweep", "reg.csv", "-t", "y", "--json", "results/r.json", "--seed", "1", cwd=tmp_path)
    assert proc.returncode == 0
    assert sorted(p.name for p in out.iterdir()) == ["r.json", "r.png"]
    assert SweepResult.load(out / "r.json").config["seed"] == 1


def test_json_into_a_missing_folder_exits_2_naming_the_path(tmp_path):
    regression_csv(tmp_path)
    proc = run_cli("sweep", "reg.csv", "-t", "y", "--json", "nowhere/r.json", cwd=tmp_path)
    assert_bad_input(proc, "--json", "nowhere/r.json")


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_json_results_file_gets_the_same_permissions_as_the_plot(tmp_path):
    regression_csv(tmp_path)
    proc = run_cli("sweep", "reg.csv", "-t", "y", "--json", "r.json", "--plot", "r.png", cwd=tmp_path)
    assert proc.returncode == 0
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(tmp_path / "r.json") == mode(tmp_path / "r.png")


# no candidate good ---------------------------------------------------------------------------
def test_exit_3_when_every_rate_is_too_slow_with_advice_to_extend_the_grid_upward(tmp_path):
    regression_csv(tmp_path)
    proc = run_cli("sweep", "reg.csv", "-t", "y", "--lrs", "1e-9,1e-8", "--json", "none.json", cwd=tmp_path)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "no learning rate chosen" in proc.stdout
    assert not CHOSEN_LINE.search(proc.stdout)
    assert "extend the grid upward" in flat(proc.stdout)
    result = SweepResult.load(tmp_path / "none.json")
    assert result.chosen_lr is None
    assert {c.kind for c in result.candidates} == {VerdictKind.TOO_SLOW}


def test_quiet_prints_none_and_exits_3_when_no_rate_is_chosen(tmp_path):
    regression_csv(tmp_path)
    proc = run_cli("sweep", "reg.csv", "-t", "y", "--lrs", "1e-9,1e-8", "-q", cwd=tmp_path)
    assert proc.returncode == 3
    assert proc.stdout.strip() == "none"


# colour --------------------------------------------------------------------------------------
def test_no_color_output_has_no_ansi_escape_sequences(tmp_path):
    regression_csv(tmp_path)
    for args, code in ((("--json", "c.json"), 0), (("--lrs", "1e-9,1e-8"), 3)):
        proc = run_cli("sweep", "reg.csv", "-t", "y", *args, cwd=tmp_path, env={"NO_COLOR": "1"})
        assert proc.returncode == code, proc.stdout + proc.stderr
        assert "\x1b[" not in proc.stdout
        assert "\x1b[" not in proc.stderr


def test_error_messages_have_no_ansi_escape_sequences(tmp_path):
    proc = run_cli("sweep", "missing.csv", "-t", "y", cwd=tmp_path, env={"NO_COLOR": "1"})
    assert proc.returncode == 2
    assert "\x1b[" not in proc.stderr


# outputs that fail, and names that look like markup -------------------------------------------
def test_column_names_and_paths_that_look_like_markup_are_printed_as_they_are(tmp_path):
    src = regression_csv(tmp_path)
    lines = src.read_text().splitlines()
    (tmp_path / "mk.csv").write_text("\n".join(["x1,x[/]2,y[/]"] + lines[1:]) + "\n")
    proc = run_cli("sweep", "mk.csv", "-t", "y[/]", "--json", "r[run].json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "'y[/]'" in proc.stdout and "results written to r[run].json" in proc.stdout
    assert SweepResult.load(tmp_path / "r[run].json").chosen_lr is not None


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs a folder nobody can write to: /proc")
def test_an_output_whose_folder_takes_no_file_is_refused_before_training_and_nothing_is_written(tmp_path):
    regression_csv(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = run_cli("sweep", "reg.csv", "-t", "y", "--lrs", "0.01,0.1", "--steps", "30", "--json", "r.json",
                   "--plot", "/proc/curves.png", "--report", "ok.html", cwd=tmp_path)
    assert_bad_input(proc, "--plot '/proc/curves.png'", "cannot write in the folder '/proc'")
    assert proc.stdout == ""                                     # no training happened
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no results, report or journal left behind
    fixed = run_cli("sweep", "reg.csv", "-t", "y", "--lrs", "0.01,0.1", "--steps", "30", "--json", "r.json",
                    "--plot", "curves.png", "--report", "ok.html", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stderr                   # the corrected rerun is not refused


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs a folder nobody can write to: /proc")
def test_a_results_file_in_a_folder_that_takes_no_file_fails_before_training(tmp_path):
    regression_csv(tmp_path)
    proc = run_cli("sweep", "reg.csv", "-t", "y", "--json", "/proc/r.json", cwd=tmp_path)
    assert_bad_input(proc, "--json '/proc/r.json'", "cannot write in the folder '/proc'")
    assert proc.stdout == "" and not list(tmp_path.glob("*.journal.jsonl"))


def test_two_outputs_naming_one_file_are_refused_before_training(tmp_path):
    regression_csv(tmp_path)
    assert_bad_input(run_cli("sweep", "reg.csv", "-t", "y", "--json", "same.html", "--report", "same.html",
                             cwd=tmp_path), "--json and --report both name 'same.html'")


def test_a_file_name_too_long_for_the_file_system_is_a_clear_error(tmp_path):
    regression_csv(tmp_path)
    name = "a" * 300 + ".png"
    assert_bad_input(run_cli("sweep", "reg.csv", "-t", "y", "--plot", name, cwd=tmp_path), f"--plot '{name}'")


def test_ctrl_c_before_any_candidate_finishes_leaves_earlier_outputs_alone(tmp_path):
    import signal
    import time

    regression_csv(tmp_path, n=20_000)   # a first round of minutes, whose curves still fit in memory
    earlier = write_text(tmp_path / "out.json", "an earlier run's results")
    env = {k: v for k, v in os.environ.items() if k not in LAYOUT_ENV}
    proc = subprocess.Popen([str(LRSCOUT), "sweep", "reg.csv", "-t", "y", "--steps", "100000", "--json", "out.json",
                             "--report", "out.html"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    journal = tmp_path / "out.journal.jsonl"   # opened as the sweep begins; its first round takes minutes
    deadline = time.monotonic() + 60       # only bounds a start that never comes, however busy the machine
    while not journal.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted before any candidate finished: nothing written" in stdout
    assert earlier.read_text() == "an earlier run's results" and not (tmp_path / "out.html").exists()
    assert not (tmp_path / "out.journal.jsonl").exists()       # it held no candidate: rerunning just works


def test_a_feature_named_twice_is_refused(tmp_path):
    regression_csv(tmp_path)
    assert_bad_input(run_cli("sweep", "reg.csv", "-t", "y", "--features", "x1,x1", cwd=tmp_path),
                     "'x1' named more than once")


def test_sweep_writes_a_report_and_json_dash_keeps_stdout_for_the_results(tmp_path):
    (tmp_path / "houses.csv").write_text(housing_csv(n=300))
    done = run_cli("sweep", "houses.csv", "--target", "price", "--lrs", "1e-3,1e-2,1e-1", "--batch-size", "32",
                   "--report", "report.html", "--json", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert SweepResult.from_json(done.stdout).chosen_lr == 0.01
    assert "report written to report.html" in done.stderr
    assert "Chosen learning rate" in (tmp_path / "report.html").read_text(encoding="utf-8")
