"""The worker's state machine: partitions come and go, batches are scored, state is saved.

- **Assignment.** For each input partition the group assigns to this worker, the
  partition's latest snapshot is read from the state topic (or an empty state is made)
  and caught up with the broadcast topics before the worker reports ready.
- **Batches.** Records of the partitioned topics are fetched and decoded by this
  worker's input reader, in a process of its own (:mod:`stream.worker.reader_process`)
  or on the event loop (:mod:`stream.worker.inputs`), assigned what the group assigned
  and positioned at each state's offsets; records of the broadcast topics come from its
  broadcast reader (:mod:`stream.worker.broadcast`) and are applied to every partition
  state. Their outputs are queued in the outbox (:mod:`stream.worker.outbox`), which
  sends them in the background; they are acknowledged (``acks=all``) before any
  snapshot that reflects them is written.
- **Durability** (:mod:`stream.worker.saving`). Every ``snapshot_interval_s`` the changed
  partition states are written to the state topic, and only then are their input offsets
  committed to the group. The committed offsets therefore never pass the state: after a
  crash the next owner restores the snapshot and re-reads from the committed offsets;
  events it sees again are dropped by the engine's event-id dedupe. Nothing is lost and
  nothing is counted twice. Saving runs in the background, one partition at a time and
  spread over the interval, so fetches keep being handled while snapshots are written;
  they wait only while a state is copied under the lock (the copy and its serialisation
  run in threads).
- **One lock.** Every change to a state and the queueing of the outputs it caused happen
  under one lock hold, so a snapshot taken under the lock never reflects an output that
  is not yet awaited before the snapshot is written.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import aclosing
from typing import Any

from aiokafka.errors import ConsumerStoppedError
from faust.types import TP

from config.settings import Settings
from scoring import Catalogue, ScoringParams
from stream.deadletter import Outgoing
from stream.metrics import Metrics
from stream.worker.broadcast import BroadcastReader, position_key
from stream.worker.inputs import Inputs, positions_of
from stream.worker.outbox import Outbox
from stream.worker.output import OutputProducer
from stream.worker.partition_state import PartitionState
from stream.worker.prepared import FetchedRecord, Prepared
from stream.worker.refresh import DecayRefresh
from stream.worker.report import BatchReport, count_batch, count_outputs
from stream.worker.saving import Committer, Saving
from stream.worker.scorer import Scorer
from stream.worker.state_store import StateStore

__all__ = ["BROADCAST_MAX_RECORDS", "Runtime"]

log = logging.getLogger(__name__)

# Keys rescored for decay after one fetch at most (a few ms of the event loop).
_REFRESH_SLICE_KEYS = 4_096
# Event-loop turns from queueing a fetch's outputs to their produce request being written
# (the outbox's sender, the client's sender, its request task): measured 4 with aiokafka
# 0.14. With one turn the request went out only after the next fetch was handled.
_SEND_TURNS = 4
# Most broadcast records a fetch hands to the states, whatever the partitioned inputs'
# cap: a news event fans out to as many as 2,048 policy rows, so a batch of 2,000 news
# events is already ~4M rows (~1 GB while applied).
BROADCAST_MAX_RECORDS = 2_000


class Runtime:
    """Holds the partition states of one worker and moves them through their life."""

    def __init__(
        self,
        settings: Settings,
        *,
        catalogue: Catalogue,
        params: ScoringParams,
        scorer: Scorer,
        metrics: Metrics,
        store: StateStore,
        broadcast: BroadcastReader,
        inputs: Inputs,
        output: OutputProducer,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._catalogue = catalogue
        self._params = params
        self._scorer = scorer
        self._metrics = metrics
        self._store = store
        self._broadcast = broadcast
        self._inputs = inputs
        self._outbox = Outbox(output)
        self._clock = clock
        topics = settings.topics
        self._partitioned = (topics.shipments, topics.profiles)
        self.topics = frozenset(self._partitioned)
        self.states: dict[int, PartitionState] = {}
        self._applied: dict[str, int] = {}  # broadcast positions applied to every state
        self._broadcast_started = self._inputs_started = False
        self._lock = asyncio.Lock()
        interval_s = settings.worker.snapshot_interval_s
        self._refresh = DecayRefresh(interval_s, _REFRESH_SLICE_KEYS)
        self._refreshed_s = time.monotonic()
        self.saving = Saving(
            store, self._outbox, self._lock, self.states,
            interval_s=interval_s, metrics=metrics, clock=clock,
        )  # fmt: skip
        self.ready = False
        self._broadcast_cap = min(settings.worker.batch_max_events, BROADCAST_MAX_RECORDS)

    async def stop(self) -> None:
        """Release the reader and the producer (after the consumer stopped)."""
        await self.saving.finish("on shutdown")
        await self._inputs.stop()
        await self._broadcast.stop()
        try:
            await self._outbox.close()
        except Exception:
            log.exception("sending the last outputs failed on shutdown")
        await self._outbox.producer.stop()

    # -- assignment ----------------------------------------------------------------------

    async def on_assigned(self, assigned: Iterable[TP]) -> None:
        partitions = sorted({tp.partition for tp in assigned if tp.topic in self.topics})
        log.info("partitions assigned: %s", partitions)
        self.ready = False
        self._metrics.ready.set(0)
        async with self._lock:
            restored = [await self._restore(p) for p in partitions if p not in self.states]
            if not self._broadcast_started:
                await self._learn_topics()
                start = _earliest([s.broadcast for s in restored])
                await self._broadcast.start(start)
                self._applied = await self._broadcast.positions()
                self._broadcast_started = True
            for state in restored:
                await self._take_over(state)
            if not self._inputs_started:
                await self._inputs.start()
                self._inputs_started = True
            await self._read_inputs()
        self._metrics.partitions_assigned.set(len(self.states))
        self._metrics.ready.set(1)
        self.ready = True

    async def _learn_topics(self) -> None:
        """Connect the producer to the output topics, and learn the partition counts of
        the inputs whose events belong to their company's partition (stream.homes)."""
        if self._scorer.partition_counts:
            return
        topics = self._settings.topics
        scoped = (topics.shipments, topics.profiles, topics.licence_decisions)
        producer = self._outbox.producer
        await producer.prepare((*topics.outputs, *scoped))
        self._scorer.partition_counts.update(producer.partition_counts(scoped))

    async def _take_over(self, state: PartitionState) -> None:
        """Start holding a restored state: stream time, broadcast catch-up, then serve it."""
        self._scorer.advance(state.engine.latest_time_s)
        await self._catch_up(state)
        self.states[state.partition] = state

    async def on_revoked(self, revoked: Iterable[TP]) -> None:
        partitions = {tp.partition for tp in revoked if tp.topic in self.topics}
        await self.saving.finish("before a revocation")
        async with self._lock:  # after the fetch in hand, if any
            leaving = [self.states[p] for p in sorted(partitions) if p in self.states]
            try:
                await self.saving.save(leaving)  # best effort: the next owner can also replay
            except Exception:
                log.exception("snapshot of revoked partitions %s failed", sorted(partitions))
            for state in leaving:
                del self.states[state.partition]
                self.saving.forget(state.partition)
            if self._inputs_started:
                await self._read_inputs()
        self._metrics.partitions_assigned.set(len(self.states))

    async def _read_inputs(self) -> None:
        """Point the input reader at the partitions held, each topic from where its state
        ends (the caller holds the lock): a fetch of the previous generation is dropped and
        read again from there."""
        offsets = {p: state.offsets for p, state in self.states.items()}
        await self._inputs.assign(positions_of(offsets, self._partitioned))

    async def _restore(self, partition: int) -> PartitionState:
        """The partition's saved state (or an empty one), checked against the input
        topics' partition counts (raises PartitionCountError: the app stops)."""
        await self._learn_topics()
        data = await self._store.read(partition)
        if data is None:  # in a thread: mapping its dedupe set's memory takes ~10-50 ms
            state = await asyncio.to_thread(
                PartitionState.empty, partition, self._catalogue, self._params
            )
        else:  # in a thread: restoring a large state would hold the loop (and /healthz)
            state = await asyncio.to_thread(
                PartitionState.from_bytes, data, self._catalogue, self._params
            )
            log.info("partition %d restored: %d keys", partition, state.engine.n_keys)
        state.resume_with(self._scorer.partition_counts)
        return state

    async def _catch_up(self, state: PartitionState) -> None:
        """Apply the broadcast events between the state's positions and the reader's."""
        fetches = self._broadcast.read_range(state.broadcast, self._applied, self._broadcast_cap)
        async with aclosing(fetches):
            async for records in fetches:
                owner = records[0].partition == state.partition
                prepared = self._scorer.prepare(records)
                outgoing, _ = self._scorer.apply(state, prepared, owner=owner, dead_letters=False)
                await self._outbox.send(outgoing)
        state.broadcast = dict(self._applied)

    # -- batches -------------------------------------------------------------------------

    async def run_inputs(self, stopping: Callable[[], bool], committer: Committer) -> None:
        """Fetch and handle the partitioned topics until ``stopping()``; after every fetch
        (also empty ones) :meth:`tick`, which commits through ``committer``."""
        while not stopping():
            try:
                generation, records = await self._inputs.fetch()
            except ConsumerStoppedError:
                if stopping():  # the reader was stopped on shutdown during the fetch
                    return
                raise
            if records:
                await self.handle(records, generation)
            await self.tick(committer)

    async def handle(self, fetch: Mapping[Any, Prepared], generation: int) -> None:
        """A decoded fetch of the partitioned topics, made in the reader's ``generation``.

        The fetch is handled under the lock, so a revocation, an assignment or a broadcast
        batch waits for it. The outputs of all its partitions are queued together once
        every partition is scored: the client has one produce request in flight per
        broker, so outputs queued partition by partition left in a chain of requests,
        each waiting for the one before to be acknowledged (docs/PERFORMANCE.md). A fetch
        made before the assignment last changed is dropped and read again.
        """
        started = time.perf_counter()
        async with self._lock:
            if generation != self._inputs.generation:
                await self._inputs.rewind()  # taking the records moved the reader past them
                return
            outgoing: list[Outgoing] = []
            for tp, prepared in fetch.items():
                state, records = self.states[tp.partition], prepared.records
                sent, report = self._scorer.apply(state, prepared)
                state.offsets[tp.topic] = records[-1].offset + 1
                state.count_changes(len(records), self._clock())
                self._record(report)
                outgoing += sent
            await self._outbox.send(outgoing)
            for _ in range(_SEND_TURNS):  # the request leaves before the next fetch
                await asyncio.sleep(0)
        self._metrics.batch_processing.observe(time.perf_counter() - started)

    async def run_broadcast(self, stopping: Callable[[], bool]) -> None:
        """Read the broadcast topics until ``stopping()``; apply to every state."""
        while not stopping():
            if not self._broadcast_started:
                await asyncio.sleep(0.1)
                continue
            fetched = await self._broadcast.fetch(200, self._broadcast_cap)
            if not fetched:
                continue
            async with self._lock:
                await self._outbox.send(self._apply_broadcast(fetched))

    def _apply_broadcast(self, fetched: Mapping[Any, Sequence[FetchedRecord]]) -> list[Outgoing]:
        outgoing: list[Outgoing] = []
        for tp, records in fetched.items():
            prepared = self._scorer.prepare(records)
            for partition, state in self.states.items():
                owner = partition == tp.partition  # dead letters and counts: once per event
                sent, report = self._scorer.apply(state, prepared, owner=owner)
                state.count_changes(len(records), self._clock())
                outgoing += sent
                if owner:
                    self._record(report)
            self._applied[position_key(tp)] = records[-1].offset + 1
        for state in self.states.values():
            state.broadcast = dict(self._applied)
        return outgoing

    def _record(self, report: BatchReport) -> None:
        count_batch(self._metrics, report, self._clock())

    # -- durability ------------------------------------------------------------------------

    async def tick(self, consumer: Committer) -> None:
        """After each fetch: rescore a slice of keys for decay, and start saving the changed
        states in the background when the snapshot interval has passed."""
        await self.saving.check()  # raises what made the last save fail
        now = time.monotonic()
        elapsed_s, self._refreshed_s = now - self._refreshed_s, now
        async with self._lock:
            await self._refresh_slice(elapsed_s)
        self.saving.show_unsaved()
        if self.saving.due(now):
            self._update_lag()
            self.saving.start(now, consumer)

    async def _refresh_slice(self, elapsed_s: float) -> None:
        """Republish the keys of one slice (:mod:`stream.worker.refresh`) that moved by
        decay; the caller holds the lock."""
        counts = {p: state.engine.n_keys for p, state in self.states.items()}
        due = self._refresh.due(counts, elapsed_s)
        if due is None:
            return
        partition, rows = due
        report = BatchReport("refresh")
        await self._outbox.send(self._scorer.publish(self.states[partition], rows, report))
        count_outputs(self._metrics, report)

    def _update_lag(self) -> None:
        for partition, state in self.states.items():
            for topic in self.topics:
                highwater = self._inputs.highwater(TP(topic, partition))
                if highwater is not None:
                    lag = max(highwater - state.offsets.get(topic, 0), 0)
                    self._metrics.consumer_lag.labels(topic, str(partition)).set(lag)


def _earliest(positions: Sequence[Mapping[str, int]]) -> dict[str, int]:
    """Where the reader starts: the least position any restored state reached."""
    if not positions or any(not p for p in positions):
        return {}  # some state has nothing: from the beginning
    keys = set().union(*positions)
    return {k: min(p.get(k, 0) for p in positions) for k in keys}
