"""The thin handler: decode → core → encode, for one batch of records of one input topic.

It returns what to send (scores, alerts, dead letters) instead of sending it, and takes
the clock as an argument, so a unit test runs it with plain objects and no broker.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from config.loader import load_lexicon, load_scoring_params
from config.settings import Settings, TopicSettings, WorkerSettings
from scoring import LEVELS, EventBatch, ScoreTable
from stream.alerts import encode_alerts
from stream.deadletter import Outgoing, dead_letter, reason_class
from stream.events import BATCH_FIELDS, DecodedBatch, EventDecoder
from stream.homes import HomePartitions
from stream.scores import encode_scores
from stream.worker.keying import forward, without_misplaced
from stream.worker.partition_state import PartitionState
from stream.worker.prepared import FetchedRecord, Prepared, rows_between
from stream.worker.report import BatchReport

__all__ = ["Scorer"]

# Which event types belong on which input topic (by the topic's role in the settings).
_KINDS_OF_ROLE = {
    "shipments": ("shipment",),
    "licence_decisions": ("licence_decision",),
    "news": ("news",),
    "profiles": ("profile", "profile_share"),
}


class Scorer:
    """Applies batches to partition states and says what to publish."""

    def __init__(
        self,
        decoder: EventDecoder,
        topics: TopicSettings,
        worker: WorkerSettings,
        level_thresholds: tuple[float, ...],
        clock: Callable[[], float],
    ) -> None:
        self._decoder = decoder
        self._topics = topics
        self._worker = worker
        self._thresholds = level_thresholds
        self._clock = clock
        self._kinds = {getattr(topics, role): kinds for role, kinds in _KINDS_OF_ROLE.items()}
        # The worker's event time: the latest event time of any partition it holds. Every
        # score is published as of this time, so keys of quiet partitions decay with it.
        self.stream_time_s = float("-inf")
        # Partition counts of the input topics, once known: company-scoped events of a
        # topic listed here are checked against their company's home partition.
        self.partition_counts: dict[str, int] = {}
        self._homes = HomePartitions()

    @classmethod
    def for_settings(cls, settings: Settings, clock: Callable[[], float]) -> Scorer:
        """A scorer with the lexicon and level thresholds of ``settings.config_dir``."""
        decoder = EventDecoder(load_lexicon(settings.config_dir))
        thresholds = load_scoring_params(settings.config_dir).level_thresholds
        return cls(decoder, settings.topics, settings.worker, thresholds, clock)

    def advance(self, event_time_s: float) -> None:
        """Move the stream time forward (never back) to ``event_time_s``."""
        # max() keeps the current value when event_time_s is NaN (an engine with no events)
        self.stream_time_s = max(self.stream_time_s, event_time_s)

    def prepare(self, records: Sequence[FetchedRecord], *, homes: bool = True) -> Prepared:
        """Decode records (all of one topic partition) once, for applying to one or more
        states; with ``homes``, also :meth:`send_home`."""
        prepared = Prepared.of(records, *self._decode(records))
        return self.send_home(prepared) if homes else prepared

    def _decode(
        self, records: Sequence[FetchedRecord]
    ) -> tuple[EventBatch, dict[str, NDArray[np.int64]], list[tuple[int, str]]]:
        """The batch of records of one topic, their rows' positions, and the refused."""
        decoded = self._decoder.decode([r.value or b"" for r in records])
        batch, refused = self._only_kinds_of(decoded, self._kinds.get(records[0].topic, ()))
        return batch, decoded.positions, refused

    def send_home(self, prepared: Prepared) -> Prepared:
        """``prepared`` without the rows of companies homed on another partition of its
        topic, which are listed in its ``forwards`` (when the topic's partition count is
        known: :mod:`stream.worker.keying`)."""
        records = prepared.records
        partitions = self.partition_counts.get(records[0].topic)
        if not partitions:
            return prepared
        batch, positions, forwards = without_misplaced(
            records[0].partition, prepared.batch, prepared.positions, partitions, self._homes
        )
        return prepared.keeping(batch, positions, forwards) if forwards else prepared

    def prepare_fetch(
        self, fetch: Mapping[Any, Sequence[FetchedRecord]], *, homes: bool = True
    ) -> dict[Any, Prepared]:
        """Decode a fetch once per topic (decoding has a fixed cost per call, and a fetch
        holds several partitions of a topic); one :class:`Prepared` per topic partition.
        ``homes`` as for :meth:`prepare`."""
        by_topic: dict[str, list[tuple[Any, Sequence[FetchedRecord]]]] = defaultdict(list)
        for tp, records in fetch.items():
            by_topic[records[0].topic].append((tp, records))
        prepared: dict[Any, Prepared] = {}
        for groups in by_topic.values():
            if len(groups) == 1:
                tp, records = groups[0]
                prepared[tp] = self.prepare(records, homes=homes)
                continue
            batch, positions, refused = self._decode([r for _, rs in groups for r in rs])
            start = 0
            for tp, records in groups:
                end = start + len(records)
                part = Prepared.of(records, *rows_between(batch, positions, refused, start, end))
                prepared[tp] = self.send_home(part) if homes else part
                start = end
        return prepared

    def apply(
        self,
        state: PartitionState,
        prepared: Prepared,
        *,
        owner: bool = True,
        dead_letters: bool = True,
    ) -> tuple[list[Outgoing], BatchReport]:
        """Apply a prepared batch to ``state``; what to send, and a report.

        The owner of a batch (the state whose partition it was read from) applies all of
        it and dead-letters what is refused. Other states apply only what is shared by
        every partition: a broadcast batch without its company-scoped licence decisions,
        which belong with the company's own partition. ``dead_letters=False`` (catching
        up on records already handled once) reports refusals without producing them again.
        """
        records = prepared.records
        topic = records[0].topic
        report = BatchReport(topic, events=len(records))
        report.oldest_produce_s = prepared.oldest_ms / 1000.0
        result = state.engine.apply(
            prepared.batch if owner else prepared.shared,
            now_s=self._clock(),
            holds=self._holds(state.partition),
        )
        outgoing: list[Outgoing] = []
        if owner:
            refused = prepared.refused + [
                (int(prepared.positions[kind][i]), reason)
                for kind, i, reason in zip(
                    result.rejected.kind.tolist(), result.rejected.index.tolist(),
                    result.rejected.reason.tolist(), strict=True,
                )
            ]  # fmt: skip
            for position, reason in _first_reason_per_position(refused):
                report.dead_letter_reasons.append(reason_class(reason))
                if not dead_letters:
                    continue
                record = records[position]
                outgoing.append(dead_letter(
                    self._topics.dead_letter(topic), topic=topic, partition=record.partition,
                    offset=record.offset, key=record.key, value=record.value, reason=reason,
                ))  # fmt: skip
            # Also when catching up: a forward sent twice is scored once (event-id dedupe).
            outgoing += [forward(topic, records[p], home) for p, home in prepared.forwards]
            report.forwarded = len(prepared.forwards)
        report.applied = result.applied
        report.duplicates = result.duplicates
        report.latest_event_s = state.engine.latest_time_s
        self.advance(report.latest_event_s)
        outgoing += self.publish(state, result.changed, report)
        return outgoing, report

    def _holds(self, partition: int) -> Callable[[NDArray[np.str_]], NDArray[np.bool_]] | None:
        """Which companies the state of ``partition`` holds the keys of: those homed on it
        (their evidence is keyed there, :mod:`stream.homes`), so that news naming other
        companies adds no cells to it. None until the shipments topic's partition count
        is known (every row is then applied)."""
        partitions = self.partition_counts.get(self._topics.shipments)
        if not partitions:
            return None
        homes = self._homes

        def holds(companies: NDArray[np.str_]) -> NDArray[np.bool_]:
            return np.asarray(homes.of(companies.tolist(), partitions) == partition)

        return holds

    def publish(
        self, state: PartitionState, rows: NDArray[np.intp], report: BatchReport
    ) -> list[Outgoing]:
        """Scores that moved more than the threshold, and level transitions, of ``rows``."""
        if rows.size == 0:
            return []
        as_of_s = self.stream_time_s if np.isfinite(self.stream_time_s) else None
        table = state.engine.scores(rows, as_of_s=as_of_s)
        publish = state.publish
        moved = publish.scores_to_publish(
            table.rows, table.score, self._worker.score_emit_threshold
        )
        transitions = publish.level_transitions(
            table.rows, table.score, self._thresholds, self._worker.alert_hysteresis
        )
        # Outputs of a key go to the partition number of the state that owns the key: the
        # same for every worker and restart, and no hashing per record.
        partition = state.partition
        scored = _take(table, moved)
        outgoing = Outgoing.many(
            self._topics.scores,
            _record_keys(scored.company, scored.material),
            encode_scores(scored),
            partition,
        )
        report.scores = len(outgoing)
        at = np.searchsorted(table.rows, transitions.rows)
        outgoing += Outgoing.many(
            self._topics.alerts,
            _record_keys(table.company[at], table.material[at]),
            encode_alerts(table, transitions),
            partition,
        )
        report.alert_levels += [LEVELS[level] for level in transitions.level.tolist()]
        return outgoing

    @staticmethod
    def _only_kinds_of(
        decoded: DecodedBatch, kinds: tuple[str, ...]
    ) -> tuple[EventBatch, list[tuple[int, str]]]:
        """The batch restricted to the topic's event types; other types are refused."""
        batch = decoded.batch
        refused = [(position, reason) for position, _, reason in decoded.rejects]
        kept: dict[str, Any] = {}
        for kind, name in BATCH_FIELDS.items():
            column = getattr(batch, name)
            if kind in kinds or len(column) == 0:
                kept[name] = column
                continue
            event_type = "profile" if kind == "profile_share" else kind
            refused += [(int(p), f"a {event_type} event does not belong on this topic")
                        for p in np.unique(decoded.positions[kind])]  # fmt: skip
            kept[name] = column.take(np.empty(0, dtype=np.intp))
        return EventBatch(**kept), refused


def _first_reason_per_position(refused: list[tuple[int, str]]) -> list[tuple[int, str]]:
    first: dict[int, str] = {}
    for position, reason in refused:
        first.setdefault(position, reason)
    return sorted(first.items())


def _take(table: ScoreTable, mask: NDArray[np.bool_]) -> ScoreTable:
    arrays = {
        f.name: getattr(table, f.name)[mask]
        for f in dataclasses.fields(table)
        if f.name != "as_of_s"
    }
    return ScoreTable(**arrays, as_of_s=table.as_of_s)


def _record_keys(company: NDArray[np.str_], material: NDArray[np.str_]) -> list[bytes]:
    """The ``company|material`` record key of each row."""
    return [key.encode() for key in np.char.add(np.char.add(company, "|"), material).tolist()]
