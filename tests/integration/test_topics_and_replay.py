"""``supplyrisk topics create`` (idempotent) and ``supplyrisk replay`` on the real broker."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from config.settings import load_settings
from stream.cli import main
from tests.integration.conftest import unique


@pytest.fixture
def topic_env(monkeypatch: pytest.MonkeyPatch, kafka_bootstrap: str) -> str:
    """Point every topic setting at fresh names; return their common prefix."""
    prefix = unique("svc")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("SUPPLYRISK_PARTITIONS", "3")
    for name in ("SHIPMENTS", "LICENCE_DECISIONS", "NEWS", "PROFILES", "SCORES", "ALERTS", "STATE"):
        monkeypatch.setenv(f"SUPPLYRISK_TOPIC_{name}", f"{prefix}.{name.lower()}")
    return prefix


async def _describe(bootstrap: str, names: list[str]) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    return {d["topic"]: len(d["partitions"]) for d in described}


async def _read_all(bootstrap: str, topic: str, count: int) -> list[tuple[bytes | None, bytes]]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    records: list[tuple[bytes | None, bytes]] = []
    try:
        while len(records) < count:
            batches = await consumer.getmany(timeout_ms=10_000)
            assert batches, f"only {len(records)} of {count} records on {topic}"
            records += [(r.key, r.value) for rs in batches.values() for r in rs if r.value]
    finally:
        await consumer.stop()
    return records


def test_topics_create_is_idempotent(
    topic_env: str, kafka_bootstrap: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["topics", "create"]) == 0
    assert "11 created, 0 already present" in capsys.readouterr().out
    assert main(["topics", "create"]) == 0
    assert "0 created, 11 already present" in capsys.readouterr().out
    topics = load_settings().topics
    partitions = asyncio.run(
        _describe(kafka_bootstrap, [*topics.inputs, topics.scores, topics.dead_letter(topics.news)])
    )
    assert set(partitions.values()) == {3}


def test_replay_routes_by_type_and_key(
    topic_env: str, kafka_bootstrap: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["topics", "create"]) == 0
    events = [
        {"type": "shipment", "event_id": "s1", "event_time": "2026-01-08T00:00:00Z",
         "company": "Acme", "material": "Dy", "origin_country": "CN",
         "destination_country": "JP", "quantity_kg": 10, "status": "shipped"},
        {"type": "profile", "event_id": "p1", "event_time": "2026-01-01T00:00:00Z",
         "company": "Acme", "material": "Dy"},
        {"type": "licence_decision", "event_id": "l1", "event_time": "2026-01-08T00:00:00Z",
         "exporting_country": "CN", "destination_country": "JP", "material": "Dy",
         "decision": "denied"},
        {"type": "news", "event_id": "n1", "event_time": "2026-01-08T00:00:00Z",
         "headline": "China halts rare earth exports to Japan", "actor_country": "CN"},
    ]  # fmt: skip
    lines = [orjson.dumps(e) for e in events]
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join([*lines[:2], b"{not json", *lines[2:], b'{"type": "weather"}']))

    assert main(["replay", "--events", str(path)]) == 0
    err = capsys.readouterr().err
    assert "sent 4 events; 2 lines skipped" in err
    assert "line 3: not JSON" in err
    assert "line 6: unknown type 'weather'" in err

    topics = load_settings().topics
    expected = {
        topics.shipments: [(b"Acme", lines[0])],
        topics.profiles: [(b"Acme", lines[1])],
        topics.licence_decisions: [(b"CN", lines[2])],
        topics.news: [(b"CN", lines[3])],
    }
    for topic, records in expected.items():
        assert asyncio.run(_read_all(kafka_bootstrap, topic, 1)) == records


def test_replay_of_a_missing_file_is_a_usage_error(
    topic_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "--events", "no-such-file.jsonl"]) == 2
    assert capsys.readouterr().err.strip() == (
        "supplyrisk replay: error: no such file: no-such-file.jsonl"
    )
