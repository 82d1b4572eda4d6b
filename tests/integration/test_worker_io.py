"""What a worker publishes and serves: dead letters with reasons, the HTTP API, and
records a third-party Kafka client (kcat) reads and our JSON Schemas accept."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from jsonschema import Draft202012Validator

from tests.integration.workers import SCENARIO, WorkerProcess, cli, service_env

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "stream" / "schemas"
GOOD_TIME = "2026-01-10T00:00:00Z"


def _shipment(event_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": "shipment", "event_id": event_id, "event_time": GOOD_TIME,
        "company": "DLQ Test Co", "material": "Dy", "origin_country": "CN",
        "destination_country": "JP", "quantity_kg": 100.0, "status": "delivered", **fields,
    }  # fmt: skip


# (raw value, the reason class its dead letter must carry)
BAD_RECORDS: list[tuple[bytes, str]] = [
    (b"\xff\xfe this is not JSON", "not_json"),
    (orjson.dumps({k: v for k, v in _shipment("bad-missing").items() if k != "material"}),
     "schema"),
    (orjson.dumps(_shipment("bad-material", material="Unobtainium")), "unknown_material"),
    (orjson.dumps(_shipment("bad-negative", quantity_kg=-5)), "bad_value"),
    (orjson.dumps(_shipment("bad-nan", quantity_kg="NaN")), "bad_value"),
    (orjson.dumps(_shipment("bad-future", event_time="2099-01-01T00:00:00Z")),
     "future_timestamp"),
    (orjson.dumps(_shipment("bad-oversized", company="X" * 5000)), "oversized"),
]  # fmt: skip


@pytest.fixture(scope="module")
def running(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, str], WorkerProcess]]:
    """One deployment fed the scenario plus good and bad records on the shipments topic."""
    tmp = tmp_path_factory.mktemp("io")
    env = service_env(kafka_bootstrap, tmp / "data", partitions=2)
    cli(env, "topics", "create")
    worker = WorkerProcess(env, tmp / "worker.log")
    try:
        worker.wait_ready()
        cli(env, "replay", "--events", str(SCENARIO))
        records = [orjson.dumps(_shipment("good-1"))]
        records += [value for value, _ in BAD_RECORDS]
        records += [orjson.dumps(_shipment("good-2", quantity_kg=50.0))]
        asyncio.run(_produce(kafka_bootstrap, env["SUPPLYRISK_TOPIC_SHIPMENTS"], records))
        _wait_for_events(worker, "DLQ Test Co", "Dy", 2)
        yield env, worker
    finally:
        worker.stop()


async def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=b"DLQ Test Co")
    finally:
        await producer.stop()


async def _read(bootstrap: str, topic: str, count: int) -> list[Any]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = time.monotonic() + 60
        while len(records) < count and time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=1000)).values():
                records += batch
    finally:
        await consumer.stop()
    return records


def _wait_for_events(worker: WorkerProcess, company: str, material: str, events: int) -> None:
    deadline = time.monotonic() + 120
    body: Any = None
    while time.monotonic() < deadline:
        status, body = worker.try_get(f"/scores/{company.replace(' ', '%20')}/{material}")
        if status == 200 and body["events"] >= events:
            return
        time.sleep(0.5)
    pytest.fail(f"{company}/{material} never reached {events} events: {body}")


def test_bad_input_goes_to_the_dead_letter_topic_with_its_reason(
    running: tuple[dict[str, str], WorkerProcess], kafka_bootstrap: str
) -> None:
    env, worker = running
    shipments = env["SUPPLYRISK_TOPIC_SHIPMENTS"]
    letters = asyncio.run(_read(kafka_bootstrap, f"{shipments}.dlq", len(BAD_RECORDS)))
    assert [r.value for r in letters] == [value for value, _ in BAD_RECORDS]
    for record, (_, reason_class) in zip(letters, BAD_RECORDS, strict=True):
        headers = {k: v.decode() for k, v in record.headers}
        assert headers["supplyrisk.reason_class"] == reason_class, headers
        assert headers["supplyrisk.reason"]
        assert headers["supplyrisk.topic"] == shipments
        assert int(headers["supplyrisk.offset"]) >= 0
        assert record.key == b"DLQ Test Co"
    # The good events on either side of them were scored, and only they.
    status, body = worker.get("/scores/DLQ%20Test%20Co/Dy")
    assert (status, body["events"]) == (200, 2)
    _, metrics = worker.get("/metrics")
    assert f'supplyrisk_dead_letters_total{{reason="oversized",topic="{shipments}"}} 1.0' in metrics


def test_http_api_answers_and_refuses_clearly(
    running: tuple[dict[str, str], WorkerProcess],
) -> None:
    _, worker = running
    assert worker.get("/healthz") == (200, {"status": "ok"})
    status, ready = worker.get("/readyz")
    assert status == 200
    assert ready["ready"] is True
    assert ready["partitions"] == [0, 1]

    status, one = worker.get("/scores/DLQ%20Test%20Co/Dy", as_of="2026-01-20T00:00:00Z")
    assert status == 200
    assert one["as_of"] == "2026-01-20T00:00:00Z"
    assert abs(sum(one["contributions"].values()) - one["score"]) < 1e-5

    status, top = worker.get("/scores", top="3", level="high")
    assert status == 200
    assert all(r["level"] == "high" for r in top["scores"])
    assert [r["score"] for r in top["scores"]] == sorted(
        (r["score"] for r in top["scores"]), reverse=True
    )

    assert worker.get("/scores/Nobody/Dy")[0] == 404
    for query, fragment in [
        ({"top": "0"}, "top must be between"),
        ({"top": "many"}, "top must be an integer"),
        ({"level": "dire"}, "level must be one of"),
        ({"colour": "red"}, "unknown parameter"),
    ]:
        status, body = worker.get("/scores", **query)
        assert status == 400
        assert fragment in body["error"]
    status, body = worker.get("/scores/DLQ%20Test%20Co/Dy", as_of="yesterday")
    assert status == 400
    assert body["error"] == "bad as_of"


def test_the_worker_log_holds_log_lines_only(
    running: tuple[dict[str, str], WorkerProcess],
) -> None:
    # Faust's spinner would write cursor codes and lower the root logger to DEBUG.
    _, worker = running
    assert "\x1b[?25" not in worker.log.read_text(errors="replace")


def test_kcat_reads_scores_and_alerts_that_match_the_schemas(
    running: tuple[dict[str, str], WorkerProcess], kafka_bootstrap: str
) -> None:
    env, _ = running
    assert shutil.which("kcat"), "kcat is missing: run .ci/install-tools (make test does)"
    for topic, schema in (("SCORES", "score.json"), ("ALERTS", "alert.json")):
        validator = Draft202012Validator(json.loads((SCHEMAS / schema).read_text()))
        result = subprocess.run(
            ["kcat", "-b", kafka_bootstrap, "-C", "-t", env[f"SUPPLYRISK_TOPIC_{topic}"],
             "-e", "-q", "-J"],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        envelopes = [json.loads(line) for line in result.stdout.splitlines() if line]
        assert envelopes, f"kcat read nothing from {topic}"
        for envelope in envelopes:
            record = json.loads(envelope["payload"])
            errors = sorted(validator.iter_errors(record), key=str)
            assert not errors, (envelope["key"], errors[0].message)
            assert envelope["key"] == f"{record['company']}|{record['material']}"
