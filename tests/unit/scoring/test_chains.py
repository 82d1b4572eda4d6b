"""Lanes of a few keys found through the chains equal a scan of the lane table, and a
subset of keys scores exactly as those keys do among all (also after a restore)."""

from __future__ import annotations

from unittest import mock

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scoring import Engine, ScoringParams
from scoring import chains as chains_module
from scoring.chains import Chains
from tests.unit.scoring.events import DAY, Event, catalogue
from tests.unit.scoring.helpers import latest, run
from tests.unit.scoring.strategies import streams


@settings(max_examples=100, deadline=None)
@given(st.data(), st.integers(1, 40))
def test_children_through_chains_equal_a_scan(data: st.DataObject, n_parents: int) -> None:
    parents = data.draw(st.lists(st.integers(0, n_parents - 1), max_size=120))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(parents)), max_size=4)))
    chains, start = Chains(), 0
    for end in [*cuts, len(parents)]:  # children added over several batches
        chains.link(np.array(parents[start:end]), np.arange(start, end))
        start = end
    asked = np.array(data.draw(st.lists(st.integers(0, n_parents - 1), unique=True)), dtype=np.intp)
    parent_of_child = np.array(parents, dtype=np.intp)
    for total in (n_parents, 100 * n_parents + len(asked)):  # the scan, then the chains
        child, at = chains.children_of(asked, parent_of_child, total)
        expected = np.flatnonzero(np.isin(parent_of_child, asked))
        assert child.tolist() == expected.tolist()
        assert asked[at].tolist() == parent_of_child[expected].tolist()


@settings(max_examples=40, deadline=None)
@given(st.data(), streams(min_size=4))
def test_a_few_keys_score_exactly_as_among_all(data: st.DataObject, events: list[Event]) -> None:
    engine = run([events])
    assume(engine.n_keys > 0)  # e.g. only country-wide licence decisions: no key to score
    restored = Engine.restore(engine.snapshot(), catalogue(), ScoringParams())
    as_of = latest(events) + DAY
    every = engine.scores(as_of_s=as_of)
    rows = np.array(
        data.draw(st.lists(st.integers(0, engine.n_keys - 1), min_size=1, max_size=3)),
        dtype=np.intp,
    )
    rows = np.unique(rows)
    for scored in (engine, restored):
        for factor in (chains_module.SCAN_FACTOR, 0):  # as it comes, then always the chains
            with mock.patch.object(chains_module, "SCAN_FACTOR", factor):
                few = scored.scores(rows, as_of_s=as_of)
            np.testing.assert_array_equal(few.components, every.components[rows])
