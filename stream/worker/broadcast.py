"""Reading the country-level topics (licence decisions, news) in full on every worker.

A country-wide licence decision or a news item can touch a key on any partition, so every
worker reads every partition of these topics with its own group-less consumer and applies
each batch to each partition state it holds. Positions are recorded in each partition's
snapshot; a partition restored behind the reader is first caught up from its own recorded
positions, and one restored ahead simply sees events again, which its engine drops as
duplicates (application is idempotent by event id).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

__all__ = ["BroadcastReader", "position_key"]


def position_key(tp: TopicPartition) -> str:
    return f"{tp.topic}:{tp.partition}"


class BroadcastReader:
    """A group-less consumer over every partition of the broadcast topics."""

    def __init__(
        self, topics: Iterable[str], bootstrap: str, client_options: Mapping[str, Any]
    ) -> None:
        self._topics = tuple(topics)
        self._options = {
            "bootstrap_servers": bootstrap,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            **client_options,
        }
        self._consumer: AIOKafkaConsumer | None = None
        self.partitions: list[TopicPartition] = []

    async def start(self, positions: Mapping[str, int]) -> None:
        """Assign every partition and seek to ``positions`` (the beginning where absent)."""
        consumer = AIOKafkaConsumer(**self._options)
        await consumer.start()
        self._consumer = consumer
        self.partitions = await _all_partitions(consumer, self._topics)
        consumer.assign(self.partitions)
        await _seek(consumer, self.partitions, positions)

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def fetch(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Any]]:
        assert self._consumer is not None, "start() first"  # noqa: S101 - programming error
        return dict(await self._consumer.getmany(timeout_ms=timeout_ms, max_records=max_records))

    async def positions(self) -> dict[str, int]:
        """Next offset to read of every broadcast partition."""
        assert self._consumer is not None, "start() first"  # noqa: S101
        return {position_key(tp): await self._consumer.position(tp) for tp in self.partitions}

    async def read_range(
        self, start: Mapping[str, int], end: Mapping[str, int], max_records: int
    ) -> AsyncGenerator[list[ConsumerRecord[Any, Any]], None]:
        """Records from ``start`` (beginning where absent) up to ``end``, one partition's
        share of a fetch at a time, at most ``max_records`` a fetch: a state restored far
        behind is caught up in bounded memory, each batch applied before the next is read.
        Close it (``contextlib.aclosing``) if not read to its end."""
        wanted = [
            tp for tp in self.partitions
            if start.get(position_key(tp), 0) < end.get(position_key(tp), 0)
        ]  # fmt: skip
        if not wanted:
            return
        consumer = AIOKafkaConsumer(**self._options)
        await consumer.start()
        try:
            consumer.assign(wanted)
            await _seek(consumer, wanted, start)
            last = await consumer.end_offsets(wanted)  # never wait for records not yet written
            end = {key: min(end[key], last[tp]) for tp in wanted if (key := position_key(tp))}
            remaining = set(wanted)
            while remaining:
                fetched = await consumer.getmany(
                    *remaining, timeout_ms=1000, max_records=max_records
                )
                for tp, records in fetched.items():
                    batch = [r for r in records if r.offset < end[position_key(tp)]]
                    if batch:
                        yield batch
                for tp in list(remaining):
                    if await consumer.position(tp) >= end[position_key(tp)]:
                        remaining.discard(tp)
        finally:
            await consumer.stop()


async def _all_partitions(
    consumer: AIOKafkaConsumer, topics: tuple[str, ...]
) -> list[TopicPartition]:
    partitions = []
    for topic in topics:
        numbers = consumer.partitions_for_topic(topic)
        if numbers is None:
            await consumer._client.force_metadata_update()
            numbers = consumer.partitions_for_topic(topic) or set()
        partitions += [TopicPartition(topic, p) for p in sorted(numbers)]
    return partitions


async def _seek(
    consumer: AIOKafkaConsumer, partitions: list[TopicPartition], positions: Mapping[str, int]
) -> None:
    beginnings = await consumer.beginning_offsets(partitions)
    for tp in partitions:
        consumer.seek(tp, max(positions.get(position_key(tp), 0), beginnings[tp]))
