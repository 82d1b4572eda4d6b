"""Kafka load for the streaming benchmark: a broker, shipment events, a producer at a
fixed rate, and consumers that time what they read (one in another process, so that it
shares no GIL with the producer it measures).

Uses KAFKA_BOOTSTRAP_SERVERS when set, else starts the local broker on port 19392.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from config.loader import load_catalogue, load_scoring_params
from config.settings import cache_dir, local_kafka_settings
from scoring import EventBatch, Shipments
from stream.localkafka import LocalKafka
from stream.worker.partition_state import PartitionState

T0 = 1_767_225_600.0  # 2026-01-01


@contextlib.contextmanager
def broker() -> Iterator[str]:
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        yield configured
        return
    local = LocalKafka(local_kafka_settings().version, 19392, cache_dir(), heap_mb=1024)
    local.stop()
    status = local.start(fresh=True)
    try:
        yield status.bootstrap
    finally:
        local.stop()


# The materials a shipment's index cycles through (and the seeded state's keys).
MATERIALS = ("Dy", "Tb", "NdFeB", "Ga")


def shipment(i: int, company: str, now_s: float | None = None) -> bytes:
    t = now_s if now_s is not None else T0 + i
    return orjson.dumps({
        "type": "shipment", "event_id": f"{company}/{i}",
        "event_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)),
        "company": company, "material": MATERIALS[i % len(MATERIALS)],
        "origin_country": ("CN", "AU", "MY")[i % 3], "destination_country": "JP",
        "quantity_kg": float(100 + i % 900), "status": "delivered",
    })  # fmt: skip


def company_names(n: int, companies: int) -> list[str]:
    """The company of each of ``n`` shipments, cycling through ``companies`` of them."""
    return [f"company-{i % companies}" for i in range(n)]


def key_count(n: int, companies: int) -> int:
    """Keys of :func:`company_names`' shipments: the company and the material both cycle
    with the index (one material per company when ``companies`` is a multiple of 4)."""
    return min(n, math.lcm(companies, len(MATERIALS)))


async def produce_shipments(bootstrap: str, topic: str, names: list[str]) -> None:
    """A shipment per name (its company), keyed by the company, in order."""
    await produce(bootstrap, topic, [(c.encode(), shipment(i, c)) for i, c in enumerate(names)])


async def produce(bootstrap: str, topic: str, values: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, acks=1,
                                max_batch_size=512 * 1024)  # fmt: skip
    await producer.start()
    try:
        pending = []
        for key, value in values:
            pending.append(await producer.send(topic, value, key=key))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


def input_consumer(bootstrap: str, topic: str, partition_bytes: int) -> AIOKafkaConsumer:
    """A group-less consumer of ``topic`` from its start, fetching up to
    ``partition_bytes`` per partition, as the worker's input reader is set to."""
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=partition_bytes,
    )


async def ceiling(bootstrap: str, topic: str, n: int, partition_bytes: int) -> float:
    """Events/s of a bare consumer reading and decoding n records: those after its first
    fetch, from when that fetch was decoded to the last record (the span the service's
    rate is taken over, :func:`output_span`). It fetches up to ``partition_bytes`` per
    partition, as the worker is set to."""
    consumer = input_consumer(bootstrap, topic, partition_bytes)
    await consumer.start()
    seen, counted, started = 0, 0, 0.0
    try:
        while seen < n:
            batches = await consumer.getmany(timeout_ms=2000, max_records=10_000)
            for records in batches.values():
                for record in records:
                    orjson.loads(record.value)
            fetched = sum(len(r) for r in batches.values())
            seen += fetched
            if started:
                counted += fetched
            elif fetched:
                started = time.perf_counter()
    finally:
        await consumer.stop()
    return counted / (time.perf_counter() - started)


async def output_span(
    bootstrap: str, topic: str, n: int, last_of: bytes, timeout_s: float = 60
) -> float:
    """Seconds from the first of the ``n`` records of ``topic`` to the last of those keyed
    ``last_of...``, by their timestamps (a producer stamps a record when it appends it to
    a batch). Records of other keys written later (scores republished as they decay after
    the input ran out) do not count."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    first, last, seen = float("inf"), float("-inf"), 0
    deadline = time.monotonic() + timeout_s
    try:
        while seen < n and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                first = min([first, *(r.timestamp for r in records)])
                last = max([last, *(r.timestamp for r in records if r.key.startswith(last_of))])
                seen += len(records)
    finally:
        await consumer.stop()
    if seen < n:
        raise TimeoutError(f"{seen} of {n} records of {topic} read in {timeout_s} s")
    return (last - first) / 1000.0


async def offered_load(
    bootstrap: str, topic: str, rate: float, seconds: float, prefix: str = "latency"
) -> int:
    """Send ``rate`` events/s for ``seconds``, each for a new company ``prefix-<n>``.

    The producer lingers 5 ms (Kafka 4's default ``linger.ms``): a producer sending each
    record in its own request would load the shared broker more than the service does.
    """
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks=1)
    await producer.start()
    sent = 0
    try:
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            due = int(elapsed * rate) - sent
            for _ in range(due):
                company = f"{prefix}-{sent}"
                await producer.send(
                    topic, shipment(sent, company, time.time()), key=company.encode()
                )
                sent += 1
            await asyncio.sleep(0.001)
        await producer.flush()
    finally:
        await producer.stop()
    return sent


async def record_times(
    bootstrap: str, topic: str, n: int, timeout_s: float, prefix: bytes = b"latency-"
) -> dict[bytes, int]:
    """Timestamp of the first record keyed ``prefix...`` (n of them), read from the start."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    times: dict[bytes, int] = {}
    deadline = time.monotonic() + timeout_s
    try:
        while len(times) < n and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for r in records:
                    if r.key.startswith(prefix):
                        times.setdefault(r.key, r.timestamp)
    finally:
        await consumer.stop()
    return times


def _receipts(bootstrap: str, topic: str, n_partitions: int, out: Any) -> None:
    """In a child process: (key, record timestamp, receipt time in ms) of each record
    written to ``topic`` after the start, until no record came for 3 s."""

    async def consume() -> list[tuple[bytes, int, float]]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, fetch_max_wait_ms=100)
        await consumer.start()
        partitions = [TopicPartition(topic, p) for p in range(n_partitions)]
        consumer.assign(partitions)
        for tp in partitions:
            await consumer.position(tp)  # resolve "latest" now, before the load starts
        out.put("ready")
        seen: list[tuple[bytes, int, float]] = []
        try:
            while batches := await consumer.getmany(timeout_ms=3000 if seen else 60_000):
                now_ms = time.time() * 1000
                for records in batches.values():
                    seen += [(r.key or b"", r.timestamp, now_ms) for r in records]
        finally:
            await consumer.stop()
        return seen

    out.put(asyncio.run(consume()))


@contextlib.contextmanager
def receiving(bootstrap: str, topic: str, partitions: int = 4) -> Iterator[Callable[[], list[Any]]]:
    """A consumer of ``topic`` in another process (it does not share this one's GIL);
    the callable waits for its receipts (see :func:`_receipts`)."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    child = context.Process(target=_receipts, args=(bootstrap, topic, partitions, out))
    child.start()
    try:
        out.get(timeout=60)
        yield lambda: list(out.get(timeout=300))
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()


async def create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        if topic not in await admin.list_topics():
            await admin.create_topics([NewTopic(topic, partitions, replication_factor=1)])
    finally:
        await admin.close()


def seeded_state(partition: int, keys: int) -> PartitionState:
    """A partition state holding ``keys`` keys (each company with every material)."""
    state = PartitionState.empty(partition, load_catalogue(), load_scoring_params())
    for start in range(0, keys, 100_000):
        n = min(100_000, keys - start)
        i = np.arange(start, start + n)
        s = Shipments(
            event_id=np.char.add(f"seed-{partition}-", i.astype(str)),
            time_s=T0 + i.astype(np.float64),
            company=np.char.add(f"co-{partition}-", (i // len(MATERIALS)).astype(str)),
            material=np.array(MATERIALS)[i % len(MATERIALS)],
            origin=np.array(["CN", "AU", "MY"])[i % 3],
            destination=np.full(n, "JP"),
            quantity_kg=np.full(n, 100.0),
            status=np.full(n, 1, dtype=np.int8),
        )
        state.engine.apply(EventBatch.of(shipments=s))
    return state
