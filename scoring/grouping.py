"""Distinct values of integer arrays, by one unstable sort.

``np.unique`` asks for a stable sort whenever it returns indices (numpy's mergesort or
radix paths: on 10k ``int64`` values 5x the time of the default sort) and, on some dtypes,
takes a hashing path that is slower still for a batch of keys. The hot path needs sorted
distinct values, one occurrence of each, and the inverse, none of which requires
stability.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

__all__ = ["distinct", "groups", "runs", "spans", "strictly_increasing"]

Int = TypeVar("Int", bound=np.integer)


def distinct(values: NDArray[Int]) -> NDArray[Int]:
    """Sorted distinct values (``np.unique`` without its options).

    Examples
    --------
    >>> distinct(np.array([5, 1, 5, 3])).tolist()
    [1, 3, 5]
    """
    ordered = np.sort(values)
    return ordered[_starts(ordered)]


def groups(values: NDArray[Int]) -> tuple[NDArray[Int], NDArray[np.intp], NDArray[np.intp]]:
    """Sorted distinct values, the position of one occurrence of each (not necessarily
    the first), and the inverse: ``distinct[inverse] == values``.

    Examples
    --------
    >>> u, at, inverse = groups(np.array([7, 2, 7, 9]))
    >>> u.tolist(), np.array([7, 2, 7, 9])[at].tolist(), inverse.tolist()
    ([2, 7, 9], [2, 7, 9], [1, 0, 1, 2])
    """
    order = np.argsort(values)
    ordered = values[order]
    starts = _starts(ordered)
    inverse = np.empty(len(values), dtype=np.intp)
    inverse[order] = np.cumsum(starts) - 1
    return ordered[starts], order[starts], inverse


def runs(values: NDArray[Int]) -> tuple[NDArray[np.intp], NDArray[Int], NDArray[np.intp]]:
    """The order that sorts ``values``, their sorted distinct values, and the bounds of
    each one's run in that order: distinct value ``i`` is at ``order[bounds[i]:bounds[i + 1]]``.

    Examples
    --------
    >>> order, u, bounds = runs(np.array([7, 2, 7, 9]))
    >>> u.tolist(), bounds.tolist(), sorted(order[bounds[1] : bounds[2]].tolist())
    ([2, 7, 9], [0, 1, 3, 4], [0, 2])
    """
    order = np.argsort(values)
    ordered = values[order]
    starts = np.flatnonzero(_starts(ordered))
    return order, ordered[starts], np.append(starts, len(values)).astype(np.intp)


def spans(first: NDArray[np.integer], count: NDArray[np.integer]) -> NDArray[np.intp]:
    """``first[i], first[i] + 1, ..., first[i] + count[i] - 1`` for every ``i``, in order
    (the positions of ragged ranges; ``np.repeat(np.arange(len(count)), count)`` says
    which range each comes from).

    Examples
    --------
    >>> spans(np.array([5, 0, 2]), np.array([2, 0, 3])).tolist()
    [5, 6, 2, 3, 4]
    """
    ends = np.cumsum(count)
    offset = np.arange(ends[-1] if len(ends) else 0) - np.repeat(ends - count, count)
    return np.asarray(np.repeat(first, count) + offset, dtype=np.intp)


def _starts(ordered: NDArray[np.integer]) -> NDArray[np.bool_]:
    """Where each run of equal values of sorted ``ordered`` starts."""
    starts = np.empty(len(ordered), dtype=np.bool_)
    if len(ordered):
        starts[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    return starts


def strictly_increasing(values: NDArray[np.integer]) -> bool:
    """Whether every value exceeds the one before (then the values are distinct and sorted).

    Examples
    --------
    >>> strictly_increasing(np.array([1, 4, 9])), strictly_increasing(np.array([1, 1]))
    (True, False)
    """
    return bool((values[1:] > values[:-1]).all())
