"""The HTTP API's answers, computed from partition states: (status, JSON body) pairs.

Pure functions of the states and the request's parameters, so the routing layer stays a
few lines and the answers are tested without a web server. A worker answers for the keys
of the partitions it holds; with several workers, ask the one that owns the key's
partition, or read the compacted ``supplyrisk.scores`` topic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from scoring import LEVELS
from stream.codec import parse_time
from stream.errors import DecodeError
from stream.scores import score_records
from stream.worker.partition_state import PartitionState

__all__ = ["MAX_TOP", "one_score", "top_scores"]

MAX_TOP = 1000
Answer = tuple[int, dict[str, Any]]


def _error(status: int, message: str, **details: Any) -> Answer:
    return status, {"error": message, **details}


def one_score(
    states: Iterable[PartitionState], company: str, material: str, as_of: str | None
) -> Answer:
    """``GET /scores/{company}/{material}[?as_of=RFC3339]``."""
    as_of_s: float | None = None
    if as_of is not None:
        try:
            as_of_s = parse_time(as_of)
        except DecodeError as error:
            return _error(400, "bad as_of", detail=str(error))
    for state in states:
        row = state.engine.lookup(np.array([company]), np.array([material]))
        if row[0] >= 0:
            table = state.engine.scores(row, as_of_s=as_of_s)
            return 200, score_records(table)[0]
    return _error(404, "unknown key", company=company, material=material)


def top_scores(states: Iterable[PartitionState], query: Mapping[str, str]) -> Answer:
    """``GET /scores?top=N&material=M&level=L``: the N riskiest keys, highest first."""
    try:
        top = int(query.get("top", "10"))
    except ValueError:
        return _error(400, "top must be an integer")
    if not 1 <= top <= MAX_TOP:
        return _error(400, f"top must be between 1 and {MAX_TOP}")
    level = query.get("level")
    if level is not None and level not in LEVELS:
        return _error(400, f"level must be one of {', '.join(LEVELS)}")
    material = query.get("material")
    unknown = set(query) - {"top", "material", "level"}
    if unknown:
        return _error(400, f"unknown parameter(s): {', '.join(sorted(unknown))}")
    states = list(states)
    # One as_of for every row: the latest event time of any partition held here.
    latest = [s.engine.latest_time_s for s in states if s.engine.n_keys]
    as_of_s = max(latest) if latest else None
    found: list[dict[str, Any]] = []
    for state in states:
        table = state.engine.scores(as_of_s=as_of_s)
        keep = np.ones(len(table), dtype=bool)
        if material is not None:
            keep &= table.material == material
        if level is not None:
            keep &= table.level == LEVELS.index(level)
        rows = np.flatnonzero(keep)
        best = rows[np.argsort(-table.score[rows], kind="stable")[:top]]
        if best.size:
            found += score_records(state.engine.scores(table.rows[best], as_of_s=as_of_s))
    found.sort(key=lambda r: (-r["score"], r["company"], r["material"]))
    return 200, {"scores": found[:top], "count": min(len(found), top)}
