"""The worker's keys as a :class:`stream.risk_metrics.RiskView`, for the risk metrics.

Scores are the last published ones (within the emission threshold of the live index) and
levels the alerted ones (with hysteresis), so Prometheus shows what the scores and alerts
topics show, at the cost of copying a few arrays per scrape instead of rescoring.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from stream.risk_metrics import RiskView
from stream.worker.partition_state import PartitionState

__all__ = ["DESTINATION_CODES", "risk_view"]

# Every ISO alpha-2 shape in the engine's order (26 * letter1 + letter2), then "unknown".
DESTINATION_CODES: tuple[str, ...] = (
    *(chr(65 + i // 26) + chr(65 + i % 26) for i in range(26 * 26)),
    "unknown",
)


def risk_view(states: Iterable[PartitionState], material_codes: tuple[str, ...]) -> RiskView:
    """A copy of every held key's score, level, material and destination."""
    scores, levels, materials, destinations = [], [], [], []
    for state in states:
        rows = np.arange(state.engine.n_keys, dtype=np.intp)
        material, destination = state.engine.key_labels()
        scores.append(state.publish.last_published(rows))
        levels.append(np.maximum(state.publish.levels(rows), 0))  # none yet: low
        materials.append(material)
        destinations.append(destination)
    if not scores:
        return RiskView(
            np.empty(0), np.empty(0, np.int8), np.empty(0, np.int32), np.empty(0, np.int32),
            material_codes, DESTINATION_CODES,
        )  # fmt: skip
    return RiskView(
        score=np.concatenate(scores),
        level=np.concatenate(levels).astype(np.int8),
        material=np.concatenate(materials),
        destination=np.concatenate(destinations),
        material_codes=material_codes,
        destination_codes=DESTINATION_CODES,
    )
