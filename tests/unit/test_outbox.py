"""The outbox: the fetch loop queues outputs without waiting for the producer; marks
tell a snapshot which acknowledgements to wait for."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from stream.deadletter import Outgoing
from stream.worker.outbox import Outbox
from tests.unit.worker_parts import settle


class Producer:
    """Blocks in ``send`` while ``gate`` is clear; each send gets one acknowledgement
    the test resolves."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.gate.set()
        self.chunks: list[list[bytes | None]] = []
        self.acks: list[asyncio.Future[None]] = []
        self.error: Exception | None = None

    async def send(self, records: Any) -> list[asyncio.Future[None]]:
        await self.gate.wait()
        if self.error is not None:
            raise self.error
        self.chunks.append([r.key for r in records])
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.acks.append(ack)
        return [ack]


def _records(*keys: str) -> list[Outgoing]:
    return [Outgoing("scores", key.encode(), b"v") for key in keys]


def _outbox(producer: Producer, **options: Any) -> Outbox:
    return Outbox(producer, **options)  # type: ignore[arg-type]


async def test_queueing_does_not_wait_for_the_producer_and_keeps_the_order() -> None:
    producer = Producer()
    outbox = _outbox(producer)
    producer.gate.clear()  # the producer is stuck (a slow broker)
    await outbox.send(_records("a"))
    await settle()  # the sender took "a" and waits for the producer
    await outbox.send(_records("b", "c"))  # returns at once
    await outbox.send(_records("d"))
    assert producer.chunks == []
    producer.gate.set()
    await settle()
    # What was queued while the producer was stuck goes over together, in order.
    assert producer.chunks == [[b"a"], [b"b", b"c", b"d"]]
    await _close(outbox, producer)


async def test_a_mark_waits_for_the_acknowledgements_of_what_came_before_it() -> None:
    producer = Producer()
    outbox = _outbox(producer)
    await outbox.send(_records("a"))
    await settle()
    mark = outbox.mark()
    await outbox.send(_records("b"))
    await settle()
    assert producer.chunks == [[b"a"], [b"b"]]
    waiting = asyncio.create_task(outbox.acked(mark))
    await settle()
    assert not waiting.done()
    producer.acks[0].set_result(None)  # "b" stays unacknowledged: after the mark
    await settle()
    assert waiting.done()
    await _close(outbox, producer)


async def test_a_mark_waits_for_records_not_yet_handed_over() -> None:
    producer = Producer()
    outbox = _outbox(producer)
    producer.gate.clear()
    await outbox.send(_records("a"))
    waiting = asyncio.create_task(outbox.acked(outbox.mark()))
    await settle()
    assert not waiting.done()
    producer.gate.set()
    await settle()
    assert not waiting.done()  # handed over, not yet acknowledged
    producer.acks[0].set_result(None)
    await settle()
    assert waiting.done()
    await _close(outbox, producer)


async def test_too_many_queued_records_make_the_fetch_loop_wait() -> None:
    producer = Producer()
    outbox = _outbox(producer, max_queued=2)
    producer.gate.clear()
    await outbox.send(_records("a", "b"))
    blocked = asyncio.create_task(outbox.send(_records("c")))
    await settle()
    assert not blocked.done()  # memory is bounded: the loop waits for the sender
    producer.gate.set()
    await settle()
    assert blocked.done()
    await _close(outbox, producer)


async def test_a_failed_send_is_raised_to_the_next_caller() -> None:
    producer = Producer()
    outbox = _outbox(producer)
    producer.error = OSError("broker gone")
    await outbox.send(_records("a"))
    await settle()
    with pytest.raises(RuntimeError, match="broker gone"):
        await outbox.send(_records("b"))
    with pytest.raises(RuntimeError, match="broker gone"):
        await outbox.acked(outbox.mark())


async def test_a_failed_acknowledgement_is_raised_to_the_next_caller() -> None:
    producer = Producer()
    outbox = _outbox(producer)
    await outbox.send(_records("a"))
    await settle()
    producer.acks[0].set_exception(OSError("not enough replicas"))
    await settle()
    with pytest.raises(RuntimeError, match="not enough replicas"):
        await outbox.send(_records("b"))


async def test_closing_sends_and_acknowledges_everything_queued() -> None:
    producer = Producer()
    outbox = _outbox(producer)
    producer.gate.clear()
    await outbox.send(_records("a", "b"))
    closing = asyncio.create_task(outbox.close())
    producer.gate.set()
    await settle()
    assert producer.chunks == [[b"a", b"b"]]
    assert not closing.done()
    producer.acks[0].set_result(None)
    await closing


async def _close(outbox: Outbox, producer: Producer) -> None:
    for ack in producer.acks:
        if not ack.done():
            ack.set_result(None)
    await outbox.close()
