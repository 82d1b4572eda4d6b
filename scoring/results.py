"""What the engine hands back: rejections, apply results and score tables."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["COMPONENTS", "LEVELS", "ApplyResult", "Rejections", "ScoreTable"]

LEVELS: tuple[str, ...] = ("low", "moderate", "elevated", "high", "critical")
COMPONENTS: tuple[str, ...] = (
    "concentration",
    "flow_disruption",
    "licence_pressure",
    "policy",
    "criticality",
)


@dataclass(frozen=True, slots=True)
class Rejections:
    """Events refused by validation: never silently dropped.

    Examples
    --------
    >>> len(Rejections.empty())
    0
    """

    kind: NDArray[np.str_]  # "shipment" | "licence_decision" | "news" | "profile"
    index: NDArray[np.intp]  # row in the corresponding column record of the batch
    event_id: NDArray[np.str_]
    reason: NDArray[np.str_]  # short human-readable reason

    def __len__(self) -> int:
        return len(self.index)

    @classmethod
    def empty(cls) -> Rejections:
        """No rejections."""
        nothing = np.empty(0, dtype="<U1")
        return cls(nothing, np.empty(0, dtype=np.intp), nothing, nothing)


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """Outcome of :meth:`scoring.engine.Engine.apply` on one batch."""

    changed: NDArray[np.intp]  # key rows whose state changed (sorted, unique)
    rejected: Rejections
    applied: int  # events applied (after dedupe)
    duplicates: int  # events skipped as already seen


@dataclass(frozen=True, slots=True)
class ScoreTable:
    """One row per requested key; ``contributions`` rows sum to ``score``."""

    rows: NDArray[np.intp]
    company: NDArray[np.str_]
    material: NDArray[np.str_]
    score: NDArray[np.float64]  # 0..100
    level: NDArray[np.int8]  # index into LEVELS
    components: NDArray[np.float64]  # (n, len(COMPONENTS)) each in [0, 1]
    contributions: NDArray[np.float64]  # (n, len(COMPONENTS)) points; rows sum to score
    events: NDArray[np.int64]  # events that touched each key
    as_of_s: float

    def __len__(self) -> int:
        return len(self.rows)
