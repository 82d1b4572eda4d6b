"""Struct-of-arrays building blocks: growable columns and a sorted 64-bit code index."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

__all__ = ["CodeIndex", "Columns"]


class Columns:
    """Named numpy columns of one table, grown by doubling (amortised O(1) per row).

    Examples
    --------
    >>> t = Columns({"mass": (np.float64, 0.0), "key": (np.int32, -1)})
    >>> t.append(3).tolist()
    [0, 1, 2]
    >>> t["mass"][1] += 2.5
    >>> t["mass"].tolist(), len(t)
    ([0.0, 2.5, 0.0], 3)
    """

    __slots__ = ("_data", "_fill", "size")

    def __init__(self, spec: dict[str, tuple[DTypeLike, Any]], capacity: int = 16) -> None:
        self._fill = {name: fill for name, (_, fill) in spec.items()}
        self._data = {
            name: np.full(capacity, fill, dtype=dtype) for name, (dtype, fill) in spec.items()
        }
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, name: str) -> NDArray[Any]:
        """The live rows of column ``name`` (a view: writes go to the table)."""
        return self._data[name][: self.size]

    def names(self) -> tuple[str, ...]:
        """Column names."""
        return tuple(self._data)

    def append(self, n: int) -> NDArray[np.intp]:
        """Add ``n`` rows holding the fill values; returns their row numbers."""
        start = self.size
        capacity = len(next(iter(self._data.values())))
        if start + n > capacity:
            new_capacity = max(2 * capacity, start + n, 16)
            for name, column in self._data.items():
                grown = np.full(new_capacity, self._fill[name], dtype=column.dtype)
                grown[:start] = column[:start]
                self._data[name] = grown
        self.size = start + n
        return np.arange(start, start + n, dtype=np.intp)

    def nbytes(self) -> int:
        """Bytes held by the live rows of every column."""
        return sum(self[name].nbytes for name in self._data)

    def to_arrays(self, prefix: str) -> dict[str, NDArray[Any]]:
        """Live columns keyed ``prefix + name`` (for snapshots)."""
        return {prefix + name: self[name].copy() for name in self._data}

    def load(self, arrays: dict[str, NDArray[Any]], prefix: str) -> None:
        """Replace every column by ``arrays[prefix + name]`` (from :meth:`to_arrays`)."""
        n = len(arrays[prefix + next(iter(self._data))])
        self.size = 0
        self.append(n)
        for name in self._data:
            self._data[name][:n] = arrays[prefix + name]


class CodeIndex:
    """Sorted ``int64`` codes mapped to rows; vectorised lookups with ``searchsorted``.

    Examples
    --------
    >>> idx = CodeIndex()
    >>> idx.insert(np.array([30, 10]), np.array([0, 1]))
    >>> idx.find(np.array([10, 20, 30])).tolist()
    [1, -1, 0]
    """

    __slots__ = ("codes", "rows")

    def __init__(self) -> None:
        self.codes = np.empty(0, dtype=np.int64)
        self.rows = np.empty(0, dtype=np.int32)

    def __len__(self) -> int:
        return len(self.codes)

    def find(self, codes: NDArray[np.int64]) -> NDArray[np.intp]:
        """Row of each code, -1 where absent."""
        if len(self.codes) == 0:
            return np.full(len(codes), -1, dtype=np.intp)
        pos = np.searchsorted(self.codes, codes)
        pos_clipped = np.minimum(pos, len(self.codes) - 1)
        hit = self.codes[pos_clipped] == codes
        return np.where(hit, self.rows[pos_clipped], -1).astype(np.intp)

    def insert(self, codes: NDArray[np.int64], rows: NDArray[np.integer]) -> None:
        """Add codes (unique, absent) with their rows, keeping the index sorted."""
        if len(codes) == 0:
            return
        order = np.argsort(codes, kind="stable")
        codes = np.asarray(codes, dtype=np.int64)[order]
        rows = np.asarray(rows)[order]
        pos = np.searchsorted(self.codes, codes)
        self.codes = np.insert(self.codes, pos, codes)
        self.rows = np.insert(self.rows, pos, rows.astype(np.int32))

    def nbytes(self) -> int:
        """Bytes held by the index."""
        return int(self.codes.nbytes + self.rows.nbytes)

    def load(self, codes: NDArray[np.int64], rows: NDArray[np.int32]) -> None:
        """Replace the contents (from a snapshot)."""
        self.codes = np.asarray(codes, dtype=np.int64)
        self.rows = np.asarray(rows, dtype=np.int32)
