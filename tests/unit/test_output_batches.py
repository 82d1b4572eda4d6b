"""Outputs are handed to the client as closed record batches, so none waits for linger."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka.producer.message_accumulator import BatchBuilder, MessageBatch
from aiokafka.structs import TopicPartition

from stream.deadletter import Outgoing
from stream.worker.output import OutputProducer


class Client:
    """Records each batch handed over and whether the client would hold it for linger."""

    def __init__(self, batch_bytes: int) -> None:
        self.batch_bytes = batch_bytes
        self.sent: list[tuple[str, int, int, bool]] = []

    def create_batch(self) -> BatchBuilder:
        return BatchBuilder(self.batch_bytes, 0)

    async def send_batch(self, batch: BatchBuilder, topic: str, *, partition: int) -> Any:
        held = MessageBatch(TopicPartition(topic, partition), batch, ttl=30, linger_time=60)
        self.sent.append((topic, partition, batch.record_count(), held.remaining_linger() is None))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


async def test_every_batch_handed_over_is_closed_and_ready_to_send() -> None:
    client = Client(batch_bytes=1024)
    output = OutputProducer("127.0.0.1:9", {})
    output._producer = client
    output._partitions = {"scores": [0, 1]}
    records = [Outgoing("scores", b"k%d" % i, b"v" * 100, (), i % 2) for i in range(30)]
    await asyncio.gather(*await output.send(records))
    assert sum(count for _, _, count, _ in client.sent) == 30
    assert len(client.sent) > 2  # 1 KiB batches: each partition's records were split
    assert all(ready for *_, ready in client.sent)
