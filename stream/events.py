"""The edge decoder: raw JSON events (bytes or dicts) -> an ``EventBatch`` of columns.

Per event the hot loop does one ``orjson.loads``, a dict lookup on ``type`` and one C-level
``itemgetter`` that pulls the required fields into a tuple (a missing field raises there,
before anything is appended). Everything else happens per column at the end of the batch:
type, range and enum checks (:mod:`stream.validate`), vectorised time parsing
(:mod:`stream.times`) and one ``np.array`` per column. Bad events become rejects
``(position, event_id or None, reason)``; they never stop the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from itertools import repeat
from operator import itemgetter
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

from config import Lexicon, load_lexicon
from scoring.columns import (
    Decision,
    EventBatch,
    LicenceDecisions,
    PolicySignals,
    Profiles,
    ProfileShares,
    Shipments,
    ShipmentStatus,
)
from stream.lexicon import NewsInference
from stream.news_profiles import news_rows, profile_parts
from stream.routing import KINDS, event_kind, partition_key
from stream.times import parse_times
from stream.validate import (
    Reasons,
    check_alpha2,
    check_enum,
    check_number,
    string_column,
)

__all__ = [
    "DecodedBatch",
    "EventDecoder",
    "Reject",
    "decode_batch",
    "decode_lines",
    "event_kind",
    "partition_key",
]

Reject = tuple[int, str | None, str]
STATUS: dict[str, int] = {s.name.lower(): int(s) for s in ShipmentStatus}
DECISION: dict[str, int] = {d.name.lower(): int(d) for d in Decision}
MAX_EVENT_ID = 128
MAX_COMPANY = 200
MAX_MATERIAL = 32
MAX_SHORT = 200

_REQUIRED: dict[str, tuple[str, ...]] = {
    "shipment": (
        "event_id",
        "event_time",
        "company",
        "material",
        "origin_country",
        "destination_country",
        "quantity_kg",
        "status",
    ),
    "licence_decision": (
        "event_id",
        "event_time",
        "exporting_country",
        "destination_country",
        "material",
        "decision",
    ),
    "news": ("event_id", "event_time", "headline"),
    "profile": ("event_id", "event_time", "company", "material"),
}


@dataclass(slots=True)
class _Collector:
    """Rows of one kind gathered during the loop: required-field tuples, events, positions."""

    getter: Callable[[dict[str, Any]], tuple[Any, ...]]
    width: int
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)

    def columns(self) -> list[list[Any]]:
        rows = self.rows
        return [list(map(itemgetter(k), rows)) for k in range(self.width)]


@dataclass(frozen=True, slots=True)
class DecodedBatch:
    """Columns, rejects and, per column record, the input position of each row.

    ``positions`` maps ``"shipment" | "licence_decision" | "news" | "profile" |
    "profile_share"`` to an int64 array parallel to that record (news rows are
    exploded, so several rows can share a position).
    """

    batch: EventBatch
    rejects: list[Reject]
    positions: dict[str, NDArray[np.int64]]


class EventDecoder:
    """Decodes batches of events with a compiled news lexicon."""

    __slots__ = ("_inference",)

    def __init__(self, lexicon: Lexicon) -> None:
        self._inference = NewsInference(lexicon)

    def decode(
        self, values: Iterable[bytes | str | dict[str, Any]], start: int = 0
    ) -> DecodedBatch:
        """Decode ``values``; positions count from ``start`` (e.g. a file's line offset)."""
        collectors = {kind: _new_collector(kind) for kind in KINDS}
        # Bound methods in one tuple per kind: the loop below is the decoder's hot path.
        sinks = {
            kind: (c.getter, c.rows.append, c.events.append, c.positions.append)
            for kind, c in collectors.items()
        }
        rejects: list[Reject] = []
        loads = orjson.loads
        decode_error = orjson.JSONDecodeError
        for position, value in enumerate(values, start):
            if type(value) is dict:
                event = value
            else:
                try:
                    event = loads(value)  # type: ignore[arg-type]
                except decode_error as exc:
                    rejects.append((position, None, f"not JSON: {exc}"))
                    continue
                if type(event) is not dict:
                    rejects.append((position, None, "not a JSON object"))
                    continue
            try:
                getter, add_row, add_event, add_position = sinks[event["type"]]
                add_row(getter(event))
            except (KeyError, TypeError):
                rejects.append((position, _event_id(event), _shape_reason(event)))
                continue
            add_event(event)
            add_position(position)
        shipments, ship_pos = _shipments(collectors["shipment"], rejects)
        licences, lic_pos = _licences(collectors["licence_decision"], rejects)
        signals, sig_pos = self._signals(collectors["news"], rejects)
        profiles, prof_pos, shares, share_pos = _profiles(collectors["profile"], rejects)
        rejects.sort(key=lambda r: r[0])
        return DecodedBatch(
            EventBatch(shipments, licences, signals, profiles, shares),
            rejects,
            {
                "shipment": ship_pos,
                "licence_decision": lic_pos,
                "news": sig_pos,
                "profile": prof_pos,
                "profile_share": share_pos,
            },
        )

    def _signals(
        self, collector: _Collector, rejects: list[Reject]
    ) -> tuple[PolicySignals, NDArray[np.int64]]:
        reasons, event_ids, times = _common(collector, collector.columns())
        exploded: list[tuple[Any, ...]] = []
        for i, event in enumerate(collector.events):
            if i in reasons:
                continue
            rows = news_rows(event, self._inference)
            if isinstance(rows, str):
                reasons[i] = rows
                continue
            exploded.extend((i, part, *row) for part, row in enumerate(rows))
        _reject(collector, reasons, rejects)
        if not exploded:
            return PolicySignals.empty(), np.empty(0, dtype=np.int64)
        index, part, actor, material, target, company, category, severity = zip(
            *exploded, strict=True
        )
        source = np.array(index, dtype=np.intp)
        signals = PolicySignals(
            event_id=event_ids[source],
            part=np.array(part, dtype=np.int32),
            time_s=times[source],
            actor=np.array(actor, dtype=np.str_),
            material=np.array(material, dtype=np.str_),
            target=np.array(target, dtype=np.str_),
            company=np.array(company, dtype=np.str_),
            category=np.array(category, dtype=np.int8),
            severity=np.array(severity, dtype=np.float64),
        )
        return signals, np.asarray(collector.positions, dtype=np.int64)[source]


def _new_collector(kind: str) -> _Collector:
    return _Collector(itemgetter(*_REQUIRED[kind]), len(_REQUIRED[kind]))


def _event_id(event: dict[str, Any]) -> str | None:
    event_id = event.get("event_id")
    return event_id if type(event_id) is str else None


def _shape_reason(event: dict[str, Any]) -> str:
    """Why an event has no known type or lacks a required field (the loop's slow path)."""
    kind = event.get("type")
    if kind is None:
        return "missing field 'type'"
    if type(kind) is not str:
        return "type must be a string"
    if kind not in _REQUIRED:
        return f"unknown type {kind!r}"[:80]
    missing = next(name for name in _REQUIRED[kind] if name not in event)
    return f"missing field {missing!r}"


def _common(
    collector: _Collector, columns: list[list[Any]]
) -> tuple[Reasons, NDArray[np.str_], NDArray[np.float64]]:
    """Check event_id and event_time (columns 0 and 1): reasons, ids and times."""
    reasons: Reasons = {}
    event_ids = string_column(columns[0], reasons, "event_id", max_len=MAX_EVENT_ID)
    times, parsed = parse_times(columns[1])
    if not parsed.all():
        for i in np.flatnonzero(~parsed).tolist():
            reasons.setdefault(i, f"event_time is not RFC 3339: {columns[1][i]!r}"[:120])
    return reasons, event_ids, times


def _keep(reasons: Reasons, n: int) -> NDArray[np.bool_]:
    keep = np.ones(n, dtype=np.bool_)
    keep[list(reasons)] = False
    return keep


def _reject(collector: _Collector, reasons: Reasons, rejects: list[Reject]) -> None:
    """Record every reason once; callers call this once per kind, after all checks."""
    for i, reason in reasons.items():
        rejects.append((collector.positions[i], _event_id(collector.events[i]), reason))


def _optional(events: list[dict[str, Any]], name: str) -> list[Any]:
    """``event.get(name)`` of every event (C-level map: this runs once per column)."""
    return list(map(dict.get, events, repeat(name)))


def _shipments(collector: _Collector, rejects: list[Reject]) -> tuple[Shipments, NDArray[np.int64]]:
    columns = collector.columns()
    reasons, event_ids, times = _common(collector, columns)
    company = string_column(columns[2], reasons, "company", max_len=MAX_COMPANY)
    material = string_column(columns[3], reasons, "material", max_len=MAX_MATERIAL)
    origin = check_alpha2(columns[4], reasons, "origin_country")
    destination = check_alpha2(columns[5], reasons, "destination_country")
    quantity = check_number(columns[6], reasons, "quantity_kg")
    status = check_enum(columns[7], reasons, "status", STATUS)
    events = collector.events
    if any(len(e) > len(_REQUIRED["shipment"]) + 1 for e in events):  # optionals present
        supplier = _optional(events, "supplier")
        string_column(supplier, reasons, "supplier", max_len=MAX_SHORT, optional=True)
        check_number(_optional(events, "value_usd"), reasons, "value_usd", optional=True)
    _reject(collector, reasons, rejects)
    positions = np.asarray(collector.positions, dtype=np.int64)
    record = Shipments(event_ids, times, company, material, origin, destination, quantity, status)
    if reasons:
        keep = _keep(reasons, len(positions))
        return record.take(keep), positions[keep]
    return record, positions


def _licences(
    collector: _Collector, rejects: list[Reject]
) -> tuple[LicenceDecisions, NDArray[np.int64]]:
    columns = collector.columns()
    reasons, event_ids, times = _common(collector, columns)
    exporter = check_alpha2(columns[2], reasons, "exporting_country")
    destination = check_alpha2(columns[3], reasons, "destination_country")
    material = string_column(columns[4], reasons, "material", max_len=MAX_MATERIAL)
    decision = check_enum(columns[5], reasons, "decision", DECISION)
    events = collector.events
    company = string_column(
        _optional(events, "company"), reasons, "company", max_len=MAX_COMPANY, optional=True
    )
    authority = _optional(events, "authority")
    string_column(authority, reasons, "authority", max_len=MAX_SHORT, optional=True)
    quantity = check_number(_optional(events, "quantity_kg"), reasons, "quantity_kg", optional=True)
    days = check_number(
        _optional(events, "processing_days"), reasons, "processing_days", optional=True
    )
    _reject(collector, reasons, rejects)
    positions = np.asarray(collector.positions, dtype=np.int64)
    record = LicenceDecisions(
        event_ids, times, exporter, destination, material, decision, company, quantity, days
    )
    if reasons:
        keep = _keep(reasons, len(positions))
        return record.take(keep), positions[keep]
    return record, positions


def _profiles(
    collector: _Collector, rejects: list[Reject]
) -> tuple[Profiles, NDArray[np.int64], ProfileShares, NDArray[np.int64]]:
    columns = collector.columns()
    reasons, event_ids, times = _common(collector, columns)
    company = string_column(columns[2], reasons, "company", max_len=MAX_COMPANY)
    material = string_column(columns[3], reasons, "material", max_len=MAX_MATERIAL)
    n = len(collector.events)
    home = [""] * n
    numbers = np.full((n, 2), np.nan)
    share_rows: list[tuple[int, str, float]] = []
    for i, event in enumerate(collector.events):
        if i in reasons:
            continue
        result = profile_parts(event)
        if isinstance(result, str):
            reasons[i] = result
            continue
        home[i], numbers[i, 0], numbers[i, 1], shares_of_event = result
        share_rows.extend((i, country, share) for country, share in shares_of_event)
    _reject(collector, reasons, rejects)
    keep = _keep(reasons, n)
    positions = np.asarray(collector.positions, dtype=np.int64)
    profiles = Profiles(
        event_ids,
        times,
        company,
        material,
        np.array(home, dtype=np.str_) if n else np.empty(0, dtype="<U1"),
        numbers[:, 0].copy(),
        numbers[:, 1].copy(),
    ).take(keep)
    share_rows = [row for row in share_rows if row[0] not in reasons]
    if not share_rows:
        return profiles, positions[keep], ProfileShares.empty(), np.empty(0, dtype=np.int64)
    index, country, share = zip(*share_rows, strict=True)
    source = np.array(index, dtype=np.intp)
    shares = ProfileShares(
        event_id=event_ids[source],
        time_s=times[source],
        company=company[source],
        material=material[source],
        country=np.array(country, dtype=np.str_),
        share=np.array(share, dtype=np.float64),
    )
    return profiles, positions[keep], shares, positions[source]


@cache
def _default_decoder() -> EventDecoder:
    return EventDecoder(load_lexicon())


def decode_batch(values: Iterable[bytes | str | dict[str, Any]], *, start: int = 0) -> DecodedBatch:
    """Decode with the default lexicon (``config/lexicon.toml``), keeping row positions."""
    return _default_decoder().decode(values, start)


def decode_lines(lines: Iterable[bytes]) -> tuple[EventBatch, list[Reject]]:
    """Decode JSON lines into columns and rejects ``(position, event_id or None, reason)``."""
    decoded = decode_batch(lines)
    return decoded.batch, decoded.rejects
