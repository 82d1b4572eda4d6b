"""The codec: JSON round trips, decode errors and RFC 3339 time parsing/formatting."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stream.codec import decode, encode, format_time, parse_time
from stream.errors import DecodeError, StreamError
from stream.times import VECTORISED_FROM as VECTORISED
from stream.times import parse_times

# 0001-01-01 .. 9999-12-31 in epoch seconds.
SECONDS = st.floats(min_value=-62135596800.0, max_value=253402300799.0, allow_nan=False)
# 1900 .. 2100: room for any UTC offset either side.
MODERN = st.floats(min_value=-2208988800.0, max_value=4102444800.0, allow_nan=False)


def test_encode_decode_round_trip_sorts_keys() -> None:
    value = {"b": [1, 2.5, "x", None, True], "a": {"nested": "ü"}}
    data = encode(value)
    assert data.startswith(b'{"a"')
    assert decode(data) == value


def test_decode_error_is_a_stream_error_with_reason() -> None:
    with pytest.raises(DecodeError, match=r"^not JSON: ") as info:
        decode(b"{not json")
    assert isinstance(info.value, StreamError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-08T09:30:00Z", datetime(2026, 1, 8, 9, 30, tzinfo=UTC)),
        ("2026-01-08T18:30:00+09:00", datetime(2026, 1, 8, 9, 30, tzinfo=UTC)),
        ("2026-01-08T04:00:00-05:30", datetime(2026, 1, 8, 9, 30, tzinfo=UTC)),
        ("2026-01-08t09:30:00.250z", datetime(2026, 1, 8, 9, 30, 0, 250000, tzinfo=UTC)),
        ("2024-02-29T00:00:00Z", datetime(2024, 2, 29, tzinfo=UTC)),
        ("2026-01-08 09:30:00+00:00", datetime(2026, 1, 8, 9, 30, tzinfo=UTC)),
    ],
)
def test_parse_time_accepts_rfc3339(text: str, expected: datetime) -> None:
    assert parse_time(text) == expected.timestamp()
    for rows in (1, VECTORISED):
        seconds, ok = parse_times([text] * rows)
        assert ok.all()
        assert (seconds == expected.timestamp()).all()


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-08",
        "2026-01-08T09:30:00",  # no offset
        "20260108T093000Z",
        "2026-13-08T09:30:00Z",
        "2025-02-29T00:00:00Z",
        "2026-01-08T24:00:00Z",
        "2026-01-08T09:30:00+25:00",
        "yesterday",
        "",
    ],
)
def test_parse_time_rejects_what_is_not_rfc3339(text: str) -> None:
    with pytest.raises(DecodeError, match="RFC 3339"):
        parse_time(text)
    for rows in (1, VECTORISED):
        seconds, ok = parse_times([text] * rows)
        assert not ok.any()
        assert np.isnan(seconds).all()


def test_parse_times_marks_non_strings() -> None:
    for rows in (1, VECTORISED):
        seconds, ok = parse_times([1767864600, None, "2026-01-08T09:30:00Z", ["x"]] * rows)
        assert ok.tolist() == [False, False, True, False] * rows
        assert seconds[2] == 1767864600.0


def test_format_time_whole_seconds_and_milliseconds() -> None:
    assert format_time(1767864600.0) == "2026-01-08T09:30:00Z"
    assert format_time(1767864600.25) == "2026-01-08T09:30:00.250Z"
    with pytest.raises(ValueError, match="non-finite"):
        format_time(math.nan)


@given(SECONDS)
def test_parse_of_format_is_identity_to_the_millisecond(seconds: float) -> None:
    text = format_time(seconds)
    assert parse_time(text) == round(seconds * 1000) / 1000
    expected = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=round(seconds * 1000))
    assert datetime.fromisoformat(text) == expected


@given(
    st.lists(
        st.tuples(
            MODERN,
            st.integers(min_value=-23 * 60, max_value=23 * 60),
            st.booleans(),
        ),
        max_size=20,
    )
)
def test_vectorised_parse_agrees_with_scalar_parse(
    rows: list[tuple[float, int, bool]],
) -> None:
    texts = []
    for seconds, offset_min, with_millis in rows:
        zone = timezone(timedelta(minutes=offset_min))
        moment = datetime.fromtimestamp(round(seconds), tz=UTC).astimezone(zone)
        spec = "milliseconds" if with_millis else "seconds"
        texts.append(moment.isoformat(timespec=spec).replace("+00:00", "Z"))
    # Repeated past the size where the vectorised path takes over from the scalar one.
    texts *= -(-VECTORISED // max(len(texts), 1))
    parsed, ok = parse_times(texts)
    assert ok.all()
    assert parsed.tolist() == [parse_time(t) for t in texts]


VALID_FORMS = [
    "2026-01-08T09:30:00Z",
    "2024-02-29t23:59:59.999z",
    "1999-12-31T00:00:00+09:30",
    "2026-07-01T12:00:00.125-04:00",
]


def test_vectorised_parse_agrees_with_scalar_parse_on_near_misses() -> None:
    """Every valid form with one character changed, or cut short there, in one batch:
    the vectorised path accepts exactly what the scalar parser accepts, with its value."""
    texts = [
        text[:at] + char + text[at + 1 :]
        for text in VALID_FORMS
        for at in range(len(text) + 1)
        for char in "0123456789:-+.TtZz{~ \x00é"
    ] + [text[:at] for text in VALID_FORMS for at in range(len(text))]
    parsed, ok = parse_times(texts)
    for text, seconds, accepted in zip(texts, parsed.tolist(), ok.tolist(), strict=True):
        try:
            expected = parse_time(text)
        except DecodeError:
            assert not accepted, text
        else:
            assert accepted, text
            assert seconds == expected, text
