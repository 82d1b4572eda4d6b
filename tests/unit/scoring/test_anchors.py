"""Decay anchors move over long spans of event time without changing any result."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import ScoringParams
from scoring.decay import ANCHOR_STEP, MAX_READ_BACK
from tests.unit.scoring.events import DAY, T0, Event, catalogue, licence, news, shipment
from tests.unit.scoring.helpers import components_by_key, latest, run
from tests.unit.scoring.oracle import Oracle
from tests.unit.scoring.strategies import any_event, chunked, with_ids

SPAN_DAYS = 3 * 365.0  # > ANCHOR_STEP half-lives of the 14-day flow window


@st.composite
def long_streams(draw: st.DrawFn) -> list[Event]:
    events = draw(st.lists(any_event, min_size=2, max_size=25))
    offsets = draw(st.lists(st.floats(0.0, SPAN_DAYS), min_size=len(events), max_size=len(events)))
    return with_ids([dict(e, time_s=T0 + d * DAY) for e, d in zip(events, offsets, strict=True)])


def test_the_span_crosses_anchor_steps() -> None:
    assert ANCHOR_STEP * ScoringParams().flow_short_half_life_s < SPAN_DAYS * DAY


@settings(max_examples=40, deadline=None)
@given(st.data(), long_streams())
def test_years_of_events_in_any_order_match_the_oracle(
    data: st.DataObject, events: list[Event]
) -> None:
    params = ScoringParams()
    batches = data.draw(chunked(sorted(events, key=lambda e: e["time_s"])))
    engine = run(batches, params)  # anchors move forward batch after batch
    oracle = Oracle(catalogue(), params, ref_s=T0)
    for e in events:
        oracle.apply(e)
    as_of = latest(events) + DAY
    got = components_by_key(engine, as_of)
    reverse = components_by_key(run([list(reversed(events))], params), as_of)
    for key, values in got.items():
        np.testing.assert_allclose(values, oracle.components(*key, as_of), rtol=0, atol=1e-9)
        np.testing.assert_allclose(values, reverse[key], rtol=1e-9, atol=1e-12)


def test_reading_long_before_the_latest_event_stays_finite() -> None:
    """Read 50 years before the latest event, the sums are extrapolated by a factor capped
    at 2**MAX_READ_BACK: uncapped, it overflowed to inf and the scores to NaN. A read a
    few days back is not capped."""
    events = with_ids(
        [
            shipment("", T0, "Acme", "Dy", "CN", quantity_kg=1e12),
            shipment("", T0 + 10 * DAY, "Acme", "Dy", "AU", quantity_kg=1e12, status=2),
            licence("", T0 + 20 * DAY, "CN", "JP", "Dy", company="Acme"),
            news("", T0 + 50 * 365 * DAY, materials=["Dy"], targets=["JP"]),
        ]
    )
    engine = run([events], ScoringParams())
    for as_of in (T0 - 50 * 365 * DAY, T0 - DAY, T0 + 5 * DAY):
        table = engine.scores(as_of_s=as_of)
        assert np.isfinite(table.score).all()
        assert ((table.score >= 0) & (table.score <= 100)).all()
        assert np.isfinite(table.components).all()
    anchors = engine._anchors
    near = anchors.read_factor("flow_short", T0 + 50 * 365 * DAY - 3 * DAY)
    assert near == 2.0 ** (
        (anchors.anchor["flow_short"] - (T0 + 50 * 365 * DAY - 3 * DAY))
        / (ScoringParams().flow_short_half_life_s)
    )
    assert anchors.read_factor("flow_short", T0 - 50 * 365 * DAY) == 2.0**MAX_READ_BACK
