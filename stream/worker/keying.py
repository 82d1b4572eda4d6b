"""Company-scoped events that arrived on a partition other than their company's home.

Such an event is taken out of the batch (no partition state scores it where it landed)
and forwarded, unchanged, to its home partition of the same topic, where it is scored
like any other record (:mod:`stream.homes` explains why). A forward is an output like a
score: acknowledged before the input offset that carried it is committed, so it is never
lost, and sending it again after a crash is harmless (the engine drops duplicate ids).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoring import EventBatch
from stream.deadletter import Outgoing
from stream.events import BATCH_FIELDS
from stream.homes import HomePartitions

__all__ = ["FORWARDED_FROM", "Forward", "forward", "without_misplaced"]

Forward = tuple[int, int]  # (position of the record in its batch, home partition)
FORWARDED_FROM = "supplyrisk.forwarded_from"  # header: "<partition>/<offset>" of the original

# Kinds whose rows belong to their company's partition. A licence decision without a
# company (country-wide) belongs to every partition; a profile's shares go with it.
_SCOPED = ("shipment", "licence_decision", "profile")


def without_misplaced(
    landed: int,
    batch: EventBatch,
    positions: dict[str, NDArray[np.int64]],
    partitions: int,
    homes: HomePartitions,
) -> tuple[EventBatch, dict[str, NDArray[np.int64]], list[Forward]]:
    """The batch without its misplaced rows, their positions, and where each goes.

    ``partitions`` is the partition count of the records' topic; ``landed`` is the
    partition they all landed on.
    """
    misplaced: list[NDArray[np.int64]] = []
    home_of: list[NDArray[np.int64]] = []
    for kind in _SCOPED:
        company = getattr(batch, BATCH_FIELDS[kind]).company
        if len(company) == 0:
            continue
        scoped = company != ""
        at = positions[kind][scoped]
        home = homes.of(company[scoped].tolist(), partitions)
        wrong = home != landed
        if wrong.any():
            misplaced.append(at[wrong])
            home_of.append(home[wrong])
    if not misplaced:
        return batch, positions, []
    moved, first = np.unique(np.concatenate(misplaced), return_index=True)
    forwards = list(zip(moved.tolist(), np.concatenate(home_of)[first].tolist(), strict=True))
    kept: dict[str, Any] = {}
    kept_positions = dict(positions)
    for kind, name in BATCH_FIELDS.items():
        column, at = getattr(batch, name), positions[kind]
        if len(column):
            keep = ~np.isin(at, moved)
            column, kept_positions[kind] = column.take(keep), at[keep]
        kept[name] = column
    return EventBatch(**kept), kept_positions, forwards


def forward(topic: str, record: Any, home: int) -> Outgoing:
    """The record, unchanged, for its home partition of ``topic``."""
    origin = f"{record.partition}/{record.offset}".encode()
    return Outgoing(topic, record.key, record.value or b"", ((FORWARDED_FROM, origin),), home)
