"""The child rows of each parent row (the lanes of each key) as linked lists.

Scoring a few keys needs their lanes. Finding them by scanning the lane table costs
O(all lanes) per call, so a small batch in a large state paid for the whole state (47 keys
at 840k keys: 6.7 ms). Each parent holds its first child and each child the next child of
the same parent (-1 ends a chain): the children of a few parents are found in as many
vectorised rounds as the longest chain, O(their children). The chains are derived from
the child table's parent column, so snapshots do not carry them (:meth:`Chains.rebuild`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["SCAN_FACTOR", "Chains"]

Rows = NDArray[np.intp]

# Parents asked for, times this, at least all parents: scan the child table instead.
SCAN_FACTOR = 8


def _grown(array: NDArray[np.int32], size: int) -> NDArray[np.int32]:
    if size <= len(array):
        return array
    grown = np.full(max(size, 2 * len(array), 16), -1, dtype=np.int32)
    grown[: len(array)] = array
    return grown


class Chains:
    """Children of each parent row, as one linked list per parent.

    Examples
    --------
    >>> chains = Chains()
    >>> chains.link(np.array([0, 2, 0]), np.array([0, 1, 2]))  # children 0, 1, 2
    >>> child, at = chains.children_of(np.array([0, 1]), np.array([0, 2, 0]), n_parents=99)
    >>> child.tolist(), at.tolist()  # children of parent 0 (position 0), in row order
    ([0, 2], [0, 0])
    """

    __slots__ = ("first", "next")

    def __init__(self) -> None:
        self.first = np.empty(0, dtype=np.int32)  # per parent row
        self.next = np.empty(0, dtype=np.int32)  # per child row

    def link(self, parents: NDArray[np.integer], children: NDArray[np.integer]) -> None:
        """Add new child rows with their parent rows (any order, several per parent)."""
        if len(children) == 0:
            return
        parents = np.asarray(parents, dtype=np.intp)
        children = np.asarray(children, dtype=np.intp)
        self.first = _grown(self.first, int(parents.max()) + 1)
        self.next = _grown(self.next, int(children.max()) + 1)
        order = np.argsort(parents, kind="stable")
        p, c = parents[order], children[order]
        # bound[i]: a parent's run of new children starts at i (and the one before ends)
        bound = np.empty(len(p) + 1, dtype=np.bool_)
        bound[0] = bound[-1] = True
        np.not_equal(p[1:], p[:-1], out=bound[1:-1])
        same = ~bound[1:-1]
        self.next[c[:-1][same]] = c[1:][same]  # within a parent's new children
        start, last = bound[:-1], bound[1:]
        self.next[c[last]] = self.first[p[last]]  # then its earlier children
        self.first[p[start]] = c[start]

    def rebuild(self, parent_of_child: NDArray[np.integer], n_parents: int) -> None:
        """Chains of a whole child table from its parent column (after a restore)."""
        self.first = np.full(n_parents, -1, dtype=np.int32)
        self.next = np.full(len(parent_of_child), -1, dtype=np.int32)
        self.link(parent_of_child, np.arange(len(parent_of_child)))

    def children_of(
        self, parents: Rows, parent_of_child: NDArray[np.integer], n_parents: int
    ) -> tuple[Rows, Rows]:
        """Child rows of the (unique) ``parents`` (of ``n_parents``), ascending, and the
        position in ``parents`` of each one's parent. ``parent_of_child`` is the child
        table's parent column: when the parents are a large share of all, one pass over
        it is cheaper than following the chains, and gives the same answer."""
        n = len(parents)
        if SCAN_FACTOR * n >= n_parents:
            position = np.full(n_parents, -1, dtype=np.intp)
            position[parents] = np.arange(n)
            child = np.flatnonzero(position[parent_of_child] >= 0)
            return child, position[parent_of_child[child]]
        self.first = _grown(self.first, n_parents)  # parents with no child yet
        cursor = self.first[parents].astype(np.intp)
        at = np.arange(n)
        found, owner = [cursor[:0]], [at[:0]]
        while len(cursor):
            live = cursor >= 0
            cursor, at = cursor[live], at[live]
            found.append(cursor)
            owner.append(at)
            cursor = self.next[cursor].astype(np.intp)
        child, at = np.concatenate(found), np.concatenate(owner)
        order = np.argsort(child)
        return child[order], at[order]

    def nbytes(self) -> int:
        """Bytes held by the chains."""
        return int(self.first.nbytes + self.next.nbytes)
