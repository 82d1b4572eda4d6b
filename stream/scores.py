"""Score contract v1: render a :class:`scoring.ScoreTable` as JSON records."""

from __future__ import annotations

from typing import Any

import numpy as np

from scoring import COMPONENTS, LEVELS, ScoreTable
from stream.codec import encode, format_time

__all__ = [
    "LEVELS_JSON",
    "SCORE_CONTRACT_VERSION",
    "encode_scores",
    "encoded_numbers",
    "encoded_strings",
    "score_records",
]

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
    """:func:`score_records` encoded, one JSON document per row, without building the dicts.

    The hot path of the worker publishes thousands of score records per batch, so this
    renders them from the columns with a fixed template: every number goes through one
    :func:`stream.codec.encode` call per column (so it is written exactly as the codec
    writes it), strings through one call each. The bytes equal ``encode(record)`` for
    each record of :func:`score_records` (a property test checks it).
    """
    if len(table) == 0:
        return []
    components = np.round(table.components, 6)
    contributions = np.round(table.contributions, 6)
    columns = [
        *(encoded_numbers(components[:, i]) for i in _SORTED_COMPONENTS),
        *(encoded_numbers(contributions[:, i]) for i in _SORTED_COMPONENTS),
        encoded_numbers(table.events),
        [LEVELS_JSON[i] for i in table.level.tolist()],
        encoded_strings(table.material.tolist()),
        encoded_numbers(np.round(table.score, 6)),
    ]
    as_of = encode(format_time(table.as_of_s))
    companies = encoded_strings(table.company.tolist())
    return [
        _TEMPLATE % (as_of, company, *values)
        for company, values in zip(companies, zip(*columns, strict=True), strict=True)
    ]


LEVELS_JSON = [encode(level) for level in LEVELS]  # each level as the codec writes it


def encoded_numbers(values: np.ndarray) -> list[bytes]:
    """Each float as the codec writes it (one encode call for the whole column).

    >>> encoded_numbers(np.array([0.5, 1.0, 1e-7]))
    [b'0.5', b'1.0', b'1e-7']
    """
    text = encode(values.tolist())
    return text[1:-1].split(b",") if len(values) else []


def encoded_strings(values: list[str]) -> list[bytes]:
    r"""Each string as the codec writes it, without its quotes (one encode call for all).

    The list's JSON text is split at ``","``. Inside a string a quote is always escaped,
    so a text without ``\",`` has no ``","`` but the separators; with one (a string
    holding ``",``) each string is encoded alone.

    >>> encoded_strings(["Dy", 'say "hi"', "ü"])
    [b'Dy', b'say \\"hi\\"', b'\xc3\xbc']
    >>> encoded_strings(['a",', "b"])
    [b'a\\",', b'b']
    """
    if not values:
        return []
    text = encode(values)
    if b'\\",' not in text:
        return text[2:-2].split(b'","')
    return [encode(value)[1:-1] for value in values]


# Keys in the codec's (sorted) order; the component columns follow the names' order.
_SORTED_COMPONENTS = sorted(range(len(COMPONENTS)), key=lambda i: COMPONENTS[i])
_COMPONENT_SLOTS = b",".join(b'"%s":%%s' % COMPONENTS[i].encode() for i in _SORTED_COMPONENTS)
_TEMPLATE = (
    b'{"as_of":%s,"company":"%s","components":{' + _COMPONENT_SLOTS + b'},"contributions":{'
    + _COMPONENT_SLOTS + b'},"events":%s,"level":%s,"material":"%s","score":%s}'
)  # fmt: skip
