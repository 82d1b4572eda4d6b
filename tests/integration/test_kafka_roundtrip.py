"""Our Kafka client stack against the real broker: idempotent producer, group commits."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from tests.integration.conftest import TopicFactory, unique


async def _consume(
    bootstrap: str, topic: str, group: str, count: int
) -> tuple[list[bytes], AIOKafkaConsumer]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    values: list[bytes] = []
    while len(values) < count:
        batches = await consumer.getmany(timeout_ms=10_000, max_records=count - len(values))
        assert batches, "no records within 10 s"
        for records in batches.values():
            values.extend(r.value for r in records if r.value is not None)
    return values, consumer


async def test_idempotent_producer_and_group_resume(
    kafka_bootstrap: str, new_topic: TopicFactory
) -> None:
    topic = await new_topic("roundtrip", partitions=1)
    group = unique("group")
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        for i in range(10):
            await producer.send_and_wait(topic, f"event-{i}".encode(), key=b"k")
    finally:
        await producer.stop()

    first, consumer = await _consume(kafka_bootstrap, topic, group, 4)
    assert first == [f"event-{i}".encode() for i in range(4)]
    await consumer.commit({TopicPartition(topic, 0): 4})
    await consumer.stop()

    # A new member of the same group resumes after the committed offset, not from the start.
    rest, consumer = await _consume(kafka_bootstrap, topic, group, 6)
    await consumer.stop()
    assert rest == [f"event-{i}".encode() for i in range(4, 10)]
