"""Snapshot format: one ``.npz`` archive of plain arrays, read back without pickle.

Entries: ``format_version``; ``<table>.<column>`` for every table column and
``<table>.index_codes`` / ``<table>.index_rows`` for its index; ``companies.names``,
``companies.index_codes`` / ``companies.index_rows``; ``anchors.names``,
``anchors.values``, ``anchors.half_lives``; ``dedupe.hashes`` / ``dedupe.times``;
``latest_s``; ``materials`` (catalogue codes, checked on restore).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoring.decay import Anchors
from scoring.dedupe import DedupeSet
from scoring.state import State

__all__ = ["FORMAT_VERSION", "read_snapshot", "write_snapshot"]

FORMAT_VERSION = 1


def write_snapshot(
    state: State,
    anchors: Anchors,
    dedupe: DedupeSet,
    latest_s: float,
    *,
    codes: NDArray[np.str_],
) -> bytes:
    """Serialise the engine state (see the module docstring for the entries)."""
    arrays: dict[str, NDArray[Any]] = {"format_version": np.array(FORMAT_VERSION)}
    for name, (table, index) in state.tables().items():
        arrays |= table.to_arrays(f"{name}.")
        arrays[f"{name}.index_codes"], arrays[f"{name}.index_rows"] = index.entries()
    arrays["companies.names"] = state.company_names.to_array()
    company_codes, company_rows = state.company_index.entries()
    arrays["companies.index_codes"] = company_codes
    arrays["companies.index_rows"] = company_rows
    arrays["anchors.names"] = np.array(list(anchors.anchor))
    arrays["anchors.values"] = np.array(list(anchors.anchor.values()), dtype=np.float64)
    arrays["anchors.half_lives"] = np.array(list(anchors.half_life_s.values()), dtype=np.float64)
    arrays["dedupe.hashes"], arrays["dedupe.times"] = dedupe.entries()
    arrays["latest_s"] = np.array(latest_s, dtype=np.float64)
    arrays["materials"] = codes
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    return buffer.getvalue()


def read_snapshot(
    data: bytes, state: State, anchors: Anchors, dedupe: DedupeSet, *, codes: NDArray[np.str_]
) -> float:
    """Load a snapshot into fresh ``state``, ``anchors`` and ``dedupe``; returns latest_s."""
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    version = int(arrays["format_version"])
    if version != FORMAT_VERSION:
        raise ValueError(f"snapshot format {version}, expected {FORMAT_VERSION}")
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
