"""``lrscout schedule KIND --peak LR --steps N``: a schedule printed and plotted before training."""

from __future__ import annotations

from cli_helpers import PNG_MAGIC
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
