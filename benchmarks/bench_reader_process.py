"""Measurement of a design the service does not use yet: fetching and decoding in a
process of its own, ahead of the process that scores and publishes.

The worker is CPU-bound on one core (docs/PERFORMANCE.md): aiokafka and decoding take
about half of its time, scoring and publishing the rest. Here a child process fetches
with a bare aiokafka consumer and decodes each fetch (``Scorer.prepare_fetch``, the
worker's own code), and sends the decoded columns through a pipe; this process applies
them to its partition states and publishes the outputs, as the in-loop handler does.
Each prepared batch crosses the pipe without its records: a stand-in per record carries
the topic and the fetch's oldest timestamp, which is all ``Scorer.apply`` reads of them
when nothing is refused (every event of this benchmark is valid).

Not a way to run the service: no group, no generations, no dead letters, no saving. In
rounds, on the same pre-produced records, each round measures the bare consumer (the
ceiling of ``bench_stream.py`` (a)), the in-loop handler (one process) and the split
(two processes), and prints the ratios to the ceiling within the round. The split's rate
leaves its first fetch out, as the ceiling's does (the in-loop handler's counts it).

    python benchmarks/bench_reader_process.py                     # 200k events, 20k keys
    python benchmarks/bench_reader_process.py --companies 2000

Uses KAFKA_BOOTSTRAP_SERVERS when set, else starts the local broker on port 19392.
Prints figures and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import multiprocessing
import statistics
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from in_loop import handler_in_loop, queue_outputs, scorer_and_states
from stream_load import (
    broker,
    ceiling,
    company_names,
    input_consumer,
    key_count,
    produce_shipments,
)

from config.settings import load_settings
from stream.topics import create_topics
from stream.worker.output import OutputProducer
from stream.worker.scorer import Prepared
from tests.integration.workers import service_env

_PARTITIONS = 4


def _fetch_and_decode(bootstrap: str, env: dict[str, str], n: int, pipe: Connection) -> None:
    """In the child: fetch and decode the first ``n`` records; send each fetch's batches."""

    async def run() -> None:
        settings = load_settings(env)
        scorer, _ = scorer_and_states(settings, _PARTITIONS)
        consumer = input_consumer(
            bootstrap, settings.topics.shipments, settings.worker.fetch_partition_bytes
        )
        await consumer.start()
        gc.freeze()
        loop, seen, sending = asyncio.get_running_loop(), 0, None
        try:
            while seen < n:
                fetch = await consumer.getmany(
                    timeout_ms=100, max_records=settings.worker.batch_max_events
                )
                if not fetch:
                    continue
                prepared = scorer.prepare_fetch(fetch)
                batches = []
                for tp, records in fetch.items():
                    oldest = min(r.timestamp for r in records)
                    stand = dataclasses.replace(records[0], key=None, value=None, timestamp=oldest)
                    light = dataclasses.replace(prepared[tp], records=[stand] * len(records))
                    batches.append((tp.partition, light))
                    seen += len(records)
                if sending is not None:
                    await sending  # one fetch in the pipe at a time: memory stays bounded
                sending = loop.run_in_executor(None, pipe.send, batches)
            if sending is not None:
                await sending
            pipe.send(None)
        finally:
            await consumer.stop()

    asyncio.run(run())


async def _score_and_publish(bootstrap: str, env: dict[str, str], n: int) -> float:
    """Events/s from the first fetch received to the acknowledgement of the last output,
    less that fetch's events (decoded before the span starts)."""
    settings = load_settings(env)
    scorer, states = scorer_and_states(settings, _PARTITIONS)
    output = OutputProducer(bootstrap, {})
    await output.prepare(settings.topics.outputs)
    receiving, sending = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("spawn").Process(
        target=_fetch_and_decode, args=(bootstrap, env, n, sending)
    )
    child.start()
    sending.close()  # the child's end: should the child die, recv() raises EOFError
    gc.freeze()
    loop, first, unspanned, acks = asyncio.get_running_loop(), 0.0, 0, list[Any]()
    try:
        while (batches := await loop.run_in_executor(None, receiving.recv)) is not None:
            if not first:
                first, unspanned = time.perf_counter(), sum(len(p.records) for _, p in batches)
            outgoing = []
            for partition, prepared in batches:
                assert isinstance(prepared, Prepared)
                outgoing += scorer.apply(states[partition], prepared)[0]
            acks = await queue_outputs(output, outgoing, acks)
        await asyncio.gather(*acks)
        return (n - unspanned) / (time.perf_counter() - first)
    finally:
        child.join()
        await output.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--companies", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, broker() as bootstrap:
        env = service_env(bootstrap, Path(tmp) / "split", partitions=_PARTITIONS)
        settings = load_settings(env)
        asyncio.run(create_topics(bootstrap, settings.kafka, settings.topics))
        topic, n = settings.topics.shipments, args.events
        asyncio.run(produce_shipments(bootstrap, topic, company_names(n, args.companies)))
        keys = key_count(n, args.companies)
        print(f"{n:,} events, {_PARTITIONS} partitions, {args.companies:,} companies, "
              f"{keys:,} keys, {args.rounds} rounds (events/s)")  # fmt: skip
        print("    round   ceiling   in-loop     split   in-loop/ceiling   split/ceiling")
        one_ratios, split_ratios = [], []
        for r in range(args.rounds):
            bare = asyncio.run(ceiling(bootstrap, topic, n, settings.worker.fetch_partition_bytes))
            one = n / asyncio.run(handler_in_loop(bootstrap, settings, n, _PARTITIONS))
            split = asyncio.run(_score_and_publish(bootstrap, env, n))
            one_ratios.append(one / bare)
            split_ratios.append(split / bare)
            print(f"    {r + 1:5d} {bare:9,.0f} {one:9,.0f} {split:9,.0f}"
                  f" {one / bare:17.2f} {split / bare:15.2f}")  # fmt: skip
        print(f"    medians: in-loop {statistics.median(one_ratios):.2f}, "
              f"split {statistics.median(split_ratios):.2f} of the ceiling")  # fmt: skip


if __name__ == "__main__":
    main()
