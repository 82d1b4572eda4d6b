"""Producing a batch's outputs as whole record batches, one per topic partition.

A batch of input can change tens of thousands of keys. Sending their score records one by
one through a producer's ``send`` costs a future and a Python call chain per record;
filling one ``BatchBuilder`` per partition and submitting it with ``send_batch`` costs
an ``append`` per record. The producer is idempotent with ``acks=all``; :meth:`send_all`
returns once the broker acknowledged every record, so input offsets are committed only
after their outputs are durable.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from stream.deadletter import Outgoing

__all__ = ["OutputProducer"]

_BATCH_BYTES = 512 * 1024


class OutputProducer:
    """An idempotent producer that writes outputs grouped by topic partition."""

    def __init__(self, bootstrap: str, client_options: Mapping[str, Any]) -> None:
        self._options = {
            "bootstrap_servers": bootstrap,
            "acks": "all",
            "enable_idempotence": True,
            "linger_ms": 2,
            "max_batch_size": _BATCH_BYTES,
            "max_request_size": 2 * _BATCH_BYTES,
            **client_options,
        }
        self._producer: AIOKafkaProducer | None = None  # made on start: it needs the loop
        self._starting: asyncio.Lock | None = None
        self._partitioner = DefaultPartitioner()
        self._partitions: dict[str, list[int]] = {}

    async def start(self) -> AIOKafkaProducer:
        """The started producer; concurrent first callers share one."""
        if self._producer is not None:
            return self._producer
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._producer is None:
                producer = AIOKafkaProducer(**self._options)
                await producer.start()
                self._producer = producer
        return self._producer

    async def prepare(self, topics: Sequence[str]) -> None:
        """Start and learn the partitions of ``topics`` now, so the first batch of outputs
        does not wait for a connection and metadata."""
        producer = await self.start()
        for topic in topics:
            await self._partitions_of(topic, producer)

    def partition_counts(self, topics: Sequence[str]) -> dict[str, int]:
        """The partition count of each of ``topics`` learned by :meth:`prepare`."""
        return {topic: len(self._partitions[topic]) for topic in topics}

    async def stop(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()

    async def send_all(self, records: Sequence[Outgoing], partition: int | None = None) -> None:
        """Send ``records`` and await the acks."""
        await asyncio.gather(*await self.send(records, partition))

    async def send(
        self, records: Sequence[Outgoing], partition: int | None = None
    ) -> list[asyncio.Future[Any]]:
        """Queue ``records`` for sending; the futures resolve when the broker acked them.

        Each record goes to ``partition`` when given, else to its own ``partition`` (modulo
        the topic's partition count), else where Kafka's default partitioner puts its key.
        """
        if not records:
            return []
        producer = await self.start()
        grouped: dict[tuple[str, int], list[Outgoing]] = defaultdict(list)
        known = self._partitions  # the common case needs no coroutine per record
        for record in records:
            target = partition if partition is not None else record.partition
            if target is None:
                target = await self._partition_of(record, producer)
            else:
                partitions = known.get(record.topic)
                if partitions is None:
                    partitions = await self._partitions_of(record.topic, producer)
                target %= len(partitions)
            grouped[(record.topic, target)].append(record)
        acks: list[asyncio.Future[Any]] = []
        for (topic, target), group in grouped.items():
            batch = producer.create_batch()
            for record in group:
                if not _append(batch, record):
                    acks.append(await _send_closed(producer, batch, topic, target))
                    batch = producer.create_batch()
                    _append(batch, record)
            acks.append(await _send_closed(producer, batch, topic, target))
        return acks

    async def _partitions_of(self, topic: str, producer: AIOKafkaProducer) -> list[int]:
        partitions = self._partitions.get(topic)
        if partitions is None:
            partitions = sorted(await producer.partitions_for(topic))
            self._partitions[topic] = partitions
        return partitions

    async def _partition_of(self, record: Outgoing, producer: AIOKafkaProducer) -> int:
        partitions = await self._partitions_of(record.topic, producer)
        return int(self._partitioner(record.key, partitions, partitions))


async def _send_closed(
    producer: AIOKafkaProducer, batch: Any, topic: str, partition: int
) -> asyncio.Future[Any]:
    """Hand over a whole batch. Closed, it is sent at once: the client holds an open batch
    for ``linger_ms`` in case more records come, and none will (2.4 ms per batch measured)."""
    batch.close()
    ack: asyncio.Future[Any] = await producer.send_batch(batch, topic, partition=partition)
    return ack


def _append(batch: Any, record: Outgoing) -> bool:
    """Add ``record`` to ``batch``; False when the batch is full."""
    metadata = batch.append(
        timestamp=None, key=record.key, value=record.value, headers=list(record.headers)
    )
    return metadata is not None
