"""The broadcast reader's catch-up against the real broker: a range read a bounded fetch
at a time, every record of it once and nothing past its end."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from stream.worker.broadcast import BroadcastReader
from tests.integration.conftest import TopicFactory


async def test_a_catch_up_reads_its_range_a_bounded_fetch_at_a_time(
    kafka_bootstrap: str, new_topic: TopicFactory
) -> None:
    topic = await new_topic("broadcast", partitions=2)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(80):
            await producer.send(topic, f"news-{i}".encode(), partition=i % 2)
        await producer.flush()
    finally:
        await producer.stop()

    reader = BroadcastReader([topic], kafka_bootstrap, {})
    await reader.start({})
    try:
        # Partition 0 from offset 5, partition 1 from its beginning (absent from start).
        start = {f"{topic}:0": 5}
        end = {f"{topic}:0": 25, f"{topic}:1": 28}
        fetches = [batch async for batch in reader.read_range(start, end, max_records=7)]
    finally:
        await reader.stop()

    assert fetches
    assert all(1 <= len(batch) <= 7 for batch in fetches)
    assert all(len({r.partition for r in batch}) == 1 for batch in fetches)
    offsets = {p: [r.offset for b in fetches for r in b if r.partition == p] for p in (0, 1)}
    assert offsets == {0: list(range(5, 25)), 1: list(range(28))}
    values = [r.value for b in fetches for r in b if r.partition == 1]
    assert values == [f"news-{2 * i + 1}".encode() for i in range(28)]
