"""Bad rows are refused with a reason; the good rows of the same batch are applied."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest

from scoring import Engine, ScoringParams
from scoring.columns import LicenceDecisions, PolicySignals, Profiles, ProfileShares, Shipments
from tests.unit.scoring.events import (
    T0,
    Event,
    catalogue,
    licence,
    news,
    profile,
    shipment,
    to_batch,
)


def rejected(events: list[Event], now_s: float | None = None) -> dict[str, tuple[str, int, str]]:
    """event_id -> (kind, index, reason) of the refused rows."""
    result = Engine(catalogue(), ScoringParams()).apply(to_batch(events), now_s=now_s)
    r = result.rejected
    return {
        str(e): (str(k), int(i), str(why))
        for k, i, e, why in zip(r.kind, r.index, r.event_id, r.reason, strict=True)
    }


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (shipment("bad", T0, "Acme", "Xx", "CN"), "unknown material 'Xx'"),
        (
            shipment("bad", T0, "Acme", "Dy", "cn"),
            "origin_country is not an ISO alpha-2 code: 'cn'",
        ),
        (shipment("bad", T0, "Acme", "Dy", "CN", destination="JPN"), "destination_country"),
        (shipment("bad", T0, "Acme", "Dy", "CN", quantity_kg=-1.0), "quantity_kg must be"),
        (shipment("bad", T0, "Acme", "Dy", "CN", quantity_kg=math.inf), "quantity_kg must be"),
        (shipment("bad", T0, "Acme", "Dy", "CN", status=9), "unknown status code"),
        (shipment("bad", T0, "", "Dy", "CN"), "missing company"),
        (shipment("bad", T0, "A" * 201, "Dy", "CN"), "company longer than max_company_len"),
        (shipment("bad", math.nan, "Acme", "Dy", "CN"), "event time is not finite"),
        (licence("bad", T0, "CN", "JP", "Dy", decision=7), "unknown decision code"),
        (licence("bad", T0, "CN", "JP", "Dy", processing_days=-3.0), "processing_days"),
        (news("bad", T0, severity=1.5), "severity must be in [0, 1]"),
        (news("bad", T0, category=6), "unknown category code"),
        (news("bad", T0, actor="China"), "actor_country is not an ISO alpha-2"),
        (profile("bad", T0, "Acme", "Dy", inventory_days=-1.0), "inventory_days must be"),
        (profile("bad", T0, "Acme", "Dy", home_country="J"), "home_country"),
    ],
)
def test_reason_names_the_rule(event: Event, reason: str) -> None:
    kinds = {"licence_decision": "licence_decision", "news": "news", "profile": "profile"}
    got = rejected([event])
    assert set(got) == {"bad"}
    kind, _, why = got["bad"]
    assert kind == kinds.get(event["type"], "shipment")
    assert reason in why


def test_event_id_length_bound() -> None:
    assert (
        "event_id longer" in rejected([shipment("x" * 129, T0, "Acme", "Dy", "CN")])["x" * 129][2]
    )
    assert rejected([shipment("x" * 128, T0, "Acme", "Dy", "CN")]) == {}


def test_quantities_are_bounded_so_that_the_sums_stay_finite() -> None:
    """A shipment of 1e308 kg is a finite number, and two of them overflowed the flow sums
    to inf, and the score to NaN; past ``max_quantity_kg`` they are refused, and many
    shipments at the bound still score within [0, 100]."""
    bound = ScoringParams().max_quantity_kg
    over = [shipment(f"big-{i}", T0 + i, "Acme", "Dy", "CN", quantity_kg=1e308) for i in range(2)]
    over.append(licence("big-l", T0, "CN", "JP", "Dy", company="Acme", quantity_kg=bound * 2))
    assert {e: why for e, (_, _, why) in rejected(over).items()} == dict.fromkeys(
        ["big-0", "big-1", "big-l"], "quantity_kg must be a finite number in [0, 1e+12]"
    )
    engine = Engine(catalogue(), ScoringParams())
    at_bound = [
        shipment(f"s-{i}", T0 + i, "Acme", "Dy", origin, quantity_kg=bound, status=status)
        for i in range(200)
        for origin, status in (("CN", 1), ("AU", 2))
    ]
    assert len(engine.apply(to_batch(at_bound)).rejected.event_id) == 0
    table = engine.scores()
    assert np.isfinite(table.score).all()
    assert ((table.score >= 0) & (table.score <= 100)).all()


def test_future_events_are_refused_only_against_now() -> None:
    late = shipment("late", T0 + 301, "Acme", "Dy", "CN")
    assert "future" in rejected([late], now_s=T0)["late"][2]
    assert rejected([late], now_s=T0 + 1) == {}
    assert rejected([late]) == {}


def test_good_rows_of_the_batch_are_applied_and_indices_point_at_rows() -> None:
    engine = Engine(catalogue(), ScoringParams())
    batch = to_batch(
        [
            shipment("ok1", T0, "Acme", "Dy", "CN"),
            shipment("bad", T0, "Acme", "Xx", "CN"),
            shipment("ok2", T0, "Borg", "Ga", "CN"),
        ]
    )
    result = engine.apply(batch)
    assert result.applied == 2
    assert result.rejected.index.tolist() == [1]
    assert batch.shipments.event_id[result.rejected.index[0]] == "bad"
    assert engine.n_keys == 2
    assert engine.lookup(np.array(["Acme"]), np.array(["Xx"])).tolist() == [-1]


def test_a_news_event_with_one_bad_row_is_refused_whole() -> None:
    item = news("n1", T0, materials=["Dy", "Xx"], targets=["JP"])
    got = rejected([item])
    assert got["n1"][0] == "news"
    engine = Engine(catalogue(), ScoringParams())
    result = engine.apply(to_batch([item]))
    assert len(result.rejected) == 2  # both rows, one with its own reason
    assert "another row of this news event is invalid" in result.rejected.reason.tolist()
    assert result.applied == 0


def test_a_profile_with_a_bad_share_is_refused_whole() -> None:
    bad = profile("p1", T0, "Acme", "Dy", origin_shares={"CN": 1.5, "AU": 0.2})
    engine = Engine(catalogue(), ScoringParams())
    result = engine.apply(to_batch([bad]))
    kinds = sorted(result.rejected.kind.tolist())
    assert kinds == ["profile", "profile_share", "profile_share"]
    assert engine.n_keys == 0


@pytest.mark.parametrize(
    "record", [Shipments, LicenceDecisions, PolicySignals, Profiles, ProfileShares]
)
def test_column_records_declare_every_field_in_order(record: type[Any]) -> None:
    # The records check lengths and dtypes, and take their length, from ``_dtypes``.
    assert list(record._dtypes) == [f.name for f in dataclasses.fields(record)]


def test_column_records_refuse_ragged_columns() -> None:
    good = Shipments.empty()
    with pytest.raises(ValueError, match="columns differ in length"):
        dataclasses.replace(good, quantity_kg=np.zeros(1))
