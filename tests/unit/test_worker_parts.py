"""The worker's parts without a broker: the thin handler with fake records, the HTTP
answers, the exact byte form of a partition's state, background saving and the decay
refresh."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson
import pytest
from faust.types import TP
from prometheus_client import CollectorRegistry

from config.loader import load_catalogue, load_scoring_params
from stream.deadletter import Outgoing
from stream.metrics import Metrics
from stream.worker.partition_state import PartitionCountError, PartitionState, SnapshotError
from stream.worker.queries import one_score, top_scores
from stream.worker.refresh import DecayRefresh
from stream.worker.runtime import BROADCAST_MAX_RECORDS, Runtime
from stream.worker.scorer import Scorer
from tests.unit.edge.conftest import event
from tests.unit.worker_parts import (
    NOW_S,
    SETTINGS,
    TOPICS,
    FakeRecord,
    empty_state,
    eventually,
    new_scorer,
    settle,
)


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return new_scorer()


def _records(topic: str, values: list[Any], partition: int = 2) -> list[FakeRecord]:
    return [
        FakeRecord(
            topic, partition, offset, b"Acme", v if isinstance(v, bytes) else orjson.dumps(v)
        )
        for offset, v in enumerate(values)
    ]


def test_a_fetch_decoded_once_gives_each_partition_what_its_own_decoding_gives(
    scorer: Scorer,
) -> None:
    # Good, undecodable, invalid and wrong-kind records spread over partitions of two
    # topics; profiles carry origin-share rows, so every row kind crosses a boundary.
    def profile(event_id: str, company: str) -> Any:
        shares = {"CN": 0.7, "AU": 0.3}
        return event("profile", event_id=event_id, company=company, origin_shares=shares)

    values: dict[tuple[str, int], list[Any]] = {
        (TOPICS.shipments, 0): [
            event("shipment", event_id="a1"), b"{broken", event("news", event_id="n1")],
        (TOPICS.shipments, 1): [
            event("shipment", event_id="b1", material="Unobtainium"),
            profile("b2", "Nagoya"), event("shipment", event_id="b3", company="Kyoto")],
        (TOPICS.shipments, 2): [event("shipment", event_id="c1", company="Osaka")],
        (TOPICS.profiles, 0): [profile("p1", "Acme"), profile("p2", "Sendai")],
        (TOPICS.profiles, 1): [event("shipment", event_id="q1"), profile("q2", "Kobe")],
    }  # fmt: skip
    fetch = {key: _records(key[0], v, partition=key[1]) for key, v in values.items()}
    once = scorer.prepare_fetch(fetch)
    for (_, partition), records in fetch.items():
        alone = scorer.apply(empty_state(partition), scorer.prepare(records))
        assert scorer.apply(empty_state(partition), once[(records[0].topic, partition)]) == alone


def test_the_handler_scores_good_records_and_dead_letters_bad_ones(scorer: Scorer) -> None:
    state = empty_state(2)
    good = event("shipment", company="Acme", material="Dy")
    records = _records(
        TOPICS.shipments,
        [good, b"{broken", event("shipment", event_id="e2", material="Unobtainium"),
         event("news", event_id="n1")],
    )  # fmt: skip
    outgoing, report = scorer.apply(state, scorer.prepare(records))

    letters = [o for o in outgoing if o.topic == TOPICS.dead_letter(TOPICS.shipments)]
    assert [o.value for o in letters] == [r.value for r in records[1:]]
    reasons = [dict(o.headers)["supplyrisk.reason"].decode() for o in letters]
    assert reasons[0].startswith("not JSON")
    assert "unknown material" in reasons[1]
    assert reasons[2] == "a news event does not belong on this topic"
    assert all(o.partition == 2 for o in letters)
    assert [dict(o.headers)["supplyrisk.offset"] for o in letters] == [b"1", b"2", b"3"]

    scores = [o for o in outgoing if o.topic == TOPICS.scores]
    assert [o.key for o in scores] == [b"Acme|Dy"]
    assert orjson.loads(scores[0].value)["events"] == 1
    assert (report.applied, len(report.dead_letter_reasons)) == (1, 3)


def test_a_duplicate_is_applied_once_and_publishes_nothing(scorer: Scorer) -> None:
    state = empty_state()
    record = _records(TOPICS.shipments, [event("shipment", company="Acme")])
    scorer.apply(state, scorer.prepare(record))
    outgoing, report = scorer.apply(state, scorer.prepare(record))
    assert (report.applied, report.duplicates, outgoing) == (0, 1, [])


def test_other_partitions_apply_only_country_wide_decisions(scorer: Scorer) -> None:
    decisions = _records(
        TOPICS.licence_decisions,
        [event("licence_decision", event_id="wide", company=None),
         event("licence_decision", event_id="named", company="Acme")],
    )  # fmt: skip
    prepared = scorer.prepare(decisions)
    owner, other = empty_state(2), empty_state(5)
    scorer.apply(owner, prepared, owner=True)
    scorer.apply(other, prepared, owner=False)
    assert owner.engine.lookup(np.array(["Acme"]), np.array(["Tb"]))[0] >= 0
    assert other.engine.n_keys == 0  # the company's key lives with its own partition


def test_partition_state_round_trips_exactly(scorer: Scorer) -> None:
    state = empty_state(3)
    records = _records(
        TOPICS.shipments,
        [event("shipment", event_id=f"s{i}", company=f"C{i % 3}", quantity_kg=10.0 * i)
         for i in range(12)],
    )  # fmt: skip
    scorer.apply(state, scorer.prepare(records))
    state.offsets[TOPICS.shipments] = 12
    state.broadcast["supplyrisk.news:0"] = 7
    restored = PartitionState.from_bytes(state.to_bytes(), load_catalogue(), load_scoring_params())
    assert (restored.partition, restored.offsets, restored.broadcast) == (
        3, state.offsets, state.broadcast
    )  # fmt: skip
    before, after = state.engine.scores(), restored.engine.scores()
    assert np.array_equal(before.score, after.score)
    assert np.array_equal(before.events, after.events)
    with pytest.raises(SnapshotError, match="truncated"):
        PartitionState.from_bytes(state.to_bytes()[:-10], load_catalogue(), load_scoring_params())
    with pytest.raises(SnapshotError, match="bad magic"):
        PartitionState.from_bytes(b"not a snapshot", load_catalogue(), load_scoring_params())


def test_a_partition_capture_is_unaffected_by_what_the_state_does_next(scorer: Scorer) -> None:
    state = empty_state(1)
    first = _records(TOPICS.shipments, [event("shipment", event_id="s0", company="C0")])
    scorer.apply(state, scorer.prepare(first))
    state.offsets[TOPICS.shipments] = 1
    expected = state.to_bytes()
    capture = state.capture()
    later = _records(
        TOPICS.shipments,
        [event("shipment", event_id=f"t{i}", company=f"D{i}", quantity_kg=5.0 * i)
         for i in range(1, 6)],
    )  # fmt: skip
    scorer.apply(state, scorer.prepare(later))  # new keys, published scores and levels
    state.offsets[TOPICS.shipments] = 6
    assert capture.to_bytes() == expected != state.to_bytes()


def test_a_state_built_under_other_partition_counts_is_not_resumed() -> None:
    counts = {TOPICS.shipments: 4, TOPICS.profiles: 4}
    state = empty_state(2)
    state.resume_with(counts)
    restored = PartitionState.from_bytes(state.to_bytes(), load_catalogue(), load_scoring_params())
    assert restored.partition_counts == counts
    restored.resume_with(counts)
    with pytest.raises(PartitionCountError, match=f"{TOPICS.shipments} had 4 partitions, has 8"):
        restored.resume_with(counts | {TOPICS.shipments: 8})
    empty_state(2).resume_with(counts | {TOPICS.shipments: 8})  # recorded none: resumed


async def test_a_worker_refuses_to_restore_a_state_of_other_partition_counts() -> None:
    scorer = new_scorer()  # its own: the worker records the partition counts in it
    saved = empty_state(0)
    saved.resume_with({TOPICS.shipments: 4})

    class Output(_Output):
        async def prepare(self, topics: Any) -> None:
            pass

        def partition_counts(self, topics: Any) -> dict[str, int]:
            return dict.fromkeys(topics, 8)  # partitions were added since the save

    class Store(_Store):
        async def read(self, partition: int) -> bytes:
            return saved.to_bytes()

    runtime = Runtime(
        SETTINGS, catalogue=load_catalogue(), params=load_scoring_params(), scorer=scorer,
        metrics=Metrics.create(CollectorRegistry()), store=Store(),  # type: ignore[arg-type]
        broadcast=None, inputs=None, output=Output(),  # type: ignore[arg-type]
    )  # fmt: skip
    with pytest.raises(PartitionCountError, match="had 4 partitions, has 8"):
        await runtime.on_assigned([TP(TOPICS.shipments, 0)])
    assert runtime.states == {} and not runtime.ready


def test_http_answers(scorer: Scorer) -> None:
    state = empty_state()
    scorer.apply(state, scorer.prepare(_records(TOPICS.shipments, [event("shipment")])))
    company = str(event("shipment")["company"])
    status, body = one_score([state], company, "Dy", None)
    assert (status, body["company"], body["material"]) == (200, company, "Dy")
    assert one_score([state], "Nobody", "Dy", None)[0] == 404
    assert one_score([state], company, "Dy", "not-a-time") == (
        400, {"error": "bad as_of", "detail": "event_time is not RFC 3339: 'not-a-time'"}
    )  # fmt: skip
    assert top_scores([state], {"top": "1"})[1]["count"] == 1
    assert top_scores([state], {"top": "5000"})[0] == 400
    assert top_scores([state], {"level": "dire"})[0] == 400
    assert top_scores([state], {"material": "Ga"})[1] == {"scores": [], "count": 0}


class _Output:
    """Acknowledges each send at once, or holds the acknowledgements while ``held`` is a
    list (the test resolves them)."""

    def __init__(self) -> None:
        self.held: list[asyncio.Future[None]] | None = None

    async def send(self, records: Any, partition: int | None = None) -> list[Any]:
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.held is None:
            ack.set_result(None)
        else:
            self.held.append(ack)
        return [ack]


class _Store:
    """Holds each write until ``opened`` is set; fails when ``error`` is given."""

    def __init__(self, error: Exception | None = None) -> None:
        self.writes: list[tuple[int, bytes]] = []
        self.opened = asyncio.Event()
        self.error = error
        self.attempts = 0

    async def write(self, partition: int, data: bytes, producer: Any) -> None:
        self.attempts += 1
        if self.error is not None:
            raise self.error
        self.writes.append((partition, data))
        await self.opened.wait()


class _Consumer:
    def __init__(self) -> None:
        self.commits: list[dict[TP, int]] = []

    async def commit_offsets(self, offsets: dict[TP, int]) -> bool:
        self.commits.append(dict(offsets))
        return True

    def highwater(self, tp: TP) -> int | None:
        return None


class _Inputs:
    """The input reader as the runtime sees it: generations, assignments and the high
    watermarks it knows."""

    def __init__(self) -> None:
        self.generation = 0
        self.assigned: list[dict[Any, int | None]] = []
        self.highwaters: dict[TP, int] = {}

    async def assign(self, positions: dict[Any, int | None]) -> None:
        self.generation += 1
        self.assigned.append(dict(positions))

    async def rewind(self) -> None:
        await self.assign(self.assigned[-1])

    def highwater(self, tp: TP) -> int | None:
        return self.highwaters.get(tp)


def _runtime(
    scorer: Scorer,
    store: _Store,
    metrics: Metrics | None = None,
    clock: Callable[[], float] = lambda: NOW_S,
) -> Runtime:
    runtime = Runtime(
        SETTINGS, catalogue=load_catalogue(), params=load_scoring_params(), scorer=scorer,
        metrics=metrics or Metrics.create(CollectorRegistry()),
        store=store,  # type: ignore[arg-type]
        broadcast=None, inputs=_Inputs(), output=_Output(), clock=clock,  # type: ignore[arg-type]
    )  # fmt: skip
    state = empty_state()
    records = _records(
        TOPICS.shipments, [event("shipment", event_id=f"s{i}", company=f"C{i}") for i in range(5)]
    )
    scorer.apply(state, scorer.prepare(records))
    state.offsets[TOPICS.shipments] = 5
    state.count_changes(5, clock())
    runtime.states[0] = state
    runtime.saving.last_started_s -= SETTINGS.worker.snapshot_interval_s  # a save is due
    return runtime


async def test_saving_runs_behind_the_fetch_loop_after_the_outputs_it_reflects(
    scorer: Scorer,
) -> None:
    store, consumer = _Store(), _Consumer()
    runtime = _runtime(scorer, store)
    output = runtime._outbox.producer
    output.held = []  # type: ignore[attr-defined]
    await runtime._outbox.send([Outgoing(TOPICS.scores, b"k", b"v")])
    await runtime.tick(consumer)  # returns: the save is a task
    await settle()
    assert (store.writes, consumer.commits) == ([], [])  # an output is not acknowledged yet
    for ack in output.held:  # type: ignore[attr-defined]
        ack.set_result(None)
    await eventually(lambda: store.writes)
    assert [partition for partition, _ in store.writes] == [0]
    assert consumer.commits == []  # offsets are committed once the snapshot is written
    store.opened.set()
    await runtime.saving.finish(None)
    assert consumer.commits == [{TP(TOPICS.shipments, 0): 5}]
    restored = PartitionState.from_bytes(
        store.writes[0][1], load_catalogue(), load_scoring_params()
    )
    assert restored.engine.n_keys == runtime.states[0].engine.n_keys == 5
    assert runtime.states[0].changes == 0


async def test_a_failed_save_stops_the_next_fetch(scorer: Scorer) -> None:
    store = _Store(error=OSError("state topic unwritable"))
    runtime = _runtime(scorer, store)
    consumer = _Consumer()
    await runtime.tick(consumer)
    await eventually(lambda: store.attempts)
    with pytest.raises(OSError, match="state topic unwritable"):
        await runtime.tick(consumer)
    assert consumer.commits == []


async def test_a_round_of_saves_is_spread_over_the_interval_unless_hurried(
    scorer: Scorer,
) -> None:
    """Partitions are saved one every interval / n: all of them back to back loaded the
    worker and the broker at once. A revocation or a shutdown saves the rest at once."""
    store, consumer = _Store(), _Consumer()
    store.opened.set()
    runtime = _runtime(scorer, store)
    runtime.states[1] = empty_state(1)
    runtime.states[1].count_changes(1, NOW_S)
    await runtime.tick(consumer)  # a save is due: partition 0 now, partition 1 in 5 s
    await eventually(lambda: consumer.commits)
    for _ in range(20):
        await settle()
    assert [partition for partition, _ in store.writes] == [0]
    await runtime.saving.finish(None)  # hurried: partition 1 is saved without waiting
    assert [partition for partition, _ in store.writes] == [0, 1]
    assert len(consumer.commits) == 2


async def test_saving_shows_how_old_the_unsaved_changes_are_and_what_it_wrote(
    scorer: Scorer,
) -> None:
    now = [NOW_S]
    store, consumer, registry = _Store(), _Consumer(), CollectorRegistry()
    store.opened.set()
    runtime = _runtime(scorer, store, Metrics.create(registry), clock=lambda: now[0])

    def sample(name: str) -> float | None:
        return registry.get_sample_value(f"supplyrisk_{name}", {"partition": "0"})

    now[0] += 30.0
    runtime.saving.show_unsaved()
    assert sample("state_unsaved_age_seconds") == 30.0  # changed at NOW_S, not saved
    await runtime.tick(consumer)  # a save is due: started
    await eventually(lambda: consumer.commits)
    await runtime.saving.finish(None)
    runtime.saving.show_unsaved()
    assert sample("state_unsaved_age_seconds") == 0.0
    assert sample("snapshot_size_bytes") == len(store.writes[0][1])
    assert registry.get_sample_value("supplyrisk_snapshot_duration_seconds_count") == 1.0
    await runtime.on_revoked([TP(TOPICS.shipments, 0)])
    assert sample("state_unsaved_age_seconds") is None  # a partition no longer held
    assert sample("snapshot_size_bytes") is None


def test_decay_refresh_rescores_every_key_once_per_interval_in_bounded_slices() -> None:
    interval_s = 10.0
    refresh = DecayRefresh(interval_s, slice_keys=2)
    slices = [refresh.due({0: 5}, interval_s) for _ in range(4)]
    assert [(p, rows.tolist()) for p, rows in filter(None, slices)] == [
        (0, [0, 1]), (0, [2, 3]), (0, [4]), (0, [0, 1]),
    ]  # fmt: skip
    small = DecayRefresh(interval_s, slice_keys=100)  # a partition smaller than a slice
    due = [small.due({0: 5, 1: 0}, interval_s / 4) for _ in range(8)]
    assert [None if d is None else d[1].tolist() for d in due] == [
        None, None, None, [0, 1, 2, 3, 4], None, None, None, [0, 1, 2, 3, 4],
    ]  # fmt: skip


def test_decay_refresh_serves_the_most_indebted_partition_and_forgets_revoked_ones() -> None:
    refresh = DecayRefresh(10.0, slice_keys=3)
    served = [refresh.due({0: 3, 1: 30}, elapsed_s) for elapsed_s in (10.0, 0.0)]
    assert [d[0] for d in served if d is not None] == [1, 1]  # 30 then 27 owed, against 3
    after = refresh.due({0: 3}, 0.0)  # partition 1 revoked: its debt goes with it
    assert after is not None and (after[0], after[1].tolist()) == (0, [0, 1, 2])


async def test_a_fetch_made_before_the_assignment_changed_is_dropped_and_read_again(
    scorer: Scorer,
) -> None:
    runtime = _runtime(scorer, _Store())
    inputs: Any = runtime._inputs  # the fake's record of assignments
    state = runtime.states[0]
    fetch = {
        TP(TOPICS.shipments, 0): _records(
            TOPICS.shipments, [event("shipment", event_id="late", company="Late Co")], 0
        )
    }
    await inputs.assign({})  # the assignment changed while the fetch was made
    keys = state.engine.n_keys
    await runtime.handle(scorer.prepare_fetch(fetch), generation=inputs.generation - 1)
    assert state.engine.n_keys == keys and state.offsets[TOPICS.shipments] == 5
    # Taking the records moved the reader past them: it reads again from its assignment.
    assert inputs.assigned == [{}, {}] and inputs.generation == 2
    await runtime.handle(scorer.prepare_fetch(fetch), generation=inputs.generation)
    assert state.engine.n_keys == keys + 1


async def test_lag_is_what_the_reader_has_seen_beyond_the_state(scorer: Scorer) -> None:
    store, consumer, registry = _Store(), _Consumer(), CollectorRegistry()
    store.opened.set()
    runtime = _runtime(scorer, store, Metrics.create(registry))
    inputs: Any = runtime._inputs
    inputs.highwaters[TP(TOPICS.shipments, 0)] = 12  # the state ends at offset 5
    await runtime.tick(consumer)  # a save is due: the lag is updated with it
    await runtime.saving.finish(None)
    lag = registry.get_sample_value(
        "supplyrisk_consumer_lag_messages", {"topic": TOPICS.shipments, "partition": "0"}
    )
    assert lag == 7
    unknown = {"topic": TOPICS.profiles, "partition": "0"}  # no high watermark seen yet
    assert registry.get_sample_value("supplyrisk_consumer_lag_messages", unknown) is None


async def test_a_fetch_queues_the_outputs_of_all_its_partitions_at_once(scorer: Scorer) -> None:
    """The client has one produce request in flight per broker: outputs queued partition
    by partition would leave in a chain of requests, each waiting for the one before."""
    runtime = _runtime(scorer, _Store())
    runtime.states[1] = empty_state(1)
    queued: list[tuple[list[int | None], dict[int, int]]] = []
    send = runtime._outbox.send

    async def recording(records: Any) -> None:
        keys = {p: state.engine.n_keys for p, state in runtime.states.items()}
        queued.append(([r.partition for r in records], keys))
        await send(records)

    runtime._outbox.send = recording  # type: ignore[method-assign]
    fetch = {
        TP(TOPICS.shipments, p): _records(
            TOPICS.shipments, [event("shipment", event_id=f"new-{p}", company=f"New {p}")], p
        )
        for p in (0, 1)
    }
    await runtime.handle(scorer.prepare_fetch(fetch), generation=runtime._inputs.generation)
    assert len(queued) == 1  # once, with the score records of both partitions
    partitions, keys = queued[0]
    assert set(partitions) == {0, 1}
    assert keys == {0: 6, 1: 1}  # queued after both partitions were scored


class _Broadcast:
    """A broadcast reader that records what each fetch asked for and holds no records."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    async def fetch(self, timeout_ms: int, max_records: int) -> dict[TP, list[Any]]:
        self.asked.append(max_records)
        return {}


async def test_broadcast_fetches_stay_at_their_own_cap_when_inputs_take_more(
    scorer: Scorer,
) -> None:
    """A news event fans out to up to 2,048 rows: a broadcast batch keeps the bound of
    2,000 events however many records the partitioned inputs' polls take."""
    runtime = _runtime(scorer, _Store())
    broadcast = _Broadcast()
    runtime._broadcast = broadcast  # type: ignore[assignment]
    runtime._broadcast_started = True
    assert SETTINGS.worker.batch_max_events > BROADCAST_MAX_RECORDS  # the default polls more
    await runtime.run_broadcast(lambda: len(broadcast.asked) >= 2)
    assert broadcast.asked == [BROADCAST_MAX_RECORDS, BROADCAST_MAX_RECORDS]
