"""Fetching the partitioned input topics on the worker's own event loop.

Faust's group decides which input partitions this worker holds; the records of those
partitions are read by a group-less consumer on the event loop's thread, assigned exactly
what the group assigned and positioned where each partition's state ends. Fetching through
Faust's consumer, which runs in a thread of its own, cost the handler a third of its
throughput and most of its p99 latency (docs/ARCHITECTURE.md, "The hot path").

Every change of assignment starts a new *generation*. Records fetched in an earlier one
are never handled, and since taking them moved the client past them, the runtime then
has the reader :meth:`~InputReader.rewind` to the positions of its last assignment.

A fetch is decoded (``prepare``) as soon as it is taken, before the runtime handles it.
:mod:`stream.worker.reader_process` runs this reader in a process of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition

from config.settings import Settings
from stream.worker.prepared import Prepared

__all__ = ["Fetch", "InputReader", "Inputs", "positions_of"]

# How long a fetch waits when nothing is buffered, and when nothing is assigned.
WAIT_MS = 1_000
IDLE_S = 0.1

Fetch = dict[TopicPartition, list[Any]]
Positions = Mapping[TopicPartition, int | None]


class Inputs(Protocol):
    """What the runtime asks of the reader of its partitioned inputs."""

    generation: int

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def assign(self, positions: Positions) -> None:
        """Read exactly the partitions of ``positions``, each from its offset (None: the
        earliest the broker still has); starts a new generation."""

    async def rewind(self) -> None:
        """A fetch made before the last assignment was dropped: read again from its
        positions."""

    async def fetch(self) -> tuple[int, dict[Any, Prepared]]:
        """The generation a fetch was made in, and its records decoded, by partition."""
        ...

    def highwater(self, tp: TopicPartition) -> int | None:
        """The partition's last known high watermark (None before its first fetch)."""


class InputReader:
    """A group-less consumer of the partitioned input topics."""

    def __init__(
        self,
        bootstrap: str,
        client_options: Mapping[str, Any],
        *,
        max_records: int,
        top_up_s: float,
        partition_bytes: int,
        prepare: Callable[[Fetch], dict[Any, Prepared]],
        wait_ms: int = WAIT_MS,
    ) -> None:
        self._options = {
            "bootstrap_servers": bootstrap,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            # The client asks for a partition's next records only once it handed out the
            # last: a larger response leaves fewer gaps (docs/PERFORMANCE.md).
            "max_partition_fetch_bytes": partition_bytes,
            **client_options,
        }
        self._max_records = max_records
        self._top_up_ms = round(top_up_s * 1000)
        self._prepare = prepare
        self._wait_ms = wait_ms
        self._consumer: AIOKafkaConsumer | None = None
        self._positions: dict[TopicPartition, int | None] = {}
        self.partitions: frozenset[TopicPartition] = frozenset()
        self.generation = 0

    @classmethod
    def for_worker(
        cls,
        settings: Settings,
        bootstrap: str,
        prepare: Callable[[Fetch], dict[Any, Prepared]],
        wait_ms: int = WAIT_MS,
    ) -> InputReader:
        """The reader of a worker of ``settings``: its client options and fetch sizes."""
        worker = settings.worker
        return cls(
            bootstrap, settings.kafka.client_options(),
            max_records=worker.batch_max_events, top_up_s=worker.fetch_top_up_s,
            partition_bytes=worker.fetch_partition_bytes, prepare=prepare, wait_ms=wait_ms,
        )  # fmt: skip

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(**self._options)
        await consumer.start()
        self._consumer = consumer

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def assign(self, positions: Positions) -> None:
        """Read exactly the partitions of ``positions``, each from its offset (None: the
        earliest the broker still has); starts a new generation."""
        consumer = self._consumer
        assert consumer is not None, "start() first"  # noqa: S101 - programming error
        self._positions = dict(positions)
        partitions = [TopicPartition(tp.topic, tp.partition) for tp in positions]
        # Asked first: between the assignment and the seeks below, the client must not
        # get a turn to position the partitions itself.
        beginnings = await consumer.beginning_offsets(partitions) if partitions else {}
        self.generation += 1
        self.partitions = frozenset(partitions)
        if not partitions:
            consumer.unsubscribe()
            return
        consumer.assign(partitions)
        for tp, offset in zip(partitions, positions.values(), strict=True):
            consumer.seek(tp, max(offset or 0, beginnings[tp]))

    async def rewind(self) -> None:
        """Read again from the positions of the last assignment (a new generation)."""
        await self.assign(self._positions)

    async def fetch(self) -> tuple[int, dict[Any, Prepared]]:
        """The generation and the next records of the assigned partitions (waiting up to
        ``wait_ms`` when none are buffered, a tenth of a second when none are assigned),
        topped up with those produced since, and decoded.

        The client buffers one fetch response per partition and asks for the next only
        once that one is taken: what it hands over was fetched when the previous batch
        was taken, and everything produced while that batch was handled is still on the
        broker. Taking that too, one short round trip later, saves a whole handling
        cycle of latency.
        """
        generation, consumer = self.generation, self._consumer
        if consumer is None or not self.partitions:
            await asyncio.sleep(IDLE_S)
            return generation, {}
        records = await self._take(consumer, self._wait_ms)
        if records and self._top_up_ms > 0 and generation == self.generation:
            for tp, more in (await self._take(consumer, self._top_up_ms)).items():
                records[tp] = [*records.get(tp, ()), *more]
        return generation, self._prepare(records) if records else {}

    async def _take(self, consumer: AIOKafkaConsumer, timeout_ms: int) -> Fetch:
        fetched = await consumer.getmany(timeout_ms=timeout_ms, max_records=self._max_records)
        return {tp: records for tp, records in fetched.items() if records}

    def highwater(self, tp: TopicPartition) -> int | None:
        """The partition's last known high watermark (None before its first fetch)."""
        tp = TopicPartition(tp.topic, tp.partition)
        if self._consumer is None or tp not in self.partitions:
            return None
        highwater: int | None = self._consumer.highwater(tp)
        return highwater


def positions_of(
    offsets: Mapping[int, Mapping[str, int]], topics: Sequence[str]
) -> dict[TopicPartition, int | None]:
    """Where each topic's partition of ``offsets`` (partition -> its state's next offset
    by topic) is read from: that offset, None when the state recorded none."""
    return {
        TopicPartition(topic, p): offsets[p].get(topic) for p in sorted(offsets) for topic in topics
    }
