"""Laws of the engine: order independence, idempotence, batching, bounds, monotonicity."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import ScoringParams
from tests.unit.scoring.events import DAY, Event, to_batch
from tests.unit.scoring.helpers import assert_same, components_by_key, latest, run
from tests.unit.scoring.strategies import chunked, denials, streams, tightening_news

SETTINGS = settings(max_examples=60, deadline=None)


@SETTINGS
@given(st.data(), streams())
def test_any_order_and_batching_gives_the_same_scores(
    data: st.DataObject, events: list[Event]
) -> None:
    batches = data.draw(chunked(events))
    as_of = latest(events) + 3 * DAY
    assert_same(components_by_key(run([events]), as_of), components_by_key(run(batches), as_of))


@SETTINGS
@given(streams(max_size=15))
def test_one_event_per_batch_equals_one_batch(events: list[Event]) -> None:
    as_of = latest(events)
    one_by_one = run([[e] for e in events])
    assert_same(components_by_key(run([events]), as_of), components_by_key(one_by_one, as_of))
    assert one_by_one.latest_time_s == as_of


@SETTINGS
@given(st.data(), streams())
def test_duplicates_are_applied_once(data: st.DataObject, events: list[Event]) -> None:
    copies = data.draw(st.lists(st.sampled_from(events), max_size=10))
    batches = data.draw(chunked(events + copies))
    engine = run([])
    duplicates = sum(engine.apply(to_batch(b)).duplicates for b in batches)
    assert duplicates == len(copies)
    as_of = latest(events) + DAY
    assert_same(components_by_key(run([events]), as_of), components_by_key(engine, as_of))


@SETTINGS
@given(streams(), st.floats(0.0, 400.0))
def test_bounds_and_contributions(events: list[Event], later_days: float) -> None:
    params = ScoringParams()
    table = run([events], params).scores(as_of_s=latest(events) + later_days * DAY)
    assert np.all((table.components >= 0) & (table.components <= 1))
    assert np.all((table.score >= 0) & (table.score <= 100 + 1e-9))
    np.testing.assert_allclose(table.contributions.sum(axis=1), table.score, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        table.contributions, 100 * table.components * np.array(params.weights()), atol=1e-12
    )
    expected_level = (table.score[:, None] >= np.array(params.level_thresholds)).sum(axis=1)
    assert table.level.tolist() == expected_level.tolist()


@SETTINGS
@given(streams(), denials)
def test_another_denial_never_lowers_licence_pressure(events: list[Event], denial: Event) -> None:
    as_of = max(latest(events), denial["time_s"]) + DAY
    before = components_by_key(run([events]), as_of)
    after = components_by_key(run([events, [denial]]), as_of)
    for key, values in before.items():
        assert after[key][2] >= values[2] - 1e-12, key


@SETTINGS
@given(streams(), tightening_news)
def test_tightening_news_never_lowers_policy(events: list[Event], item: Event) -> None:
    as_of = max(latest(events), item["time_s"]) + DAY
    before = components_by_key(run([events]), as_of)
    after = components_by_key(run([events, [item]]), as_of)
    for key, values in before.items():
        assert after[key][3] >= values[3] - 1e-12, key
