"""``lrscout report RESULTS.json... -o out.html``: rebuilding the HTML report from saved results."""

from __future__ import annotations

import json

from cli_helpers import PNG_MAGIC, assert_bad_input, regression_csv, run_cli
from click.testing import CliRunner

from lrscout import ResultsFileError
from lrscout.cli.report_cmd import report_command


def test_report_names_its_own_output_option_when_the_extension_is_wrong(tmp_path):
    regression_csv(tmp_path)
    assert run_cli("sweep", "reg.csv", "-t", "y", "--lrs", "0.1", "--steps", "20", "--json", "r.json",
                   cwd=tmp_path).returncode == 0
    assert_bad_input(run_cli("report", "r.json", "-o", "r.txt", cwd=tmp_path), "--output 'r.txt'")


def test_report_refuses_a_file_that_is_not_text(tmp_path):
    (tmp_path / "r.png").write_bytes(PNG_MAGIC + b"\xff\xfe\x00")
    assert_bad_input(run_cli("report", "r.png", "-o", "x.html", cwd=tmp_path), "not a results file")


def test_report_rebuilds_the_html_from_saved_results(result, tmp_path):
    saved = result.save(tmp_path / "sweep.json")
    outcome = CliRunner().invoke(report_command, [str(saved), "-o", str(tmp_path / "out.html"), "--title", "Mine"])
    assert outcome.exit_code == 0, outcome.output
    html = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert "<title>Mine</title>" in html and "Chosen learning rate <strong>0.01" in html


def test_report_of_several_results_has_one_section_each_named_by_file(result, tmp_path):
    raw, other = result.save(tmp_path / "raw.json"), result.save(tmp_path / "standardized.json")
    outcome = CliRunner().invoke(report_command, [str(raw), str(other)])
    assert outcome.exit_code == 0, outcome.output
    html = (tmp_path / "raw.html").read_text(encoding="utf-8")  # default: next to the first file
    assert ">raw</h2>" in html and ">standardized</h2>" in html


def test_report_of_a_file_that_is_not_results_is_a_clear_error(tmp_path):
    bogus = tmp_path / "bogus.json"
    bogus.write_text(json.dumps({"schema": "something/else"}))
    outcome = CliRunner().invoke(report_command, [str(bogus)])
    assert isinstance(outcome.exception, ResultsFileError)
    assert "not an lrscout sweep result" in str(outcome.exception)


def test_the_report_command_is_part_of_lrscout(result, tmp_path):
    result.save(tmp_path / "sweep.json")
    done = run_cli("report", "sweep.json", "-o", "out.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.html").stat().st_size > 1_000_000
    bad = run_cli("report", "sweep.json", "-o", "out.txt", cwd=tmp_path)
    assert bad.returncode == 2 and "must end in .html" in bad.stderr and "Traceback" not in bad.stderr
