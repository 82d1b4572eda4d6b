"""Faust's consumer kept for the group, off the hot path.

Faust's per-message path (an ``Event`` per record, queues, acks) measured at about 5k
events/s, and even whole fetches taken from its consumer, which runs in a thread of its
own, cost the handler a third of its throughput and most of its p99 latency
(docs/ARCHITECTURE.md, "The hot path"). So the consumer below keeps what Faust does for
the group — membership, partition assignment, rebalance callbacks, the commit call — and
never hands over the records of the app's ``self_read_topics``: the worker reads those on
its own event loop (:mod:`stream.worker.inputs`). Records of any other topic still take
Faust's own path.

The client leaves the group when no fetch has run for ``max_poll_interval_ms``, and only a
fetch in its fetch context counts: the loop below keeps polling for the other topics'
partitions, or for a partition that is never assigned when there are none (an empty set
means *all* partitions to the client).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, cast

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

__all__ = ["GroupApp", "GroupConsumer"]

# Polled when no partition of another topic is assigned: a topic name Kafka refuses.
_NOTHING = TP("", -1)
_POLL_S = 1.0


class GroupConsumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer that leaves the app's ``self_read_topics`` to the worker."""

    async def commit_offsets(self, offsets: Mapping[TP, int]) -> bool:
        """Commit ``offsets`` (next offsets to read) for partitions still assigned."""
        return bool(await self._commit_offsets(offsets))

    def verify_event_path(self, now: float, tp: TP) -> None:
        # The worker fetches those partitions itself: this consumer's fetch requests for
        # them stop once one response is buffered, which Faust would log as a stalled path.
        if tp.topic not in cast(GroupApp, self.app).self_read_topics:
            super().verify_event_path(now, tp)

    async def _drain_messages(self, fetcher: Any) -> None:
        consumer_stopped = self._stopped.is_set
        fetcher_stopped = fetcher._stopped.is_set
        try:
            while not (consumer_stopped() or fetcher_stopped()):
                records = await self._poll_others()
                if self.should_stop:
                    break
                for tp, tp_records in records.items():
                    await self._deliver_one_by_one(tp, tp_records)
        except self.consumer_stopped_errors:
            if not self.transport.app.should_stop:
                raise
        except asyncio.CancelledError:
            if not self.transport.app.should_stop:
                raise

    async def _poll_others(self) -> Mapping[TP, Sequence[Any]]:
        """Records of the active partitions of other topics (waiting up to a second)."""
        if not self.flow_active:
            await self.wait(self.can_resume_flow)  # type: ignore[arg-type]
        self_read = cast(GroupApp, self.app).self_read_topics
        active = self._get_active_partitions()
        others = {tp for tp in active if tp.topic not in self_read} or {_NOTHING}
        records = await self._getmany(active_partitions=others, timeout=_POLL_S)
        return {tp: rs for tp, rs in (records or {}).items() if tp in others}

    async def _deliver_one_by_one(self, tp: TP, records: Sequence[Any]) -> None:
        """Faust's own per-message path, for topics the worker does not read itself."""
        for record in records:
            message = self._to_message(tp, record)
            read = self._read_offset[tp]
            if read is None or message.offset >= read:
                await self.wait_first(self.callback(message), self.suspend_flow.wait())
                self._read_offset[tp] = message.offset


class _GroupTransport(faust_aiokafka.Transport):
    Consumer = GroupConsumer


class GroupApp(faust.App):
    """A Faust app whose consumer leaves ``self_read_topics`` to the worker."""

    # Topics the worker reads itself; their partitions are still assigned by the group.
    self_read_topics: frozenset[str] = frozenset()

    def _new_transport(self) -> Any:
        return _GroupTransport(self.conf.broker_consumer, self)
