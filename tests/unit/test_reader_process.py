"""The reader process's parts without a broker: records packed to cross the pipe, and the
worker's side of the pipe (generations, high watermarks, the child's death)."""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
from typing import Any

import orjson
import pytest
from aiokafka import TopicPartition

from stream.homes import home_partition
from stream.worker.reader_process import ProcessReader, ReaderProcessError
from stream.worker.record_block import RecordBlock
from tests.unit.edge.conftest import event
from tests.unit.worker_parts import (
    SETTINGS,
    TOPICS,
    FakeRecord,
    empty_state,
    new_scorer,
    settle,
)

TP0 = TopicPartition(TOPICS.shipments, 0)


def _through_a_pipe(sent: Any) -> Any:
    """``sent`` as the worker receives it from the reader process (small objects only:
    the pipe's buffer must hold them)."""
    received, sending = multiprocessing.Pipe(duplex=False)
    sending.send(sent)
    return received.recv()


def _fields(record: Any) -> tuple[Any, ...]:
    return record.topic, record.partition, record.offset, record.key, record.value


def test_a_block_gives_back_every_record_byte_for_byte_across_a_pipe() -> None:
    records = [
        FakeRecord(TOPICS.shipments, 3, 10, b"Acme", b'{"a": 1}'),
        FakeRecord(TOPICS.shipments, 3, 11, None, b""),  # no key, an empty value
        FakeRecord(TOPICS.shipments, 3, 14, b"", None),  # a gap in offsets, a tombstone
        FakeRecord(TOPICS.shipments, 3, 15, "日本".encode(), b"\x00\xff" * 300),
    ]
    block = _through_a_pipe(RecordBlock(records))
    assert len(block) == 4
    assert [_fields(r) for r in block] == [_fields(r) for r in records]
    assert _fields(block[-1]) == _fields(records[-1])
    assert [_fields(r) for r in block[1:3]] == [_fields(r) for r in records[1:3]]
    with pytest.raises(IndexError):
        block[4]
    with pytest.raises(ValueError, match="at least one record"):
        RecordBlock([])


def test_a_packed_batch_sends_what_the_records_themselves_would() -> None:
    """Dead letters (refused when decoded, and by the core) and forwards carry the
    original key and bytes; scores and reports are the same."""
    scorer = new_scorer()
    scorer.partition_counts[TOPICS.shipments] = 4
    away = next(f"Co {i}" for i in range(40) if home_partition(f"Co {i}", 4) != 0)
    here = next(f"Co {i}" for i in range(40) if home_partition(f"Co {i}", 4) == 0)
    values = [
        orjson.dumps(event("shipment", event_id="good", company=here)),
        b"{not json",
        orjson.dumps(event("shipment", event_id="odd", company=here, material="Unobtainium")),
        orjson.dumps(event("shipment", event_id="away", company=away)),
    ]
    records = [FakeRecord(TOPICS.shipments, 0, 40 + i, b"k%d" % i, v) for i, v in enumerate(values)]
    prepared = scorer.prepare(records)
    # The reader process decodes and packs; the worker takes the misplaced rows out.
    packed = scorer.send_home(_through_a_pipe(scorer.prepare(records, homes=False).packed()))
    assert isinstance(packed.records, RecordBlock) and packed.oldest_ms == prepared.oldest_ms
    assert packed.forwards == prepared.forwards == [(3, home_partition(away, 4))]

    sent, report = scorer.apply(empty_state(0), prepared)
    sent_packed, report_packed = scorer.apply(empty_state(0), packed)
    assert sent_packed == sent
    assert report_packed == report
    topics = sorted(o.topic for o in sent)
    assert topics.count(TOPICS.dead_letter(TOPICS.shipments)) == 2
    assert topics.count(TOPICS.shipments) == 1  # the forward


def _reader() -> tuple[ProcessReader, Any, Any]:
    """A reader whose child is played by the test through the two pipes' other ends."""
    reader = ProcessReader(SETTINGS, "127.0.0.1:9092", new_scorer())
    commands_in, commands_out = multiprocessing.Pipe(duplex=False)
    fetches_in, fetches_out = multiprocessing.Pipe(duplex=False)
    reader._commands, reader._fetches = commands_out, fetches_in
    return reader, commands_in, fetches_out


async def test_assignments_reach_the_child_with_their_generation() -> None:
    reader, commands, _ = _reader()
    await reader.assign({TP0: 5})
    await reader.assign({TP0: 9, TopicPartition(TOPICS.profiles, 0): None})
    assert commands.recv() == ("assign", 1, {TP0: 5})
    assert commands.recv() == ("assign", 2, {TP0: 9, TopicPartition(TOPICS.profiles, 0): None})
    assert reader.generation == 2
    await reader.rewind()  # nothing to do: the child has the new positions already
    assert not commands.poll()


async def test_fetches_arrive_in_order_with_their_generation_and_high_watermarks() -> None:
    reader, commands, fetches = _reader()
    reader._full = 2  # records in a full fetch (batch_max_events)
    scorer = new_scorer()
    sizes = [1, 2, 1]
    offsets = [sum(sizes[:i]) for i in range(len(sizes))]
    for generation, (start, size) in enumerate(zip(offsets, sizes, strict=True), start=1):
        records = [FakeRecord(TOPICS.shipments, 0, start + i, b"k", b"{}") for i in range(size)]
        fetches.send((generation, {TP0: scorer.prepare(records).packed()}, {TP0: 100 + generation}))
    asked = []
    got = []
    for _ in sizes:
        got.append(await reader.fetch())
        asked.append(len(_drain(commands)))
    assert [(g, p[TP0].records[0].offset) for g, p in got] == [(1, 0), (2, 1), (3, 3)]
    # A fetch is asked for when the worker wants one; after a full one, two ahead.
    assert asked == [1, 3, 0]
    assert reader.highwater(TP0) == 103
    assert reader.highwater(TopicPartition(TOPICS.profiles, 0)) is None


def _drain(connection: Any) -> list[Any]:
    got = []
    while connection.poll():
        got.append(connection.recv())
    return got


async def test_the_childs_death_stops_the_worker_but_not_a_stop() -> None:
    reader, _, fetches = _reader()
    exited = dataclasses.make_dataclass("Exited", [("exitcode", int)])
    reader._process = exited(-9)
    fetches.close()  # the child is gone: end of file on the pipe
    with pytest.raises(ReaderProcessError, match=r"exit code -9"):
        await reader.fetch()

    stopping, _, fetches = _reader()
    waiting = asyncio.create_task(stopping.fetch())
    await settle()  # the fetch waits for the child
    stopping._stopping = True  # stop() told the child to exit, which ends the pipe
    fetches.close()
    assert await waiting == (0, {})


def test_a_batch_crosses_with_the_rows_of_every_kind_it_holds() -> None:
    """Only non-empty columns are pickled; the worker gets back the same batch."""
    scorer = new_scorer()
    events = [
        event("profile", event_id="p1", origin_shares={"CN": 0.7, "AU": 0.3}),
        event("shipment", event_id="s1"),  # the wrong topic: refused, not a column
        event("profile", event_id="p2", company="Other Co"),
    ]
    records = [
        FakeRecord(TOPICS.profiles, 1, i, b"k", orjson.dumps(e)) for i, e in enumerate(events)
    ]
    prepared = scorer.prepare(records)
    got = _through_a_pipe(prepared.packed())
    assert len(got.batch.profiles) == 2
    assert len(got.batch.profile_shares) == len(prepared.batch.profile_shares) >= 2
    for name in ("shipments", "licences", "signals", "profiles", "profile_shares"):
        sent, received = getattr(prepared.batch, name), getattr(got.batch, name)
        for field in dataclasses.fields(sent):
            assert getattr(received, field.name).tolist() == getattr(sent, field.name).tolist()
    assert {k: v.tolist() for k, v in got.positions.items()} == {
        k: v.tolist() for k, v in prepared.positions.items()
    }
    assert got.refused == prepared.refused and got.refused[0][0] == 1
    assert len(got.shared.profiles) == 2 and got.oldest_ms == prepared.oldest_ms
