"""The edge decoder: good events of every kind, each kind of bad input, routing."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pytest

from scoring import Decision, NewsCategory, ShipmentStatus
from stream.errors import DecodeError
from stream.events import decode_batch, decode_lines, event_kind, partition_key
from stream.news_profiles import MAX_ITEMS
from tests.unit.edge.conftest import LICENCE, NEWS, PROFILE, SHIPMENT, event


def lines(*events: dict[str, Any]) -> list[bytes]:
    return [orjson.dumps(e) for e in events]


def test_good_events_of_every_kind_become_columns() -> None:
    batch, rejects = decode_lines(lines(SHIPMENT, LICENCE, NEWS, PROFILE))
    assert rejects == []
    ship = batch.shipments
    assert ship.event_id.tolist() == ["s-1"]
    assert ship.time_s.tolist() == [1767864600.0]
    assert (ship.company[0], ship.material[0], ship.origin[0], ship.destination[0]) == (
        "Hoshino Magnetics",
        "Dy",
        "CN",
        "JP",
    )
    assert ship.quantity_kg.tolist() == [1250.5]
    assert ship.status.tolist() == [ShipmentStatus.DELIVERED]
    lic = batch.licences
    assert lic.time_s.tolist() == [1767864600.0]  # +09:00 offset honoured
    assert lic.decision.tolist() == [Decision.DENIED]
    assert lic.company.tolist() == ["Hoshino Magnetics"]
    assert np.isnan(lic.quantity_kg[0])
    assert lic.processing_days.tolist() == [63.0]
    assert len(batch.profiles) == 1
    assert batch.profiles.annual_demand_kg.tolist() == [42000.0]
    assert len(batch.signals) > 0


def test_dicts_and_bytes_decode_identically() -> None:
    from_bytes = decode_batch(lines(SHIPMENT, LICENCE, NEWS, PROFILE))
    from_dicts = decode_batch([SHIPMENT, LICENCE, NEWS, PROFILE])
    for name in ("shipments", "licences", "signals", "profiles", "profile_shares"):
        a, b = getattr(from_bytes.batch, name), getattr(from_dicts.batch, name)
        for column in a._dtypes:
            np.testing.assert_array_equal(getattr(a, column), getattr(b, column))


def test_country_wide_licence_has_empty_company() -> None:
    batch, rejects = decode_lines(lines(event("licence_decision", company=None)))
    assert rejects == []
    assert batch.licences.company.tolist() == [""]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{oops", "not JSON: "),
        (b"[1, 2]", "not a JSON object"),
        (orjson.dumps({"event_id": "x"}), "missing field 'type'"),
        (orjson.dumps(event("shipment", type="foo")), "unknown type 'foo'"),
        (orjson.dumps(event("shipment", type=3)), "type must be a string"),
        (orjson.dumps(event("shipment", material=None)), "missing field 'material'"),
        (orjson.dumps(event("shipment", event_id="")), "event_id must be a string of 1 to 128"),
        (
            orjson.dumps(event("shipment", event_id="x" * 129)),
            "event_id longer than 128 characters",
        ),
        (orjson.dumps(event("shipment", event_time="yesterday")), "event_time is not RFC 3339"),
        (orjson.dumps(event("shipment", event_time="2026-01-08T09:30:00")), "event_time is not"),
        (orjson.dumps(event("shipment", company=7)), "company must be a string"),
        (orjson.dumps(event("shipment", event_id="s-1\x00")), "event_id must not contain NUL"),
        (orjson.dumps(event("news", companies=["A\x00"])), "companies must be a list of"),
        (orjson.dumps(event("shipment", origin_country="China")), "origin_country must be an ISO"),
        (orjson.dumps(event("shipment", destination_country="jp")), "destination_country must"),
        (
            orjson.dumps(event("shipment", quantity_kg=-1)),
            "quantity_kg must be a finite number ≥ 0",
        ),
        (orjson.dumps(event("shipment", quantity_kg="5")), "quantity_kg must be a finite number"),
        (orjson.dumps(event("shipment", quantity_kg=True)), "quantity_kg must be a finite number"),
        (orjson.dumps(event("shipment", status="lost")), "status must be one of shipped | "),
        (orjson.dumps(event("shipment", value_usd=-3)), "value_usd must be a finite number"),
        (orjson.dumps(event("licence_decision", decision="maybe")), "decision must be one of"),
        (orjson.dumps(event("licence_decision", company="")), "company must be a string"),
        (orjson.dumps(event("licence_decision", processing_days=-1)), "processing_days must"),
        (orjson.dumps(event("news", headline="x" * 1001)), "headline longer than 1000 characters"),
        (orjson.dumps(event("news", headline="")), "headline must be a non-empty string"),
        (orjson.dumps(event("news", severity=1.5)), "severity must be a finite number in [0, 1]"),
        (orjson.dumps(event("news", category="war")), "category must be one of"),
        (orjson.dumps(event("news", target_countries=["Japan"])), "target_countries must be"),
        (orjson.dumps(event("news", materials="Dy")), "materials must be a list"),
        (orjson.dumps(event("profile", home_country="JPN")), "home_country must be an ISO"),
        (orjson.dumps(event("profile", inventory_days=-1)), "inventory_days must be a finite"),
        (orjson.dumps(event("profile", origin_shares={"CN": 2})), "origin_shares[CN] must be"),
        (orjson.dumps(event("profile", origin_shares={"cn": 1})), "origin_shares key must be"),
        (orjson.dumps(event("profile", origin_shares=[1])), "origin_shares must be an object"),
    ],
)
def test_each_bad_input_is_rejected_with_its_reason(raw: bytes, reason: str) -> None:
    good = orjson.dumps(SHIPMENT)
    decoded = decode_batch([good, raw, good], start=1)
    assert [(r[0], r[2][: len(reason)]) for r in decoded.rejects] == [(2, reason)]
    assert (
        len(decoded.batch.shipments) + len(decoded.batch.licences) + len(decoded.batch.profiles)
        >= 2
    )
    assert decoded.positions["shipment"].tolist()[:2] == [1, 3]


@pytest.mark.parametrize("field", ["event_id", "company", "material"])
def test_a_very_long_string_is_rejected_without_widening_its_column(field: str) -> None:
    """Rejected for its length, and left out of the column: numpy would otherwise give
    every row of the batch that value's width (100k characters: 0.8 GB for 2,000 rows)."""
    good = [orjson.dumps(dict(SHIPMENT, event_id=f"s-{i}")) for i in range(50)]
    long_one = orjson.dumps({**SHIPMENT, "event_id": "long", field: "x" * 100_000})
    decoded = decode_batch([*good[:25], long_one, *good[25:]])
    assert [(p, reason.split(" ")[0]) for p, _, reason in decoded.rejects] == [(25, field)]
    assert "longer than" in decoded.rejects[0][2]
    shipments = decoded.batch.shipments
    assert shipments.event_id.tolist() == [f"s-{i}" for i in range(50)]
    assert getattr(shipments, field).itemsize <= 4 * 200


def test_a_news_event_has_a_bounded_number_of_rows() -> None:
    """Each list holds at most MAX_ITEMS items, so an event's rows are bounded; past it,
    the event is rejected with the reason and its batch decodes as usual."""
    most = [f"m{i}" for i in range(MAX_ITEMS)]
    targets = [f"{a}{b}" for a in "ABCDEFGH" for b in "ABCD"][:MAX_ITEMS]
    companies = [f"c{i}" for i in range(MAX_ITEMS)]
    largest = event("news", materials=most, target_countries=targets, companies=companies)
    decoded = decode_batch(lines(largest))
    assert decoded.rejects == []
    assert len(decoded.batch.signals) == MAX_ITEMS * 2 * MAX_ITEMS
    for field, values in (
        ("materials", most),
        ("target_countries", targets),
        ("companies", companies),
    ):
        too_many = event("news", **{field: [*values, values[0]]})
        decoded = decode_batch([orjson.dumps(SHIPMENT), orjson.dumps(too_many)])
        assert [(p, reason.split(" ")[0]) for p, _, reason in decoded.rejects] == [(1, field)]
        assert f"at most {MAX_ITEMS}" in decoded.rejects[0][2]
        assert len(decoded.batch.shipments) == 1


def test_reject_carries_the_event_id_when_it_has_one() -> None:
    _, rejects = decode_lines(lines(event("shipment", status="lost")))
    assert rejects[0][1] == "s-1"
    _, rejects = decode_lines([b"nope"])
    assert rejects[0][1] is None


def test_news_fields_are_inferred_from_the_headline() -> None:
    batch, rejects = decode_lines(lines(NEWS))
    assert rejects == []
    signals = batch.signals
    assert set(signals.material.tolist()) == {"Sm", "Gd", "Tb", "Dy", "Lu", "Sc", "Y"}
    assert set(signals.actor.tolist()) == {"CN"}
    assert set(signals.target.tolist()) == {"JP"}
    assert set(signals.category.tolist()) == {NewsCategory.EXPORT_CONTROL}
    assert signals.part.tolist() == list(range(7))


@pytest.mark.parametrize(
    ("headline", "category", "materials", "actor", "targets"),
    [
        (
            "China halts rare-earth magnet exports to Japan",
            "export_control",
            {"NdFeB"},
            "CN",
            {"JP"},
        ),
        ("China suspends export controls on graphite", "policy_easing", {"graphite"}, "CN", set()),
        ("Beijing lifts gallium ban for the US", "policy_easing", {"Ga"}, "CN", {"US"}),
        ("Typhoon floods port in Vietnam", "disaster", set(), "VN", set()),
        ("Let us discuss the weather", "other", set(), "", set()),
    ],
)
def test_lexicon_inference_cases(
    headline: str, category: str, materials: set[str], actor: str, targets: set[str]
) -> None:
    batch, _ = decode_lines(lines(event("news", headline=headline)))
    signals = batch.signals
    assert {NewsCategory(c).name.lower() for c in signals.category.tolist()} == {category}
    assert set(signals.material.tolist()) == (materials or {""})
    assert set(signals.actor.tolist()) == {actor}
    assert set(signals.target.tolist()) == (targets or {""})


def test_explicit_news_fields_win_and_explode_per_target_and_company() -> None:
    news = event(
        "news",
        actor_country="CN",
        target_countries=["JP", "KR"],
        materials=["Dy", "Tb"],
        companies=["Hoshino Magnetics"],
        category="sanction",
        severity=0.25,
    )
    batch, _ = decode_lines(lines(news))
    rows = set(
        zip(
            batch.signals.material.tolist(),
            batch.signals.target.tolist(),
            batch.signals.company.tolist(),
            strict=True,
        )
    )
    assert rows == {
        ("Dy", "JP", ""),
        ("Dy", "KR", ""),
        ("Dy", "", "Hoshino Magnetics"),
        ("Tb", "JP", ""),
        ("Tb", "KR", ""),
        ("Tb", "", "Hoshino Magnetics"),
    }
    assert set(batch.signals.severity.tolist()) == {0.25}
    assert set(batch.signals.category.tolist()) == {NewsCategory.SANCTION}


def test_news_rows_are_numbered_per_event_in_a_fixed_order() -> None:
    """A row's part identifies it for deduplication: per material, the targets, then the
    companies; numbering restarts with each event, whatever else the batch holds."""
    first = event("news", event_id="n-1", actor_country="CN", materials=["Dy", "Tb"],
                  target_countries=["JP", "KR"], companies=["Hoshino Magnetics"])  # fmt: skip
    bare = event("news", event_id="n-2", actor_country="CN", materials=["Ga"],
                 target_countries=[], companies=[])  # fmt: skip
    batch, _ = decode_lines(lines(first, event("news", headline=""), bare))
    signals = batch.signals
    assert signals.event_id.tolist() == ["n-1"] * 6 + ["n-2"]
    assert signals.part.tolist() == [0, 1, 2, 3, 4, 5, 0]
    assert list(zip(signals.material.tolist(), signals.target.tolist(),
                    signals.company.tolist(), strict=True)) == [
        ("Dy", "JP", ""), ("Dy", "KR", ""), ("Dy", "", "Hoshino Magnetics"),
        ("Tb", "JP", ""), ("Tb", "KR", ""), ("Tb", "", "Hoshino Magnetics"),
        ("Ga", "", ""),
    ]  # fmt: skip


def test_news_category_without_severity_gets_the_category_default() -> None:
    batch, _ = decode_lines(lines(event("news", category="logistics", materials=["Dy"])))
    assert batch.signals.severity.tolist() == [0.3]


def test_profile_shares_explode_one_row_per_country() -> None:
    decoded = decode_batch(lines(SHIPMENT, PROFILE), start=10)
    shares = decoded.batch.profile_shares
    assert sorted(zip(shares.country.tolist(), shares.share.tolist(), strict=True)) == [
        ("AU", 0.1),
        ("CN", 0.9),
    ]
    assert set(shares.company.tolist()) == {"Hoshino Magnetics"}
    assert decoded.positions["profile_share"].tolist() == [11, 11]
    assert decoded.positions["profile"].tolist() == [11]


def test_profile_without_optionals() -> None:
    minimal = event(
        "profile", home_country=None, annual_demand_kg=None, inventory_days=None, origin_shares=None
    )
    batch, rejects = decode_lines(lines(minimal))
    assert rejects == []
    assert batch.profiles.home_country.tolist() == [""]
    assert np.isnan(batch.profiles.inventory_days[0])
    assert len(batch.profile_shares) == 0


def test_empty_input_gives_empty_batch() -> None:
    batch, rejects = decode_lines([])
    assert len(batch) == 0
    assert rejects == []


@pytest.mark.parametrize(
    ("value", "kind", "key"),
    [
        (SHIPMENT, "shipment", "Hoshino Magnetics"),
        (PROFILE, "profile", "Hoshino Magnetics"),
        (LICENCE, "licence_decision", "Hoshino Magnetics"),
        (event("licence_decision", company=None), "licence_decision", "CN"),
        (event("news", actor_country="CN"), "news", "CN"),
        (NEWS, "news", ""),
    ],
)
def test_routing(value: dict[str, Any], kind: str, key: str) -> None:
    assert event_kind(value) == kind
    assert partition_key(value) == key


def test_routing_rejects_unknown_kinds() -> None:
    with pytest.raises(DecodeError, match="unknown type"):
        event_kind({"type": "weather"})


@pytest.mark.parametrize("quantity", [float("inf"), float("nan"), 10**400, [1]])
def test_non_finite_or_huge_quantities_in_dicts_are_rejected(quantity: object) -> None:
    decoded = decode_batch([SHIPMENT, event("shipment", event_id="s-2", quantity_kg=quantity)])
    assert [(r[0], r[2]) for r in decoded.rejects] == [
        (1, "quantity_kg must be a finite number ≥ 0")
    ]
    assert decoded.batch.shipments.event_id.tolist() == ["s-1"]
