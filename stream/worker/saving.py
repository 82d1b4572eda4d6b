"""Snapshots of the partition states, written behind the fetch loop.

Every ``interval_s`` the states changed since their last snapshot are saved by a
background task, one partition at a time and spread over the interval: saved back to
back, a round of every partition loaded the worker and the broker at once, and held most
of the latency's tail. A revocation or a shutdown hurries the rest of the round.

Under the runtime's lock a state is copied, in a thread, with the input offsets it
reflects and the outbox's mark (fetches wait for the lock; the event loop goes on sending
outputs and answering HTTP); then, without the lock, the copy is serialised in a thread
while fetches are handled, the outputs before the mark are awaited, the snapshot is
written to the state topic and only then are the offsets committed. Committed offsets
therefore never pass the saved state, and a snapshot never claims an output that is not
acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple, Protocol

from faust.types import TP

from stream.metrics import Metrics
from stream.worker.outbox import Outbox
from stream.worker.partition_state import PartitionState, StateCapture
from stream.worker.state_store import StateStore

__all__ = ["Saving"]

log = logging.getLogger(__name__)


class Committer(Protocol):
    async def commit_offsets(self, offsets: dict[TP, int]) -> bool: ...


class Saving:
    """The background save of one worker's partition states."""

    def __init__(
        self,
        store: StateStore,
        outbox: Outbox,
        lock: asyncio.Lock,
        states: dict[int, PartitionState],
        *,
        interval_s: float,
        metrics: Metrics,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._metrics = metrics
        self._clock = clock
        self._store = store
        self._outbox = outbox
        self._lock = lock
        self._states = states  # the runtime's own dict: partitions come and go
        self.interval_s = interval_s
        self.last_started_s = time.monotonic()
        self._task: asyncio.Task[None] | None = None
        self._hurry = asyncio.Event()  # set: save the rest of the round without pauses

    def show_unsaved(self) -> None:
        """Set each state's unsaved-age gauge (what a restart now would re-read)."""
        now_s = self._clock()
        gauge = self._metrics.state_unsaved_age
        for partition, state in self._states.items():
            gauge.labels(str(partition)).set(state.unsaved_age_s(now_s))

    def forget(self, partition: int) -> None:
        """Drop the gauges of a partition no longer held."""
        for gauge in (self._metrics.state_unsaved_age, self._metrics.snapshot_size):
            with contextlib.suppress(KeyError):  # never set
                gauge.remove(str(partition))

    def due(self, now_s: float) -> bool:
        """Whether to start a save now: the interval passed and none is running."""
        return self._task is None and now_s - self.last_started_s >= self.interval_s

    def start(self, now_s: float, consumer: Committer) -> None:
        """Save the changed states in the background and commit their offsets."""
        self.last_started_s = now_s
        changed = sorted(p for p, state in self._states.items() if state.changes)
        self._hurry.clear()
        self._task = asyncio.create_task(self._in_turn(changed, consumer))

    async def check(self) -> None:
        """Raise what made the last background save fail, once it is over."""
        if self._task is not None and self._task.done():
            await self.finish(None)

    async def finish(self, during: str | None) -> None:
        """Wait for the background save, if any. Its failure is raised, or logged when
        ``during`` names a moment that must go on regardless."""
        task, self._task = self._task, None
        if task is None:
            return
        self._hurry.set()
        try:
            await task
        except Exception:
            if during is None:
                raise
            log.exception("saving partition states failed %s", during)

    async def save(self, states: Sequence[PartitionState]) -> None:
        """Write snapshots of ``states`` now (on revocation; the caller holds the lock)."""
        for state in states:
            await self._write(self._snapshot(state))

    async def _in_turn(self, partitions: Sequence[int], consumer: Committer) -> None:
        """Save ``partitions`` one at a time, starting one every ``interval_s / n`` unless
        hurried, and commit the offsets each reflects; fetches are handled in between."""
        gap_s = self.interval_s / max(len(partitions), 1)
        began = time.monotonic()
        for i, partition in enumerate(partitions):
            await self._pause(began + i * gap_s - time.monotonic())
            async with self._lock:
                state = self._states.get(partition)
                if state is None:  # revoked meanwhile: saved on its way out
                    continue
                # Copied in a thread: the lock keeps every change out meanwhile, and the
                # loop goes on sending outputs and answering HTTP (fetches wait).
                snapshot = await asyncio.to_thread(self._snapshot, state)
            await self._write(snapshot)
            await consumer.commit_offsets(snapshot.offsets)

    async def _pause(self, seconds: float) -> None:
        """Wait ``seconds``, or less if the round is hurried."""
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._hurry.wait(), seconds)

    def _snapshot(self, state: PartitionState) -> _Snapshot:
        """Copy ``state`` (the caller holds the lock) with the input offsets it reflects
        and the outbox's mark after every output queued so far."""
        started = time.perf_counter()
        offsets = {TP(topic, state.partition): n for topic, n in state.offsets.items()}
        state.changes = 0
        capture = state.capture()
        return _Snapshot(state.partition, capture, offsets, self._outbox.mark(), started)

    async def _write(self, snapshot: _Snapshot) -> None:
        data = await asyncio.to_thread(snapshot.state.to_buffer)
        await self._outbox.acked(snapshot.outputs)
        await self._store.write(snapshot.partition, data, self._outbox.producer)
        self._metrics.snapshot_duration.observe(time.perf_counter() - snapshot.started)
        self._metrics.snapshot_size.labels(str(snapshot.partition)).set(len(data))


class _Snapshot(NamedTuple):
    """A copied partition state, the offsets it reflects and the outbox's mark after the
    outputs queued before it."""

    partition: int
    state: StateCapture
    offsets: dict[TP, int]
    outputs: int
    started: float  # perf_counter when the copy began
