"""``lrscout demo``: the seeds' worked example, as real runs."""

import numpy as np
from cli_helpers import PNG_MAGIC, assert_bad_input, dotfiles, run_cli, write_text

from lrscout import SweepResult, VerdictKind
from lrscout.cli.demo_cmd import demo_results

K = VerdictKind


def test_housing_demo_reproduces_the_seeds_example():
    (raw_title, raw), (scaled_title, scaled) = demo_results()
    verdicts = raw.verdicts()
    assert (verdicts[1e-3], verdicts[1e-2]) == (K.TOO_SLOW, K.GOOD)
    assert verdicts[1e-1].is_too_high
    assert raw.chosen_lr == 1e-2
    assert scaled.verdicts()[1e-1] is K.GOOD
    assert scaled.chosen_lr == 1e-1


def test_on_raw_features_the_rejected_rate_visibly_blows_up_so_the_chosen_one_is_right_on_the_chart_too():
    (_, raw), _ = demo_results()
    too_high = np.asarray(raw.candidate(0.1).train_loss, dtype=float)
    chosen = raw.candidate(0.01)
    # not a zigzag that still ends lowest: the loss itself explodes, far beyond the batches' noise
    assert not np.isfinite(too_high).all() or too_high.max() >= 10 * too_high[0]
    assert raw.candidate(0.1).val_loss is None or raw.candidate(0.1).val_loss > chosen.val_loss
    # and the chosen rate ends lower than the slow one
    assert chosen.final_train_loss < raw.candidate(0.001).final_train_loss
    assert chosen.val_loss < raw.candidate(0.001).val_loss


def test_standardizing_moves_the_good_range_up_and_validates_far_better():
    (_, raw), (_, scaled) = demo_results()
    assert scaled.candidate(0.1).val_loss < raw.candidate(0.01).val_loss / 10


def test_demo_writes_plot_and_both_results_reproducing_the_seeds_example(tmp_path):
    out = tmp_path / "demo-out"
    proc = run_cli("demo", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (out / "demo.png").read_bytes()[:8] == PNG_MAGIC

    raw = SweepResult.load(out / "raw.json")
    verdicts = raw.verdicts()
    assert (verdicts[0.001], verdicts[0.01]) == (VerdictKind.TOO_SLOW, VerdictKind.GOOD)
    assert verdicts[0.1].is_too_high
    assert raw.chosen_lr == 0.01

    standardized = SweepResult.load(out / "standardized.json")
    assert standardized.verdicts()[0.1] is VerdictKind.GOOD
    assert standardized.chosen_lr == 0.1
    assert dotfiles(out) == []


def test_demo_into_an_existing_file_exits_2_naming_it(tmp_path):
    write_text(tmp_path / "taken", "")
    assert_bad_input(run_cli("demo", "--out", "taken", cwd=tmp_path), "'taken'")
