"""Bounded dedupe memory and stable hashes."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import Engine, ScoringParams
from scoring.dedupe import DedupeSet, newest_entries
from scoring.hashing import mix, stable_hash
from tests.unit.scoring.events import T0, catalogue, shipment, to_batch


def test_hash_is_the_same_in_another_process() -> None:
    code = "import numpy as np; from scoring.hashing import stable_hash; " + (
        "print(int(stable_hash(np.array(['evt-42', 'Acme Corp']))[1]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) == int(stable_hash(np.array(["Acme Corp"]))[0])


def test_hash_distinguishes_many_ids_and_parts() -> None:
    ids = np.array([f"event-{i}" for i in range(50_000)])
    h = stable_hash(ids)
    assert len(np.unique(h)) == len(ids)
    parts = mix(np.repeat(h[:100], 10), np.tile(np.arange(10), 100))
    assert len(np.unique(parts)) == 1000


def test_set_never_holds_more_than_capacity_and_evicts_the_oldest() -> None:
    seen = DedupeSet(capacity=100)
    hashes = np.arange(1, 301, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    times = np.arange(300, dtype=np.float64)
    for start in range(0, 300, 30):
        chunk = slice(start, start + 30)
        seen.admit(hashes[chunk], times[chunk])
        assert len(seen) <= 100
    held = seen.contains(hashes)
    assert held[-80:].all()  # the newest are remembered
    assert not held[:200].any()  # the oldest were evicted
    assert seen.nbytes() <= (8 + 4) * 4 * 100 + (4 + 8) * 100  # table <= 4 * capacity slots


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 40),
    # From 2: the hash 0 marks an empty slot and is stored as 1 (a 2**-63 chance per id).
    st.lists(st.lists(st.integers(2, 2**64 - 1), max_size=30, unique=True), max_size=12),
)
def test_held_entries_are_exactly_the_table_contents(
    capacity: int, batches: list[list[int]]
) -> None:
    seen = DedupeSet(capacity)
    time_of: dict[int, float] = {}
    for i, batch in enumerate(batches):
        h = np.array(batch, dtype=np.uint64)
        h = h[~seen.contains(h)]
        seen.admit(h, np.full(len(h), float(i)))
        time_of.update(dict.fromkeys(h.tolist(), float(i)))
        held_h, held_t = seen.held()
        occupied = np.flatnonzero(seen.hashes != 0)  # a scan of the whole table
        assert sorted(held_h.tolist()) == sorted(seen.hashes[occupied].tolist())
        assert held_t.tolist() == [time_of[v] for v in held_h.tolist()]
        assert len(held_h) == len(seen) <= capacity
        assert seen.contains(held_h).all()


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 60),
    # Few distinct values: repeats within a batch and across batches, races for slots.
    st.lists(st.lists(st.integers(1, 40), max_size=40), max_size=10),
)
def test_admit_is_new_ids_in_first_occurrence_against_a_python_set(
    capacity: int, batches: list[list[int]]
) -> None:
    """``admit`` is a set's membership, first occurrence in the batch deciding repeats;
    past the capacity the set holds only ids it admitted, at most ``capacity`` of them,
    and an id it forgot is new again."""
    seen, model = DedupeSet(capacity), set[int]()
    for i, batch in enumerate(batches):
        h = np.array(batch, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        evicting = len(seen) + len(h) > capacity
        expected, batch_seen = [], set()
        for v in h.tolist():
            expected.append(v not in model and v not in batch_seen)
            batch_seen.add(v)
        fresh = seen.admit(h, np.full(len(h), float(i)))
        assert fresh.tolist() == expected
        held = set(seen.held()[0].tolist())
        assert len(held) == len(seen) <= capacity
        if evicting:  # some ids are forgotten, and may return as new
            assert held <= model | batch_seen
            model = held
        else:
            model |= batch_seen
            assert held == model


def test_mapping_the_memory_keeps_every_entry_and_the_order_of_eviction() -> None:
    """``map_memory`` writes a value on every page of the table and its log: the values
    it writes must be those already there, entries and event times alike."""
    seen = DedupeSet(capacity=5_000)  # 16k slots: 32 pages of hashes, 10 of log times
    h = np.arange(2, 4_002, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    seen.admit(h, np.arange(4_000, dtype=np.float64))
    before = seen.hashes.copy(), *seen.held()
    seen.map_memory()
    assert np.array_equal(seen.hashes, before[0])
    held_h, held_t = seen.held()
    assert np.array_equal(held_h, before[1]) and np.array_equal(held_t, before[2])
    more = np.arange(5_000, 7_000, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    assert seen.admit(more, np.full(2_000, 5_000.0)).all()  # 6,000 ids: the oldest go
    assert not seen.contains(h[:1_000]).any() and seen.contains(h[-2_000:]).all()


def test_engine_dedupe_is_bounded_and_old_ids_may_return() -> None:
    params = ScoringParams(dedupe_capacity=8)
    engine = Engine(catalogue(), params)
    events = [shipment(f"s{i}", T0 + i, "Acme", "Dy", "CN") for i in range(20)]
    for e in events:
        engine.apply(to_batch([e]))
    again = engine.apply(to_batch(events))
    assert again.duplicates >= 7  # the newest ids are still known
    assert again.applied + again.duplicates == 20


def test_duplicates_within_one_batch_are_applied_once() -> None:
    engine = Engine(catalogue(), ScoringParams())
    e = shipment("s1", T0, "Acme", "Dy", "CN")
    result = engine.apply(to_batch([e, e, e]))
    assert (result.applied, result.duplicates) == (1, 2)
    assert engine.scores().events.tolist() == [1]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 2**64 - 1), st.integers(0, 5)), unique_by=lambda e: e[0]),
    st.integers(-2, 60),
    st.booleans(),
)
def test_newest_entries_are_the_last_of_a_sort_by_time_then_hash(
    entries: list[tuple[int, int]], keep: int, with_nan: bool
) -> None:
    """Few distinct times: many ties at the cut-off, broken by hash as a sort would."""
    h = np.array([e[0] for e in entries], dtype=np.uint64)
    t = np.array([float(e[1]) for e in entries])
    if with_nan and len(t):
        t[0] = np.nan
    expected: list[int] = np.lexsort((h, t))[len(h) - keep :].tolist() if keep > 0 else []
    if keep > len(h):
        expected = list(range(len(h)))
    assert sorted(newest_entries(h, t, keep).tolist()) == sorted(expected)
