"""Validation along the training path: the rate for a run of a given length (lrscout.core.horizon)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lrscout.core.horizon import check_run_length, path_points
from lrscout.core.types import Candidate, Trace, Verdict, VerdictKind


def reading(lr: float, steps: int, val: float | None, kind: VerdictKind = VerdictKind.GOOD) -> Candidate:
    curve = np.linspace(1.0, 0.5, steps)
    return Candidate(Trace(lr, curve, val_loss=val), Verdict(kind, "constructed"))


def test_a_validation_loss_that_rose_along_the_path_moves_the_choice_to_where_the_run_ends_at_its_best():
    # times lr x steps: 2 (val 1.0), 10 (0.5, the best), 20 (0.8, rose 60%)
    candidates = [reading(0.1, 20, 1.0), reading(0.5, 20, 0.5), reading(1.0, 20, 0.8)]
    check = check_run_length(candidates, 1.0, 100, 0.05)
    assert check is not None and check.moved
    assert check.best.time == 10 and check.rose.time == 20 and check.kept.time == 10
    assert check.lr == 0.1    # a 100-step run at 0.1 ends at time 10


def test_the_reason_gives_the_times_and_losses_it_rests_on():
    check = check_run_length([reading(0.1, 20, 1.0), reading(0.5, 20, 0.5), reading(1.0, 20, 0.8)], 1.0, 100, 0.05)
    assert check is not None
    text = check.reason()
    assert "lowest 0.5 at time 10" in text and "0.8 at 20" in text and "60% worse" in text
    assert "chose 0.1" in text and "100-step run" in text


def test_a_path_whose_validation_loss_only_fell_keeps_the_choice():
    candidates = [reading(0.1, 20, 1.0), reading(0.5, 20, 0.7), reading(1.0, 20, 0.6)]
    check = check_run_length(candidates, 1.0, 500, 0.05)
    assert check is not None and not check.moved and check.lr == 1.0
    text = check.reason()
    assert "lowest 0.6 at time 20" in text and "nothing after the best validated more than 5% worse" in text
    assert "the path past time 20 is not read" in text     # the 500-step run reaches time 500


def test_a_rise_within_the_margin_is_noise_and_keeps_the_choice():
    candidates = [reading(0.5, 20, 0.50), reading(1.0, 20, 0.52)]
    check = check_run_length(candidates, 1.0, 500, 0.05)
    assert check is not None and not check.moved and check.lr == 1.0


def test_a_rise_the_run_will_not_reach_keeps_the_choice():
    # the rise is read at time 20; a 30-step run at 0.5 ends at time 15, before it
    candidates = [reading(0.1, 20, 1.0), reading(0.5, 20, 0.5), reading(1.0, 20, 0.8)]
    check = check_run_length(candidates, 0.5, 30, 0.05, largest_good=1.0)
    assert check is not None and not check.moved and check.lr == 0.5


def test_rates_above_the_largest_good_one_or_past_a_too_high_one_are_not_samples_of_the_path():
    candidates = [reading(0.1, 20, 1.0), reading(0.5, 20, 0.5), reading(1.0, 20, 0.9, VerdictKind.OSCILLATING),
                  reading(2.0, 20, 5.0)]
    assert [p.lr for p in path_points(candidates, up_to=2.0)] == [0.1, 0.5]
    assert [p.lr for p in path_points(candidates, up_to=0.1)] == [0.1]
    check = check_run_length(candidates, 0.5, 100, 0.05)
    assert check is not None and not check.moved


def test_pruned_rates_and_rates_without_validation_are_not_samples():
    pruned = Candidate(Trace(0.3, np.linspace(1, 0.5, 5), val_loss=0.1, pruned=True), Verdict(VerdictKind.GOOD, "x"))
    candidates = [reading(0.1, 20, None), pruned, reading(0.5, 20, 0.5)]
    assert [p.lr for p in path_points(candidates, up_to=1.0)] == [0.5]
    assert check_run_length(candidates, 0.5, 100, 0.05) is None   # one sample: nothing to compare


rates = st.sampled_from([0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(rates, st.integers(5, 200), st.floats(0.01, 10.0)), min_size=1, max_size=8,
                unique_by=lambda r: r[0]),
       st.integers(10, 5000), st.floats(0.0, 0.5), st.randoms())
def test_the_rate_for_the_run_never_exceeds_the_choice_and_does_not_depend_on_the_order(
        rows, run_steps, margin, rng):
    candidates = [reading(lr, steps, val) for lr, steps, val in rows]
    chosen = max(lr for lr, _, _ in rows)
    check = check_run_length(candidates, chosen, run_steps, margin)
    shuffled = list(candidates)
    rng.shuffle(shuffled)
    assert check == check_run_length(shuffled, chosen, run_steps, margin)
    if check is None:
        assert len(rows) < 2
        return
    assert 0 < check.lr <= chosen
    assert check.moved == (check.lr < chosen)
    if check.moved:
        # the run at the new rate ends no later than the point it was kept for (to two digits)
        assert check.lr * run_steps <= check.kept.time * 1.06
        assert check.rose.val_loss > check.best.val_loss * (1 + margin)
