"""The scoring engine: vectorised state updates and scores per (company, material)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from scoring.catalogue import Catalogue
from scoring.columns import EventBatch
from scoring.params import ScoringParams
from scoring.results import COMPONENTS, LEVELS, ApplyResult, Rejections, ScoreTable

__all__ = ["COMPONENTS", "LEVELS", "ApplyResult", "Engine", "Rejections", "ScoreTable"]


class Engine:
    """Supply-risk state of every (company, material) key (work in progress)."""

    def __init__(self, catalogue: Catalogue, params: ScoringParams) -> None:
        self.catalogue = catalogue
        self.params = params

    def apply(self, batch: EventBatch, *, now_s: float | None = None) -> ApplyResult:
        """Validate, dedupe and apply one micro-batch."""
        raise NotImplementedError

    def scores(
        self, rows: NDArray[np.intp] | None = None, *, as_of_s: float | None = None
    ) -> ScoreTable:
        """Scores of ``rows`` (every key when ``None``) at ``as_of_s``."""
        raise NotImplementedError

    def lookup(self, company: NDArray[np.str_], material: NDArray[np.str_]) -> NDArray[np.intp]:
        """Key rows of (company, material) pairs; -1 for unknown keys."""
        raise NotImplementedError

    @property
    def n_keys(self) -> int:
        """Number of keys seen."""
        return 0

    @property
    def latest_time_s(self) -> float:
        """Latest event time applied (NaN before any)."""
        return float("nan")

    def snapshot(self) -> bytes:
        """The whole state as bytes."""
        raise NotImplementedError

    @classmethod
    def restore(cls, data: bytes, catalogue: Catalogue, params: ScoringParams) -> Engine:
        """An engine from :meth:`snapshot` bytes."""
        raise NotImplementedError
