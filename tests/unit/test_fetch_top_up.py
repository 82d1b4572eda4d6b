"""The batch consumer's fetch loop with scripted fetches instead of a broker: after a
non-empty fetch it takes the records produced since (the top-up) into the same batch."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from faust.types import TP

from stream.worker.faust_batch import BatchConsumer

SHIPMENTS = "supplyrisk.shipments"
P0, P1 = TP(SHIPMENTS, 0), TP(SHIPMENTS, 1)
ACTIVE = {P0, P1}  # the partitions each scripted fetch was made for
FIRST_TIMEOUT_S = 1.0


class Rec(NamedTuple):
    offset: int


class Sink:
    """Records each handled batch; stops the loop when the script is used up."""

    topics = frozenset({SHIPMENTS})

    def __init__(self, top_up_s: float, stopped: asyncio.Event) -> None:
        self.fetch_top_up_s = top_up_s
        self.batches: list[dict[TP, list[int]]] = []
        self._stopped = stopped

    async def handle(self, records: Mapping[TP, Sequence[Any]]) -> None:
        self.batches.append({tp: [r.offset for r in recs] for tp, recs in records.items()})

    async def tick(self, consumer: Any) -> None:
        return None


class App:
    """The app as the loop sees it: the sink and the group generation."""

    client_only = False
    consumer_generation_id = 1

    def __init__(self, sink: Sink) -> None:
        self.batch_sink = sink


def _consumer(
    script: list[dict[TP, list[int]]], top_up_s: float, rebalance_during: int = -1
) -> tuple[BatchConsumer, Sink, list[float]]:
    """A consumer whose successive fetches return ``script``'s items (then it stops), a
    rebalance happening during fetch number ``rebalance_during``; also the list of
    timeouts it was asked to wait."""
    stopped = asyncio.Event()
    sink = Sink(top_up_s, stopped)
    consumer = BatchConsumer.__new__(BatchConsumer)
    consumer.app = App(sink)  # type: ignore[assignment]
    consumer._stopped = stopped  # type: ignore[assignment]
    consumer._crashed = asyncio.Event()  # type: ignore[assignment]
    consumer.flow_active = True
    timeouts: list[float] = []
    fetches = iter(script)

    async def wait_next_records(timeout_s: float) -> tuple[dict[TP, list[Rec]], set[TP]]:
        if len(timeouts) == rebalance_during:
            consumer.app.consumer_generation_id += 1
        timeouts.append(timeout_s)
        fetched = next(fetches, None)
        if fetched is None:
            stopped.set()
            fetched = {}
        return {tp: [Rec(offset) for offset in offsets] for tp, offsets in fetched.items()}, ACTIVE

    consumer._wait_next_records = wait_next_records  # type: ignore[method-assign,assignment]
    return consumer, sink, timeouts


class Fetcher:
    def __init__(self) -> None:
        self._stopped = asyncio.Event()


def test_a_non_empty_fetch_is_topped_up_with_what_was_produced_since() -> None:
    buffered = {P0: [10, 11], P1: [20]}
    since = {P0: [12, 13]}
    consumer, sink, timeouts = _consumer([buffered, since], top_up_s=0.005)
    asyncio.run(consumer._drain_messages(Fetcher()))
    assert sink.batches == [{P0: [10, 11, 12, 13], P1: [20]}]  # one batch, offset order
    assert timeouts[:2] == [FIRST_TIMEOUT_S, 0.005]


def test_no_top_up_after_an_empty_fetch_or_when_disabled() -> None:
    consumer, sink, timeouts = _consumer([{}, {P0: [1]}, {P1: [2]}], top_up_s=0.0)
    asyncio.run(consumer._drain_messages(Fetcher()))
    assert sink.batches == [{P0: [1]}, {P1: [2]}]
    assert set(timeouts) == {FIRST_TIMEOUT_S}


def test_records_of_partitions_no_longer_active_are_not_handled() -> None:
    gone = TP(SHIPMENTS, 7)
    consumer, sink, _ = _consumer([{P0: [1], gone: [5]}, {gone: [6]}], top_up_s=0.005)
    asyncio.run(consumer._drain_messages(Fetcher()))
    assert sink.batches == [{P0: [1]}]


def test_a_fetch_whose_top_up_spans_a_rebalance_is_read_again_from_its_first_records() -> None:
    script = [{P0: [5, 6], P1: [9]}, {P0: [7]}, {P0: [5]}, {}]
    consumer, sink, _ = _consumer(script, top_up_s=0.005, rebalance_during=1)  # the top-up
    seeks: list[tuple[TP, int]] = []

    async def seek(partition: TP, offset: int) -> None:
        seeks.append((partition, offset))

    consumer.seek = seek  # type: ignore[method-assign]
    consumer.assignment = lambda: {P0}  # type: ignore[method-assign]  # P1 went elsewhere
    asyncio.run(consumer._drain_messages(Fetcher()))
    # Not Faust's seek to committed offsets, which skips partitions with none committed.
    assert seeks == [(P0, 5)]
    assert sink.batches == [{P0: [5]}]


def test_a_fetch_that_waited_through_a_rebalance_is_handled() -> None:
    """The first fetch can wait through a whole rebalance and return the new assignment's
    records: they belong to the generation current when it returns."""
    consumer, sink, _ = _consumer([{P0: [1]}, {}], top_up_s=0.005, rebalance_during=0)
    asyncio.run(consumer._drain_messages(Fetcher()))
    assert sink.batches == [{P0: [1]}]
