"""An engine told which companies it holds applies only their news rows, and scores its
keys as an engine holding everything does (the partition states of the stream)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from scoring import Engine, ScoringParams
from tests.unit.scoring.events import DAY, T0, Event, catalogue, news, shipment, to_batch
from tests.unit.scoring.helpers import components_by_key, latest, run
from tests.unit.scoring.strategies import COMPANIES, streams


def holding(companies: set[str]) -> Callable[[NDArray[np.str_]], NDArray[np.bool_]]:
    def holds(names: NDArray[np.str_]) -> NDArray[np.bool_]:
        return np.array([str(n) in companies for n in names], dtype=np.bool_)

    return holds


def test_news_rows_for_companies_held_elsewhere_add_nothing_but_are_counted() -> None:
    item = news("n1", T0, actor="CN", materials=["Dy"], companies=["Acme", "Borg"], severity=0.8)
    engine = run([[shipment("s1", T0, "Acme", "Dy", "CN")]])
    result = engine.apply(to_batch([item]), holds=holding({"Acme"}))
    assert (result.applied, result.duplicates) == (1, 0)
    assert len(engine._state.policy_cells) == 1  # Acme's row only
    assert len(engine._state.company_names) == 1  # Borg is not even named here
    again = engine.apply(to_batch([item]), holds=holding({"Acme"}))
    assert (again.applied, again.duplicates) == (0, 1)
    everything = run([[shipment("s1", T0, "Acme", "Dy", "CN"), item]])
    np.testing.assert_array_equal(
        components_by_key(engine, T0)[("Acme", "Dy")],
        components_by_key(everything, T0)[("Acme", "Dy")],
    )


def test_a_bad_row_for_a_company_held_elsewhere_still_refuses_the_whole_event() -> None:
    bad = news("n1", T0, actor="CN", materials=["Dy"], companies=["Acme", "x" * 300])
    engine = run([[shipment("s1", T0, "Acme", "Dy", "CN")]])
    result = engine.apply(to_batch([bad]), holds=holding({"Acme"}))
    assert result.applied == 0 and len(result.rejected) == 2
    assert len(engine._state.policy_cells) == 0


def _is_news(e: Event) -> bool:
    return e["type"] == "news" or (e["type"] == "licence_decision" and not e["company"])


@settings(max_examples=60, deadline=None)
@given(streams(), st.data())
def test_engines_split_by_company_score_their_keys_as_one_engine_does(
    events: list[Event], data: st.DataObject
) -> None:
    # News naming every company, for every actor and material: each key is exposed.
    events = [*events, news("all", latest(events), actor="", companies=COMPANIES)]
    named = {c for e in events if e["type"] == "news" for c in e["companies"]}
    companies = sorted({e["company"] for e in events if e.get("company")} | named)
    home = {c: data.draw(st.integers(0, 1)) for c in companies}
    as_of = latest(events) + 2 * DAY
    whole = components_by_key(run([events]), as_of)
    for partition in (0, 1):
        own = {c for c, h in home.items() if h == partition}
        mine = [e for e in events if _is_news(e) or e.get("company") in own]
        engine = Engine(catalogue(), ScoringParams())
        result = engine.apply(to_batch(mine), holds=holding(own))
        assert len(result.rejected) == 0
        for key, values in components_by_key(engine, as_of).items():
            np.testing.assert_allclose(values, whole[key], rtol=1e-9, atol=1e-12, err_msg=str(key))
