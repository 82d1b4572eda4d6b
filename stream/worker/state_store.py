"""Partition snapshots on a compacted Kafka topic: written in chunks, read back whole.

The state topic has as many partitions as the inputs, and the snapshot of input partition
``p`` lives in state partition ``p``. A snapshot is split into chunks of at most
``CHUNK_BYTES`` written under keys ``<slot>:<i>`` (two slots, used alternately), then a
manifest under key ``m`` naming the slot, the chunk count, the generation and a digest.
Compaction keeps the latest value per key, so reading a partition to its end yields the
last manifest and its chunks; a crash while writing only ever spoils the slot the current
manifest does not point to.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from scoring.packing import BytesLike
from stream.codec import decode, encode
from stream.deadletter import Outgoing
from stream.errors import StreamError
from stream.worker.output import OutputProducer

__all__ = ["CHUNK_BYTES", "StateStore"]

# Below the 1 MB default request and message limits of producers and brokers.
CHUNK_BYTES = 512 * 1024
_GENERATION_BYTES = 8
_CHUNKS_PER_STEP = 8  # 4 MB of chunks handed to the producer between fetches


def _chunked(data: BytesLike, generation: int) -> tuple[list[bytes], str]:
    """The record values of a snapshot's chunks (generation-prefixed) and its digest."""
    prefix = generation.to_bytes(_GENERATION_BYTES, "big")
    values = [prefix + data[i : i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)]
    return values or [prefix], hashlib.sha256(data).hexdigest()


class StateStore:
    """Reads and writes partition snapshots on ``topic``."""

    def __init__(self, topic: str, bootstrap: str, client_options: dict[str, Any]) -> None:
        self._topic = topic
        self._bootstrap = bootstrap
        self._client_options = client_options
        self._generation: dict[int, int] = {}

    async def write(self, partition: int, data: BytesLike, producer: OutputProducer) -> None:
        """Write a snapshot of ``partition``; returns once every record is acked.

        The chunks and the digest are made in a thread and the chunks handed to the
        producer a few at a time: a snapshot of tens of megabytes would otherwise hold
        the event loop for tens of milliseconds of copying and hashing.
        """
        generation = self._generation.get(partition, 0) + 1
        self._generation[partition] = generation
        slot = generation % 2
        values, digest = await asyncio.to_thread(_chunked, data, generation)
        records = [
            Outgoing(self._topic, f"{slot}:{i}".encode(), value) for i, value in enumerate(values)
        ]
        acks: list[asyncio.Future[Any]] = []
        for start in range(0, len(records), _CHUNKS_PER_STEP):
            acks += await producer.send(records[start : start + _CHUNKS_PER_STEP], partition)
            await asyncio.sleep(0)  # fetches are handled between steps
        await asyncio.gather(*acks)
        manifest = {"generation": generation, "slot": slot, "chunks": len(values), "sha256": digest}
        await producer.send_all([Outgoing(self._topic, b"m", encode(manifest))], partition)

    async def read(self, partition: int) -> bytes | None:
        """The latest complete snapshot of ``partition``, or None when there is none."""
        latest = await self._read_to_end(partition)
        raw_manifest = latest.get(b"m")
        if raw_manifest is None:
            return None
        manifest = decode(raw_manifest)
        if not isinstance(manifest, dict):
            raise StreamError(f"state partition {partition}: bad manifest")
        generation = int(manifest["generation"])
        self._generation[partition] = max(self._generation.get(partition, 0), generation)
        prefix = generation.to_bytes(_GENERATION_BYTES, "big")
        parts: list[bytes] = []
        for i in range(int(manifest["chunks"])):
            chunk = latest.get(f"{manifest['slot']}:{i}".encode())
            if chunk is None or not chunk.startswith(prefix):
                raise StreamError(f"state partition {partition}: chunk {i} of "
                                  f"generation {generation} is missing")  # fmt: skip
            parts.append(chunk[_GENERATION_BYTES:])
        data = b"".join(parts)
        if hashlib.sha256(data).hexdigest() != manifest["sha256"]:
            raise StreamError(f"state partition {partition}: snapshot digest mismatch")
        return data

    async def _read_to_end(self, partition: int) -> dict[bytes, bytes]:
        tp = TopicPartition(self._topic, partition)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=8 * CHUNK_BYTES,
            fetch_max_bytes=64 * CHUNK_BYTES,
            **self._client_options,
        )
        await consumer.start()
        latest: dict[bytes, bytes] = {}
        try:
            consumer.assign([tp])
            end = (await consumer.end_offsets([tp]))[tp]
            # An explicit seek: seek_to_beginning() only requests a reset, which can race
            # with the reset that assign() already scheduled.
            consumer.seek(tp, (await consumer.beginning_offsets([tp]))[tp])
            while await consumer.position(tp) < end:
                for records in (await consumer.getmany(tp, timeout_ms=1000)).values():
                    for record in records:
                        if record.key is None:
                            continue
                        if record.value is None:  # a tombstone
                            latest.pop(record.key, None)
                        else:
                            latest[record.key] = record.value
        finally:
            await consumer.stop()
        return latest
