"""A batched hot path inside Faust: whole fetches of our input topics go to one handler.

Faust's per-message path (an ``Event`` per record, queues, acks) measured at about 5k
events/s on this stack, against about 130k events/s when a fetch is handed over as it
comes (docs/ARCHITECTURE.md, "The hot path"). So the consumer below keeps everything Faust
does around the fetch loop — group membership, partition assignment, rebalance callbacks,
seeking to committed offsets, pausing during recovery, the commit call — and replaces only
the loop that turns fetched records into per-message callbacks, for the topics that the
:class:`BatchSink` claims. Records of any other topic still take Faust's own path.

Offsets of the batch topics are never acknowledged per message: the sink commits them
itself, through :meth:`BatchConsumer.commit_offsets`, once its state reflecting them is
durable (see :mod:`stream.worker.runtime`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, cast

import faust
from aiokafka.errors import IllegalStateError
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

__all__ = ["BatchApp", "BatchConsumer", "BatchSink"]


class BatchSink(Protocol):
    """Where fetched records of the batch topics go."""

    topics: frozenset[str]
    # After a non-empty fetch, how long to wait for the records produced since (0: never).
    fetch_top_up_s: float

    async def handle(self, records: Mapping[TP, Sequence[Any]]) -> None:
        """Process one fetch: ``{TP: [aiokafka ConsumerRecord, ...]}``, in offset order."""

    async def tick(self, consumer: BatchConsumer) -> None:
        """Called after every fetch (also empty ones): periodic snapshots and commits."""


class BatchConsumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer with a batch path for the sink's topics."""

    async def commit_offsets(self, offsets: Mapping[TP, int]) -> bool:
        """Commit ``offsets`` (next offsets to read) for partitions still assigned."""
        return bool(await self._commit_offsets(offsets))

    async def _drain_messages(self, fetcher: Any) -> None:
        sink = cast(BatchApp, self.app).batch_sink
        consumer_stopped = self._stopped.is_set
        fetcher_stopped = fetcher._stopped.is_set
        try:
            while not (consumer_stopped() or fetcher_stopped()):
                records = await self._fetch(sink.fetch_top_up_s)
                if self.should_stop:
                    break
                if records and not self.flow_active:  # a rebalance began during the fetch
                    await self._rewind(records)
                    continue
                generation = self.app.consumer_generation_id
                batch: dict[TP, Sequence[Any]] = {}
                for tp, tp_records in records.items():
                    if tp.topic in sink.topics:
                        batch[tp] = tp_records
                    else:
                        await self._deliver_one_by_one(tp, tp_records)
                if batch and self.app.consumer_generation_id == generation:
                    await sink.handle(batch)
                await sink.tick(self)
        except self.consumer_stopped_errors:
            if not self.transport.app.should_stop:
                raise
        except asyncio.CancelledError:
            if not self.transport.app.should_stop:
                raise

    async def _fetch(self, top_up_s: float) -> dict[TP, Sequence[Any]]:
        """The next fetch, topped up with the records produced since it was buffered.

        The client buffers one fetch response per partition and asks for the next only
        once that one is taken: what it hands over was fetched when the previous batch
        was taken, and everything produced while that batch was handled is still on the
        broker. Taking that too, one short round trip later, saves a whole handling cycle
        of latency.
        """
        records = await self._next_records(1.0)
        if records and top_up_s > 0 and self.flow_active:
            generation = self.app.consumer_generation_id
            for tp, more in (await self._next_records(top_up_s)).items():
                records[tp] = [*records.get(tp, ()), *more]
            if self.app.consumer_generation_id != generation:
                # A rebalance happened during the top-up: the records may hold partitions
                # no longer ours and miss ones now ours. Read them again instead.
                await self._rewind(records)
                return {}
        return records

    async def _next_records(self, timeout_s: float) -> dict[TP, Sequence[Any]]:
        """Records of the active partitions, waiting up to ``timeout_s`` when none are
        buffered."""
        records, active = await self._wait_next_records(timeout_s)
        return {
            tp: tp_records
            for tp, tp_records in (records or {}).items()
            if active is None or tp in active
        }

    async def _rewind(self, records: Mapping[TP, Sequence[Any]]) -> None:
        """Seek every partition of ``records`` still assigned back to its first record
        (what the states already hold is deduplicated when read again).

        Not Faust's ``perform_seek``: the client's seek to committed offsets leaves a
        partition with no committed offset where it is, which would lose the records.
        """
        assigned = self.assignment()
        for tp, tp_records in records.items():
            if tp in assigned:
                try:
                    await self.seek(tp, min(record.offset for record in tp_records))
                except IllegalStateError:  # revoked since
                    continue

    async def _deliver_one_by_one(self, tp: TP, records: Sequence[Any]) -> None:
        """Faust's own per-message path, for topics the sink does not claim."""
        for record in records:
            message = self._to_message(tp, record)
            read = self._read_offset[tp]
            if read is None or message.offset >= read:
                await self.wait_first(self.callback(message), self.suspend_flow.wait())
                self._read_offset[tp] = message.offset


class _BatchTransport(faust_aiokafka.Transport):
    Consumer = BatchConsumer


class BatchApp(faust.App):
    """A Faust app whose consumer hands the sink's topics to ``batch_sink`` in batches."""

    batch_sink: BatchSink

    def _new_transport(self) -> Any:
        return _BatchTransport(self.conf.broker_consumer, self)
