"""Net news per (material, target, company) over every actor: a view of the policy cells.

Evaluation reads it for keys whose sourcing is unknown (any actor may be the exporter),
and reads which wildcard patterns the cells use so that it looks up only those. Built
from the whole table on every evaluation, it made each ``scores`` call cost time in
proportion to the number of cells (a sort of all of them), whatever the number of keys
scored. Kept here instead: new cells are mapped to their total once, and the sums are
recomputed (one ``bincount`` over the cells, in row order, so they are the same whether
kept or rebuilt after a restore) only after the cells' values changed.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from scoring.index import Columns, HashIndex
from scoring.state import ANY_COMPANY, ANY_COUNTRY, ANY_MATERIAL, policy_cell_codes

__all__ = ["PolicyTotals"]

_N_PATTERNS = 8  # material, target, company: each a wildcard or not


def pattern_of(
    material: NDArray[np.integer], target: NDArray[np.integer], company: NDArray[np.integer]
) -> NDArray[np.intp]:
    """Wildcard pattern of cells: 4 if the material is any, + 2 if the target, + 1 if the company.

    >>> pattern_of(np.array([ANY_MATERIAL, 3]), np.array([5, ANY_COUNTRY]),
    ...            np.array([ANY_COMPANY, 7])).tolist()
    [5, 2]
    """
    return np.asarray(
        4 * (np.asarray(material) == ANY_MATERIAL)
        + 2 * (np.asarray(target) == ANY_COUNTRY)
        + (np.asarray(company) == ANY_COMPANY),
        dtype=np.intp,
    )


class PolicyTotals:
    """The policy cells summed over their actor, kept in step with the cells' table.

    Examples
    --------
    >>> cells = Columns({"material": (np.int16, -1), "target": (np.int16, -1),
    ...                  "company": (np.int64, -1), "net": (np.float64, 0.0)})
    >>> rows = cells.append(3)
    >>> cells["material"][:], cells["target"][:] = [1, 1, 2], ANY_COUNTRY
    >>> cells["company"][:], cells["net"][:] = 9, [0.5, 0.25, 1.0]
    >>> totals = PolicyTotals()
    >>> index, net = totals.sums(cells)
    >>> code = policy_cell_codes(np.array([ANY_COUNTRY]), np.array([1]),
    ...                          np.array([ANY_COUNTRY]), np.array([9]))
    >>> float(net[index.find(code)[0]]), totals.patterns()
    (0.75, [2])
    """

    __slots__ = ("_index", "_net", "_of_cell", "_patterns")

    def __init__(self) -> None:
        self._index = HashIndex()
        self._of_cell = Columns({"total": (np.int32, -1)})  # each cell's total row
        self._patterns = np.zeros(_N_PATTERNS, dtype=np.bool_)
        self._net: NDArray[np.float64] | None = None  # None: the cells changed since

    def invalidate(self) -> None:
        """The cells' values changed (news applied, sums rescaled): recompute on next read."""
        self._net = None

    def patterns(self) -> list[int]:
        """The wildcard patterns (:func:`pattern_of`) that some cell has, ascending."""
        return np.flatnonzero(self._patterns).tolist()

    def sums(self, cells: Columns) -> tuple[HashIndex, NDArray[np.float64]]:
        """The index of totals (codes with the actor ``ANY_COUNTRY``) and their net values."""
        self._map_new_cells(cells)
        if self._net is None:
            self._net = np.asarray(
                np.bincount(
                    self._of_cell["total"], weights=cells["net"], minlength=len(self._index)
                ),
                dtype=np.float64,
            )
        return self._index, self._net

    def _map_new_cells(self, cells: Columns) -> None:
        start, stop = len(self._of_cell), len(cells)
        if start == stop:
            return
        material, target, company = (
            cells[name][start:] for name in ("material", "target", "company")
        )
        self._patterns[pattern_of(material, target, company)] = True
        anyone = np.full(stop - start, ANY_COUNTRY, dtype=np.int64)
        codes = policy_cell_codes(anyone, material, target, company)
        n_totals = len(self._index)

        def number(at: NDArray[np.intp]) -> NDArray[np.intp]:
            return np.arange(n_totals, n_totals + len(at), dtype=np.intp)

        rows = self._index.rows_of(codes, number)
        created = self._of_cell.append(stop - start)
        self._of_cell["total"][created] = rows
        self._net = None
