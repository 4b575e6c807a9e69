"""``lrscout demo``: the seeds' worked example, as real runs."""

from cli_helpers import PNG_MAGIC, assert_bad_input, dotfiles, run_cli, write_text

from lrscout import SweepResult, VerdictKind
from lrscout.cli.demo_cmd import demo_results

K = VerdictKind


def test_housing_demo_reproduces_the_seeds_example():
    (raw_title, raw), (scaled_title, scaled) = demo_results()
    assert raw.verdicts() == {1e-3: K.TOO_SLOW, 1e-2: K.GOOD, 1e-1: K.OSCILLATING}
    assert raw.chosen_lr == 1e-2
    assert scaled.verdicts()[1e-1] is K.GOOD
    assert scaled.chosen_lr == 1e-1


def test_housing_demo_oscillation_is_the_zigzag_of_overshooting_updates():
    (_, raw), (_, scaled) = demo_results()
    assert raw.candidate(0.1).verdict.evidence.update_cosine < -0.5
    assert scaled.candidate(0.1).verdict.evidence.update_cosine > 0


def test_demo_writes_plot_and_both_results_reproducing_the_seeds_example(tmp_path):
    out = tmp_path / "demo-out"
    proc = run_cli("demo", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (out / "demo.png").read_bytes()[:8] == PNG_MAGIC

    raw = SweepResult.load(out / "raw.json")
    assert {lr: k.value for lr, k in raw.verdicts().items()} == {
        0.001: "too_slow", 0.01: "good", 0.1: "oscillating"}
    assert raw.chosen_lr == 0.01

    standardized = SweepResult.load(out / "standardized.json")
    assert standardized.verdicts()[0.1] is VerdictKind.GOOD
    assert standardized.chosen_lr == 0.1
    assert dotfiles(out) == []


def test_demo_into_an_existing_file_exits_2_naming_it(tmp_path):
    write_text(tmp_path / "taken", "")
    assert_bad_input(run_cli("demo", "--out", "taken", cwd=tmp_path), "'taken'")
