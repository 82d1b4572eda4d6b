"""The worker's handler fed by a bare aiokafka consumer on the event loop's own thread.

A measurement for the throughput benchmark, not a way to run the service: no consumer
group, no state saving, no commits. It shows what decoding, scoring and publishing cost
without Faust's consumer thread (the worker fetches through it, for Faust's group
membership and rebalancing): the gap between this and the worker is what the threaded
fetch costs.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka import AIOKafkaConsumer

from config.loader import load_catalogue, load_lexicon, load_scoring_params
from config.settings import Settings
from stream.events import EventDecoder
from stream.worker.output import OutputProducer
from stream.worker.partition_state import PartitionState
from stream.worker.scorer import Scorer


async def handler_in_loop(bootstrap: str, settings: Settings, n: int, partitions: int) -> float:
    """Seconds from the first fetched record to the acknowledgement of the last output,
    handling the first ``n`` records of the shipments topic as the worker does."""
    topics, params, catalogue = settings.topics, load_scoring_params(), load_catalogue()
    scorer = Scorer(
        EventDecoder(load_lexicon()), topics, settings.worker, params.level_thresholds, time.time
    )
    scorer.partition_counts[topics.shipments] = partitions  # the worker's keying check
    states = {p: PartitionState.empty(p, catalogue, params) for p in range(partitions)}
    output = OutputProducer(bootstrap, {})
    await output.prepare(topics.outputs)
    consumer = AIOKafkaConsumer(
        topics.shipments, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
        enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    seen, started, acks = 0, 0.0, list[Any]()
    try:
        while seen < n:
            fetch = await consumer.getmany(
                timeout_ms=2000, max_records=settings.worker.batch_max_events
            )
            if not fetch:
                continue
            started = started or time.perf_counter()
            prepared = scorer.prepare_fetch(fetch)
            for tp, records in fetch.items():
                outgoing, _ = scorer.apply(states[tp.partition], prepared[tp])
                acks += await output.send(outgoing)
                seen += len(records)
        await asyncio.gather(*acks)
    finally:
        await consumer.stop()
        await output.stop()
    return time.perf_counter() - started
