"""Benchmark of the streaming service on a real local broker, each figure against a
baseline measured in the same run:

(a) throughput, input topic → ``supplyrisk.scores``: a worker consumes N pre-produced
    shipment events (and publishes their scores); the ceiling is a bare aiokafka
    consumer (``getmany``) decoding the same topic with orjson and doing nothing else.
    Target: service ≥ 0.5 x ceiling. Both rates leave out the first fetch: the ceiling
    counts the records after it, from when it was decoded; the service's rate is taken
    between the timestamps of its first and last score records (the input ends with
    events of new keys, so the last fetch publishes), less two fetch limits of events.
    Measured in rounds (``--rounds``, default 3), each with its own ceiling, the ratio
    taken within the round and its median printed. Also
    the worker's handler fed by a bare consumer on the event loop's thread
    (``in_loop.py``: no Faust, no group, no saving), which shows what the handler alone
    reaches and what the worker adds around it.
(b) latency, produce → score published, p50 / p99 at a fixed offered load (5k events/s,
    10k with ``--full``; ``--rate`` sets it): each event creates a new key, so each has
    exactly one score record; latency = when a consumer in another process receives the
    score record - the input record's timestamp (the same clock: one machine). Target p99
    ≤ 50 ms. A warm-up at the same load runs first. The baseline is the broker round trip
    at the same load: produce → receipt by a bare aiokafka consumer in another process.
    The split shows where it goes: input → the worker appends the score record (the
    record's timestamp), and appended → received (the output producer and the broker).
    Also the same handler fed by a bare consumer on its event loop's thread (``in_loop.py``,
    in a process of its own), which shows what the worker adds around the handler (the
    group, saving, decay rescoring).
(c) recovery: time from starting a worker to ``/readyz`` with K keys of state on the
    state topic, against the same with no state. Target ≤ 10 s for 1M keys.

    python benchmarks/bench_stream.py             # 200k events, 5k/s for 10 s, 200k keys
    python benchmarks/bench_stream.py --full      # 1M events, 10k/s for 20 s, 1M keys
    python benchmarks/bench_stream.py --skip a,c --rate 10000   # only (b), at 10k/s
    python benchmarks/bench_stream.py --skip a,c --rate 10000 --snapshot-interval-s 60

Uses KAFKA_BOOTSTRAP_SERVERS when set, else starts the local broker on port 19392.
Prints figures and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from in_loop import handler_in_loop, serve_in_loop
from stream_load import (
    broker,
    ceiling,
    company_names,
    create_topic,
    key_count,
    offered_load,
    output_span,
    produce_shipments,
    receiving,
    record_times,
    seeded_state,
)

from config.settings import load_settings
from stream.topics import create_topics
from stream.worker.output import OutputProducer
from stream.worker.state_store import StateStore
from tests.integration.workers import WorkerProcess, service_env

_WARM_UP_S = 5.0
# Events at the end of (a)'s input, each for a new key: the last fetch publishes a score.
_TAIL = 200
_TAIL_PREFIX = "tail-company-"


def consumed(
    worker: WorkerProcess, topic: str, metric: str = "supplyrisk_events_consumed_total"
) -> float:
    """Sum of ``metric`` over its series (those of ``topic`` when given) on the worker."""
    with urllib.request.urlopen(f"http://127.0.0.1:{worker.port}/metrics", timeout=10) as r:
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(metric) and (not topic or f'topic="{topic}"' in line):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _service_rate(
    bootstrap: str, env: dict[str, str], topic: str, n: int, log: Path
) -> tuple[float, float]:
    """A worker of ``env`` consuming the first ``n`` records of ``topic``, whose last
    records (:data:`_TAIL`) each publish a score: events/s between the timestamps of the
    first score record and of the last of those, and the score records it published.

    The first score record is stamped once the worker's first fetch is handled, so the
    events of that fetch are not counted: at most two fetch limits (a fetch and its
    top-up), all of which are left out.
    """
    settings = load_settings(env)
    worker = WorkerProcess(env, log)
    try:
        worker.wait_ready()
        while consumed(worker, topic) < n:
            time.sleep(0.25)  # a scrape builds the risk view: do not load the worker
        published = consumed(worker, "", "supplyrisk_scores_published_total")
    finally:
        worker.stop()
    scores = settings.topics.scores
    span_s = asyncio.run(output_span(bootstrap, scores, int(published), _TAIL_PREFIX.encode()))
    return (n - 2 * settings.worker.batch_max_events) / span_s, published


def throughput(bootstrap: str, n: int, companies: int, tmp: Path, rounds: int) -> None:
    """(a) in ``rounds`` rounds, each measuring the ceiling, the in-loop handler and a
    fresh worker (its own group, state and scores topics) on the same pre-produced
    records, so a slow spell of the machine falls on a round's baseline and service
    alike; the ratio is taken within each round."""
    base = service_env(bootstrap, tmp / f"tp-{companies}", partitions=4)
    base["SUPPLYRISK_SNAPSHOT_INTERVAL_S"] = "30"
    settings = load_settings(base)
    asyncio.run(create_topics(bootstrap, settings.kafka, settings.topics))
    topic = settings.topics.shipments
    names = company_names(n, companies)
    names += [f"{_TAIL_PREFIX}{i}" for i in range(_TAIL)]  # new keys: each publishes
    asyncio.run(produce_shipments(bootstrap, topic, names))
    print(f"(a) throughput on {len(names):,} events, 4 partitions, {companies:,} companies "
          f"({key_count(n, companies):,} keys), {rounds} rounds (events/s)")  # fmt: skip
    n = len(names)
    print("    round   ceiling   in-loop   service   in-loop/ceiling   service/ceiling")
    partition_bytes = settings.worker.fetch_partition_bytes  # the ceiling fetches as the worker
    ratios = []
    for r in range(rounds):
        env = dict(base)
        for name in ("APP_ID", "TOPIC_STATE", "TOPIC_SCORES", "TOPIC_ALERTS"):
            env[f"SUPPLYRISK_{name}"] = f"{base[f'SUPPLYRISK_{name}']}-r{r}"
        env["SUPPLYRISK_DATA_DIR"] = str(tmp / f"tp-{companies}-r{r}")
        round_settings = load_settings(env)
        asyncio.run(create_topics(bootstrap, round_settings.kafka, round_settings.topics))
        bare = asyncio.run(ceiling(bootstrap, topic, n, partition_bytes))
        in_loop = n / asyncio.run(handler_in_loop(bootstrap, settings, n, partitions=4))
        log = tmp / f"tp-{companies}-r{r}-worker.log"
        service, published = _service_rate(bootstrap, env, topic, n, log)
        ratios.append(service / bare)
        print(f"    {r + 1:5d} {bare:9,.0f} {in_loop:9,.0f} {service:9,.0f}"
              f" {in_loop / bare:17.2f} {service / bare:17.2f}")  # fmt: skip
    print(f"    scores published by the last worker: {published:,.0f}")
    print(f"    ratio service / ceiling, median of {rounds} rounds "
          f"{float(np.median(ratios)):8.2f}   (target >= 0.5)")  # fmt: skip


def round_trip(bootstrap: str, rate: float, seconds: float) -> NDArray[np.float64]:
    """Produce -> receipt by a bare consumer in another process, at the same load."""
    topic = "bench-round-trip"
    asyncio.run(create_topic(bootstrap, topic, partitions=4))
    with receiving(bootstrap, topic) as received:
        asyncio.run(offered_load(bootstrap, topic, rate, seconds))
        rows = received()
    return np.array([now_ms - timestamp for _, timestamp, now_ms in rows], dtype=np.float64)


Latencies = tuple[NDArray[np.float64], NDArray[np.float64]]  # end to end, input -> appended


def _scored(bootstrap: str, env: dict[str, str], rate: float, seconds: float) -> Latencies:
    """Warm up, then offer ``rate`` events/s for ``seconds`` to a running handler of
    ``env``'s topics; each key's latency to its first score record's receipt."""
    settings = load_settings(env)
    topic = settings.topics.shipments
    # Warm-up at the same load (not measured): the broker's JIT and the first fetches
    # of a fresh process would otherwise dominate the tail of a short run.
    asyncio.run(offered_load(bootstrap, topic, rate, _WARM_UP_S, prefix="warm-up"))
    with receiving(bootstrap, settings.topics.scores) as received:
        sent = asyncio.run(offered_load(bootstrap, topic, rate, seconds))
        scores = received()
    inputs = asyncio.run(record_times(bootstrap, topic, sent, 60))
    first: dict[bytes, tuple[int, float]] = {}  # company -> its first score record's
    for key, appended_ms, now_ms in scores:  # timestamp (appended by the worker), receipt
        first.setdefault(key.split(b"|")[0], (appended_ms, now_ms))
    keys = [k for k in inputs if k in first]
    ms = np.array([first[k][1] - inputs[k] for k in keys], dtype=np.float64)
    worker_ms = np.array([first[k][0] - inputs[k] for k in keys], dtype=np.float64)
    print(f"    {sent:,} events sent, {len(ms):,} scored")
    return ms, worker_ms


def _deployment(
    bootstrap: str, tmp: Path, snapshot_interval_s: float | None = None
) -> dict[str, str]:
    env = service_env(bootstrap, tmp, partitions=4)
    # The default snapshot interval: saving state and rescoring for decay happen during
    # the measurement, as they do in service.
    interval_s = snapshot_interval_s or load_settings({}).worker.snapshot_interval_s
    env["SUPPLYRISK_SNAPSHOT_INTERVAL_S"] = str(interval_s)
    settings = load_settings(env)
    asyncio.run(create_topics(bootstrap, settings.kafka, settings.topics))
    return env


def latency(
    bootstrap: str, rate: float, seconds: float, tmp: Path, snapshot_interval_s: float | None
) -> None:
    env = _deployment(bootstrap, tmp / "lat", snapshot_interval_s)
    print(f"(b) latency at {rate:,.0f} events/s offered for {seconds:.0f} s after a "
          f"{_WARM_UP_S:.0f} s warm-up, snapshots every "
          f"{env['SUPPLYRISK_SNAPSHOT_INTERVAL_S']} s")  # fmt: skip
    base = round_trip(bootstrap, rate, seconds)
    worker = WorkerProcess(env, tmp / "lat-worker.log")
    try:
        worker.wait_ready()
        ms, worker_ms = _scored(bootstrap, env, rate, seconds)
    finally:
        worker.stop()
    # The same handler fed by a bare consumer on its event loop's thread: no group, no saving.
    env = _deployment(bootstrap, tmp / "lat-in-loop")
    context = multiprocessing.get_context("spawn")
    ready = context.Queue()
    child = context.Process(
        target=serve_in_loop, args=(bootstrap, env, 2 * _WARM_UP_S + seconds + 30, ready)
    )
    child.start()
    try:
        ready.get(timeout=60)
        in_loop_ms, _ = _scored(bootstrap, env, rate, seconds)
    finally:
        child.terminate()
        child.join(timeout=10)
    # Where it goes: input -> the worker appends the score record, then -> its receipt.
    for label, values in (
        ("produce -> bare consumer", base),
        ("produce -> score published", ms),
        ("  of it input -> appended", worker_ms),
        ("  of it appended -> received", ms - worker_ms),
        ("handler fed in-loop, no Faust", in_loop_ms),
    ):
        print(
            f"    {label:30s} p50 {np.percentile(values, 50):7.1f} ms   "
            f"p99 {np.percentile(values, 99):7.1f} ms   max {values.max():7.1f} ms"
        )
    ratio = np.percentile(ms, 99) / np.percentile(base, 99)
    print(f"    ratio of p99, service / bare  {ratio:7.1f}      (target: service p99 <= 50 ms)")


def recovery(bootstrap: str, keys: int, tmp: Path) -> None:
    timings = {}
    for label, n in (("empty", 0), ("loaded", keys)):
        env = service_env(bootstrap, tmp / f"rec-{label}", partitions=4)
        settings = load_settings(env)
        asyncio.run(create_topics(bootstrap, settings.kafka, settings.topics))
        size = asyncio.run(seed_state(bootstrap, settings.topics.state, n, 4)) if n else 0
        started = time.perf_counter()
        worker = WorkerProcess(env, tmp / f"rec-{label}.log")
        try:
            worker.wait_ready(timeout_s=600)
            timings[label] = (time.perf_counter() - started, size)
        finally:
            worker.stop()
    empty_s, _ = timings["empty"]
    loaded_s, size = timings["loaded"]
    print(f"(c) recovery: start -> ready with {keys:,} keys ({size / 1e6:,.0f} MB of snapshots)")
    print(
        f"    no state {empty_s:6.1f} s   with state {loaded_s:6.1f} s   "
        f"restore cost {loaded_s - empty_s:6.1f} s   ratio {loaded_s / empty_s:5.2f}"
    )
    print("    target: ready within 10 s with 1M keys")


async def seed_state(bootstrap: str, topic: str, keys: int, partitions: int) -> int:
    """Write snapshots holding ``keys`` keys (spread over partitions) to the state topic."""
    store = StateStore(topic, bootstrap, {})
    output = OutputProducer(bootstrap, {})
    total = 0
    try:
        for p in range(partitions):
            data = seeded_state(p, keys // partitions).to_bytes()
            total += len(data)
            await store.write(p, data, output)
    finally:
        await output.stop()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: a,b,c")
    parser.add_argument("--rate", type=float, help="offered load of (b), events/s")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (a) (default 3)")
    parser.add_argument(
        "--snapshot-interval-s",
        type=float,
        help="(b)'s worker saves this often (default: as in service)",
    )
    args = parser.parse_args()
    n, rate, seconds, keys = (1_000_000, 10_000.0, 20.0, 1_000_000) if args.full else (
        200_000, 5_000.0, 10.0, 200_000)  # fmt: skip
    rate = args.rate or rate
    skip = set(args.skip.split(","))
    with tempfile.TemporaryDirectory() as tmp, broker() as bootstrap:
        if "a" not in skip:
            # Many events per key (most rescored keys move less than the emission
            # threshold), then nearly one new key per event (every event publishes).
            throughput(bootstrap, n, 2_000, Path(tmp), args.rounds)
            throughput(bootstrap, n, 20_000, Path(tmp), args.rounds)
        if "b" not in skip:
            latency(bootstrap, rate, seconds, Path(tmp), args.snapshot_interval_s)
        if "c" not in skip:
            recovery(bootstrap, keys, Path(tmp))


if __name__ == "__main__":
    main()
