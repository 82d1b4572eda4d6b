"""Snapshot format: named plain arrays in one buffer (:mod:`scoring.packing`), no pickle.

Entries: ``format_version``; ``<table>.<column>`` for every table column and
``<table>.index_codes`` / ``<table>.index_rows`` for its index; ``companies.names``,
``companies.index_codes`` / ``companies.index_rows``; ``anchors.names``,
``anchors.values``, ``anchors.half_lives``; ``dedupe.hashes`` / ``dedupe.times``;
``latest_s``; ``materials`` (catalogue codes, checked on restore).

Format 2 packs them with :func:`scoring.packing.pack`; format 1, the same entries in an
``.npz`` archive, is still read (snapshots written by earlier versions).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoring.decay import Anchors
from scoring.dedupe import DedupeSet, by_hash
from scoring.index import canonical_entries
from scoring.names import names_array
from scoring.packing import MAGIC, BytesLike, Packed, pack, unpack
from scoring.state import State

__all__ = ["FORMAT_VERSION", "Capture", "capture", "read_snapshot", "snapshot_arrays"]

FORMAT_VERSION = 2
_NPZ_FORMAT = 1  # the .npz archives of earlier versions

_Held = tuple[NDArray[np.int64], NDArray[np.int32]]  # an index's codes and rows


@dataclass(frozen=True, slots=True)
class Capture:
    """Copies of an engine's state at one moment: everything its snapshot is written from.

    Taking one copies the live rows (memory bandwidth: ~10 ms for 250k keys); writing it
    (ordering index entries and event ids canonically, converting company names, building
    the archive) takes ten times longer and touches nothing the engine still holds, so it
    can run in another thread while the engine goes on applying events.
    """

    # table -> ({"<table>.<column>": live rows}, its index's held codes and rows)
    tables: dict[str, tuple[dict[str, NDArray[Any]], _Held]]
    company_names: NDArray[np.object_]
    company_index: _Held
    anchors: dict[str, float]
    half_lives: dict[str, float]
    dedupe: tuple[NDArray[np.uint64], NDArray[np.float64]]  # held, insertion order
    latest_s: float
    codes: NDArray[np.str_]

    def to_bytes(self) -> bytes:
        """The snapshot (see the module docstring for the entries)."""
        return self.packed().to_bytes()

    def packed(self) -> Packed:
        """The snapshot laid out for one buffer: ``packed().write_into(buffer)`` copies
        the arrays without holding the interpreter lock."""
        return pack(self.arrays())

    def arrays(self) -> dict[str, NDArray[Any]]:
        """The snapshot's entries (see the module docstring), in their canonical order."""
        arrays: dict[str, NDArray[Any]] = {"format_version": np.array(FORMAT_VERSION)}
        for name, (columns, index) in self.tables.items():
            arrays |= columns
            arrays[f"{name}.index_codes"], arrays[f"{name}.index_rows"] = canonical_entries(*index)
        arrays["companies.names"] = names_array(self.company_names)
        codes, rows = canonical_entries(*self.company_index)
        arrays["companies.index_codes"], arrays["companies.index_rows"] = codes, rows
        arrays["anchors.names"] = np.array(list(self.anchors))
        arrays["anchors.values"] = np.array(list(self.anchors.values()), dtype=np.float64)
        arrays["anchors.half_lives"] = np.array(list(self.half_lives.values()), dtype=np.float64)
        arrays["dedupe.hashes"], arrays["dedupe.times"] = by_hash(*self.dedupe)
        arrays["latest_s"] = np.array(self.latest_s, dtype=np.float64)
        arrays["materials"] = self.codes
        return arrays


def capture(
    state: State,
    anchors: Anchors,
    dedupe: DedupeSet,
    latest_s: float,
    *,
    codes: NDArray[np.str_],
) -> Capture:
    """Copy what the snapshot of this state is written from (see :class:`Capture`)."""
    return Capture(
        tables={
            name: (table.to_arrays(f"{name}."), index.held())
            for name, (table, index) in state.tables().items()
        },
        company_names=state.company_names.held(),
        company_index=state.company_index.held(),
        anchors=dict(anchors.anchor),
        half_lives=dict(anchors.half_life_s),
        dedupe=dedupe.held(),
        latest_s=latest_s,
        codes=codes.copy(),
    )


def snapshot_arrays(data: BytesLike) -> dict[str, NDArray[Any]]:
    """The entries of a snapshot of either format (views into ``data`` for format 2)."""
    packed = bytes(memoryview(data)[: len(MAGIC)]) == MAGIC
    arrays = unpack(data) if packed else _npz_arrays(data)
    version = int(arrays["format_version"])
    expected = FORMAT_VERSION if packed else _NPZ_FORMAT
    if version != expected:
        raise ValueError(f"snapshot format {version}, expected {expected}")
    return arrays


def _npz_arrays(data: BytesLike) -> dict[str, NDArray[Any]]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(f"not a snapshot: {error}") from None


def read_snapshot(
    data: BytesLike, state: State, anchors: Anchors, dedupe: DedupeSet, *, codes: NDArray[np.str_]
) -> float:
    """Load a snapshot into fresh ``state``, ``anchors`` and ``dedupe``; returns latest_s."""
    arrays = snapshot_arrays(data)
    if arrays["materials"].tolist() != codes.tolist():
        raise ValueError("snapshot was taken with another catalogue (material ids differ)")
    names = arrays["anchors.names"].tolist()
    half = dict(zip(names, arrays["anchors.half_lives"].tolist(), strict=True))
    if half != anchors.half_life_s:
        raise ValueError("snapshot was taken with other half-lives; it cannot be rescaled")
    anchors.anchor = dict(zip(names, arrays["anchors.values"].tolist(), strict=True))
    for name, (table, index) in state.tables().items():
        table.load(arrays, f"{name}.")
        index.load(arrays[f"{name}.index_codes"], arrays[f"{name}.index_rows"])
    state.company_names.load(arrays["companies.names"])
    state.company_index.load(arrays["companies.index_codes"], arrays["companies.index_rows"])
    dedupe.load(arrays["dedupe.hashes"], arrays["dedupe.times"])
    state.relink()
    return float(arrays["latest_s"])
