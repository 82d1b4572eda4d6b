"""Outputs queued by the fetch loop and handed to the producer by a sender task.

The producer takes a partition's next record batch only once the previous one left
(aiokafka's accumulator waits for it to drain) and keeps one request in flight per
broker, so a fetch loop that handed its outputs straight to the producer waited, after
every fetch, for the last request to come back. When the broker slowed down for a
moment, that wait grew every fetch and the worker fell seconds behind while mostly idle.
Queueing costs the fetch loop an append; one sender task hands the queue over in order
(a partition's records keep their order) and, while it waits for the producer, whatever
is queued meanwhile goes in its next hand-over as larger batches.

A snapshot must not claim an output that is not acknowledged: :meth:`Outbox.mark` after
the state change and :meth:`Outbox.acked` before the snapshot is written. Memory is
bounded: past ``max_queued`` records not yet handed over, :meth:`Outbox.send` waits for
the sender (backpressure on the fetch loop). A failed send is raised by the next
:meth:`Outbox.send` or :meth:`Outbox.acked`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Sequence
from typing import Any

from stream.deadletter import Outgoing
from stream.worker.output import OutputProducer

__all__ = ["Outbox"]

_MAX_QUEUED = 50_000  # records queued and not yet handed to the producer


class Outbox:
    """Outputs in order, sent in the background; acknowledgements awaited by marks."""

    def __init__(self, producer: OutputProducer, max_queued: int = _MAX_QUEUED) -> None:
        self.producer = producer
        self._max = max_queued
        self._queue: list[Outgoing] = []
        self._queued = 0  # records ever queued
        self._handed = 0  # records ever handed to the producer
        # (records handed before its hand-over, its acknowledgement), oldest first
        self._acks: deque[tuple[int, asyncio.Future[Any]]] = deque()
        self._wake = asyncio.Event()
        self._moved = asyncio.Event()  # replaced after each hand-over
        self._sender: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None

    async def send(self, records: Sequence[Outgoing]) -> None:
        """Queue ``records``; waits only while too many are queued."""
        self._raise_failure()
        while self._acks and self._acks[0][1].done():
            self._acks.popleft()  # a failure was recorded by its callback
        if not records:
            return
        self._queue += records
        self._queued += len(records)
        if self._sender is None:
            self._sender = asyncio.create_task(self._run(), name="outbox-sender")
        self._wake.set()
        while self._queued - self._handed > self._max:
            await self._next_move()

    def mark(self) -> int:
        """A mark after every record queued so far."""
        return self._queued

    async def acked(self, mark: int) -> None:
        """Return once every record queued before ``mark`` is acknowledged."""
        while self._handed < mark:
            await self._next_move()
        await asyncio.gather(*(ack for start, ack in list(self._acks) if start < mark))
        self._raise_failure()

    async def close(self) -> None:
        """Send and acknowledge everything queued, then stop the sender."""
        try:
            await self.acked(self.mark())
        finally:
            if self._sender is not None:
                self._sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._sender
                self._sender = None

    async def _next_move(self) -> None:
        moved = self._moved
        self._raise_failure()
        await moved.wait()
        self._raise_failure()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise RuntimeError(f"sending outputs failed: {self._failure!r}") from self._failure

    async def _run(self) -> None:
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._queue:
                    chunk, self._queue = self._queue, []
                    start = self._handed
                    for ack in await self.producer.send(chunk):
                        ack.add_done_callback(self._record_failure)
                        self._acks.append((start, ack))
                    self._handed += len(chunk)
                    self._announce()
        except Exception as exc:  # noqa: BLE001 - kept, raised to the fetch loop
            self._failure = exc
            self._announce()

    def _announce(self) -> None:
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()

    def _record_failure(self, ack: asyncio.Future[Any]) -> None:
        if not ack.cancelled() and ack.exception() is not None and self._failure is None:
            self._failure = ack.exception()
            self._announce()
