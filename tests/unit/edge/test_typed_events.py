"""The decoder's typed fast path (``stream.typed_events``) against its dict path.

The decoder takes the fast path where it can; with the fast path turned off, every line
takes the dict path. Whatever the mix of kinds, good and bad fields, unknown fields and
lines that are not JSON, the two must give the same columns, rejects and positions.
"""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import msgspec
import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import stream.events as events_module
from stream.events import BATCH_FIELDS, DecodedBatch, decode_batch
from stream.typed_events import TYPED_ERRORS, LicenceEvent, ShipmentEvent, decode_typed
from tests.unit.edge.conftest import EXAMPLES, LICENCE, SHIPMENT

# Values a field may be replaced with: right and wrong JSON types, edge numbers, codes.
ODD_VALUES: list[object] = [
    None, True, 0, -1, 1.5, 10**30, 2**63, 1e308, "", "x", "CN", "cn", "delivered",
    "denied", "2026-01-08T09:30:00Z", "2026-01-08", "n" * 300, "a\x00", [], ["JP"], {},
]  # fmt: skip
# Every field of the examples, the optional ones they leave out, and an unknown one.
OPTIONAL = {"supplier", "value_usd", "authority", "severity", "category", "materials"}
FIELDS = sorted({name for example in EXAMPLES.values() for name in example} | OPTIONAL | {"x"})


def _refuse(value: object) -> Any:
    raise msgspec.ValidationError("the dict path only")


def both_paths(lines: list[Any]) -> tuple[DecodedBatch, DecodedBatch]:
    """The lines decoded as the decoder does, and with its fast path turned off."""
    fast = decode_batch(lines)
    with mock.patch.object(events_module, "decode_typed", _refuse):
        slow = decode_batch(lines)
    return fast, slow


def assert_same(fast: DecodedBatch, slow: DecodedBatch) -> None:
    assert fast.rejects == slow.rejects
    for kind, positions in slow.positions.items():
        np.testing.assert_array_equal(fast.positions[kind], positions)
        a, b = getattr(fast.batch, BATCH_FIELDS[kind]), getattr(slow.batch, BATCH_FIELDS[kind])
        for column in a._dtypes:
            np.testing.assert_array_equal(getattr(a, column), getattr(b, column), err_msg=column)


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["shipment", "shipment", "licence_decision", "news", "profile"]))
    event = dict(EXAMPLES[kind], event_id=f"e-{draw(st.integers(0, 10**6))}")
    for _ in range(draw(st.integers(0, 2))):
        name = draw(st.sampled_from(FIELDS))
        if draw(st.booleans()) and name in event:
            del event[name]
        else:
            event[name] = draw(st.sampled_from(ODD_VALUES))
    return event


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(events(), st.sampled_from([b"", b"[1]", b"{", b"null"])), max_size=40))
def test_fast_and_dict_paths_decode_alike(mix: list[dict[str, Any] | bytes]) -> None:
    # The standard library writes integers of any size, as a producer may.
    lines = [item if isinstance(item, bytes) else json.dumps(item).encode() for item in mix]
    assert_same(*both_paths(lines))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.one_of(events(), st.sampled_from([b"", b"[1]", b"{", b"null"])), max_size=40),
    st.integers(1, 7),
    st.integers(0, 10**6),
)
def test_a_batch_decoded_in_chunks_is_the_batch_decoded_whole(
    mix: list[dict[str, Any] | bytes], chunk: int, start: int
) -> None:
    """Rows, positions (from ``start``) and rejects of a long batch do not depend on the
    chunks the decoder cuts it into."""
    lines = [item if isinstance(item, bytes) else json.dumps(item).encode() for item in mix]
    whole = decode_batch(lines, start=start)
    with mock.patch.object(events_module, "CHUNK", chunk):
        chunked = decode_batch(lines, start=start)
    assert_same(chunked, whole)


@pytest.mark.parametrize(
    "line",
    [
        # A duplicate key: both parsers keep the last value.
        b'{"type": "shipment", "event_id": "s", "event_time": "2026-01-08T09:30:00Z", '
        b'"company": "A", "material": "Dy", "origin_country": "CN", '
        b'"destination_country": "JP", "quantity_kg": true, "status": "held", "quantity_kg": 5}',
        # A duplicate tag: the struct decoder refuses it, the dict path takes the last.
        b'{"type": "shipment", "type": "licence_decision", "event_id": "l", '
        b'"event_time": "2026-01-08T09:30:00Z", "exporting_country": "CN", '
        b'"destination_country": "JP", "material": "Tb", "decision": "denied"}',
        # A lone surrogate escape: refused by both.
        b'{"type": "licence_decision", "event_id": "\\ud800", '
        b'"event_time": "2026-01-08T09:30:00Z", "exporting_country": "CN", '
        b'"destination_country": "JP", "material": "Tb", "decision": "denied"}',
        # A number too large for a double: refused by both.
        orjson.dumps(SHIPMENT)[:-1] + b', "value_usd": 1e400}',
        # Unknown fields holding what orjson refuses: not UTF-8, a number out of range.
        orjson.dumps(SHIPMENT)[:-1] + b', "note": "\xff"}',
        orjson.dumps(LICENCE)[:-1] + b', "note": 1e400}',
        # An unknown field holding good JSON: the dict path ignores it.
        orjson.dumps(LICENCE)[:-1] + b', "note": {"a": [1, "b"]}}',
    ],
)
def test_edge_lines_decode_alike(line: bytes) -> None:
    lines = [orjson.dumps(SHIPMENT), line, orjson.dumps(LICENCE)]
    assert_same(*both_paths(lines))


@pytest.mark.parametrize(
    ("example", "field", "value", "refused"),
    [
        (SHIPMENT, "supplier", "", True),
        (SHIPMENT, "supplier", "n" * 201, True),
        (SHIPMENT, "supplier", "n" * 200, False),
        (SHIPMENT, "value_usd", -1, True),
        (SHIPMENT, "value_usd", 0, False),
        (LICENCE, "authority", "", True),
        (LICENCE, "authority", "n" * 201, True),
        (LICENCE, "quantity_kg", -0.5, True),
        (LICENCE, "processing_days", -1, True),
    ],
)
def test_optional_fields_out_of_bounds_are_refused_among_typed_lines(
    example: dict[str, Any], field: str, value: object, refused: bool
) -> None:
    """The other lines take the fast path, whose columns skip the checks its structs made:
    the bad value sends its line down the dict path, which refuses it, with its reason."""
    bad = dict(example, event_id="odd", **{field: value})
    lines = [orjson.dumps(example), orjson.dumps(bad), orjson.dumps(example)]
    fast, slow = both_paths(lines)
    assert_same(fast, slow)
    assert [(p, i) for p, i, reason in fast.rejects if field in reason] == (
        [(1, "odd")] if refused else []
    )


def test_values_that_are_not_text_are_rejected_as_by_the_dict_path() -> None:
    values: list[Any] = [None, 5, [1], bytearray(orjson.dumps(SHIPMENT)), orjson.dumps(LICENCE)]
    fast, slow = both_paths(values)
    assert_same(fast, slow)
    assert [position for position, _, _ in fast.rejects] == [0, 1, 2]
    assert len(fast.batch.shipments) == len(fast.batch.licences) == 1


def test_mixed_typed_and_dict_rows_keep_input_order() -> None:
    lines = [
        orjson.dumps(dict(SHIPMENT, event_id="a")),
        orjson.dumps(dict(SHIPMENT, event_id="b", quantity_kg=True)),  # dict path: rejected
        orjson.dumps(dict(SHIPMENT, event_id="c", value_usd="12")),  # dict path: rejected
        orjson.dumps(dict(SHIPMENT, event_id="d")),
    ]
    decoded = decode_batch(lines)
    assert decoded.batch.shipments.event_id.tolist() == ["a", "d"]
    assert decoded.positions["shipment"].tolist() == [0, 3]
    assert [(p, i) for p, i, _ in decoded.rejects] == [(1, "b"), (2, "c")]


def test_the_structs_take_shipments_and_licences_and_refuse_the_rest() -> None:
    assert type(decode_typed(orjson.dumps(SHIPMENT))) is ShipmentEvent
    assert type(decode_typed(orjson.dumps(LICENCE))) is LicenceEvent
    for other in (EXAMPLES["news"], EXAMPLES["profile"], dict(SHIPMENT, status=1)):
        with pytest.raises(TYPED_ERRORS):
            decode_typed(orjson.dumps(other))
