"""The scrape-time risk collector against a plain-Python oracle."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from stream.risk_metrics import LEVELS, SCORE_BUCKETS, RiskCollector, RiskView

MATERIALS = ("DY", "TB", "ND", "GA")
DESTINATIONS = ("JP", "US", "DE")

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(view: RiskView) -> Samples:
    registry = CollectorRegistry()
    registry.register(RiskCollector(lambda: view))
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def make_view(rows: list[tuple[float, int, int, int]]) -> RiskView:
    return RiskView(
        score=np.array([r[0] for r in rows], dtype=np.float64),
        level=np.array([r[1] for r in rows], dtype=np.int8),
        material=np.array([r[2] for r in rows], dtype=np.int32),
        destination=np.array([r[3] for r in rows], dtype=np.int32),
        material_codes=MATERIALS,
        destination_codes=DESTINATIONS,
    )


rows_strategy = st.lists(
    st.tuples(
        st.one_of(st.floats(0, 100), st.sampled_from([0.0, 10.0, 50.0, 100.0, float("nan")])),
        st.integers(0, len(LEVELS) - 1),
        st.integers(0, len(MATERIALS) - 1),
        st.integers(0, len(DESTINATIONS) - 1),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(rows_strategy)
def test_collector_matches_a_plain_python_oracle(rows: list[tuple[float, int, int, int]]) -> None:
    samples = scrape(make_view(rows))

    assert samples[("supplyrisk_keys_tracked", ())] == len(rows)
    levels = Counter(LEVELS[r[1]] for r in rows)
    for level in LEVELS:
        assert samples[("supplyrisk_keys", (("level", level),))] == levels[level]

    scored = [r[0] for r in rows if not np.isnan(r[0])]
    for bound in SCORE_BUCKETS:
        le = (("le", f"{bound:g}"),)
        expected = sum(s <= bound for s in scored)
        assert samples[("supplyrisk_key_score_bucket", le)] == expected
    assert samples[("supplyrisk_key_score_count", ())] == len(scored)
    assert samples[("supplyrisk_key_score_sum", ())] == pytest.approx(sum(scored))

    for m, code in enumerate(MATERIALS):
        group = [r[0] for r in rows if r[2] == m and not np.isnan(r[0])]
        label = (("material", code),)
        if not group:
            assert ("supplyrisk_material_score_max", label) not in samples
            continue
        assert samples[("supplyrisk_material_score_max", label)] == max(group)
        p95 = samples[("supplyrisk_material_score_p95", label)]
        assert p95 == pytest.approx(float(np.percentile(group, 95)), abs=1e-9)

    pairs = {(r[2], r[3]) for r in rows}
    at_risk = {k: v for k, v in samples.items() if k[0] == "supplyrisk_keys_at_risk"}
    assert len(at_risk) == 2 * len(pairs)
    for m, d in pairs:
        for level in ("high", "critical"):
            expected = sum(1 for r in rows if (r[2], r[3]) == (m, d) and LEVELS[r[1]] == level)
            labels = (
                ("destination", DESTINATIONS[d]),
                ("level", level),
                ("material", MATERIALS[m]),
            )
            assert at_risk[("supplyrisk_keys_at_risk", labels)] == expected


def test_scores_on_a_bucket_bound_count_in_that_bucket() -> None:
    samples = scrape(make_view([(10.0, 0, 0, 0), (10.000001, 0, 0, 0)]))
    assert samples[("supplyrisk_key_score_bucket", (("le", "10"),))] == 1
    assert samples[("supplyrisk_key_score_bucket", (("le", "20"),))] == 2


def test_an_empty_view_still_exposes_the_totals() -> None:
    samples = scrape(RiskView.empty(MATERIALS, DESTINATIONS))
    assert samples[("supplyrisk_keys_tracked", ())] == 0
    assert samples[("supplyrisk_keys", (("level", "critical"),))] == 0
    assert samples[("supplyrisk_key_score_count", ())] == 0
    assert not [k for k in samples if k[0] == "supplyrisk_material_score_max"]


def test_the_view_is_read_at_every_scrape_not_at_registration() -> None:
    views = [make_view([(95.0, 4, 0, 0)]), make_view([(5.0, 0, 1, 2), (6.0, 0, 1, 2)])]
    calls: list[int] = []

    def current() -> RiskView:
        calls.append(1)
        return views[len(calls) - 1]

    registry = CollectorRegistry()
    registry.register(RiskCollector(current))
    assert calls == []
    first = generate_latest(registry).decode()
    second = generate_latest(registry).decode()
    assert 'supplyrisk_material_score_max{material="DY"} 95.0' in first
    assert 'material="DY"' not in second
    assert "supplyrisk_keys_tracked 2.0" in second


def test_cardinality_is_bounded_by_the_catalogue_not_by_keys() -> None:
    rng = np.random.default_rng(7)
    n = 20_000
    view = RiskView(
        score=rng.uniform(0, 100, n),
        level=rng.integers(0, len(LEVELS), n).astype(np.int8),
        material=rng.integers(0, len(MATERIALS), n).astype(np.int32),
        destination=rng.integers(0, len(DESTINATIONS), n).astype(np.int32),
        material_codes=MATERIALS,
        destination_codes=DESTINATIONS,
    )
    bound = (
        1  # keys_tracked
        + len(LEVELS)
        + len(SCORE_BUCKETS)
        + 3  # buckets, +Inf, _count, _sum
        + 2 * len(MATERIALS)
        + 2 * len(MATERIALS) * len(DESTINATIONS)
    )
    assert len(scrape(view)) == bound


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("level", np.array([5], dtype=np.int8), "level: indices"),
        ("material", np.array([-1], dtype=np.int32), "material: indices"),
        ("destination", np.array([3], dtype=np.int32), "destination: indices"),
        ("score", np.array([1.0], dtype=np.float32), "score: expected 1-d float64"),
        ("material", np.array([0, 0], dtype=np.int32), "of length 1"),
    ],
)
def test_inconsistent_views_are_refused(field: str, value: np.ndarray, message: str) -> None:
    columns = {
        "score": np.array([1.0]),
        "level": np.array([0], dtype=np.int8),
        "material": np.array([0], dtype=np.int32),
        "destination": np.array([0], dtype=np.int32),
    }
    columns[field] = value
    with pytest.raises(ValueError, match=message):
        RiskView(**columns, material_codes=MATERIALS, destination_codes=DESTINATIONS)


def labelled(rows: list[tuple[float, int, str, str]]) -> RiskView:
    return RiskView.from_labels(
        score=np.array([r[0] for r in rows], dtype=np.float64),
        level=np.array([r[1] for r in rows], dtype=np.int8),
        material=np.array([r[2] for r in rows], dtype=np.str_),
        destination=np.array([r[3] for r in rows], dtype=np.str_),
    )


labelled_rows = st.lists(
    st.tuples(
        st.floats(0, 100),
        st.integers(0, len(LEVELS) - 1),
        st.sampled_from(["DY", "TB", "GA"]),
        st.sampled_from(["JP", "US"]),
    ),
    max_size=20,
)


@settings(max_examples=100, deadline=None)
@given(labelled_rows, labelled_rows)
def test_concatenated_parts_scrape_like_the_whole(
    first: list[tuple[float, int, str, str]], second: list[tuple[float, int, str, str]]
) -> None:
    # Each part has its own code tables (only the codes it uses, in its own order).
    whole = RiskView.concat([labelled(first), labelled(second)])
    assert len(whole) == len(first) + len(second)
    assert scrape(whole) == scrape(labelled(first + second))


def test_from_labels_matches_explicit_indices() -> None:
    rows = [(95.0, 4, 0, 0), (70.0, 3, 1, 0), (10.0, 0, 3, 2)]
    explicit = make_view(rows)
    by_label = labelled([(s, lv, MATERIALS[m], DESTINATIONS[d]) for s, lv, m, d in rows])
    assert by_label.material_codes == ("DY", "GA", "TB")  # sorted, only those used
    assert scrape(by_label) == scrape(explicit)


def test_concat_of_nothing_is_empty() -> None:
    assert len(RiskView.concat([])) == 0
    assert len(RiskView.concat([RiskView.empty(("DY",)), labelled([])])) == 0
