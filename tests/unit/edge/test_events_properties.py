"""Property tests of the decoder: every valid event is kept with its values, every
invalid one is rejected once, whatever the mix and order."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from stream.codec import format_time
from stream.events import decode_batch

ALPHA2 = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2)
# numpy unicode arrays drop trailing NUL characters: names never contain them here.
TEXT = st.characters(exclude_characters="\x00", exclude_categories=["Cs"])
NAME = st.text(TEXT, min_size=1, max_size=40)
TIME = st.integers(min_value=0, max_value=4_102_444_800).map(lambda s: format_time(float(s)))
STATUS = st.sampled_from(["shipped", "delivered", "delayed", "held", "cancelled"])
QUANTITY = st.one_of(
    st.integers(min_value=0, max_value=10**9),
    st.floats(min_value=0, max_value=1e12, allow_nan=False),
)


@st.composite
def shipments(draw: st.DrawFn, index: int) -> dict[str, Any]:
    return {
        "type": "shipment",
        "event_id": f"s-{index}",
        "event_time": draw(TIME),
        "company": draw(NAME),
        "material": draw(st.text(TEXT, min_size=1, max_size=32)),
        "origin_country": draw(ALPHA2),
        "destination_country": draw(ALPHA2),
        "quantity_kg": draw(QUANTITY),
        "status": draw(STATUS),
    }


BREAKAGES: list[tuple[str, object]] = [
    ("quantity_kg", -1),
    ("quantity_kg", "1"),
    ("status", "gone"),
    ("origin_country", "usa"),
    ("company", ""),
    ("event_time", "2026-01-08"),
    ("material", None),
]


@settings(max_examples=30, deadline=None)
@given(st.data(), st.lists(st.booleans(), min_size=1, max_size=30))
def test_valid_kept_invalid_rejected(data: st.DataObject, valid_flags: list[bool]) -> None:
    events = []
    for i, valid in enumerate(valid_flags):
        event = data.draw(shipments(i))
        if not valid:
            name, value = data.draw(st.sampled_from(BREAKAGES))
            if value is None:
                del event[name]
            else:
                event[name] = value
        events.append(event)
    decoded = decode_batch([orjson.dumps(e) for e in events])
    rejected = [r[0] for r in decoded.rejects]
    assert rejected == [i for i, ok in enumerate(valid_flags) if not ok]
    kept = [e for e, ok in zip(events, valid_flags, strict=True) if ok]
    ship = decoded.batch.shipments
    assert ship.event_id.tolist() == [e["event_id"] for e in kept]
    assert ship.company.tolist() == [e["company"] for e in kept]
    assert ship.quantity_kg.tolist() == [float(e["quantity_kg"]) for e in kept]
    assert decoded.positions["shipment"].tolist() == [i for i, ok in enumerate(valid_flags) if ok]
