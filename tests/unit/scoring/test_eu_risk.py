"""The EU supply-risk formula reproduces the published 2023 figures, statically and live."""

from __future__ import annotations

import numpy as np
import pytest

from scoring import Engine, ScoringParams
from scoring.risk import hhi_wgi, supply_risk
from tests.unit.scoring.events import T0, catalogue, profile, shipment, to_batch


@pytest.mark.parametrize(
    ("si_sr", "published"),
    [(0.99, 5.6), (0.59, 3.3)],  # Dysprosium, Gadolinium (EU CRM 2023, processing stage)
)
def test_static_formula_reproduces_published_supply_risk(si_sr: float, published: float) -> None:
    hhi = hhi_wgi(np.array([0]), np.array([1.0]), np.array([5.72]), 1)  # China 100 %
    sr = supply_risk(hhi, np.array([0.01]), np.array([si_sr]))
    assert round(float(sr[0]), 1) == published


def test_dy_and_gd_exact_values() -> None:
    sr = supply_risk(np.array([5.72, 5.72]), np.array([0.01, 0.01]), np.array([0.99, 0.59]))
    np.testing.assert_allclose(sr, [5.72 * 0.99 * 0.99, 5.72 * 0.99 * 0.59])
    assert np.round(sr, 2).tolist() == [5.61, 3.34]


def test_split_sourcing_lowers_concentration() -> None:
    hhi = hhi_wgi(np.array([0, 0]), np.array([0.5, 0.5]), np.array([5.72, 1.6]), 1)
    assert hhi[0] == pytest.approx(0.25 * 5.72 + 0.25 * 1.6)


@pytest.mark.parametrize(
    ("material", "expected_sr"), [("Dy", 5.72 * 0.99 * 0.99), ("Gd", 5.72 * 0.99 * 0.59)]
)
def test_live_concentration_of_a_china_sourced_key(material: str, expected_sr: float) -> None:
    params = ScoringParams()
    engine = Engine(catalogue(), params)
    engine.apply(to_batch([shipment("s1", T0, "Acme", material, "CN")]))
    table = engine.scores()
    assert table.components[0, 0] * params.concentration_scale == pytest.approx(expected_sr)


def test_declared_shares_used_without_shipments_and_observed_ones_win() -> None:
    params = ScoringParams()
    engine = Engine(catalogue(), params)
    declared = profile("p1", T0, "Acme", "Dy", origin_shares={"AU": 0.6, "MY": 0.4})
    engine.apply(to_batch([declared]))
    hhi = 0.36 * 1.6 + 0.16 * 3.9
    expected = hhi * 0.99 * 0.99 / params.concentration_scale
    assert engine.scores().components[0, 0] == pytest.approx(expected)
    engine.apply(to_batch([shipment("s1", T0, "Acme", "Dy", "CN")]))
    assert engine.scores().components[0, 0] == pytest.approx(5.72 * 0.99 * 0.99 / 6.0)


def test_unknown_sourcing_falls_back_to_the_published_supply_risk() -> None:
    params = ScoringParams()
    engine = Engine(catalogue(), params)
    engine.apply(to_batch([profile("p1", T0, "Acme", "Gd")]))
    assert engine.scores().components[0, 0] == pytest.approx(3.3 / params.concentration_scale)
