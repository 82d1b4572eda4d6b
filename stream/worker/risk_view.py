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
    parts = []
    for state in states:
        rows = np.arange(state.engine.n_keys, dtype=np.intp)
        material, destination = state.engine.key_labels()
        parts.append(
            RiskView(
                score=state.publish.last_published(rows),
                level=np.maximum(state.publish.levels(rows), 0).astype(np.int8),  # none: low
                material=material,
                destination=destination,
                material_codes=material_codes,
                destination_codes=DESTINATION_CODES,
            )
        )
    return RiskView.concat(parts) if parts else RiskView.empty(material_codes, DESTINATION_CODES)
