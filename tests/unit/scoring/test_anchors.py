"""Decay anchors move over long spans of event time without changing any result."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import ScoringParams
from scoring.decay import ANCHOR_STEP
from tests.unit.scoring.events import DAY, T0, Event, catalogue
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
