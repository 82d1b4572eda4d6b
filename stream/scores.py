"""Score contract v1: render a :class:`scoring.ScoreTable` as JSON records."""

from __future__ import annotations

from typing import Any

import numpy as np

from scoring import COMPONENTS, LEVELS, ScoreTable
from stream.codec import encode, format_time

__all__ = ["SCORE_CONTRACT_VERSION", "encode_scores", "score_records"]

SCORE_CONTRACT_VERSION = 1


def score_records(table: ScoreTable) -> list[dict[str, Any]]:
    """One dict per row of ``table`` (score contract v1; floats rounded to 6 places).

    Rounding each number keeps ``sum(contributions) == score`` to within 5e-6 points;
    adjusting one term to force exact float equality only moves the error elsewhere.
    """
    as_of = format_time(table.as_of_s)
    scores = np.round(table.score, 6)
    components = np.round(table.components, 6)
    contributions = np.round(table.contributions, 6)
    levels = [LEVELS[i] for i in table.level.tolist()]
    return [
        {
            "company": company,
            "material": material,
            "score": score,
            "level": level,
            "components": dict(zip(COMPONENTS, parts, strict=True)),
            "contributions": dict(zip(COMPONENTS, points, strict=True)),
            "as_of": as_of,
            "events": events,
        }
        for company, material, score, level, parts, points, events in zip(
            table.company.tolist(),
            table.material.tolist(),
            scores.tolist(),
            levels,
            components.tolist(),
            contributions.tolist(),
            table.events.tolist(),
            strict=True,
        )
    ]


def encode_scores(table: ScoreTable) -> list[bytes]:
    """:func:`score_records` encoded, one JSON document per row."""
    return [encode(record) for record in score_records(table)]
