"""A partition's fetched records packed to cross to another process.

A prepared batch (:class:`stream.worker.scorer.Prepared`) keeps its records for what it
may still send of them: a refused record's original key and bytes go to its dead-letter
topic, a misplaced one is forwarded unchanged. aiokafka's ``ConsumerRecord`` objects are
slow to pickle (a few microseconds each), so the reader process sends each partition's
records as one block instead: their offsets in an array, their keys and values each
joined into one byte string with their lengths (-1 for ``None``). Indexing the block
builds the one record asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

__all__ = ["BlockRecord", "RecordBlock"]

_OFFSET, _KEY, _VALUE = attrgetter("offset"), attrgetter("key"), attrgetter("value")


@dataclass(frozen=True, slots=True)
class BlockRecord:
    """One record of a block: the fields the scorer reads (``stream.worker.scorer.Record``)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


class _Packed:
    """Byte strings (or None) joined into one, with each one's length (-1: None)."""

    __slots__ = ("data", "ends", "lengths")

    def __init__(self, items: Sequence[bytes | None]) -> None:
        try:  # the common case, without a test per item
            self.lengths = np.fromiter(map(len, items), np.int64, len(items))  # type: ignore[arg-type]
            self.data = b"".join(items)  # type: ignore[arg-type]
        except TypeError:  # a None among them (a tombstone, a record without a key)
            self.lengths = np.fromiter(
                (-1 if item is None else len(item) for item in items), np.int64, len(items)
            )
            self.data = b"".join([item for item in items if item])
        self.ends = np.cumsum(np.maximum(self.lengths, 0))

    def __getitem__(self, i: int) -> bytes | None:
        length = int(self.lengths[i])
        if length < 0:
            return None
        end = int(self.ends[i])
        return self.data[end - length : end]

    def __getstate__(self) -> tuple[Any, ...]:
        return self.data, self.lengths

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.data, self.lengths = state
        self.ends = np.cumsum(np.maximum(self.lengths, 0))


class RecordBlock(Sequence[BlockRecord]):
    """The records of one topic partition, in fetch order, packed for pickling."""

    __slots__ = ("_keys", "_values", "offsets", "partition", "topic")

    def __init__(self, records: Sequence[Any]) -> None:
        if not records:
            raise ValueError("a record block holds at least one record")
        self.topic: str = records[0].topic
        self.partition: int = records[0].partition
        self.offsets: NDArray[np.int64] = np.fromiter(map(_OFFSET, records), np.int64, len(records))
        self._keys = _Packed(list(map(_KEY, records)))
        self._values = _Packed(list(map(_VALUE, records)))

    def __len__(self) -> int:
        return len(self.offsets)

    @overload
    def __getitem__(self, i: int) -> BlockRecord: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[BlockRecord]: ...
    def __getitem__(self, i: int | slice) -> BlockRecord | Sequence[BlockRecord]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        offset = int(self.offsets[i])  # raises IndexError past either end
        return BlockRecord(self.topic, self.partition, offset, self._keys[i], self._values[i])

    def __iter__(self) -> Iterator[BlockRecord]:
        return (self[i] for i in range(len(self)))

    def __getstate__(self) -> tuple[Any, ...]:
        return self.topic, self.partition, self.offsets, self._keys, self._values

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.topic, self.partition, self.offsets, self._keys, self._values = state
