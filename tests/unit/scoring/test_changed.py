"""ApplyResult.changed: the keys a batch touched or exposed, sorted and unique."""

from __future__ import annotations

import numpy as np

from scoring import Engine, ScoringParams
from tests.unit.scoring.events import T0, catalogue, licence, news, profile, shipment, to_batch


def engine_with_keys() -> tuple[Engine, dict[str, int]]:
    engine = Engine(catalogue(), ScoringParams())
    engine.apply(
        to_batch(
            [
                shipment("s1", T0, "Acme", "Dy", "CN", destination="JP"),
                shipment("s2", T0, "Borg", "Dy", "CN", destination="US"),
                shipment("s3", T0, "Acme", "Ga", "CN", destination="JP"),
                profile("p1", T0, "Cyd", "Dy", home_country="JP"),
            ]
        )
    )
    names = ["Acme/Dy", "Borg/Dy", "Acme/Ga", "Cyd/Dy"]
    companies = np.array([n.split("/")[0] for n in names])
    materials = np.array([n.split("/")[1] for n in names])
    rows = engine.lookup(companies, materials)
    return engine, dict(zip(names, rows.tolist(), strict=True))


def changed(engine: Engine, events: list[dict[str, object]]) -> set[int]:
    result = engine.apply(to_batch(events))
    rows = result.changed.tolist()
    assert rows == sorted(set(rows))
    return set(rows)


def test_touched_keys_are_changed() -> None:
    engine, row = engine_with_keys()
    got = changed(engine, [shipment("s9", T0, "Borg", "Dy", "AU", destination="US")])
    assert got == {row["Borg/Dy"]}


def test_country_wide_licence_exposes_keys_on_its_destination_and_material() -> None:
    engine, row = engine_with_keys()
    got = changed(engine, [licence("l1", T0, "CN", "JP", "Dy", decision=2)])
    assert got == {row["Acme/Dy"], row["Cyd/Dy"]}


def test_news_exposes_targets_and_named_companies() -> None:
    engine, row = engine_with_keys()
    item = news("n1", T0, materials=["Dy"], targets=["US"], companies=["Acme"])
    assert changed(engine, [item]) == {row["Borg/Dy"], row["Acme/Dy"]}
    every = news("n2", T0, materials=[], targets=[], companies=[])
    assert changed(engine, [every]) == set(row.values())
    firm = news("n3", T0, companies=["Acme"])  # every material of one company
    assert changed(engine, [firm]) == {row["Acme/Dy"], row["Acme/Ga"]}
