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
    check_string,
    enum_codes,
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

    def columns(self) -> list[tuple[Any, ...]]:
        return list(zip(*self.rows, strict=True)) if self.rows else [()] * self.width


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
            kind = event.get("type")
            collector = collectors.get(kind) if type(kind) is str else None
            if collector is None:
                rejects.append((position, _event_id(event), _type_reason(kind)))
                continue
            try:
                collector.rows.append(collector.getter(event))
            except KeyError as exc:
                rejects.append((position, _event_id(event), f"missing field {exc.args[0]!r}"))
                continue
            collector.events.append(event)
            collector.positions.append(position)
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
        reasons, keep, times = _common(collector)
        exploded: list[tuple[Any, ...]] = []
        for i in np.flatnonzero(keep).tolist():
            event = collector.events[i]
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
        event_ids = np.array([collector.rows[i][0] for i in source.tolist()], dtype=np.str_)
        signals = PolicySignals(
            event_id=event_ids,
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


def _type_reason(kind: object) -> str:
    if kind is None:
        return "missing field 'type'"
    return f"unknown type {kind!r}"[:80] if type(kind) is str else "type must be a string"


def _common(collector: _Collector) -> tuple[Reasons, NDArray[np.bool_], NDArray[np.float64]]:
    """Check event_id and event_time (columns 0 and 1); reasons, keep mask and times."""
    columns = collector.columns()
    reasons: Reasons = [None] * len(collector.rows)
    check_string(columns[0], reasons, "event_id", max_len=MAX_EVENT_ID)
    times, parsed = parse_times(columns[1])
    for i in np.flatnonzero(~parsed).tolist():
        if reasons[i] is None:
            reasons[i] = f"event_time is not RFC 3339: {columns[1][i]!r}"[:120]
    keep = np.fromiter((r is None for r in reasons), dtype=np.bool_, count=len(reasons))
    return reasons, keep, times


def _reject(collector: _Collector, reasons: Reasons, rejects: list[Reject]) -> None:
    """Record every reason once; callers call this once per kind, after all checks."""
    for i, reason in enumerate(reasons):
        if reason is not None:
            rejects.append((collector.positions[i], _event_id(collector.events[i]), reason))


def _strings(column: tuple[Any, ...], keep: NDArray[np.bool_]) -> NDArray[np.str_]:
    values = (
        np.array(column, dtype=np.str_)
        if keep.all()
        else np.array([v for v, k in zip(column, keep.tolist(), strict=True) if k], dtype=np.str_)
    )
    return values if len(values) else np.empty(0, dtype="<U1")


def _optional(events: list[dict[str, Any]], name: str) -> list[Any]:
    return [e.get(name) for e in events]


def _shipments(collector: _Collector, rejects: list[Reject]) -> tuple[Shipments, NDArray[np.int64]]:
    columns = collector.columns()
    reasons, _, times = _common(collector)
    check_string(columns[2], reasons, "company", max_len=MAX_COMPANY)
    check_string(columns[3], reasons, "material", max_len=MAX_MATERIAL)
    check_alpha2(columns[4], reasons, "origin_country")
    check_alpha2(columns[5], reasons, "destination_country")
    quantity = check_number(columns[6], reasons, "quantity_kg")
    check_enum(columns[7], reasons, "status", STATUS)
    events = collector.events
    if any(len(e) > 9 for e in events):  # optional fields present somewhere
        check_string(
            _optional(events, "supplier"), reasons, "supplier", max_len=MAX_SHORT, optional=True
        )
        check_number(_optional(events, "value_usd"), reasons, "value_usd", optional=True)
    _reject(collector, reasons, rejects)
    keep = np.fromiter((r is None for r in reasons), dtype=np.bool_, count=len(reasons))
    status = columns[7] if keep.all() else [s for s, k in zip(columns[7], keep, strict=True) if k]
    record = Shipments(
        event_id=_strings(columns[0], keep),
        time_s=times[keep],
        company=_strings(columns[2], keep),
        material=_strings(columns[3], keep),
        origin=_strings(columns[4], keep),
        destination=_strings(columns[5], keep),
        quantity_kg=quantity[keep],
        status=enum_codes(status, STATUS),
    )
    return record, np.asarray(collector.positions, dtype=np.int64)[keep]


def _licences(
    collector: _Collector, rejects: list[Reject]
) -> tuple[LicenceDecisions, NDArray[np.int64]]:
    columns = collector.columns()
    reasons, _, times = _common(collector)
    check_alpha2(columns[2], reasons, "exporting_country")
    check_alpha2(columns[3], reasons, "destination_country")
    check_string(columns[4], reasons, "material", max_len=MAX_MATERIAL)
    check_enum(columns[5], reasons, "decision", DECISION)
    events = collector.events
    company = _optional(events, "company")
    check_string(company, reasons, "company", max_len=MAX_COMPANY, optional=True)
    authority = _optional(events, "authority")
    check_string(authority, reasons, "authority", max_len=MAX_SHORT, optional=True)
    quantity = check_number(_optional(events, "quantity_kg"), reasons, "quantity_kg", optional=True)
    days = check_number(
        _optional(events, "processing_days"), reasons, "processing_days", optional=True
    )
    _reject(collector, reasons, rejects)
    keep = np.fromiter((r is None for r in reasons), dtype=np.bool_, count=len(reasons))
    decision = columns[5] if keep.all() else [d for d, k in zip(columns[5], keep, strict=True) if k]
    record = LicenceDecisions(
        event_id=_strings(columns[0], keep),
        time_s=times[keep],
        exporter=_strings(columns[2], keep),
        destination=_strings(columns[3], keep),
        material=_strings(columns[4], keep),
        decision=enum_codes(decision, DECISION),
        company=_strings(tuple(c or "" for c in company), keep),
        quantity_kg=quantity[keep],
        processing_days=days[keep],
    )
    return record, np.asarray(collector.positions, dtype=np.int64)[keep]


def _profiles(
    collector: _Collector, rejects: list[Reject]
) -> tuple[Profiles, NDArray[np.int64], ProfileShares, NDArray[np.int64]]:
    columns = collector.columns()
    reasons, _, times = _common(collector)
    check_string(columns[2], reasons, "company", max_len=MAX_COMPANY)
    check_string(columns[3], reasons, "material", max_len=MAX_MATERIAL)
    parts: list[Any] = [None] * len(reasons)
    for i, event in enumerate(collector.events):
        if reasons[i] is None:
            result = profile_parts(event)
            if isinstance(result, str):
                reasons[i] = result
            else:
                parts[i] = result
    _reject(collector, reasons, rejects)
    keep = np.fromiter((r is None for r in reasons), dtype=np.bool_, count=len(reasons))
    kept = np.flatnonzero(keep)
    positions = np.asarray(collector.positions, dtype=np.int64)
    profiles = Profiles(
        event_id=_strings(columns[0], keep),
        time_s=times[keep],
        company=_strings(columns[2], keep),
        material=_strings(columns[3], keep),
        home_country=_strings(
            tuple(p[0] for p in parts if p is not None), np.ones(len(kept), bool)
        ),
        annual_demand_kg=np.array([p[1] for p in parts if p is not None], dtype=np.float64),
        inventory_days=np.array([p[2] for p in parts if p is not None], dtype=np.float64),
    )
    share_rows = [(i, c, s) for i in kept.tolist() for c, s in parts[i][3]]
    if not share_rows:
        return profiles, positions[keep], ProfileShares.empty(), np.empty(0, dtype=np.int64)
    index, country, share = zip(*share_rows, strict=True)
    source = np.array(index, dtype=np.intp)
    shares = ProfileShares(
        event_id=np.array([columns[0][i] for i in index], dtype=np.str_),
        time_s=times[source],
        company=np.array([columns[2][i] for i in index], dtype=np.str_),
        material=np.array([columns[3][i] for i in index], dtype=np.str_),
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
