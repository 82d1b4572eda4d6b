"""Publish a JSON Lines file of mixed events to the input topics, keyed for partitioning.

Each event goes to the input topic of its ``type`` with the partition key of
:func:`stream.routing.partition_key`; the original line is sent unchanged, so what the
workers decode is exactly what the file holds. Lines that are not events are reported
and skipped, never sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaProducer

from config.settings import KafkaSettings, TopicSettings
from stream.codec import decode
from stream.errors import DecodeError
from stream.routing import event_kind, partition_key

__all__ = ["ReplayReport", "replay_file"]

# Awaiting acks every so many sends bounds memory (pending futures) on large files.
_ACK_EVERY = 5_000
_PROGRESS_EVERY = 250


@dataclass(slots=True)
class ReplayReport:
    sent: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def topic_of(topics: TopicSettings) -> dict[str, str]:
    return {
        "shipment": topics.shipments,
        "licence_decision": topics.licence_decisions,
        "news": topics.news,
        "profile": topics.profiles,
    }


def _routed(path: Path, report: ReplayReport) -> Iterator[tuple[str, bytes, bytes]]:
    """(kind, key, line) of each valid line; invalid lines go to ``report.skipped``."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.strip()
            if not line:
                continue
            try:
                event = decode(line)
                if not isinstance(event, dict):
                    raise DecodeError("not a JSON object")
                yield event_kind(event), partition_key(event).encode(), line
            except DecodeError as error:
                report.skipped.append((number, str(error)))


async def replay_file(
    path: Path,
    bootstrap: str,
    kafka: KafkaSettings,
    topics: TopicSettings,
    *,
    rate: float | None = None,
    on_progress: Callable[[int], None] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> ReplayReport:
    """Send every event of ``path``; at most ``rate`` events per second when given."""
    report = ReplayReport()
    destinations = topic_of(topics)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        **kafka.client_options(),
    )
    await producer.start()
    try:
        pending: list[asyncio.Future[object]] = []
        started = time.monotonic()
        for kind, key, line in _routed(path, report):
            pending.append(await producer.send(destinations[kind], line, key=key or None))
            report.sent += 1
            if rate is not None:
                ahead_s = report.sent / rate - (time.monotonic() - started)
                if ahead_s > 0:
                    await sleep(ahead_s)
            if len(pending) >= _ACK_EVERY:
                await asyncio.gather(*pending)
                pending.clear()
            if on_progress is not None and report.sent % _PROGRESS_EVERY == 0:
                on_progress(report.sent)
        await asyncio.gather(*pending)
        if on_progress is not None:
            on_progress(report.sent)
    finally:
        await producer.stop()
    return report
