"""Alert contract v1: level transitions of a :class:`scoring.ScoreTable` as JSON records."""

from __future__ import annotations

from typing import Any

import numpy as np

from scoring import COMPONENTS, LEVELS, ScoreTable
from stream.codec import encode, format_time
from stream.emission import Transitions
from stream.scores import LEVELS_JSON, encoded_numbers, encoded_strings

__all__ = ["alert_records", "encode_alerts"]


def _parts(table: ScoreTable, transitions: Transitions) -> tuple[Any, ...]:
    """Rows of ``table`` matching the transitions, their scores and top components."""
    at = np.searchsorted(table.rows, transitions.rows)
    top = np.argmax(table.contributions[at], axis=1) if at.size else at
    return at, np.round(table.score[at], 6), top


def alert_records(table: ScoreTable, transitions: Transitions) -> list[dict[str, Any]]:
    """One dict per transition (``transitions.rows`` are rows of ``table``)."""
    at, scores, top = _parts(table, transitions)
    as_of = format_time(table.as_of_s)
    return [
        {
            "company": company,
            "material": material,
            "level": LEVELS[level],
            "previous_level": LEVELS[previous] if previous >= 0 else None,
            "score": score,
            "as_of": as_of,
            "top_component": COMPONENTS[component],
        }
        for company, material, level, previous, score, component in zip(
            table.company[at].tolist(),
            table.material[at].tolist(),
            transitions.level.tolist(),
            transitions.previous.tolist(),
            scores.tolist(),
            top.tolist(),
            strict=True,
        )
    ]


def encode_alerts(table: ScoreTable, transitions: Transitions) -> list[bytes]:
    """:func:`alert_records` encoded, without building the dicts (a template per record).

    Every new key raises an alert (its first level), so a burst of new keys publishes as
    many alerts as scores. The bytes equal ``encode(record)`` for each record of
    :func:`alert_records` (a property test checks it).
    """
    if len(transitions.rows) == 0:
        return []
    at, scores, top = _parts(table, transitions)
    as_of = encode(format_time(table.as_of_s))
    columns = zip(
        encoded_strings(table.company[at].tolist()),
        encoded_strings(table.material[at].tolist()),
        transitions.level.tolist(),
        transitions.previous.tolist(),
        encoded_numbers(scores),
        top.tolist(),
        strict=True,
    )
    return [
        _TEMPLATE
        % (
            as_of,
            company,
            LEVELS_JSON[level],
            material,
            _PREVIOUS[previous],
            score,
            _COMPONENTS[component],
        )
        for company, material, level, previous, score, component in columns
    ]


_PREVIOUS = {-1: encode(None), **dict(enumerate(LEVELS_JSON))}
_COMPONENTS = [encode(name) for name in COMPONENTS]
_TEMPLATE = (
    b'{"as_of":%s,"company":"%s","level":%s,"material":"%s","previous_level":%s,"score":%s,'
    b'"top_component":%s}'
)
