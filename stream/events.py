"""The edge decoder: raw JSON events (bytes or dicts) -> an ``EventBatch`` of columns.

Per event the hot loop decodes a shipment or a licence decision into a typed struct
(:mod:`stream.typed_events`), any other line with one ``orjson.loads`` and a dict lookup
on ``type``, and makes two list appends (the event and its position). Everything else
happens per column at the end of the batch (:mod:`stream.event_columns`): one C-level
``map(attrgetter(field))`` (or ``itemgetter`` over dicts) pass per required field, type,
range and enum checks (:mod:`stream.validate`), vectorised time parsing
(:mod:`stream.times`) and one ``np.array`` per column. Bad events become rejects
``(position, event_id or None, reason)``; they never stop the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

import numpy as np
import orjson
from numpy.typing import NDArray

from config import Lexicon, load_lexicon
from scoring.columns import (
    EventBatch,
    LicenceDecisions,
    PolicySignals,
    Profiles,
    ProfileShares,
    Shipments,
)
from stream.event_columns import (
    Collector,
    Reject,
    common_columns,
    event_id_of,
    licence_columns,
    new_collector,
    profile_columns,
    record_rejects,
    shape_reason,
    shipment_columns,
)
from stream.lexicon import NewsInference
from stream.news_profiles import NewsRow, news_rows
from stream.routing import KINDS, event_kind, partition_key
from stream.typed_events import KIND_OF, TYPED_ERRORS, decode_typed

__all__ = [
    "BATCH_FIELDS",
    "DecodedBatch",
    "EventDecoder",
    "Reject",
    "decode_batch",
    "decode_lines",
    "event_kind",
    "partition_key",
]


# The EventBatch field holding the rows of each key of DecodedBatch.positions.
BATCH_FIELDS = {
    "shipment": "shipments",
    "licence_decision": "licences",
    "news": "signals",
    "profile": "profiles",
    "profile_share": "profile_shares",
}


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

    @staticmethod
    def concat(parts: list[DecodedBatch]) -> DecodedBatch:
        """The batches one after the other (each with its own positions)."""
        records = {}
        for name in BATCH_FIELDS.values():
            columns = [getattr(p.batch, name) for p in parts]
            records[name] = type(columns[0]).concat(columns)
        return DecodedBatch(
            EventBatch(**records),
            [reject for p in parts for reject in p.rejects],
            {kind: np.concatenate([p.positions[kind] for p in parts]) for kind in BATCH_FIELDS},
        )


T = TypeVar("T")

# Values decoded at a time (EventDecoder.decode): shipments decoded at ~1.1 µs a value in
# batches of 20k, ~0.94 in batches of 5k to 10k, ~1.07 in batches of 1k (whose columns'
# fixed costs show).
CHUNK = 5_000

# The columns of a kind absent from a batch (most batches hold one kind), made once.
_NO_POSITIONS = np.empty(0, dtype=np.int64)
_NO_SHIPMENTS = (Shipments.empty(), _NO_POSITIONS)
_NO_LICENCES = (LicenceDecisions.empty(), _NO_POSITIONS)
_NO_SIGNALS = (PolicySignals.empty(), _NO_POSITIONS)
_NO_PROFILES = (Profiles.empty(), _NO_POSITIONS, ProfileShares.empty(), _NO_POSITIONS)


def _built(
    build: Callable[[Collector, list[Reject]], T],
    collector: Collector,
    rejects: list[Reject],
    absent: T,
) -> T:
    """``build(collector, rejects)``, or ``absent`` without any column checks when the
    batch holds no event of the collector's kind."""
    return build(collector, rejects) if collector.events or collector.typed else absent


class EventDecoder:
    """Decodes batches of events with a compiled news lexicon."""

    __slots__ = ("_inference",)

    def __init__(self, lexicon: Lexicon) -> None:
        self._inference = NewsInference(lexicon)

    def decode(
        self, values: Iterable[bytes | str | dict[str, Any]], start: int = 0
    ) -> DecodedBatch:
        """Decode ``values``; positions count from ``start`` (e.g. a file's line offset).

        A long batch is decoded in chunks of ``CHUNK`` values whose results are joined:
        a chunk's decoded objects stay in the processor's caches while its columns are
        built (docs/PERFORMANCE.md).
        """
        values = values if isinstance(values, list) else list(values)
        if len(values) <= CHUNK:
            return self._decode(values, start)
        return DecodedBatch.concat([
            self._decode(values[i : i + CHUNK], start + i) for i in range(0, len(values), CHUNK)
        ])  # fmt: skip

    def _decode(self, values: list[bytes | str | dict[str, Any]], start: int) -> DecodedBatch:
        collectors = {kind: new_collector(kind) for kind in KINDS}
        # Bound methods in one tuple per kind: the loop below is the decoder's hot path.
        sinks = {kind: (c.events.append, c.positions.append) for kind, c in collectors.items()}
        typed_sinks = {
            struct: (collectors[kind].typed.append, collectors[kind].typed_positions.append)
            for struct, kind in KIND_OF.items()
        }
        rejects: list[Reject] = []
        loads = orjson.loads
        decode_error = orjson.JSONDecodeError
        for position, value in enumerate(values, start):
            if type(value) is dict:
                event = value
            else:
                try:
                    typed = decode_typed(value)
                except TYPED_ERRORS:
                    pass  # not a well-typed shipment or licence: the dict path says why
                else:
                    add_typed, add_typed_position = typed_sinks[type(typed)]
                    add_typed(typed)
                    add_typed_position(position)
                    continue
                try:
                    event = loads(value)  # type: ignore[arg-type]
                except decode_error as exc:
                    rejects.append((position, None, f"not JSON: {exc}"))
                    continue
                if type(event) is not dict:
                    rejects.append((position, None, "not a JSON object"))
                    continue
            try:
                add_event, add_position = sinks[event["type"]]
            except (KeyError, TypeError):
                rejects.append((position, event_id_of(event), shape_reason(event)))
                continue
            add_event(event)
            add_position(position)
        c = collectors
        shipments, ship_pos = _built(shipment_columns, c["shipment"], rejects, _NO_SHIPMENTS)
        licences, lic_pos = _built(licence_columns, c["licence_decision"], rejects, _NO_LICENCES)
        signals, sig_pos = _built(self._signals, c["news"], rejects, _NO_SIGNALS)
        profiles, prof_pos, shares, share_pos = _built(
            profile_columns, c["profile"], rejects, _NO_PROFILES
        )
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
        self, collector: Collector, rejects: list[Reject]
    ) -> tuple[PolicySignals, NDArray[np.int64]]:
        reasons, event_ids, times = common_columns(collector, collector.columns(rejects))
        exploded: list[NewsRow] = []
        counts = np.zeros(len(collector.events), dtype=np.intp)  # rows of each event
        for i, event in enumerate(collector.events):
            if i in reasons:
                continue
            rows = news_rows(event, self._inference)
            if isinstance(rows, str):
                reasons[i] = rows
                continue
            exploded += rows
            counts[i] = len(rows)
        record_rejects(collector, reasons, rejects)
        if not exploded:
            return PolicySignals.empty(), np.empty(0, dtype=np.int64)
        actor, material, target, company, category, severity = zip(*exploded, strict=True)
        source = np.repeat(np.arange(len(counts)), counts)
        # Each row's part: its place among the rows of its event.
        part = np.arange(len(source)) - np.repeat(np.cumsum(counts) - counts, counts)
        signals = PolicySignals(
            event_id=event_ids[source],
            part=part.astype(np.int32),
            time_s=times[source],
            actor=np.array(actor, dtype=np.str_),
            material=np.array(material, dtype=np.str_),
            target=np.array(target, dtype=np.str_),
            company=np.array(company, dtype=np.str_),
            category=np.array(category, dtype=np.int8),
            severity=np.array(severity, dtype=np.float64),
        )
        return signals, np.asarray(collector.positions, dtype=np.int64)[source]


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
