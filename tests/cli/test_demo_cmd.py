"""The seeds' worked example, as real runs."""

from lrscout import VerdictKind
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
