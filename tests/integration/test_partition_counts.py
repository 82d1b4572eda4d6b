"""A worker refuses to resume state saved when the input topics had other partition
counts: every company's partition moved, and resuming would split companies' evidence."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions

from tests.integration.workers import WorkerProcess, cli, service_env


def _shipments(path: Path, n: int) -> Path:
    lines = [
        orjson.dumps({
            "type": "shipment", "event_id": f"pc-{i}", "event_time": "2026-01-05T09:00:00Z",
            "company": f"Company {i}", "material": "Dy", "origin_country": "CN",
            "destination_country": "JP", "quantity_kg": 120.0, "status": "delivered",
        })
        for i in range(n)
    ]  # fmt: skip
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


async def _grow(bootstrap: str, topic: str, total: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_partitions({topic: NewPartitions(total_count=total)})
    finally:
        await admin.close()


def test_a_worker_stops_rather_than_resume_state_of_other_partition_counts(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    env = service_env(kafka_bootstrap, tmp_path / "data", partitions=4)
    cli(env, "topics", "create")
    first = WorkerProcess(env, tmp_path / "first.log")
    try:
        first.wait_ready(partitions=4)
        cli(env, "replay", "--events", str(_shipments(tmp_path / "events.jsonl", 40)))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # every partition's state saved (1 s interval)
            _, metrics = first.get("/metrics")
            if metrics.count("supplyrisk_snapshot_size_bytes{") == 4:
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"states never saved:\n{first.tail()}")
    finally:
        first.stop()

    asyncio.run(_grow(kafka_bootstrap, env["SUPPLYRISK_TOPIC_SHIPMENTS"], 8))
    second = WorkerProcess(env, tmp_path / "second.log")
    try:
        second.process.wait(timeout=120)  # it stops by itself
    finally:
        second.stop()
    log = second.log.read_text(errors="replace")
    assert f"{env['SUPPLYRISK_TOPIC_SHIPMENTS']} had 4 partitions, has 8" in log, log[-3000:]
    assert "PartitionCountError" in log
    assert second.process.returncode != 0
