"""Company names by id: the one per-key state held as Python strings."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["Names", "names_array"]


class Names:
    """Strings by id, appended in batches; gathers cost O(rows asked), not O(all names).

    The strings are held once (an object array of the Python strings, grown by doubling),
    so a batch that adds names or asks for a few of them never copies all of them.

    Examples
    --------
    >>> names = Names()
    >>> names.extend(np.array(["acme", "kyoto-magnetics"]))
    >>> names.take(np.array([1, 0, 1])).tolist(), len(names)
    (['kyoto-magnetics', 'acme', 'kyoto-magnetics'], 2)
    """

    __slots__ = ("_data", "size")

    def __init__(self) -> None:
        self._data: NDArray[np.object_] = np.empty(16, dtype=object)
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def extend(self, names: NDArray[np.str_]) -> None:
        """Append ``names``; their ids are ``len(self)`` onwards."""
        end = self.size + len(names)
        if end > len(self._data):
            grown = np.empty(max(2 * len(self._data), end), dtype=object)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size : end] = names.tolist()
        self.size = end

    def take(self, ids: NDArray[np.integer]) -> NDArray[np.str_]:
        """The names of ``ids`` (all < ``len(self)``), as a unicode array."""
        if len(ids) == 0:
            return np.empty(0, dtype="<U1")
        return np.asarray(self._data[: self.size][ids].astype(str))

    def held(self) -> NDArray[np.object_]:
        """A copy of every name in id order, as Python strings (cheap: pointers)."""
        return self._data[: self.size].copy()

    def load(self, names: NDArray[np.str_]) -> None:
        """Replace the contents by ``names`` (e.g. :func:`names_array` of :meth:`held`)."""
        self.size = 0
        self.extend(np.asarray(names))

    def nbytes(self) -> int:
        """Bytes held: the pointer array and the strings (CPython's compact str layout)."""
        strings = sum(49 + len(s) for s in self._data[: self.size].tolist())
        return int(self._data.nbytes + strings)


_NAMES_CHUNK = 16_384


def names_array(names: NDArray[np.object_]) -> NDArray[np.str_]:
    """Python strings as one unicode array, converted a chunk at a time: each chunk is one
    short call, so another thread waiting for the interpreter gets it in between.

    Examples
    --------
    >>> names_array(np.array(["a", "bcd"], dtype=object)).tolist()
    ['a', 'bcd']
    """
    if len(names) == 0:
        return np.empty(0, dtype="<U1")
    chunks = [names[i : i + _NAMES_CHUNK].astype(str) for i in range(0, len(names), _NAMES_CHUNK)]
    return np.concatenate(chunks)
