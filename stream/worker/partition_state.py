"""Everything a worker holds for one input partition, and its exact byte form.

A partition's state is its scoring engine, what was last published for its keys, and the
input offsets it reflects: the next offset of its own partition of each partitioned
topic, and the position reached in every partition of the broadcast topics. Snapshots
carry all three, so a restarted or new owner resumes at exactly the state it restores.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from scoring import Capture, Catalogue, Engine, ScoringParams
from scoring.packing import BytesLike
from stream.codec import decode, encode
from stream.emission import PublishState
from stream.errors import StreamError

__all__ = ["PartitionCountError", "PartitionState", "SnapshotError", "StateCapture"]

_MAGIC = b"SRPS1"
_LENGTHS = struct.Struct(">QQQ")


class PartitionCountError(StreamError):
    """A state built when the company-keyed input topics had other partition counts."""

    def __init__(self, partition: int, changed: dict[str, tuple[int, int]]) -> None:
        counts = ", ".join(f"{t} had {a} partitions, has {b}" for t, (a, b) in changed.items())
        super().__init__(
            f"partition {partition}: its state was built when {counts}. Every company's "
            "partition moved, so this state cannot be resumed: restore the partition "
            "counts, or reprocess into a new deployment (README, Operations)."
        )
        self.partition = partition
        self.changed = changed


class SnapshotError(StreamError):
    """Snapshot bytes that cannot be read back (truncated, other format, other catalogue)."""


@dataclass(slots=True)
class PartitionState:
    """The scoring state of one partition number of the co-partitioned input topics."""

    partition: int
    engine: Engine
    publish: PublishState = field(default_factory=PublishState)
    # topic -> next offset to read in this partition
    offsets: dict[str, int] = field(default_factory=dict)
    # "topic:partition" -> next offset to read of a broadcast topic partition
    broadcast: dict[str, int] = field(default_factory=dict)
    # partition count of each company-keyed input topic when the state was built: a
    # company's partition (stream.homes) depends on it
    partition_counts: dict[str, int] = field(default_factory=dict)
    # applied events since the last snapshot, and the wall time of the first of them
    changes: int = 0
    unsaved_since_s: float = 0.0

    @classmethod
    def empty(cls, partition: int, catalogue: Catalogue, params: ScoringParams) -> PartitionState:
        engine = Engine(catalogue, params)
        engine.map_memory()  # a worker holds it for long: not page by page under load
        return cls(partition, engine)

    def count_changes(self, n: int, now_s: float) -> None:
        """Count ``n`` applied events; the first since the last snapshot starts the clock
        of :meth:`unsaved_age_s`."""
        if n and not self.changes:
            self.unsaved_since_s = now_s
        self.changes += n

    def unsaved_age_s(self, now_s: float) -> float:
        """Seconds since the oldest change not in a snapshot taken since (0: none)."""
        return max(now_s - self.unsaved_since_s, 0.0) if self.changes else 0.0

    def resume_with(self, partition_counts: dict[str, int]) -> None:
        """Hold the state under the input topics' current partition counts.

        Raises :class:`PartitionCountError` when a topic had another count when the
        state was built: every company's partition moved, so its evidence would be split
        between this state and another one.
        """
        changed = {
            topic: (saved, partition_counts[topic])
            for topic, saved in self.partition_counts.items()
            if topic in partition_counts and partition_counts[topic] != saved
        }
        if changed:
            raise PartitionCountError(self.partition, changed)
        self.partition_counts = dict(partition_counts)

    def to_bytes(self) -> bytes:
        """``magic | lengths | header JSON | engine snapshot | publish snapshot``."""
        return self.capture().to_bytes()

    def capture(self) -> StateCapture:
        """A copy of the state now, serialised by its ``to_bytes()`` (which may run in
        another thread while this state goes on: see :class:`scoring.snapshot.Capture`)."""
        header = encode({
            "partition": self.partition, "offsets": self.offsets, "broadcast": self.broadcast,
            "partition_counts": self.partition_counts,
        })  # fmt: skip
        return StateCapture(header, self.engine.capture(), self.publish.copy())

    @classmethod
    def from_bytes(
        cls, data: BytesLike, catalogue: Catalogue, params: ScoringParams
    ) -> PartitionState:
        view = memoryview(data).cast("B")  # slices below are views, not copies
        if bytes(view[: len(_MAGIC)]) != _MAGIC or len(view) < len(_MAGIC) + _LENGTHS.size:
            raise SnapshotError("not a partition snapshot (bad magic)")
        start = len(_MAGIC) + _LENGTHS.size
        header_n, engine_n, publish_n = _LENGTHS.unpack_from(view, len(_MAGIC))
        if len(view) != start + header_n + engine_n + publish_n:
            raise SnapshotError("truncated partition snapshot")
        header = decode(bytes(view[start : start + header_n]))
        engine_end = start + header_n + engine_n
        try:
            engine = Engine.restore(view[start + header_n : engine_end], catalogue, params)
        except ValueError as error:
            raise SnapshotError(f"engine snapshot: {error}") from None
        engine.map_memory()
        publish = PublishState.restore(bytes(view[engine_end:]))
        if not isinstance(header, dict):
            raise SnapshotError("bad snapshot header")
        return cls(
            partition=int(header["partition"]),
            engine=engine,
            publish=publish,
            offsets={str(k): int(v) for k, v in header["offsets"].items()},
            broadcast={str(k): int(v) for k, v in header["broadcast"].items()},
            partition_counts={  # absent from snapshots of earlier versions
                str(k): int(v) for k, v in header.get("partition_counts", {}).items()
            },
        )


@dataclass(frozen=True, slots=True)
class StateCapture:
    """What :meth:`PartitionState.to_bytes` writes, copied at one moment."""

    header: bytes
    engine: Capture
    publish: PublishState

    def to_bytes(self) -> bytes:
        return self.to_buffer().tobytes()

    def to_buffer(self) -> memoryview:
        """The bytes of :meth:`to_bytes` in a new buffer, the engine's arrays copied into
        it without holding the interpreter lock (see :mod:`scoring.packing`)."""
        engine = self.engine.packed()
        publish = self.publish.snapshot()
        lengths = _LENGTHS.pack(len(self.header), engine.nbytes, len(publish))
        head = b"".join((_MAGIC, lengths, self.header))
        out = np.empty(len(head) + engine.nbytes + len(publish), dtype=np.uint8)
        out[: len(head)] = np.frombuffer(head, dtype=np.uint8)
        engine.write_into(out[len(head) : len(head) + engine.nbytes])
        out[len(head) + engine.nbytes :] = np.frombuffer(publish, dtype=np.uint8)
        return out.data
