"""Linear probing against a slot-by-slot walk in Python: one-slot rounds for the bulk of a
batch, windows for its tail, runs longer than a window and runs that wrap around."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.probing import linear_probe

EMPTY = np.uint64(0)


def walk(table: np.ndarray, key: int, slot: int) -> int:
    while table[slot] not in (key, EMPTY):
        slot = (slot + 1) % len(table)
    return slot


@settings(max_examples=150, deadline=None)
@given(
    st.integers(4, 10),  # log2 of the table size
    st.floats(0.0, 0.95),  # share of slots taken
    st.integers(0, 3_000),  # keys looked up
    st.integers(0, 2**32 - 1),
)
def test_each_key_ends_where_a_walk_slot_by_slot_ends(
    bits: int, load: float, n_keys: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    size = 1 << bits
    table = np.zeros(size, dtype=np.uint64)
    taken = rng.choice(size, size=min(int(load * size), size - 1), replace=False)
    # A few values in many slots: keys held in several places and long runs of them.
    table[taken] = rng.integers(1, 12, len(taken)).astype(np.uint64)
    keys = rng.integers(1, 16, n_keys).astype(np.uint64)
    start = rng.integers(0, size, n_keys)
    slot = linear_probe(table, keys, start.copy(), EMPTY)
    expected = [walk(table, int(k), int(s)) for k, s in zip(keys, start, strict=True)]
    assert slot.tolist() == expected


def test_a_run_of_several_windows_wrapping_around_the_end_is_followed() -> None:
    table = np.arange(1, 257, dtype=np.uint64)  # every slot taken but one
    table[100] = EMPTY
    keys = np.array([99, 100_000] * 200, dtype=np.uint64)  # past the tail threshold
    slot = linear_probe(table, keys, np.full(len(keys), 101), EMPTY)
    assert slot.tolist() == [98, 100] * 200
