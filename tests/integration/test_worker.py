"""The streaming service on the real broker: scores equal the offline engine's, whatever
happens to the workers (restarts after SIGKILL, a second worker, a takeover)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from stream.routing import partition_key
from tests.integration.workers import (
    SCENARIO,
    WorkerProcess,
    assert_same_scores,
    children_of,
    cli,
    offline_scores,
    service_env,
    terminate,
    wait_until_caught_up,
)

Key = tuple[str, str]


@pytest.fixture
def deployment(kafka_bootstrap: str, tmp_path: Path) -> dict[str, str]:
    env = service_env(kafka_bootstrap, tmp_path / "data", partitions=4)
    cli(env, "topics", "create")
    return env


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.stop()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[Key, dict[str, Any]]:
    """The offline engine's scores for the whole scenario, at its last event time."""
    import os

    return offline_scores(dict(os.environ), SCENARIO, tmp_path_factory.mktemp("offline"))


@pytest.mark.parametrize("reader_process", ["true", "false"], ids=["reader-process", "in-loop"])
def test_scenario_end_to_end_equals_offline_engine(
    deployment: dict[str, str],
    workers: list[WorkerProcess],
    reference: dict[Key, dict[str, Any]],
    tmp_path: Path,
    reader_process: str,
) -> None:
    env = {**deployment, "SUPPLYRISK_READER_PROCESS": reader_process}
    worker = WorkerProcess(env, tmp_path / "worker.log")
    workers.append(worker)
    assert worker.wait_ready() == [0, 1, 2, 3]
    # The inputs are fetched and decoded by a child process, or on the worker's loop.
    assert bool(children_of(worker.process.pid)) == (reader_process == "true")
    cli(deployment, "replay", "--events", str(SCENARIO))
    stream = wait_until_caught_up(workers, reference)
    assert_same_scores(stream, reference)
    # The compacted scores topic ends within the emission threshold of the same scores.
    assert_topic_within_threshold(deployment, reference, threshold=0.5)
    # The Japanese buyer of Chinese dysprosium is among the riskiest keys the API lists.
    status, body = worker.get("/scores", top="5", material="Dy")
    assert status == 200
    assert body["count"] == 5
    assert body["scores"][0]["score"] >= body["scores"][-1]["score"]
    # Every partition state was saved (1 s snapshot interval), and the metrics say so.
    sizes = _wait_for_saves(worker, 4)
    assert min(sizes.values()) > 1000


def test_sigkill_mid_stream_then_restart_ends_with_the_same_scores(
    deployment: dict[str, str],
    workers: list[WorkerProcess],
    reference: dict[Key, dict[str, Any]],
    tmp_path: Path,
) -> None:
    first = WorkerProcess(deployment, tmp_path / "first.log")
    workers.append(first)
    first.wait_ready()
    cli(deployment, "replay", "--events", str(SCENARIO))
    # Kill it while it works: some state is snapshotted, some only in memory.
    key = next(iter(reference))
    _wait_for_some_progress(first, key)
    first.kill()

    second = WorkerProcess(deployment, tmp_path / "second.log")
    workers.append(second)
    second.wait_ready(partitions=4)
    stream = wait_until_caught_up([second], reference)
    assert_same_scores(stream, reference)


def test_a_worker_whose_reader_process_dies_stops(
    deployment: dict[str, str], workers: list[WorkerProcess], tmp_path: Path
) -> None:
    """Its partitions then go to the rest of the group, as after any crash."""
    worker = WorkerProcess(deployment, tmp_path / "worker.log")
    workers.append(worker)
    worker.wait_ready()
    readers = [
        pid for pid in children_of(worker.process.pid)
        if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]  # fmt: skip
    assert len(readers) == 1
    os.kill(readers[0], signal.SIGKILL)
    try:
        code = worker.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the worker outlived its reader process:\n{worker.tail()}")
    assert code != 0
    assert "reader process exited" in worker.tail()


def test_two_workers_share_partitions_and_one_takes_over(
    deployment: dict[str, str],
    workers: list[WorkerProcess],
    reference: dict[Key, dict[str, Any]],
    tmp_path: Path,
) -> None:
    one = WorkerProcess(deployment, tmp_path / "one.log")
    two = WorkerProcess(deployment, tmp_path / "two.log")
    workers += [one, two]
    _wait_for_split(one, two)
    cli(deployment, "replay", "--events", str(SCENARIO))
    assert_same_scores(wait_until_caught_up([one, two], reference), reference)

    two.kill()
    assert one.wait_ready(partitions=4) == [0, 1, 2, 3]
    assert_same_scores(wait_until_caught_up([one], reference), reference)


def test_a_worker_joining_mid_stream_takes_its_share_with_nothing_lost(
    deployment: dict[str, str],
    workers: list[WorkerProcess],
    reference: dict[Key, dict[str, Any]],
    tmp_path: Path,
) -> None:
    """The group rebalances while events flow: the first worker gives up partitions it is
    reading, both read on from the states' offsets, and fetches in flight when the
    assignment changed are read again."""
    one = WorkerProcess(deployment, tmp_path / "one.log")
    workers.append(one)
    one.wait_ready(partitions=4)
    with (tmp_path / "replay.log").open("wb") as log:
        replay = subprocess.Popen(
            [sys.executable, "-m", "stream.cli", "replay", "--events", str(SCENARIO),
             "--rate", "250"],
            env=deployment, stdout=log, stderr=log,
        )  # fmt: skip
        try:
            _wait_for_some_progress(one, next(iter(reference)))
            two = WorkerProcess(deployment, tmp_path / "two.log")
            workers.append(two)
            _wait_for_split(one, two)
            assert replay.poll() is None, "the replay ended before the rebalance"
            assert replay.wait(timeout=120) == 0
        finally:
            terminate(replay)
    assert_same_scores(wait_until_caught_up([one, two], reference), reference)


def test_events_partitioned_by_another_client_are_scored_at_their_company_home(
    deployment: dict[str, str],
    workers: list[WorkerProcess],
    reference: dict[Key, dict[str, Any]],
    tmp_path: Path,
) -> None:
    """Every event is keyed by company as asked, but the shipments come from a client
    with librdkafka's default partitioner (CRC32 of the key) and everything else with
    Kafka's murmur2: most companies' shipments land on another partition than their
    profiles and licence decisions. The worker forwards them to the company's home, so
    no key is split between partition states and the scores equal the offline engine's."""
    worker = WorkerProcess(deployment, tmp_path / "worker.log")
    workers.append(worker)
    worker.wait_ready(partitions=4)
    topic_of = {"shipment": "SHIPMENTS", "licence_decision": "LICENCE_DECISIONS",
                "news": "NEWS", "profile": "PROFILES"}  # fmt: skip
    lines: dict[str, list[str]] = {kind: [] for kind in topic_of}
    for line in SCENARIO.read_text().splitlines():
        record = json.loads(line)
        lines[record["type"]].append(f"{partition_key(record)}\t{line}")
    for kind, topic in topic_of.items():
        partitioner = "consistent_random" if kind == "shipment" else "murmur2_random"
        subprocess.run(
            ["kcat", "-b", deployment["KAFKA_BOOTSTRAP_SERVERS"], "-P", "-t",
             deployment[f"SUPPLYRISK_TOPIC_{topic}"], "-K", "\t",
             "-X", f"partitioner={partitioner}"],
            input="\n".join(lines[kind]) + "\n", text=True, timeout=120, check=True,
        )  # fmt: skip
    assert_same_scores(wait_until_caught_up(workers, reference), reference)
    _, metrics = worker.get("/metrics")
    forwarded = {
        line.split('topic="')[1].split('"')[0]: float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("supplyrisk_events_consumed_total") and 'outcome="forwarded"' in line
    }
    assert forwarded[deployment["SUPPLYRISK_TOPIC_SHIPMENTS"]] > 0
    assert forwarded[deployment["SUPPLYRISK_TOPIC_PROFILES"]] == 0


def assert_topic_within_threshold(
    env: dict[str, str], reference: dict[Key, dict[str, Any]], threshold: float
) -> None:
    """The last record per key on the scores topic is within ``threshold`` of the reference
    (the worker republishes keys that decay by more than that about once per snapshot
    interval)."""
    import time

    topic = env["SUPPLYRISK_TOPIC_SCORES"]
    deadline = time.monotonic() + 60
    worst: tuple[float, Key | None] = (float("inf"), None)
    while time.monotonic() < deadline:
        last = asyncio.run(
            _last_values(env["KAFKA_BOOTSTRAP_SERVERS"], topic, int(env["SUPPLYRISK_PARTITIONS"]))
        )
        if last.keys() == reference.keys():
            worst = max((abs(last[k]["score"] - r["score"]), k) for k, r in reference.items())
            if worst[0] <= threshold + 1e-6:
                return
        time.sleep(1)
    pytest.fail(f"scores topic: worst |delta| {worst[0]:.3f} points at {worst[1]}")


async def _last_values(bootstrap: str, topic: str, count: int) -> dict[Key, dict[str, Any]]:
    """The last score record of every key on ``topic``, read to its end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    last: dict[Key, dict[str, Any]] = {}
    try:
        partitions = [TopicPartition(topic, p) for p in range(count)]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, starts[tp])
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for record in records:
                    value = json.loads(record.value)
                    last[(value["company"], value["material"])] = value
    finally:
        await consumer.stop()
    return last


def _wait_for_some_progress(worker: WorkerProcess, key: Key) -> None:
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status, body = worker.try_get("/scores", top="1")
        if status == 200 and body["count"]:
            return
        time.sleep(0.2)
    pytest.fail(f"no progress before the kill:\n{worker.tail()}")


def _wait_for_saves(worker: WorkerProcess, partitions: int) -> dict[str, float]:
    """``supplyrisk_snapshot_size_bytes`` by partition, once ``partitions`` have one."""
    import time

    sizes: dict[str, float] = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _, metrics = worker.get("/metrics")
        sizes = {
            line.split('partition="')[1].split('"')[0]: float(line.rsplit(" ", 1)[1])
            for line in metrics.splitlines()
            if line.startswith("supplyrisk_snapshot_size_bytes{")
        }
        if len(sizes) == partitions:
            assert "supplyrisk_snapshot_duration_seconds_count" in metrics
            assert metrics.count("supplyrisk_state_unsaved_age_seconds{") == partitions
            return sizes
        time.sleep(0.5)
    pytest.fail(f"snapshot sizes of {partitions} partitions never shown: {sizes}")


def _wait_for_split(one: WorkerProcess, two: WorkerProcess) -> None:
    import time

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        parts = []
        for worker in (one, two):
            worker.assert_alive()
            status, body = worker.try_get("/readyz")
            parts.append(body["partitions"] if status == 200 else [])
        if all(parts) and sorted(parts[0] + parts[1]) == [0, 1, 2, 3]:
            return
        time.sleep(0.5)
    pytest.fail(f"partitions never split between the workers: {parts}")
