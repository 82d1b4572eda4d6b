"""Each component on small hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from scoring import Engine, ScoringParams
from tests.unit.scoring.events import (
    DAY,
    T0,
    Event,
    catalogue,
    licence,
    news,
    profile,
    shipment,
    to_batch,
)

CONC, FLOW, LICENCE, POLICY, CRIT = range(5)


def components(events: list[Event], company: str, material: str, as_of_s: float) -> np.ndarray:
    engine = Engine(catalogue(), ScoringParams())
    assert len(engine.apply(to_batch(events)).rejected) == 0
    row = engine.lookup(np.array([company]), np.array([material]))
    components: np.ndarray = engine.scores(row, as_of_s=as_of_s).components[0]
    return components


def test_news_matching_a_key_by_target_and_by_company_counts_once() -> None:
    events = [
        shipment("s1", T0, "Acme", "Dy", "CN", destination="JP"),
        news(
            "n1", T0, actor="CN", materials=["Dy"], targets=["JP"], companies=["Acme"], severity=0.3
        ),
    ]
    assert components(events, "Acme", "Dy", T0)[POLICY] == pytest.approx(0.3)


def test_policy_decays_with_its_half_life_and_easing_subtracts() -> None:
    h = ScoringParams().policy_half_life_s
    events = [
        shipment("s1", T0, "Acme", "Dy", "CN"),
        news("n1", T0, targets=["JP"], severity=0.8),
        news("n2", T0 + h, targets=["JP"], category=2, severity=0.1),  # policy easing
    ]
    assert components(events, "Acme", "Dy", T0 + h)[POLICY] == pytest.approx(0.4 - 0.1)


def test_policy_exposure_follows_the_share_sourced_from_the_actor() -> None:
    events = [
        shipment("s1", T0, "Acme", "Dy", "CN", quantity_kg=25.0),
        shipment("s2", T0, "Acme", "Dy", "AU", quantity_kg=75.0),
        shipment("s3", T0, "Borg", "Dy", "AU"),
        profile("p1", T0, "Cyd", "Dy", home_country="JP"),  # sourcing unknown: fully exposed
        news("n1", T0, actor="CN", materials=["Dy"], severity=0.8),
    ]
    assert components(events, "Acme", "Dy", T0)[POLICY] == pytest.approx(0.2)
    assert components(events, "Borg", "Dy", T0)[POLICY] == 0.0
    assert components(events, "Cyd", "Dy", T0)[POLICY] == pytest.approx(0.8)


def test_news_for_another_material_or_destination_does_not_touch_the_key() -> None:
    events = [
        shipment("s1", T0, "Acme", "Dy", "CN", destination="JP"),
        news("n1", T0, materials=["Ga"], severity=0.9),
        news("n2", T0, materials=["Dy"], targets=["US"], severity=0.9),
        news("n3", T0, materials=["Dy"], companies=["Borg"], severity=0.9),
    ]
    assert components(events, "Acme", "Dy", T0)[POLICY] == 0.0


def test_flow_counts_disrupted_shipments_against_recent_inflow() -> None:
    events = [
        shipment("s1", T0, "Acme", "Dy", "CN", quantity_kg=300.0, status=1),
        shipment("s2", T0, "Acme", "Dy", "CN", quantity_kg=100.0, status=3),  # held
    ]
    # No shortfall (recent and baseline rates are equal at T0); disrupted 100 / 400.
    assert components(events, "Acme", "Dy", T0)[FLOW] == pytest.approx(0.25)


def test_flow_shortfall_when_inflow_stops() -> None:
    p = ScoringParams()
    events = [shipment(f"s{i}", T0 + i * 7 * DAY, "Acme", "Dy", "CN") for i in range(30)]
    last = T0 + 29 * 7 * DAY
    steady = components(events, "Acme", "Dy", last + 3 * DAY)[FLOW]
    starved = components(events, "Acme", "Dy", last + 60 * DAY)[FLOW]
    assert steady == 0.0
    assert starved > 0.8
    assert p.shortfall_tolerance > 0


def test_licence_pressure_is_the_excess_posterior_denial_rate() -> None:
    p = ScoringParams()
    events = [
        shipment("s1", T0, "Acme", "Dy", "CN", destination="JP"),
        licence("l1", T0, "CN", "JP", "Dy", decision=1),  # country-wide denial
        licence("l2", T0, "CN", "JP", "Dy", decision=0, company="Acme", processing_days=70.0),
    ]
    a, b = p.licence_prior_denials, p.licence_prior_approvals
    wc, wk, pend = p.licence_country_weight, p.licence_company_weight, p.pending_denial_weight
    rate = (a + wc + wk * pend) / (a + b + wc + wk)
    prior = a / (a + b)
    expected = (rate - prior) / (1 - prior)
    assert components(events, "Acme", "Dy", T0)[LICENCE] == pytest.approx(expected)


def test_licence_pressure_ignores_lanes_the_key_does_not_use() -> None:
    events = [
        shipment("s1", T0, "Acme", "Dy", "AU", destination="JP"),
        licence("l1", T0, "CN", "JP", "Dy", decision=2),
        licence("l2", T0, "AU", "US", "Dy", decision=2),
    ]
    assert components(events, "Acme", "Dy", T0)[LICENCE] == 0.0


def test_inventory_cover_damps_near_term_components_only() -> None:
    base = [
        shipment("s1", T0, "Acme", "Dy", "CN", quantity_kg=300.0),
        shipment("s2", T0, "Acme", "Dy", "CN", quantity_kg=100.0, status=4),
        news("n1", T0, severity=0.5),
    ]
    cover = ScoringParams().inventory_cover_days
    plain = components(base, "Acme", "Dy", T0)
    stocked = components(
        [*base, profile("p1", T0, "Acme", "Dy", inventory_days=cover)], "Acme", "Dy", T0
    )
    np.testing.assert_allclose(stocked[[FLOW, POLICY]], plain[[FLOW, POLICY]] / 2)
    np.testing.assert_allclose(stocked[[CONC, CRIT]], plain[[CONC, CRIT]])


def test_latest_profile_wins_whatever_the_order() -> None:
    old = profile("p-old", T0, "Acme", "Dy", home_country="US", origin_shares={"AU": 1.0})
    new = profile("p-new", T0 + DAY, "Acme", "Dy", home_country="JP", origin_shares={"CN": 1.0})
    item = news("n1", T0, targets=["JP"], severity=0.5)
    for order in ([old, new], [new, old]):
        engine = Engine(catalogue(), ScoringParams())
        for e in [*order, item]:
            engine.apply(to_batch([e]))
        c = engine.scores(as_of_s=T0 + DAY).components[0]
        assert c[CONC] == pytest.approx(5.72 * 0.99 * 0.99 / 6.0)  # CN shares, not AU
        assert c[POLICY] > 0  # home JP is targeted


def test_criticality_is_static_per_material() -> None:
    events = [shipment("s1", T0, "Acme", "Dy", "CN"), shipment("s2", T0, "Acme", "Ga", "CN")]
    dy = components(events, "Acme", "Dy", T0)[CRIT]
    assert dy == pytest.approx(np.sqrt(0.56 * 0.78))
    assert components(events, "Acme", "Ga", T0 + 400 * DAY)[CRIT] == pytest.approx(
        np.sqrt(0.39 * 0.37)
    )
