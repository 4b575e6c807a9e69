"""Choosing from read curves: the largest good rate, re-checked on validation loss."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lrscout import Candidate, DecisionStatus, Trace, Verdict, VerdictKind, choose

K = VerdictKind


def cand(lr, kind, val=None):
    return Candidate(Trace(lr, [1.0, 0.5], val_loss=val), Verdict(kind, f"{kind.value} curve"))


def test_the_largest_good_rate_is_chosen_and_the_next_bad_one_is_named():
    d = choose([cand(1e-3, K.TOO_SLOW), cand(1e-2, K.GOOD), cand(1e-1, K.OSCILLATING)])
    assert d.status is DecisionStatus.CHOSEN
    assert d.lr == 1e-2
    assert any("0.1, is oscillating" in r for r in d.reasons)


def test_a_good_rate_above_an_unstable_one_is_not_trusted():
    d = choose([cand(1e-3, K.GOOD), cand(1e-2, K.UNSTABLE), cand(1e-1, K.GOOD)])
    assert d.lr == 1e-3
    assert any("not trusted" in r for r in d.reasons)


def test_validation_recheck_prefers_a_smaller_good_rate_with_clearly_better_validation():
    d = choose([cand(1e-3, K.GOOD, val=0.50), cand(1e-2, K.GOOD, val=0.30), cand(1e-1, K.GOOD, val=0.45)])
    assert d.lr == 1e-2
    assert d.largest_good_lr == 1e-1
    assert any("validation re-check" in r and "worse" in r for r in d.reasons)
    assert any("overfitting" in a for a in d.advice)


def test_a_larger_rate_worse_on_training_too_gets_no_overfitting_advice():
    def fell(lr, to, val):
        return Candidate(Trace(lr, np.linspace(1.0, to, 20), val_loss=val), Verdict(K.GOOD, "good curve"))

    d = choose([fell(1e-2, 0.2, val=0.30), fell(1e-1, 0.4, val=0.45)])   # worse on both: past its best
    assert d.lr == 1e-2
    assert any("training loss is worse too" in r for r in d.reasons)
    assert not any("overfitting" in a for a in d.advice)


def test_validation_within_the_margin_keeps_the_largest_good_rate():
    d = choose([cand(1e-2, K.GOOD, val=0.300), cand(1e-1, K.GOOD, val=0.310)])
    assert d.lr == 1e-1
    assert any("re-check passed" in r for r in d.reasons)


def test_no_good_candidate_chooses_nothing_and_says_what_to_do():
    d = choose([cand(1e-4, K.TOO_SLOW), cand(1e-3, K.TOO_SLOW)])
    assert d.status is DecisionStatus.NO_GOOD_CANDIDATE and d.lr is None
    assert any("extend the grid upward" in a for a in d.advice)


def test_all_too_high_says_extend_downward_and_scale_features():
    d = choose([cand(1e-1, K.OSCILLATING), cand(1.0, K.DIVERGED)])
    assert any("extend the grid downward" in a for a in d.advice)
    assert any("scale" in a for a in d.advice)


def test_too_slow_below_and_oscillating_above_suggests_refining_between():
    d = choose([cand(1e-3, K.TOO_SLOW), cand(1e-2, K.OSCILLATING)])
    assert any("between 0.001" in a and "0.01" in a for a in d.advice)


def test_choosing_the_top_of_the_grid_advises_extending_upward():
    d = choose([cand(1e-2, K.GOOD), cand(1e-1, K.GOOD)])
    assert d.lr == 1e-1
    assert any("largest rate tried" in a for a in d.advice)


def test_empty_sweep_chooses_nothing():
    assert choose([]).status is DecisionStatus.NO_GOOD_CANDIDATE


kinds = st.sampled_from(list(K))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(kinds, st.one_of(st.none(), st.floats(0.01, 10))), min_size=1, max_size=8),
       st.randoms(use_true_random=False))
def test_selection_is_invariant_to_the_order_of_candidates(spec, random):
    cands = [cand(10.0 ** (i - 4), k, v) for i, (k, v) in enumerate(spec)]
    shuffled = cands[:]
    random.shuffle(shuffled)
    assert choose(cands) == choose(shuffled)


def test_a_rate_read_both_good_and_too_high_is_not_trusted_whatever_the_order():
    for pair in ([cand(1e-2, K.GOOD), cand(1e-2, K.UNSTABLE)], [cand(1e-2, K.DIVERGED), cand(1e-2, K.GOOD)]):
        assert choose([cand(1e-3, K.GOOD), *pair]).lr == 1e-3


def test_an_infinite_validation_loss_on_the_largest_good_rate_moves_the_choice():
    d = choose([cand(1e-3, K.GOOD, val=0.5), cand(1e-2, K.GOOD, val=0.4), cand(1e-1, K.GOOD, val=float("inf")),
                cand(1.0, K.DIVERGED)])
    assert d.lr == 1e-2 and any("infinite validation loss" in r for r in d.reasons)
