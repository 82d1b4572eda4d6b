"""Snapshots round-trip exactly, including the dedupe memory."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
from hypothesis import given, settings

from scoring import Engine, ScoringParams
from scoring.snapshot import FORMAT_VERSION, snapshot_arrays
from tests.unit.scoring.events import DAY, Event, catalogue, shipment, to_batch
from tests.unit.scoring.helpers import latest, run
from tests.unit.scoring.strategies import streams


@settings(max_examples=30, deadline=None)
@given(streams(min_size=2))
def test_restore_then_continue_equals_never_stopping(events: list[Event]) -> None:
    half = len(events) // 2
    first, second = events[:half], events[half:]
    original = run([first])
    restored = Engine.restore(original.snapshot(), catalogue(), ScoringParams())
    assert restored.snapshot() == original.snapshot()
    for engine in (original, restored):
        engine.apply(to_batch(second))
        # Re-sending the first half after the restore must find every id already seen.
        assert engine.apply(to_batch(first)).applied == 0
    as_of = latest(events) + DAY
    a, b = original.scores(as_of_s=as_of), restored.scores(as_of_s=as_of)
    assert a.company.tolist() == b.company.tolist()
    assert a.material.tolist() == b.material.tolist()
    np.testing.assert_array_equal(a.components, b.components)
    np.testing.assert_array_equal(a.events, b.events)
    assert original.latest_time_s == restored.latest_time_s
    assert original.n_keys == restored.n_keys


def test_empty_engine_round_trips() -> None:
    engine = Engine(catalogue(), ScoringParams())
    restored = Engine.restore(engine.snapshot(), catalogue(), ScoringParams())
    assert restored.n_keys == 0
    assert np.isnan(restored.latest_time_s)


def test_lookup_after_restore() -> None:
    engine = run([[shipment("s1", 1.7e9, "Acme", "Dy", "CN")]])
    restored = Engine.restore(engine.snapshot(), catalogue(), ScoringParams())
    rows = restored.lookup(np.array(["Acme", "Acme", "Nobody"]), np.array(["Dy", "Ga", "Dy"]))
    assert rows.tolist() == [0, -1, -1]


def test_restore_refuses_other_half_lives_and_catalogues() -> None:
    data = run([[shipment("s1", 1.7e9, "Acme", "Dy", "CN")]]).snapshot()
    other = ScoringParams(policy_half_life_s=10 * DAY)
    with pytest.raises(ValueError, match="half-lives"):
        Engine.restore(data, catalogue(), other)
    smaller = dataclasses.replace(catalogue(), materials=catalogue().materials[:2])
    with pytest.raises(ValueError, match="catalogue"):
        Engine.restore(data, smaller, ScoringParams())


def test_snapshot_holds_no_pickled_objects() -> None:
    data = run([[shipment("s1", 1.7e9, "Acme", "Dy", "CN")]]).snapshot()
    arrays = snapshot_arrays(data)
    assert all(not array.dtype.hasobject for array in arrays.values())
    assert int(arrays["format_version"]) == FORMAT_VERSION == 2


def test_snapshots_of_the_earlier_npz_format_are_still_read() -> None:
    engine = run([[shipment("s1", 1.7e9, "Acme", "Dy", "CN"),
                   shipment("s2", 1.7e9 + DAY, "Kyoto Magnetics", "Dy", "AU")]])  # fmt: skip
    arrays = snapshot_arrays(engine.snapshot()) | {"format_version": np.array(1)}
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)  # what format 1 wrote
    restored = Engine.restore(buffer.getvalue(), catalogue(), ScoringParams())
    assert restored.snapshot() == engine.snapshot()
    with pytest.raises(ValueError, match="format 2, expected 1"):
        np.savez(
            buffer := io.BytesIO(), allow_pickle=False, **(arrays | {"format_version": np.array(2)})
        )
        Engine.restore(buffer.getvalue(), catalogue(), ScoringParams())
    with pytest.raises(ValueError, match="not a snapshot"):
        Engine.restore(b"neither format", catalogue(), ScoringParams())


@settings(max_examples=30, deadline=None)
@given(streams(min_size=2))
def test_a_capture_writes_the_state_it_was_taken_from_whatever_happens_after(
    events: list[Event],
) -> None:
    half = len(events) // 2
    engine = run([events[:half]])
    expected = engine.snapshot()
    capture = engine.capture()
    # Later events add keys, lanes, company names and ids, and move existing rows.
    engine.apply(to_batch(events[half:]))
    engine.apply(to_batch([shipment("late", latest(events) + DAY, "Newcomer", "Tb", "AU")]))
    assert capture.to_bytes() == expected
    assert engine.snapshot() != expected
