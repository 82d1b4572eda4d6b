"""The engine against the per-event oracle, statistic by statistic, on random streams."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import COMPONENTS, ScoringParams
from tests.unit.scoring.events import DAY, T0, Event, catalogue
from tests.unit.scoring.helpers import components_by_key, latest, run
from tests.unit.scoring.oracle import Oracle
from tests.unit.scoring.strategies import streams


def oracle_of(events: list[Event], params: ScoringParams) -> Oracle:
    oracle = Oracle(catalogue(), params, ref_s=T0)
    for e in events:
        oracle.apply(e)
    return oracle


@settings(max_examples=80, deadline=None)
@given(streams(), st.floats(0.0, 90.0))
def test_every_component_matches_the_oracle(events: list[Event], later_days: float) -> None:
    params = ScoringParams()
    engine = run([events], params)
    oracle = oracle_of(events, params)
    as_of = latest(events) + later_days * DAY
    got = components_by_key(engine, as_of)
    assert set(got) == set(oracle.keys)
    for (company, material), values in got.items():
        expected = oracle.components(company, material, as_of)
        for name, a, b in zip(COMPONENTS, values, expected, strict=True):
            assert abs(a - b) <= 1e-9, (company, material, name, a, b)


@settings(max_examples=40, deadline=None)
@given(streams())
def test_scores_and_event_counts_match_the_oracle(events: list[Event]) -> None:
    params = ScoringParams()
    engine = run([events], params)
    oracle = oracle_of(events, params)
    table = engine.scores()
    for company, material, score, count in zip(
        table.company, table.material, table.score, table.events, strict=True
    ):
        key = (str(company), str(material))
        assert abs(score - oracle.score(*key, table.as_of_s)) <= 1e-9
        assert count == oracle.keys[key].events


def test_other_parameters_are_honoured() -> None:
    """Half-lives and weights from params reach the math (a different params object)."""
    params = ScoringParams(
        flow_short_half_life_s=3 * DAY,
        flow_long_half_life_s=40 * DAY,
        licence_half_life_s=10 * DAY,
        policy_half_life_s=5 * DAY,
        shortfall_tolerance=0.0,
        weight_concentration=0.1,
        weight_flow_disruption=0.3,
        weight_licence_pressure=0.2,
        weight_policy=0.3,
        weight_criticality=0.1,
    )
    rng = np.random.default_rng(7)
    from tests.unit.scoring.events import licence, news, shipment

    events: list[Event] = []
    for i in range(60):
        t = T0 + float(rng.uniform(0, 100)) * DAY
        events.append(
            shipment(
                f"s{i}",
                t,
                "Acme",
                "Dy",
                str(rng.choice(["CN", "AU"])),
                status=int(rng.integers(0, 5)),
            )
        )
    events += [
        licence(f"l{i}", T0 + i * 9 * DAY, "CN", "JP", "Dy", decision=i % 5) for i in range(10)
    ]
    events.append(news("n0", T0 + 95 * DAY, targets=["JP"], materials=["Dy"], severity=0.7))
    engine = run([events], params)
    oracle = oracle_of(events, params)
    as_of = T0 + 101 * DAY
    got = components_by_key(engine, as_of)[("Acme", "Dy")]
    np.testing.assert_allclose(got, oracle.components("Acme", "Dy", as_of), rtol=0, atol=1e-9)
    assert got[1] > 0 and got[2] > 0 and got[3] > 0  # flow, licence and policy all engaged
