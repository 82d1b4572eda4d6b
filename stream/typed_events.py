"""The decoder's fast path: shipments and licence decisions straight into typed structs.

Shipments and licence decisions are nearly all of a stream's events. ``msgspec`` decodes
such a line into a slotted struct and checks each field's JSON type as it parses, in C,
without building a dict; ``orjson.loads`` into a dict and the per-field passes over the
dicts cost about twice as much (``benchmarks/bench_score_cli.py`` (b)). A line the
structs refuse (another kind, a missing field, a field of the wrong JSON type, not JSON
at all, not even bytes or text) goes through ``orjson.loads`` and the dict path, which
gives the reason when there is one. So the fast path only ever accepts what the dict path
accepts, with the same values, and the column checks (ranges, lengths, codes, times) run
on both alike. ``tests/unit/edge/test_typed_events.py`` holds the two paths equal.

A line with a field outside the contract also takes the dict path (which ignores such
fields): the structs would skip its value without the checks ``orjson`` makes (valid
UTF-8, numbers in range), and so accept lines the dict path refuses as not JSON. A JSON
integer is accepted for a number, as a float of the same value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final

import msgspec

from stream.validate import MAX_SHORT

__all__ = [
    "KIND_OF",
    "TYPED_ERRORS",
    "LicenceEvent",
    "ShipmentEvent",
    "decode_typed",
    "required_fields",
    "typed_fields",
]


# Optional fields the columns do not keep, checked here as they are decoded, as the dict
# path checks them (stream.event_columns): a value out of bounds sends its line there.
ShortText = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SHORT)]
NonNegative = Annotated[float, msgspec.Meta(ge=0)]


# gc=False: the structs hold only strings and numbers, so the garbage collector need not
# track them (20k of them per batch would otherwise trigger collections while decoding).
# forbid_unknown_fields: see the module docstring. Subclasses inherit both and the tag field.
class _TypedEvent(msgspec.Struct, tag_field="type", forbid_unknown_fields=True, gc=False):
    """The fields every event carries (first, in this order)."""

    event_id: str
    event_time: str


class ShipmentEvent(_TypedEvent, tag="shipment"):
    """A shipment event as decoded by the fast path (field names of the event contract)."""

    company: str
    material: str
    origin_country: str
    destination_country: str
    quantity_kg: float
    status: str
    supplier: ShortText | None = None
    value_usd: NonNegative | None = None


class LicenceEvent(_TypedEvent, tag="licence_decision"):
    """A licence decision as decoded by the fast path."""

    exporting_country: str
    destination_country: str
    material: str
    decision: str
    company: str | None = None
    authority: ShortText | None = None
    quantity_kg: float | None = None
    processing_days: float | None = None


# The event type of each struct: its tag.
KIND_OF: Final[dict[type, str]] = {
    struct: str(struct.__struct_config__.tag) for struct in (ShipmentEvent, LicenceEvent)
}
# TypeError: a value that is not bytes or text at all, which orjson refuses with a reason.
TYPED_ERRORS: Final = (msgspec.DecodeError, msgspec.ValidationError, TypeError)

decode_typed: Final[Callable[[Any], ShipmentEvent | LicenceEvent]] = msgspec.json.Decoder(
    ShipmentEvent | LicenceEvent
).decode


def required_fields(struct: type[msgspec.Struct]) -> tuple[str, ...]:
    """The fields an event of ``struct``'s kind must carry, in declaration order.

    >>> required_fields(LicenceEvent)
    ('event_id', 'event_time', 'exporting_country', 'destination_country', 'material', 'decision')
    """
    return tuple(f.name for f in msgspec.structs.fields(struct) if f.required)


def typed_fields(event: msgspec.Struct) -> dict[str, Any]:
    """The fields of a typed event as the dict path would hold them (absent -> missing).

    >>> typed_fields(decode_typed(b'{"type": "licence_decision", "event_id": "l-1", '
    ...     b'"event_time": "2026-01-08T09:30:00Z", "exporting_country": "CN", '
    ...     b'"destination_country": "JP", "material": "Dy", "decision": "denied"}'))
    ... # doctest: +NORMALIZE_WHITESPACE
    {'type': 'licence_decision', 'event_id': 'l-1', 'event_time': '2026-01-08T09:30:00Z',
     'exporting_country': 'CN', 'destination_country': 'JP', 'material': 'Dy',
     'decision': 'denied'}
    """
    fields = msgspec.structs.asdict(event)
    return {"type": KIND_OF[type(event)]} | {k: v for k, v in fields.items() if v is not None}
