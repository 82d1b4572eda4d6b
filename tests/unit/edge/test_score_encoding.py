"""The fast score and alert encoders write exactly what the codec writes for their records."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from scoring import COMPONENTS, ScoreTable
from stream.alerts import alert_records, encode_alerts
from stream.codec import encode
from stream.emission import Transitions
from stream.scores import encode_scores, encoded_strings, score_records

names = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    min_size=1,
    max_size=30,
)
unit = st.floats(0, 1, allow_nan=False) | st.sampled_from([0.0, 1e-7, 5e-7, 1.0, 0.1 + 0.2])
# (company, material, components, events, level) of each row of a score table
Row = tuple[str, str, list[float], int, int]
score_rows = st.lists(
    st.tuples(names, names, st.lists(unit, min_size=len(COMPONENTS), max_size=len(COMPONENTS)),
              st.integers(0, 10**9), st.integers(0, 4)),
    max_size=12,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(rows=score_rows, as_of=st.floats(0, 4e9, allow_nan=False))
def test_encode_scores_equals_the_codec_on_the_records(rows: list[Row], as_of: float) -> None:
    table = _table(rows, as_of)
    assert encode_scores(table) == [encode(record) for record in score_records(table)]


@settings(max_examples=150, deadline=None)
@given(rows=score_rows, as_of=st.floats(0, 4e9, allow_nan=False), data=st.data())
def test_encode_alerts_equals_the_codec_on_the_records(
    rows: list[Row], as_of: float, data: st.DataObject
) -> None:
    table = _table(rows, as_of)
    chosen = sorted(data.draw(st.sets(st.integers(0, max(len(rows) - 1, 0)))) if rows else [])
    n = len(chosen)
    transitions = Transitions(
        rows=np.array(chosen, dtype=np.intp),
        level=np.array(data.draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), np.int8),
        previous=np.array(data.draw(st.lists(st.integers(-1, 4), min_size=n, max_size=n)), np.int8),
    )
    expected = [encode(record) for record in alert_records(table, transitions)]
    assert encode_alerts(table, transitions) == expected


@example(['a",', "b"])
@given(st.lists(st.text(alphabet='",\\a\u00fc', max_size=4) | names, max_size=6))
def test_strings_encoded_together_are_each_string_encoded_alone(values: list[str]) -> None:
    # Quotes, commas and backslashes are what could make one list's text split wrongly.
    assert encoded_strings(values) == [encode(value)[1:-1] for value in values]


def _table(rows: list[Row], as_of: float) -> ScoreTable:
    n = len(rows)
    components = np.array([r[2] for r in rows], dtype=np.float64).reshape(n, len(COMPONENTS))
    weights = np.array([0.2, 0.2, 0.25, 0.2, 0.15])
    contributions = components * weights * 100
    return ScoreTable(
        rows=np.arange(n, dtype=np.intp),
        company=np.array([r[0] for r in rows], dtype=str),
        material=np.array([r[1] for r in rows], dtype=str),
        score=contributions.sum(axis=1),
        level=np.array([r[4] for r in rows], dtype=np.int8),
        components=components,
        contributions=contributions,
        events=np.array([r[3] for r in rows], dtype=np.int64),
        as_of_s=as_of,
    )
