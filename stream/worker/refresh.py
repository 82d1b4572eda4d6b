"""Which keys to rescore for decay next: a bounded slice per fetch, every key once per
interval.

Scores change with time as evidence ages, not only when events arrive: without rescoring,
the scores topic would keep a quiet key's last value forever. Rescoring every key at once
(as a snapshot did before) held the event loop for tens of milliseconds per partition at
40k keys, and every record fetched meanwhile waited. Instead each partition accrues a
debt of ``keys * elapsed / interval`` rescorings; after a fetch the most indebted
partition pays up to ``slice_keys`` of it, round robin over its rows, once the debt is
worth a slice (or the whole partition, when smaller). Each key is therefore rescored
about once per interval, and no fetch waits for more than one slice.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

__all__ = ["DecayRefresh"]


class DecayRefresh:
    """The rescoring debt of each partition and where its round robin stands.

    Examples
    --------
    >>> refresh = DecayRefresh(interval_s=10.0, slice_keys=3)
    >>> partition, rows = refresh.due({0: 5}, elapsed_s=10.0)  # a full interval owed
    >>> partition, rows.tolist()  # a slice of 3
    (0, [0, 1, 2])
    >>> refresh.due({0: 5}, elapsed_s=0.0)  # 2 owed, less than a slice: later
    >>> refresh.due({0: 5}, elapsed_s=2.0)[1].tolist()  # 3 owed; the round robin wraps
    [3, 4]
    """

    def __init__(self, interval_s: float, slice_keys: int) -> None:
        self._interval_s = interval_s
        self._slice_keys = slice_keys
        self._owed: dict[int, float] = {}
        self._next_row: dict[int, int] = {}

    def due(
        self, key_counts: Mapping[int, int], elapsed_s: float
    ) -> tuple[int, NDArray[np.intp]] | None:
        """The partition and rows to rescore now, if any, given the key count of every
        partition held and the time since the previous call."""
        share = elapsed_s / self._interval_s
        owed = self._owed
        for partition, n in key_counts.items():
            owed[partition] = min(owed.get(partition, 0.0) + n * share, float(n))
        for gone in owed.keys() - key_counts.keys():
            del owed[gone]
        if not owed:
            return None
        partition = max(owed, key=owed.__getitem__)
        n = key_counts[partition]
        if n == 0 or owed[partition] < min(self._slice_keys, n):
            return None
        start = self._next_row.get(partition, 0) % n
        count = min(int(owed[partition]), self._slice_keys, n - start)
        owed[partition] -= count
        self._next_row[partition] = start + count
        return partition, np.arange(start, start + count, dtype=np.intp)
