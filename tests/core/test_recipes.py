"""``build_schedule``: what each kind of schedule means around a peak rate (one recipe per kind,
shared by the recommendation and ``lrscout schedule``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrscout.errors import InvalidConfigError
from lrscout.core.recipes import ONE_CYCLE_DIV, build_schedule


@given(total=st.integers(2, 400), data=st.data())
def test_one_cycle_builds_for_any_run_and_peaks_where_warmup_cosine_does(total, data):
    schedule = build_schedule("one_cycle", 1.0, total)
    assert schedule(0) == pytest.approx(1 / ONE_CYCLE_DIV)        # valid for every run of 2 steps or more
    if total >= 3:
        warmup = data.draw(st.integers(1, total - 2))
        peak_at = int(np.argmax(build_schedule("one_cycle", 1.0, total, warmup_steps=warmup).values(total)))
        assert peak_at == warmup == int(np.argmax(build_schedule("warmup_cosine", 1.0, total,
                                                                  warmup_steps=warmup).values(total)))


def test_a_warm_up_is_refused_where_the_kind_has_none_or_no_room_for_it():
    for kind in ("cosine", "step", "constant"):
        with pytest.raises(InvalidConfigError, match=f"does not apply to a {kind} schedule"):
            build_schedule(kind, 0.1, 100, warmup_steps=5)
    with pytest.raises(InvalidConfigError, match="one_cycle: warmup_steps must be at most total_steps - 2 = 98"):
        build_schedule("one_cycle", 0.1, 100, warmup_steps=99)
