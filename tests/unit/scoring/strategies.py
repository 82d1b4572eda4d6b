"""Hypothesis strategies for small, valid event streams over a few keys."""

from __future__ import annotations

import itertools
import math
from typing import Any

from hypothesis import strategies as st

from tests.unit.scoring.events import DAY, T0, Event, licence, news, profile, shipment

COMPANIES = ["Acme", "Borg", "Cyd"]
MATERIALS = ["Dy", "Ga", "Nd"]
COUNTRIES = ["CN", "JP", "US", "AU"]

times = st.floats(0.0, 200.0).map(lambda d: T0 + d * DAY)


def amounts(high: float) -> st.SearchStrategy[float]:
    """0, or a value from a millionth up to ``high``. Smaller positive amounts (down to
    1e-308) are valid input, but their decayed sums fall into subnormal floats, which
    carry fewer significant bits: the engine and the oracle, which decay from other
    reference times, then differ by more than the contract tests' 1e-9."""
    return st.one_of(st.just(0.0), st.floats(1e-6, high))


companies = st.sampled_from(COMPANIES)
materials = st.sampled_from(MATERIALS)
countries = st.sampled_from(COUNTRIES)

shipments = st.builds(
    lambda t, c, m, o, d, q, s: shipment("", t, c, m, o, destination=d, quantity_kg=q, status=s),
    times,
    companies,
    materials,
    countries,
    countries,
    amounts(1000.0),
    st.integers(0, 4),
)
licences = st.builds(
    lambda t, o, d, m, dec, c, days: licence(
        "", t, o, d, m, decision=dec, company=c, processing_days=days
    ),
    times,
    countries,
    countries,
    materials,
    st.integers(0, 4),
    st.sampled_from(["", *COMPANIES]),
    st.one_of(st.just(math.nan), st.floats(0.0, 120.0)),
)
news_items = st.builds(
    lambda t, a, ms, ts, cs, cat, sev: news(
        "", t, actor=a, materials=ms, targets=ts, companies=cs, category=cat, severity=sev
    ),
    times,
    st.sampled_from(["", "CN", "US"]),
    st.lists(materials, unique=True, max_size=2),
    st.lists(countries, unique=True, max_size=2),
    st.lists(companies, unique=True, max_size=2),
    st.integers(0, 5),
    amounts(1.0),
)
profiles = st.builds(
    lambda t, c, m, home, inv, shares: profile(
        "", t, c, m, home_country=home, inventory_days=inv, origin_shares=shares
    ),
    times,
    companies,
    materials,
    st.sampled_from(["", *COUNTRIES]),
    st.one_of(st.just(math.nan), st.floats(0.0, 365.0)),
    st.dictionaries(countries, amounts(1.0), max_size=3),
)
any_event = st.one_of(shipments, shipments, licences, news_items, profiles)


def with_ids(events: list[Event], prefix: str = "e") -> list[Event]:
    """The events with unique ids ``prefix0``, ``prefix1``, ..."""
    return [dict(e, event_id=f"{prefix}{i}") for i, e in enumerate(events)]


@st.composite
def streams(draw: Any, min_size: int = 1, max_size: int = 30) -> list[Event]:
    """A list of events with unique ids."""
    return with_ids(draw(st.lists(any_event, min_size=min_size, max_size=max_size)))


@st.composite
def chunked(draw: Any, events: list[Event]) -> list[list[Event]]:
    """``events`` shuffled and cut into consecutive batches of random sizes."""
    order = draw(st.permutations(events))
    cuts = sorted(draw(st.lists(st.integers(0, len(order)), max_size=5)))
    bounds = [0, *cuts, len(order)]
    return [order[a:b] for a, b in itertools.pairwise(bounds)]


denials = st.builds(
    lambda t, o, d, m, dec: licence("extra", t, o, d, m, decision=dec),
    times,
    countries,
    countries,
    materials,
    st.sampled_from([1, 2, 3]),
)
tightening_news = st.builds(
    lambda t, a, ms, ts, cs, cat, sev: news(
        "extra", t, actor=a, materials=ms, targets=ts, companies=cs, category=cat, severity=sev
    ),
    times,
    st.sampled_from(["", "CN", "US"]),
    st.lists(materials, unique=True, max_size=2),
    st.lists(countries, unique=True, max_size=2),
    st.lists(companies, unique=True, max_size=2),
    st.sampled_from([0, 1, 3, 4]),
    amounts(1.0),
)
