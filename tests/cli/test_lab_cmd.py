"""``lrscout lab SCENARIO``: the scenarios explained, and one run shown before and after its remedy."""

from __future__ import annotations

import re

from cli_helpers import PNG_MAGIC
from click.testing import CliRunner

from lrscout.cli.lab_cmd import lab_command
from lrscout.workflows.lab import SCENARIOS


def test_lab_list_explains_every_scenario():
    out = CliRunner().invoke(lab_command, ["--list"])
    assert out.exit_code == 0
    for s in SCENARIOS.values():
        assert f"{s.name}: {s.title}" in out.output and s.expects.value in out.output


def test_lab_shows_both_runs_the_finding_and_the_outcome_and_plots_them_side_by_side(tmp_path):
    plot = tmp_path / "lab.png"
    out = CliRunner().invoke(lab_command, ["exploding", "--plot", str(plot)], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert "before: exploding" in out.output and "after: gradient norm clipped at" in out.output
    assert "exploding gradients" in out.output and "Clip the gradient norm at about" in out.output
    assert re.search(r"Outcome: largest good rate [\d.]+ -> 0\.[12], chosen rate [\d.]+ -> [\d.]+;", out.output)
    assert "the exploding_gradients finding is gone." in out.output
    assert plot.read_bytes().startswith(PNG_MAGIC)
