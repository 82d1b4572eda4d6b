"""The input reader with scripted fetches instead of a broker, the runtime's handling of a
fetch made before the assignment changed, and Faust's consumer kept off the inputs."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple, cast

from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.types import TP
from prometheus_client import CollectorRegistry

from config.settings import load_settings
from stream.worker.app import GROUP_FETCH_BYTES, create_worker
from stream.worker.faust_group import GroupConsumer
from stream.worker.inputs import InputReader, positions_of

SHIPMENTS, PROFILES = "supplyrisk.shipments", "supplyrisk.profiles"
P0, P1 = TopicPartition(SHIPMENTS, 0), TopicPartition(SHIPMENTS, 1)


class Rec(NamedTuple):
    offset: int


class Client:
    """aiokafka's consumer as the reader uses it (a fake): scripted fetches, recorded
    calls."""

    def __init__(self, script: list[dict[TopicPartition, list[int]]]) -> None:
        self._script = iter(script)
        self.timeouts_ms: list[int] = []
        self.seeks: dict[TopicPartition, int] = {}
        self.assigned: list[TopicPartition] | None = None
        self.during_fetch: list[Any] = []  # callables run while a fetch waits

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> Mapping[TopicPartition, list[Rec]]:
        self.timeouts_ms.append(timeout_ms)
        for action in self.during_fetch:
            await action()
        fetched = next(self._script, {})
        return {tp: [Rec(offset) for offset in offsets] for tp, offsets in fetched.items()}

    async def beginning_offsets(self, partitions: list[TopicPartition]) -> dict[Any, int]:
        return dict.fromkeys(partitions, 3)  # the broker kept offsets 3 and later

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.assigned = list(partitions)

    def unsubscribe(self) -> None:
        self.assigned = []

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks[tp] = offset


def _reader(
    script: list[dict[TopicPartition, list[int]]], top_up_s: float
) -> tuple[InputReader, Client]:
    reader = InputReader(
        "localhost:9092", {}, max_records=2000, top_up_s=top_up_s, partition_bytes=1 << 20,
        prepare=cast(Any, dict),  # records as fetched: decoding is the scorer's tests'
    )  # fmt: skip
    client = Client(script)
    reader._consumer = client
    return reader, client


def offsets(fetch: Mapping[Any, Any]) -> dict[Any, list[int]]:
    return {tp: [r.offset for r in records] for tp, records in fetch.items()}


async def test_a_non_empty_fetch_is_topped_up_with_what_was_produced_since() -> None:
    reader, client = _reader([{P0: [10, 11], P1: [20]}, {P0: [12, 13]}], top_up_s=0.005)
    await reader.assign({P0: 10, P1: 20})
    generation, fetch = await reader.fetch()
    assert offsets(fetch) == {P0: [10, 11, 12, 13], P1: [20]}  # one batch, offset order
    assert client.timeouts_ms == [1000, 5]
    assert generation == reader.generation == 1


async def test_no_top_up_after_an_empty_fetch_or_when_disabled() -> None:
    reader, client = _reader([{}, {P0: [1]}, {P1: [2]}], top_up_s=0.0)
    await reader.assign({P0: None, P1: None})
    assert [offsets((await reader.fetch())[1]) for _ in range(3)] == [{}, {P0: [1]}, {P1: [2]}]
    assert set(client.timeouts_ms) == {1000}


async def test_nothing_is_fetched_while_no_partition_is_assigned() -> None:
    reader, client = _reader([{P0: [1]}], top_up_s=0.005)
    assert await reader.fetch() == (0, {})
    await reader.assign({})
    assert await reader.fetch() == (1, {})
    assert client.timeouts_ms == [] and client.assigned == []


async def test_assignment_seeks_each_partition_to_its_state_offset_or_the_earliest_kept() -> None:
    reader, client = _reader([], top_up_s=0.0)
    tp = TopicPartition(PROFILES, 0)
    await reader.assign({P0: 7, P1: None, tp: 1})
    assert client.assigned == [P0, P1, tp]
    assert client.seeks == {P0: 7, P1: 3, tp: 3}  # the broker no longer has offsets 0-2


async def test_a_fetch_spanning_an_assignment_belongs_to_the_generation_it_began_in() -> None:
    reader, client = _reader([{P0: [5, 6]}, {P0: [7]}], top_up_s=0.005)
    await reader.assign({P0: 5})
    calls = 0

    async def reassign_during_the_first_fetch() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            await reader.assign({P0: 5, P1: 0})

    client.during_fetch.append(reassign_during_the_first_fetch)
    generation, fetch = await reader.fetch()
    assert (generation, reader.generation) == (1, 2)  # the runtime drops it
    assert offsets(fetch) == {P0: [5, 6]}  # and no top-up was taken into it
    assert client.timeouts_ms == [1000]


async def test_rewinding_reads_again_from_the_last_assignment_in_a_new_generation() -> None:
    reader, client = _reader([{P0: [5, 6]}], top_up_s=0.0)
    await reader.assign({P0: 5, P1: None})
    await reader.fetch()
    client.seeks.clear()
    await reader.rewind()
    assert client.seeks == {P0: 5, P1: 3} and reader.generation == 2


def test_positions_come_from_each_state_and_topic() -> None:
    recorded = {0: {SHIPMENTS: 12}, 2: {SHIPMENTS: 4, PROFILES: 9}}
    assert positions_of(recorded, (SHIPMENTS, PROFILES)) == {
        TopicPartition(SHIPMENTS, 0): 12,
        TopicPartition(PROFILES, 0): None,
        TopicPartition(SHIPMENTS, 2): 4,
        TopicPartition(PROFILES, 2): 9,
    }


# -- Faust's consumer: kept polling for the group, never for the inputs -------------------


class App:
    self_read_topics = frozenset({SHIPMENTS, PROFILES})


def _faust_consumer(active: set[TP]) -> tuple[GroupConsumer, list[set[TP]]]:
    consumer = GroupConsumer.__new__(GroupConsumer)
    consumer.app = App()  # type: ignore[assignment]
    consumer.flow_active = True
    consumer._get_active_partitions = lambda: active  # type: ignore[method-assign]
    polled: list[set[TP]] = []

    async def getmany(
        active_partitions: set[TP],
        timeout: float,  # noqa: ASYNC109 - Faust's signature
    ) -> dict[TP, list[Rec]]:
        polled.append(set(active_partitions))
        return {tp: [Rec(0)] for tp in active | {TP(SHIPMENTS, 0)}}  # buffered: all

    consumer._getmany = getmany  # type: ignore[method-assign,assignment]
    return consumer, polled


def test_faust_consumer_polls_only_the_partitions_of_other_topics() -> None:
    leader = TP("supplyrisk-__assignor-__leader", 0)
    consumer, polled = _faust_consumer({TP(SHIPMENTS, 0), TP(PROFILES, 0), leader})
    records = asyncio.run(consumer._poll_others())
    assert polled == [{leader}]
    assert set(records) == {leader}


def test_faust_consumer_still_polls_when_it_holds_only_inputs() -> None:
    """The client leaves the group when it is not polled, and takes an empty set of
    partitions as all of them: it is polled for a partition never assigned."""
    consumer, polled = _faust_consumer({TP(SHIPMENTS, 0), TP(PROFILES, 0)})
    records = asyncio.run(consumer._poll_others())
    assert len(polled) == 1 and len(polled[0]) == 1
    assert not polled[0] & {TP(SHIPMENTS, 0), TP(PROFILES, 0)}
    assert records == {}


def test_faust_does_not_check_the_event_path_of_the_inputs() -> None:
    """Faust's consumer fetches one response per input partition and never takes it:
    its event-path check would report those partitions as stalled."""
    consumer, _ = _faust_consumer(set())
    checked: list[TP] = []

    class Thread:
        def verify_event_path(self, now: float, tp: TP) -> None:
            checked.append(tp)

    consumer._thread = Thread()  # type: ignore[assignment]
    leader = TP("supplyrisk-__assignor-__leader", 0)
    for tp in (TP(SHIPMENTS, 0), TP(PROFILES, 3), leader):
        consumer.verify_event_path(0.0, tp)
    assert checked == [leader]


async def test_faust_consumer_buffers_little_of_the_inputs(tmp_path: Path) -> None:
    """What Faust's client prefetches for an input partition is never handed over, so it
    fetches little per partition; the input reader's own client fetches what the
    settings say (``SUPPLYRISK_FETCH_PARTITION_BYTES``)."""
    env = {
        "SUPPLYRISK_DATA_DIR": str(tmp_path),
        "SUPPLYRISK_FETCH_PARTITION_BYTES": "3000000",
        "SUPPLYRISK_READER_PROCESS": "false",  # the reader runs in the worker's process
    }
    worker = create_worker(load_settings(env), "127.0.0.1:9092", CollectorRegistry())
    thread = cast(GroupConsumer, worker.app.consumer)._thread  # its own loop, never started
    group_client = thread._create_worker_consumer(cast(Any, worker.app.transport))
    reader = worker.runtime._inputs
    assert isinstance(reader, InputReader)
    reader_client = AIOKafkaConsumer(**reader._options)  # built as start() builds it
    try:
        assert group_client._max_partition_fetch_bytes == GROUP_FETCH_BYTES <= 64 * 1024
        assert reader_client._max_partition_fetch_bytes == 3_000_000
        default = load_settings({"SUPPLYRISK_DATA_DIR": str(tmp_path)})
        assert default.worker.fetch_partition_bytes == 4 << 20
    finally:
        await group_client.stop()
        await reader_client.stop()
        thread.thread_loop.close()
