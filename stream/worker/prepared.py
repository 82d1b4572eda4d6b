"""A decoded batch of one topic's records, as the scorer applies it to partition states.

The records stay with their batch for what may still be sent of them: a refused record's
original key and bytes go to its dead-letter topic, a misplaced one is forwarded
unchanged. A batch crossing from the reader process (:mod:`stream.worker.reader_process`)
carries its records packed in a :class:`~stream.worker.record_block.RecordBlock`, and
pickles its non-empty columns only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from scoring import EventBatch
from stream.events import BATCH_FIELDS
from stream.worker.keying import Forward
from stream.worker.record_block import RecordBlock

__all__ = ["FetchedRecord", "Prepared", "Record"]


class Record(Protocol):
    """The parts of a consumed Kafka record the scorer reads (aiokafka's ConsumerRecord,
    or a record of a :class:`RecordBlock`)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


class FetchedRecord(Record, Protocol):
    """A record as the consumer fetched it, with its produce timestamp (ms)."""

    @property
    def timestamp(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Prepared:
    """A decoded batch of one topic's records, ready to apply to partition states."""

    records: Sequence[Record]
    oldest_ms: int  # the records' oldest produce timestamp (ms since the epoch)
    batch: EventBatch
    shared: EventBatch  # without company-scoped licence decisions
    positions: dict[str, NDArray[np.int64]]
    refused: list[tuple[int, str]]
    forwards: list[Forward]  # records that belong on another partition (stream.homes)

    @classmethod
    def of(
        cls,
        records: Sequence[FetchedRecord],
        batch: EventBatch,
        positions: dict[str, NDArray[np.int64]],
        refused: list[tuple[int, str]],
    ) -> Prepared:
        """``batch`` of ``records``, with its share for every partition state (nothing
        forwarded yet: ``Scorer.send_home``)."""
        oldest_ms = min(r.timestamp for r in records)
        return cls(records, oldest_ms, batch, _shared(batch), positions, refused, [])

    def keeping(
        self, batch: EventBatch, positions: dict[str, NDArray[np.int64]], forwards: list[Forward]
    ) -> Prepared:
        """This batch keeping only ``batch`` (rows at ``positions``): the rest leaves as
        ``forwards``."""
        shared = _shared(batch)
        return dataclasses.replace(
            self, batch=batch, shared=shared, positions=positions, forwards=forwards
        )

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with its non-empty columns only: an array pickles at a fixed cost of
        a few microseconds, and a batch of one topic has rows of one or two kinds, so
        most of its ~40 arrays are empty (the reader process sends batches by pickle)."""
        columns: dict[str, tuple[type[Any], list[Any]]] = {}
        for name in BATCH_FIELDS.values():
            column = getattr(self.batch, name)
            if len(column):
                arrays = [getattr(column, f.name) for f in dataclasses.fields(column)]
                columns[name] = (type(column), arrays)
        positions = {kind: at for kind, at in self.positions.items() if len(at)}
        fields = (self.records, self.oldest_ms, columns, positions, self.refused, self.forwards)
        return _unpickled, (fields,)

    def packed(self) -> Prepared:
        """This batch with its records packed in one :class:`RecordBlock` (one topic
        partition's records), to send to another process."""
        return dataclasses.replace(self, records=RecordBlock(self.records))


def _unpickled(fields: tuple[Any, ...]) -> Prepared:
    """A :class:`Prepared` from what its ``__reduce__`` gave."""
    records, oldest_ms, columns, positions, refused, forwards = fields
    kept = {
        name: kind(**{f.name: a for f, a in zip(dataclasses.fields(kind), arrays, strict=True)})
        for name, (kind, arrays) in columns.items()
    }
    batch = EventBatch.of(**kept)
    every = {kind: positions.get(kind, _NO_POSITIONS) for kind in BATCH_FIELDS}
    return Prepared(records, oldest_ms, batch, _shared(batch), every, refused, forwards)


_NO_POSITIONS = np.empty(0, dtype=np.int64)


def rows_between(
    batch: EventBatch,
    positions: dict[str, NDArray[np.int64]],
    refused: list[tuple[int, str]],
    start: int,
    end: int,
) -> tuple[EventBatch, dict[str, NDArray[np.int64]], list[tuple[int, str]]]:
    """The rows, positions and refusals of records ``start .. end - 1`` of a batch decoded
    for several partitions of one topic at once, counted from ``start``: one partition's
    share."""
    columns: dict[str, Any] = {}
    part_positions: dict[str, NDArray[np.int64]] = {}
    for kind, name in BATCH_FIELDS.items():
        column, at = getattr(batch, name), positions[kind]
        lo, hi = np.searchsorted(at, [start, end])  # rows are in position order
        part_positions[kind] = at[lo:hi] - start
        # A kind refused on this topic has no rows left (see Scorer._only_kinds_of).
        columns[name] = column.rows(lo, hi) if len(column) else column
    part_refused = [(p - start, reason) for p, reason in refused if start <= p < end]
    return EventBatch(**columns), part_positions, part_refused


def _shared(batch: EventBatch) -> EventBatch:
    """What of ``batch`` every partition state applies: all but company-scoped licence
    decisions (``batch`` itself when it holds none, as a batch of the partitioned topics
    does)."""
    country_wide = batch.licences.company == ""
    if country_wide.all():
        return batch
    return dataclasses.replace(batch, licences=batch.licences.take(country_wide))
