"""Named numpy arrays in one buffer, written with copies that release the interpreter lock.

Layout: ``MAGIC`` (8 bytes) | the table of contents' length (8 bytes, little-endian) |
the table of contents (JSON: ``[[name, dtype, shape, offset], ...]``) | zeros up to a
multiple of 64 | the data: each array's bytes at its offset from the data's start, a
multiple of 64, zeros in between.

Why not ``np.savez``: writing an ``.npz`` copies every array into ``bytes`` and then into
a ``BytesIO`` while holding the interpreter lock, so serialising a large state in a
thread still stops the event loop's thread for most of the time it takes. Here every
array is copied once, by ``np.copyto`` into a preallocated buffer, which releases the
lock; reading makes views into the buffer instead of copies. Object arrays are refused:
nothing is ever pickled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["MAGIC", "BytesLike", "Packed", "pack", "unpack"]

MAGIC = b"SRARRAY1"
_ALIGN = 64
_LENGTH_BYTES = 8

BytesLike = bytes | bytearray | memoryview


def _aligned(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


@dataclass(frozen=True, slots=True)
class Packed:
    """Arrays laid out in a buffer of ``nbytes``, written by :meth:`write_into`."""

    head: bytes  # magic, length and table of contents
    arrays: tuple[tuple[int, NDArray[Any]], ...]  # (offset, array)
    nbytes: int

    def write_into(self, out: NDArray[np.uint8]) -> None:
        """Write the buffer into ``out`` (``nbytes`` long, e.g. part of a larger one)."""
        if len(out) != self.nbytes:
            raise ValueError(f"buffer of {len(out)} bytes, expected {self.nbytes}")
        out[: len(self.head)] = np.frombuffer(self.head, dtype=np.uint8)
        end = len(self.head)
        for offset, array in self.arrays:
            out[end:offset] = 0
            end = offset + array.nbytes
            target = out[offset:end].view(array.dtype).reshape(array.shape)
            np.copyto(target, array)
        out[end:] = 0

    def to_bytes(self) -> bytes:
        """The buffer as ``bytes`` (one more copy, which holds the lock)."""
        out = np.empty(self.nbytes, dtype=np.uint8)
        self.write_into(out)
        return out.tobytes()


def pack(arrays: dict[str, NDArray[Any]]) -> Packed:
    """Lay out ``arrays`` (no object arrays) for one buffer.

    Examples
    --------
    >>> packed = pack({"ids": np.array(["a", "bc"]), "x": np.arange(3.0)})
    >>> {k: v.tolist() for k, v in unpack(packed.to_bytes()).items()}
    {'ids': ['a', 'bc'], 'x': [0.0, 1.0, 2.0]}
    """
    entries: list[list[Any]] = []
    placed: list[tuple[int, NDArray[Any]]] = []
    offset = 0  # from the start of the data
    for name, value in arrays.items():
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise ValueError(f"{name}: object arrays cannot be packed")
        entries.append([name, array.dtype.str, list(array.shape), offset])
        placed.append((offset, array))
        offset = _aligned(offset + array.nbytes)
    toc = json.dumps(entries, separators=(",", ":")).encode()
    head = MAGIC + len(toc).to_bytes(_LENGTH_BYTES, "little") + toc
    start = _aligned(len(head))
    end = max((o + a.nbytes for o, a in placed), default=0)
    return Packed(head, tuple((start + o, a) for o, a in placed), start + end)


def unpack(data: BytesLike) -> dict[str, NDArray[Any]]:
    """The arrays of a buffer written by :func:`pack`: read-only views into ``data``.

    Raises ``ValueError`` for a buffer that is not one, or is cut short.
    """
    view = memoryview(data).cast("B")
    if bytes(view[: len(MAGIC)]) != MAGIC:
        raise ValueError("not a packed array buffer (bad magic)")
    start = len(MAGIC) + _LENGTH_BYTES
    toc_n = int.from_bytes(view[len(MAGIC) : start], "little")
    if start + toc_n > len(view):
        raise ValueError("packed array buffer cut short (table of contents)")
    data_start = _aligned(start + toc_n)
    arrays: dict[str, NDArray[Any]] = {}
    for name, dtype_str, shape, at in json.loads(bytes(view[start : start + toc_n])):
        offset = data_start + at
        dtype = np.dtype(dtype_str)
        if dtype.hasobject:
            raise ValueError(f"{name}: object arrays are refused")
        count = int(np.prod(shape, dtype=np.int64))
        if offset + count * dtype.itemsize > len(view):
            raise ValueError(f"packed array buffer cut short ({name})")
        array = np.frombuffer(view, dtype=dtype, count=count, offset=offset)
        arrays[name] = array.reshape(shape)
    return arrays
