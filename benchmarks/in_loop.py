"""The worker's handler fed by a bare aiokafka consumer on the event loop's own thread.

A measurement for the stream benchmark, not a way to run the service: no consumer group,
no state saving, no decay rescoring, no commits. It shows what decoding, scoring and
publishing reach alone, in throughput (:func:`handler_in_loop`) and in latency
(:func:`serve_in_loop`, run in a process of its own like the worker); the gap between
this and the worker, which fetches the same way, is what its group membership, saving
and decay rescoring cost.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from typing import Any

from stream_load import input_consumer

from config.loader import load_catalogue, load_scoring_params
from config.settings import Settings, load_settings
from stream.worker.output import OutputProducer
from stream.worker.partition_state import PartitionState
from stream.worker.scorer import Scorer


async def _handle(
    bootstrap: str,
    settings: Settings,
    partitions: int,
    go_on: Callable[[int], bool],
    started: Callable[[], None] = lambda: None,
) -> float:
    """Handle the shipments topic from its start as the worker does while ``go_on(seen)``;
    seconds from the first fetched record to the acknowledgement of the last output."""
    topics, params, catalogue = settings.topics, load_scoring_params(), load_catalogue()
    scorer = Scorer.for_settings(settings, time.time)
    scorer.partition_counts[topics.shipments] = partitions  # the worker's keying check
    states = {p: PartitionState.empty(p, catalogue, params) for p in range(partitions)}
    output = OutputProducer(bootstrap, {})
    await output.prepare(topics.outputs)
    consumer = input_consumer(bootstrap, topics.shipments, settings.worker.fetch_partition_bytes)
    await consumer.start()
    gc.freeze()  # as the worker does once started
    started()
    seen, first, acks = 0, 0.0, list[Any]()
    try:
        while go_on(seen):
            fetch = await consumer.getmany(
                timeout_ms=100, max_records=settings.worker.batch_max_events
            )
            if not fetch:
                continue
            first = first or time.perf_counter()
            prepared = scorer.prepare_fetch(fetch)
            outgoing = []
            for tp, records in fetch.items():
                outgoing += scorer.apply(states[tp.partition], prepared[tp])[0]
                seen += len(records)
            acks += await output.send(outgoing)  # once per fetch, as the worker queues them
            acks = [a for a in acks if not a.done() or a.exception() is not None]
        await asyncio.gather(*acks)
    finally:
        await consumer.stop()
        await output.stop()
    return time.perf_counter() - first


async def handler_in_loop(bootstrap: str, settings: Settings, n: int, partitions: int) -> float:
    """Seconds to handle the first ``n`` records of the shipments topic (see :func:`_handle`)."""
    return await _handle(bootstrap, settings, partitions, lambda seen: seen < n)


def serve_in_loop(bootstrap: str, env: dict[str, str], seconds: float, ready: Any) -> None:
    """In a child process: handle the shipments topic for ``seconds``, putting "ready" on
    the ``ready`` queue once consuming (the latency benchmark's stand-in for a worker)."""
    deadline = time.monotonic() + seconds
    asyncio.run(
        _handle(
            bootstrap, load_settings(env), 4, lambda _: time.monotonic() < deadline,
            lambda: ready.put("ready"),
        )
    )  # fmt: skip
