"""Views of the state kept between evaluations answer as if rebuilt from the tables."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import Engine, ScoringParams
from scoring.index import Columns
from scoring.licence_pairs import LicencePairs
from scoring.policy_totals import PolicyTotals, pattern_of
from scoring.state import ANY_COMPANY, ANY_COUNTRY, ANY_MATERIAL, policy_cell_codes
from tests.unit.scoring.events import DAY, T0, Event, news, profile, shipment, to_batch
from tests.unit.scoring.helpers import assert_same, components_by_key, latest, run
from tests.unit.scoring.strategies import chunked, streams

POLICY = 3  # column of the policy component
Cell = tuple[int, int, int, int, float]  # actor, material, target, company, net

cells_strategy = st.tuples(
    st.sampled_from([1, 2, ANY_COUNTRY]),
    st.sampled_from([0, 3, ANY_MATERIAL]),
    st.sampled_from([5, 6, ANY_COUNTRY]),
    st.sampled_from([7, 8, ANY_COMPANY]),
    st.floats(-1.0, 1.0, allow_nan=False),
)


def policy_cells() -> Columns:
    return Columns(
        {
            "actor": (np.int16, -1),
            "material": (np.int16, -1),
            "target": (np.int16, -1),
            "company": (np.int64, -1),
            "net": (np.float64, 0.0),
        }
    )


def add(cells: Columns, new: list[Cell]) -> None:
    rows = cells.append(len(new))
    for name, values in zip(
        ("actor", "material", "target", "company", "net"), zip(*new, strict=True), strict=True
    ):
        cells[name][rows] = values


def reference(cells: Columns) -> dict[int, float]:
    """Net per (material, target, company), summed over actors in row order, in plain Python."""
    totals: dict[int, float] = defaultdict(float)
    for m, t, c, v in zip(
        *(cells[n].tolist() for n in ("material", "target", "company", "net")), strict=True
    ):
        code = int(
            policy_cell_codes(np.array([ANY_COUNTRY]), np.array([m]), np.array([t]), np.array([c]))[
                0
            ]
        )
        totals[code] += v
    return dict(totals)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(cells_strategy, min_size=1, max_size=6), min_size=1, max_size=5), st.data()
)
def test_kept_totals_equal_totals_of_the_final_cells(
    rounds: list[list[Cell]], data: st.DataObject
) -> None:
    cells, kept = policy_cells(), PolicyTotals()
    for new in rounds:
        add(cells, new)
        if data.draw(st.booleans()):  # news on existing cells as well
            cells["net"][: data.draw(st.integers(0, len(cells)))] *= 0.5
            kept.invalidate()
        if data.draw(st.booleans()):  # read between rounds (or not)
            kept.sums(cells)
    expected = reference(cells)
    for totals in (kept, PolicyTotals()):  # kept in step, and rebuilt as after a restore
        index, net = totals.sums(cells)
        assert len(index) == len(expected)
        codes = np.array(list(expected), dtype=np.int64)
        assert net[index.find(codes)].tolist() == list(expected.values())
        patterns = pattern_of(cells["material"], cells["target"], cells["company"])
        assert totals.patterns() == sorted(set(patterns.tolist()))


def test_sums_are_reused_until_the_cells_change() -> None:
    cells, totals = policy_cells(), PolicyTotals()
    add(cells, [(1, 0, 5, ANY_COMPANY, 0.5)])
    first = totals.sums(cells)[1]
    assert totals.sums(cells)[1] is first
    cells["net"][0] = 0.25
    totals.invalidate()
    assert totals.sums(cells)[1].tolist() == [0.25]
    add(cells, [(2, 0, 5, ANY_COMPANY, 1.0)])  # a new cell of the same total
    assert totals.sums(cells)[1].tolist() == [1.25]


@settings(max_examples=40, deadline=None)
@given(st.data(), streams())
def test_scores_read_between_batches_do_not_go_stale(
    data: st.DataObject, events: list[Event]
) -> None:
    """Scoring after every batch (the stream's pattern) ends where one batch does."""
    batches = data.draw(chunked(events))
    as_of = latest(events) + 3 * DAY
    engine = run([])
    for batch in batches:
        assert len(engine.apply(to_batch(batch)).rejected) == 0
        engine.scores(as_of_s=as_of)
    assert_same(components_by_key(run([events]), as_of), components_by_key(engine, as_of))


def _policy_of(engine: Engine, company: str, material: str, as_of_s: float) -> float:
    row = engine.lookup(np.array([company]), np.array([material]))
    return float(engine.scores(row, as_of_s=as_of_s).components[0, POLICY])


def test_news_on_an_existing_cell_reaches_keys_of_unknown_sourcing() -> None:
    engine = run([[profile("p1", T0, "Cyd", "Dy", home_country="JP")]])
    engine.apply(to_batch([news("n1", T0, actor="CN", materials=["Dy"], severity=0.5)]))
    assert _policy_of(engine, "Cyd", "Dy", T0) == pytest.approx(0.5)
    engine.apply(to_batch([news("n2", T0, actor="CN", materials=["Dy"], severity=0.25)]))
    assert _policy_of(engine, "Cyd", "Dy", T0) == pytest.approx(0.75)


def test_totals_follow_the_cells_when_their_anchor_moves() -> None:
    h = ScoringParams().policy_half_life_s
    events = [
        profile("p1", T0, "Cyd", "Dy", home_country="JP"),
        news("n1", T0, actor="CN", materials=["Dy"], severity=0.8),
    ]
    later = shipment("s1", T0 + 40 * h, "Acme", "Dy", "AU")  # moves every anchor forward
    engine = run([events])
    assert _policy_of(engine, "Cyd", "Dy", T0) == pytest.approx(0.8)
    engine.apply(to_batch([later]))
    as_of = T0 + 40 * h
    fresh = run([[*events, later]])
    expected = _policy_of(fresh, "Cyd", "Dy", as_of)
    assert _policy_of(engine, "Cyd", "Dy", as_of) == pytest.approx(expected, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2)), max_size=6), max_size=4),
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3)), max_size=6),
)
def test_licence_pairs_list_the_cells_of_each_pair_asked_for(
    rounds: list[list[tuple[int, int]]], asked: list[tuple[int, int]]
) -> None:
    cells = Columns({"destination": (np.int16, -1), "material": (np.int16, -1)})
    pairs = LicencePairs()
    destination = np.array([d for d, _ in asked], dtype=np.int64)
    material = np.array([m for _, m in asked], dtype=np.int64)
    for new in rounds:  # cells added between reads
        rows = cells.append(len(new))
        cells["destination"][rows] = [d for d, _ in new]
        cells["material"][rows] = [m for _, m in new]
        cell, at = pairs.cells_of(cells, destination, material)
        got = sorted(zip(at.tolist(), cell.tolist(), strict=True))
        expected = [
            (i, c)
            for i, (d, m) in enumerate(asked)
            for c in range(len(cells))
            if (cells["destination"][c], cells["material"][c]) == (d, m)
        ]
        assert got == expected
