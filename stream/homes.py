"""The home partition of a company: where Kafka's default partitioner puts its key.

Everything that updates a company's keys (its shipments, its profiles, the licence
decisions naming it) must reach the one partition state that holds the company, or the
company's evidence is split between states and every one of them scores it wrongly.
Producers that key these events by company with Kafka's default partitioner (murmur2 of
the key's UTF-8 bytes, as the Java client and aiokafka do) put them there; librdkafka's
default partitioner (CRC32), a key other than the company, or no key does not. The worker
therefore checks the partition of each company-scoped event against the company's home
and forwards an event that landed elsewhere to its home partition instead of scoring it
where it landed (see ``docs/ARCHITECTURE.md``, "Keying").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from aiokafka.partitioner import murmur2
from numpy.typing import NDArray

__all__ = ["HomePartitions", "home_partition", "murmur2_many"]

_FEW = 12  # up to this many new names are hashed one by one

# Company hashes remembered between batches; past this many the memo starts afresh
# (bounded memory; a company that keeps sending is hashed again once per refill).
_MAX_REMEMBERED = 200_000


def home_partition(company: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives the key ``company``.

    >>> home_partition("Kurobe Magnet Works", 4)
    1
    >>> home_partition("21", 1 << 31)  # the Java client's murmur2 test vector, made positive
    1173551340
    """
    return (int(murmur2(company.encode())) & 0x7FFFFFFF) % partitions


class HomePartitions:
    """Home partitions of many companies at once, with the hash of each company
    remembered (a remembered company costs a dict lookup; new ones are hashed together,
    ~0.3 µs each in a batch of 2,000)."""

    __slots__ = ("_hashes", "_max")

    def __init__(self, max_remembered: int = _MAX_REMEMBERED) -> None:
        self._hashes: dict[str, int] = {}
        self._max = max_remembered

    def of(self, companies: Sequence[str], partitions: int) -> NDArray[np.int64]:
        """The home partition of each company, for a topic of ``partitions`` partitions."""
        hashes = self._hashes
        known = list(map(hashes.get, companies))
        if None in known:
            if len(hashes) + len(companies) > self._max:
                hashes.clear()
                new = list(set(companies))
            else:
                new = list({c for c, h in zip(companies, known, strict=True) if h is None})
            # The vectorised hash has a fixed cost of ~0.1 ms; one name in Python ~7 µs.
            values = [murmur2(c.encode()) for c in new] if len(new) <= _FEW else murmur2_many(new)
            hashes.update((c, int(v) & 0x7FFFFFFF) for c, v in zip(new, values, strict=True))
            known = list(map(hashes.__getitem__, companies))
        return np.array(known, dtype=np.int64) % partitions


_M = np.uint32(0x5BD1E995)
_SEED = 0x9747B28C


def murmur2_many(keys: Sequence[str]) -> NDArray[np.uint32]:
    """Kafka's murmur2 of each key's UTF-8 bytes, for all keys at once (unsigned).

    The Java client's ``Utils.murmur2`` over a matrix of little-endian words, one row per
    key, zero-padded; rows whose key has fewer words keep their hash where they stopped.

    >>> murmur2_many(["21", "foobar"]).astype(np.int32).tolist()  # the Java client's vectors
    [-973932308, -790332482]
    """
    data = [key.encode() for key in keys]
    lengths = np.fromiter(map(len, data), dtype=np.int64, count=len(data))
    if len(data) == 0:
        return np.empty(0, dtype=np.uint32)
    width = (int(lengths.max()) // 4 + 1) * 4  # room for the tail's three bytes
    flat = np.frombuffer(b"".join(data), dtype=np.uint8)
    starts = np.cumsum(lengths) - lengths
    rows = np.repeat(np.arange(len(data)), lengths)
    padded = np.zeros((len(data), width), dtype=np.uint8)
    padded[rows, np.arange(flat.size) - starts[rows]] = flat
    words = padded.view("<u4")
    blocks = lengths // 4
    h = np.uint32(_SEED) ^ lengths.astype(np.uint32)
    for j in range(int(blocks.max())):
        k = words[:, j] * _M
        k ^= k >> np.uint32(24)
        k *= _M
        h = np.where(blocks > j, (h * _M) ^ k, h)
    at = blocks * 4
    row = np.arange(len(data))
    tail = (
        padded[row, at].astype(np.uint32)
        | (padded[row, at + 1].astype(np.uint32) << np.uint32(8))
        | (padded[row, at + 2].astype(np.uint32) << np.uint32(16))
    )
    h = np.where(lengths % 4 > 0, (h ^ tail) * _M, h)
    h ^= h >> np.uint32(13)
    h *= _M
    h ^= h >> np.uint32(15)
    return h
