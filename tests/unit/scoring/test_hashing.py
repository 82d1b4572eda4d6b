"""The stable hash against a per-string reference, and the sort-based distinct values."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from scoring.grouping import distinct, groups, strictly_increasing
from scoring.hashing import stable_hash
from tests.unit.scoring.oracle import reference_hash

# numpy drops trailing NUL code points of its strings: no NUL in the drawn text.
texts = st.lists(st.text(st.characters(blacklist_characters="\x00"), max_size=40), max_size=30)


@given(texts, st.integers(0, 60))
def test_hash_matches_the_reference_at_any_array_width(strings: list[str], extra: int) -> None:
    width = max([len(s) for s in strings] + [0]) + extra
    array = np.array(strings, dtype=f"<U{max(width, 1)}")
    assert stable_hash(array).tolist() == [reference_hash(s) for s in strings]


def test_hash_of_a_strided_view_equals_the_hash_of_a_copy() -> None:
    strings = np.array([f"company-{i}" for i in range(1000)])
    assert (stable_hash(strings[::3]) == stable_hash(strings[::3].copy())).all()
    assert (stable_hash(strings[::-1]) == stable_hash(strings)[::-1]).all()
    assert (stable_hash(strings[5:17]) == stable_hash(strings)[5:17]).all()  # an offset view


@given(st.lists(st.integers(-50, 50), max_size=200))
def test_distinct_and_groups_agree_with_numpy_unique(values: list[int]) -> None:
    array = np.array(values, dtype=np.int64)
    expected, inverse = np.unique(array, return_inverse=True)
    assert distinct(array).tolist() == expected.tolist()
    unique, one, inv = groups(array)
    assert unique.tolist() == expected.tolist()
    assert array[one].tolist() == expected.tolist()
    assert inv.tolist() == inverse.tolist()
    assert strictly_increasing(array) == (
        len(values) == len(set(values)) and values == sorted(values)
    )
