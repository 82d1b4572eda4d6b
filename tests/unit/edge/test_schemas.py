"""JSON Schemas: the decoder accepts exactly what the schemas accept; scores validate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from jsonschema import Draft202012Validator

import stream
from scoring import COMPONENTS, ScoreTable
from stream.events import decode_batch
from stream.scores import encode_scores, score_records
from tests.unit.edge.conftest import event

SCHEMA_DIR = Path(stream.__file__).parent / "schemas"


def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / f"{name}.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


EXAMPLES: list[dict[str, Any]] = [
    event("shipment"),
    event("shipment", supplier="Baotou", value_usd=12.5),
    event("shipment", quantity_kg=0),
    event("shipment", quantity_kg=-1),
    event("shipment", status="lost"),
    event("shipment", origin_country="cn"),
    event("shipment", company=""),
    event("shipment", company=None),
    event("shipment", company="Hoshino\x00"),
    event("shipment", event_id="x" * 129),
    event("shipment", event_time="2026-01-08T09:30:00"),
    event("shipment", value_usd="12"),
    event("licence_decision"),
    event("licence_decision", company=None, processing_days=None),
    event("licence_decision", decision="maybe"),
    event("licence_decision", quantity_kg=-5),
    event("licence_decision", authority=""),
    event("news"),
    event("news", headline=""),
    event("news", headline="x" * 1000),
    event("news", headline="x" * 1001),
    event("news", severity=0),
    event("news", severity=1.01),
    event("news", category="other", materials=[], target_countries=[], companies=["A"]),
    event("news", category="rumour"),
    event("news", target_countries=["JPN"]),
    event("news", materials=[""]),
    event("news", materials=["Dy"] * 32, target_countries=["JP"] * 32, companies=["A"] * 32),
    event("news", materials=["Dy"] * 33),
    event("news", target_countries=["JP"] * 33),
    event("news", companies=["A"] * 33),
    event("profile"),
    event("profile", origin_shares={}),
    event("profile", origin_shares={"CN": 1.5}),
    event("profile", origin_shares={"China": 1}),
    event("profile", home_country="J"),
    event("profile", annual_demand_kg=None),
]


@pytest.mark.parametrize("value", EXAMPLES, ids=lambda v: f"{v['type']}")
def test_decoder_and_schema_agree(value: dict[str, Any]) -> None:
    schema_ok = validator(value["type"]).is_valid(value)
    decoded = decode_batch([orjson.dumps(value)])
    assert (decoded.rejects == []) == schema_ok, decoded.rejects


def test_scenario_events_all_validate() -> None:
    path = Path(__file__).parents[3] / "scenarios" / "rare-earths-2025-2026.jsonl"
    validators = {k: validator(k) for k in ("shipment", "licence_decision", "news", "profile")}
    for line in path.read_bytes().splitlines():
        value = orjson.loads(line)
        validators[value["type"]].validate(value)


def test_score_records_follow_the_contract() -> None:
    n = 3
    rng = np.random.default_rng(7)
    components = rng.uniform(0, 1, size=(n, len(COMPONENTS)))
    contributions = components * 100 / len(COMPONENTS)
    table = ScoreTable(
        rows=np.arange(n),
        company=np.array(["A", "B", "C"]),
        material=np.array(["Dy", "Tb", "NdFeB"]),
        score=contributions.sum(axis=1),
        level=np.array([0, 2, 4], dtype=np.int8),
        components=components,
        contributions=contributions,
        events=np.array([1, 5, 9], dtype=np.int64),
        as_of_s=1767864600.0,
    )
    records = score_records(table)
    check = validator("score")
    for record, data in zip(records, encode_scores(table), strict=True):
        check.validate(record)
        assert orjson.loads(data) == record
        assert sum(record["contributions"].values()) == pytest.approx(record["score"], abs=1e-5)
        assert record["as_of"] == "2026-01-08T09:30:00Z"
    assert [r["level"] for r in records] == ["low", "elevated", "critical"]
