"""What to publish after a batch: scores that moved enough, and level transitions.

Both decisions are vectorised over the keys a batch changed and keep their memory in
:class:`PublishState` (per key row: the last published score and the last alerted level),
which is snapshotted with the engine so a restarted worker neither repeats nor skips.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["PublishState", "Transitions", "levels_with_hysteresis"]

_NO_LEVEL = -1


def levels_with_hysteresis(
    score: NDArray[np.float64],
    previous: NDArray[np.int8],
    thresholds: tuple[float, ...],
    hysteresis: float,
) -> NDArray[np.int8]:
    """Level of each score, rising at a threshold but falling only ``hysteresis`` below it.

    ``previous`` is the last level (``-1`` for none). A score hovering at a threshold
    therefore produces one transition, not one per wobble.

    >>> levels_with_hysteresis(np.array([61.0, 59.0, 57.0]), np.array([2, 3, 3], np.int8),
    ...                        (25.0, 45.0, 60.0, 75.0), 2.0).tolist()
    [3, 3, 2]
    """
    edges = np.asarray(thresholds, dtype=np.float64)
    rising = np.searchsorted(edges, score, side="right").astype(np.int8)
    falling = np.searchsorted(edges, score + hysteresis, side="right").astype(np.int8)
    held = np.where(falling < previous, falling, previous)
    return np.where((previous == _NO_LEVEL) | (rising > previous), rising, held).astype(np.int8)


@dataclass(frozen=True, slots=True)
class Transitions:
    """Keys whose alert level changed in a batch."""

    rows: NDArray[np.intp]
    level: NDArray[np.int8]
    previous: NDArray[np.int8]  # -1: the key's first level


class PublishState:
    """Per key row: the last published score (NaN: never) and the last alerted level."""

    def __init__(self, capacity: int = 1024) -> None:
        self._published = np.full(capacity, np.nan)
        self._level = np.full(capacity, _NO_LEVEL, dtype=np.int8)

    def _grow(self, rows: NDArray[np.intp]) -> None:
        needed = int(rows.max()) + 1 if rows.size else 0
        if needed <= self._published.size:
            return
        size = max(needed, 2 * self._published.size)
        self._published = np.concatenate(
            [self._published, np.full(size - self._published.size, np.nan)]
        )
        self._level = np.concatenate(
            [self._level, np.full(size - self._level.size, _NO_LEVEL, dtype=np.int8)]
        )

    def scores_to_publish(
        self, rows: NDArray[np.intp], score: NDArray[np.float64], threshold: float
    ) -> NDArray[np.bool_]:
        """Mask of ``rows`` whose score moved more than ``threshold`` since last published.

        Marks them as published; call it once per batch with each key at most once.
        """
        self._grow(rows)
        last = self._published[rows]
        mask: NDArray[np.bool_] = np.isnan(last) | (np.abs(score - last) > threshold)
        self._published[rows[mask]] = score[mask]
        return mask

    def level_transitions(
        self,
        rows: NDArray[np.intp],
        score: NDArray[np.float64],
        thresholds: tuple[float, ...],
        hysteresis: float,
    ) -> Transitions:
        """The keys of ``rows`` whose level changed; records the new levels.

        A key's first level is a transition too, unless it is ``low``: a new key with
        nothing to worry about is not news.
        """
        self._grow(rows)
        previous = self._level[rows]
        level = levels_with_hysteresis(score, previous, thresholds, hysteresis)
        changed = level != previous
        self._level[rows[changed]] = level[changed]
        alert = changed & ~((previous == _NO_LEVEL) & (level == 0))
        return Transitions(rows[alert], level[alert], previous[alert])

    def last_published(self, rows: NDArray[np.intp]) -> NDArray[np.float64]:
        """The last published score of each row (NaN: never published)."""
        self._grow(rows)
        return self._published[rows]

    def levels(self, rows: NDArray[np.intp]) -> NDArray[np.int8]:
        """The last alerted level of each row (-1: none yet)."""
        self._grow(rows)
        return self._level[rows]

    def copy(self) -> PublishState:
        """An independent copy (e.g. to serialise in another thread)."""
        other = PublishState(0)
        other._published, other._level = self._published.copy(), self._level.copy()
        return other

    def snapshot(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, published=self._published, level=self._level)
        return buffer.getvalue()

    @classmethod
    def restore(cls, data: bytes) -> PublishState:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            state = cls(0)
            state._published = arrays["published"].copy()
            state._level = arrays["level"].copy()
        return state
