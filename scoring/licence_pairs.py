"""Country-wide licence cells grouped by (destination, material), kept between calls.

A key whose sourcing is unknown takes the worst exporter's licence pressure on its
(destination, material). Grouping every licence cell by that pair on each evaluation
sorted the whole table per call; the grouping only changes when cells are added (their
values change, their pairs do not), so it is kept and redone only then, and a call reads
the cells of the pairs it asks for.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from scoring.grouping import runs, spans
from scoring.index import Columns
from scoring.state import licence_cell_codes

__all__ = ["LicencePairs"]

Rows = NDArray[np.intp]


class LicencePairs:
    """The licence cells of each (destination, material) pair.

    Examples
    --------
    >>> cells = Columns({"destination": (np.int16, -1), "material": (np.int16, -1)})
    >>> rows = cells.append(3)
    >>> cells["destination"][:], cells["material"][:] = [4, 9, 4], [1, 1, 1]
    >>> cell, at = LicencePairs().cells_of(cells, np.array([4, 5]), np.array([1, 1]))
    >>> cell.tolist(), at.tolist()
    ([0, 2], [0, 0])
    """

    __slots__ = ("_bounds", "_order", "_pairs", "_size")

    def __init__(self) -> None:
        self._size = -1  # cells grouped so far (-1: none yet)
        self._pairs = np.empty(0, dtype=np.int64)  # distinct pair codes, ascending
        self._bounds = np.zeros(1, dtype=np.intp)  # pair i: _order[_bounds[i]:_bounds[i+1]]
        self._order = np.empty(0, dtype=np.intp)  # cell rows by pair

    def cells_of(
        self, cells: Columns, destination: NDArray[np.integer], material: NDArray[np.integer]
    ) -> tuple[Rows, Rows]:
        """Rows of the cells on each (destination, material) pair asked for, and for each
        the position of its pair in the request."""
        self._group(cells)
        want = _pair_codes(destination, material)
        if len(self._pairs) == 0 or len(want) == 0:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
        pos = np.minimum(np.searchsorted(self._pairs, want), len(self._pairs) - 1)
        hit = self._pairs[pos] == want
        first = np.where(hit, self._bounds[pos], 0)
        count = np.where(hit, self._bounds[pos + 1] - self._bounds[pos], 0)
        return self._order[spans(first, count)], np.repeat(np.arange(len(want)), count)

    def _group(self, cells: Columns) -> None:
        if self._size == len(cells):
            return
        self._size = len(cells)
        if self._size == 0:
            return
        pair = _pair_codes(cells["destination"], cells["material"])
        self._order, self._pairs, self._bounds = runs(pair)


def _pair_codes(
    destination: NDArray[np.integer], material: NDArray[np.integer]
) -> NDArray[np.int64]:
    return licence_cell_codes(np.zeros(len(destination), dtype=np.int64), destination, material)
