"""``lrscout schedule KIND --peak LR --steps N``: a schedule printed and plotted before training;
a run too long to evaluate step by step is sampled at evenly spaced steps, never allocated whole."""

from __future__ import annotations

from cli_helpers import PNG_MAGIC, invoke
from click.testing import CliRunner

from lrscout.cli.schedule_cmd import KINDS as CLI_KINDS
from lrscout.cli.schedule_cmd import schedule_command
from lrscout.core.recipes import KINDS


def test_the_cli_kinds_are_the_recommenders_kinds():
    assert CLI_KINDS == KINDS


def test_lrscout_schedule_prints_the_values_and_plots_them(tmp_path):
    plot = tmp_path / "warmup.png"
    out = CliRunner().invoke(schedule_command, ["warmup_cosine", "--peak", "0.1", "--steps", "1000",
                                                "--warmup", "100", "--plot", str(plot)])
    assert out.exit_code == 0, out.output
    assert "Join" in out.output and "max 0.1 (first at step 100)" in out.output
    assert plot.read_bytes().startswith(PNG_MAGIC)


def test_lrscout_schedule_rejects_an_unknown_kind_listing_the_kinds():
    out = CliRunner().invoke(schedule_command, ["triangle", "--peak", "0.1", "--steps", "100"])
    assert out.exit_code == 2 and "warmup_cosine" in out.output


def test_a_schedule_of_ten_billion_steps_is_sampled_not_allocated(tmp_path):
    outcome = invoke("schedule", "cosine", "--peak", "0.1", "--steps", str(10**10), "--plot", "s.png", cwd=tmp_path)
    assert outcome.code == 0, outcome.output
    assert "9999999999" in outcome.stdout and "of the 10,000,000,000 steps" in outcome.stdout
    assert (tmp_path / "s.png").stat().st_size > 0
