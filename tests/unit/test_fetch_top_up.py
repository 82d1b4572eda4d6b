"""The batch consumer's fetch loop with scripted fetches instead of a broker: after a
non-empty fetch it takes the records produced since (the top-up) into the same batch."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from faust.types import TP

from stream.worker.faust_batch import BatchConsumer

SHIPMENTS = "supplyrisk.shipments"
P0, P1 = TP(SHIPMENTS, 0), TP(SHIPMENTS, 1)
FIRST_TIMEOUT_S = 1.0


class Sink:
    """Records each handled batch; stops the loop when the script is used up."""

    topics = frozenset({SHIPMENTS})

    def __init__(self, top_up_s: float, stopped: asyncio.Event) -> None:
        self.fetch_top_up_s = top_up_s
        self.batches: list[dict[TP, list[int]]] = []
        self._stopped = stopped

    async def handle(self, records: Mapping[TP, Sequence[Any]]) -> None:
        self.batches.append({tp: list(r) for tp, r in records.items()})

    async def tick(self, consumer: Any) -> None:
        return None


class App:
    """The app as the loop sees it: the sink and the group generation, read in turn from
    ``generations`` (the last one repeats)."""

    client_only = False

    def __init__(self, sink: Sink, generations: tuple[int, ...] = (1,)) -> None:
        self.batch_sink = sink
        self._generations = list(generations)

    @property
    def consumer_generation_id(self) -> int:
        return self._generations.pop(0) if len(self._generations) > 1 else self._generations[0]


def _consumer(
    script: list[dict[TP, list[int]]], top_up_s: float
) -> tuple[BatchConsumer, Sink, list[float]]:
    """A consumer whose successive fetches return ``script``'s items (then it stops);
    also the list of timeouts it was asked to wait."""
    stopped = asyncio.Event()
    sink = Sink(top_up_s, stopped)
    consumer = BatchConsumer.__new__(BatchConsumer)
    consumer.app = App(sink)  # type: ignore[assignment]
    consumer._stopped = stopped  # type: ignore[assignment]
    consumer._crashed = asyncio.Event()  # type: ignore[assignment]
    consumer.flow_active = True
    timeouts: list[float] = []
    fetches = iter(script)

    async def wait_next_records(timeout_s: float) -> tuple[dict[TP, list[int]], set[TP]]:
        timeouts.append(timeout_s)
        fetched = next(fetches, None)
        if fetched is None:
            stopped.set()
            return {}, {P0, P1}
        return fetched, {P0, P1}

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


def test_a_batch_fetched_across_a_rebalance_is_read_again_from_the_committed_offsets() -> None:
    consumer, sink, _ = _consumer([{P0: [1]}, {P0: [2]}, {P1: [3]}, {}], top_up_s=0.005)
    consumer.app = App(sink, generations=(1, 2))  # type: ignore[assignment]  # a rebalance
    seeks: list[bool] = []

    async def perform_seek() -> None:
        seeks.append(True)

    consumer.perform_seek = perform_seek  # type: ignore[method-assign]
    asyncio.run(consumer._drain_messages(Fetcher()))
    assert seeks == [True]  # nothing fetched across the rebalance is lost
    assert sink.batches == [{P1: [3]}]
