"""The hash index against a dict: every code finds its row, absent codes find none,
whatever the batch sizes, the growth of the table and the length of probe sequences."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.hashing import avalanche
from scoring.index import HashIndex

# Codes from a small range collide often in a small table: long probe sequences, runs
# that wrap around the table's end, codes added next to codes already held.
CODES = st.integers(min_value=-(2**63) + 2, max_value=2**63 - 1) | st.integers(-50, 50)
BATCHES = st.lists(st.lists(CODES, max_size=60), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(BATCHES, st.lists(CODES, max_size=40))
def test_rows_of_and_find_agree_with_a_dict(batches: list[list[int]], probes: list[int]) -> None:
    index = HashIndex()
    reference: dict[int, int] = {}
    for batch in batches:
        codes = np.array(batch, dtype=np.int64)

        def create(at: np.ndarray, codes: np.ndarray = codes) -> np.ndarray:
            new = codes[at].tolist()
            assert not set(new) & reference.keys()  # only codes not held yet, once each
            assert len(set(new)) == len(new)
            rows = np.arange(len(reference), len(reference) + len(new))
            reference.update(zip(new, rows.tolist(), strict=True))
            return rows

        rows = index.rows_of(codes, create)
        assert set(batch) <= reference.keys()
        assert rows.tolist() == [reference[c] for c in batch]
        assert len(index) == len(reference)
    asked = np.array(list(reference) + probes, dtype=np.int64)
    assert index.find(asked).tolist() == [reference.get(c, -1) for c in asked.tolist()]
    assert index._probe(asked).tolist() == linear_probe(index, asked)


def linear_probe(index: HashIndex, codes: np.ndarray) -> list[int]:
    """The slot of each code by plain linear probing, one step at a time: where the code
    is held, or the first empty slot of its sequence."""
    table = index.slot_code.tolist()
    mask = len(table) - 1
    empty = int(np.iinfo(np.int64).min)
    starts = (avalanche(codes.view(np.uint64)) & np.uint64(mask)).astype(np.intp).tolist()
    slots = []
    for code, start in zip(codes.tolist(), starts, strict=True):
        slot = start
        while table[slot] not in (code, empty):
            slot = (slot + 1) & mask
        slots.append(slot)
    return slots


def test_a_long_probe_sequence_is_followed_to_its_end() -> None:
    """Codes that all start at one slot: a lookup walks many slots held by other codes,
    in vectorised rounds, and must find its code (or its empty slot) further on."""
    index = HashIndex(size=1 << 12)
    mask = (1 << 12) - 1
    candidates = np.arange(200_000, dtype=np.int64)
    start = index._probe(candidates) & mask  # the start slot of each (empty table)
    same = candidates[start == np.bincount(start).argmax()][:20]
    assert len(same) >= 12
    index.insert(same, np.arange(len(same)))
    assert index.find(same).tolist() == list(range(len(same)))
    assert index.find(same + 1_000_000).tolist().count(-1) == len(same)
    assert index._probe(same).tolist() == linear_probe(index, same)


def test_the_code_reserved_for_empty_slots_is_held_as_its_neighbour() -> None:
    reserved = np.iinfo(np.int64).min
    index = HashIndex()
    rows = index.rows_of(np.array([5, reserved], dtype=np.int64), lambda at: at)
    assert rows.tolist() == [0, 1]
    assert index.find(np.array([reserved, reserved + 1, 7], dtype=np.int64)).tolist() == [1, 1, -1]
    assert len(index) == 2
