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


def test_a_rate_set_aside_as_too_high_that_ended_lower_is_named_with_its_numbers():
    def ended(lr, kind, to, val):
        return Candidate(Trace(lr, np.linspace(1.0, to, 20), val_loss=val), Verdict(kind, f"{kind.value} curve"))

    d = choose([ended(1e-2, K.GOOD, 0.6, 0.62), ended(1e-1, K.OSCILLATING, 0.1, 0.12)])
    assert d.lr == 1e-2
    said = [r for r in d.reasons if r.startswith("all the same, 0.1 ended lower")]
    assert said and "training loss 0.1" in said[0] and "against 0.6" in said[0] and "validation loss 0.12" in said[0]
    assert "(oscillating)" in said[0]
    # one that ended higher is not worth the sentence
    d = choose([ended(1e-2, K.GOOD, 0.1, 0.12), ended(1e-1, K.OSCILLATING, 0.6, 0.62)])
    assert not any(r.startswith("all the same") for r in d.reasons)


def test_the_advice_for_a_too_slow_too_high_gap_names_only_rates_inside_it():
    d = choose([cand(2.2e-7, K.TOO_SLOW), cand(4.6e-7, K.DIVERGED)])
    assert any("between 2.2e-07 (too slow) and 4.6e-07 (diverged)" in a and "--lrs 2.2e-07,3.2e-07,4.6e-07" in a
               for a in d.advice)


def test_a_gap_too_narrow_to_split_says_the_rate_alone_cannot_fix_it_and_points_to_scaling():
    d = choose([cand(2.2e-7, K.TOO_SLOW), cand(2.6e-7, K.DIVERGED)])
    assert not any("--lrs" in a for a in d.advice)
    assert any("only x1.2 apart" in a for a in d.advice) and any("--scale standard" in a for a in d.advice)


_NUMBER = r"([0-9][0-9.]*(?:e[+-]?[0-9]+)?)"


def rates_outside_the_range_named(sentence):
    """The rates a sentence's ``--lrs`` names outside the range the same sentence names (all of
    them when it names no range)."""
    import re

    named = re.search(rf"--lrs ({_NUMBER[1:-1]}(?:,{_NUMBER[1:-1]})*)", sentence)
    if not named:
        return []
    rates = [float(x) for x in named.group(1).split(",")]
    span = (re.search(rf"between {_NUMBER} \([^)]*\) and {_NUMBER}", sentence)
            or re.search(rf"sweeping {_NUMBER} to {_NUMBER}", sentence))
    if not span:
        return rates
    low, high = float(span.group(1)), float(span.group(2))
    return [r for r in rates if not low <= r <= high]


rates = st.floats(1e-12, 1e3).map(lambda x: float(f"{x:.3g}"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(rates, kinds), min_size=1, max_size=8, unique_by=lambda rk: rk[0]))
def test_every_rate_the_advice_names_lies_within_the_range_its_sentence_names(spec):
    from lrscout import diagnose

    cands = [cand(lr, k) for lr, k in spec]
    decision = choose(cands)
    sentences = [*decision.advice, *(f.remedy for f in diagnose(cands, decision))]
    for sentence in sentences:
        assert rates_outside_the_range_named(sentence) == [], sentence
