"""Publishing decisions: the emission threshold, and level hysteresis against flapping."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from stream.emission import PublishState, levels_with_hysteresis

THRESHOLDS = (25.0, 45.0, 60.0, 75.0)


def _rows(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.intp)


def test_a_score_is_published_first_time_then_only_when_it_moves_enough() -> None:
    state = PublishState(2)
    assert state.scores_to_publish(_rows(0, 5), np.array([10.0, 50.0]), 0.5).tolist() == [
        True, True
    ]  # fmt: skip
    moved = state.scores_to_publish(_rows(0, 5), np.array([10.4, 51.0]), 0.5)
    assert moved.tolist() == [False, True]
    # The reference is the last *published* value, so slow drift is published eventually.
    assert state.scores_to_publish(_rows(0), np.array([10.6]), 0.5).tolist() == [True]


def test_levels_rise_at_a_threshold_and_fall_only_below_the_band() -> None:
    state = PublishState()
    row = _rows(3)
    first = state.level_transitions(row, np.array([61.0]), THRESHOLDS, 2.0)
    assert first.level.tolist() == [3]
    assert first.previous.tolist() == [-1]
    for wobble in (59.5, 60.5, 58.5, 61.0):  # hovering at the 60-point threshold
        assert state.level_transitions(row, np.array([wobble]), THRESHOLDS, 2.0).rows.size == 0
    down = state.level_transitions(row, np.array([57.9]), THRESHOLDS, 2.0)
    assert (down.level.tolist(), down.previous.tolist()) == ([2], [3])


@settings(max_examples=200, deadline=None)
@given(
    scores=st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=60),
    hysteresis=st.floats(0, 10),
)
def test_hysteresis_level_stays_within_the_band(scores: list[float], hysteresis: float) -> None:
    previous = np.array([-1], dtype=np.int8)
    edges = np.asarray(THRESHOLDS)
    for score in scores:
        level = levels_with_hysteresis(np.array([score]), previous, THRESHOLDS, hysteresis)
        plain = int(np.searchsorted(edges, score, side="right"))
        lenient = int(np.searchsorted(edges, score + hysteresis, side="right"))
        # Never below the plain level, never above what the score plus the band allows.
        assert plain <= int(level[0]) <= lenient
        previous = level


def test_publish_state_round_trips() -> None:
    state = PublishState(1)
    state.scores_to_publish(_rows(0, 7), np.array([12.5, 80.0]), 0.5)
    state.level_transitions(_rows(0, 7), np.array([12.5, 80.0]), THRESHOLDS, 2.0)
    restored = PublishState.restore(state.snapshot())
    assert restored.last_published(_rows(0, 7)).tolist() == [12.5, 80.0]
    assert restored.level_transitions(_rows(7), np.array([80.0]), THRESHOLDS, 2.0).rows.size == 0


def test_a_new_key_at_low_is_not_an_alert_but_a_rise_from_it_is() -> None:
    state = PublishState()
    assert state.level_transitions(_rows(1), np.array([5.0]), THRESHOLDS, 2.0).rows.size == 0
    rise = state.level_transitions(_rows(1), np.array([30.0]), THRESHOLDS, 2.0)
    assert (rise.level.tolist(), rise.previous.tolist()) == ([1], [0])
    first_high = state.level_transitions(_rows(2), np.array([70.0]), THRESHOLDS, 2.0)
    assert (first_high.level.tolist(), first_high.previous.tolist()) == ([3], [-1])
