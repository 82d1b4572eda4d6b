"""Column-wise validation of decoded event fields (the edge's shape and type checks).

Each check takes one field's values for every event of a kind (a list or tuple) and a
list of reasons (``None`` = still valid) and writes a reason into the rows it rejects,
keeping the first reason of a row. Checks work on whole columns: C-level ``map``/``set``
over the values, and per-row Python only on the rows that turn out to be bad.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Reasons",
    "check_alpha2",
    "check_enum",
    "check_number",
    "check_string",
    "enum_codes",
    "is_alpha2",
    "number_column",
]

Reasons = list[str | None]
_NUMBER_TYPES = frozenset({int, float})


def _mark(reasons: Reasons, rows: Sequence[int] | NDArray[np.intp], reason: str) -> None:
    for i in rows:
        if reasons[i] is None:
            reasons[i] = reason


def check_string(
    values: Sequence[object],
    reasons: Reasons,
    name: str,
    *,
    max_len: int,
    optional: bool = False,
) -> None:
    """Strings of 1..``max_len`` characters (``None`` allowed when ``optional``)."""
    reason = f"{name} must be a string of 1 to {max_len} characters"
    types = set(map(type, values))
    if types <= {str}:
        lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))  # type: ignore[arg-type]
        _mark(reasons, np.flatnonzero((lengths < 1) | (lengths > max_len)), reason)
        return
    bad = [
        i
        for i, v in enumerate(values)
        if not (type(v) is str and 1 <= len(v) <= max_len) and not (optional and v is None)
    ]
    _mark(reasons, bad, reason)


def is_alpha2(value: object) -> bool:
    """An ISO 3166-1 alpha-2 shaped code: two upper-case ASCII letters."""
    return (
        type(value) is str
        and len(value) == 2
        and value.isascii()
        and value.isalpha()
        and value.isupper()
    )


def check_alpha2(
    values: Sequence[object], reasons: Reasons, name: str, *, optional: bool = False
) -> None:
    """ISO alpha-2 codes; few distinct values, so each distinct value is checked once."""
    try:
        bad_values = {v for v in set(values) if not is_alpha2(v) and not (optional and v is None)}
    except TypeError:  # an unhashable value (list, object): check row by row
        bad = [i for i, v in enumerate(values) if not (is_alpha2(v) or (optional and v is None))]
        _mark(reasons, bad, f"{name} must be an ISO 3166-1 alpha-2 code")
        return
    if bad_values:
        bad = [i for i, v in enumerate(values) if _in(v, bad_values)]
        _mark_each(reasons, values, bad, f"{name} must be an ISO 3166-1 alpha-2 code, got ")


def check_enum(
    values: Sequence[object], reasons: Reasons, name: str, allowed: Mapping[str, int]
) -> None:
    """Values among the keys of ``allowed``."""
    try:
        bad_values = {v for v in set(values) if not (type(v) is str and v in allowed)}
    except TypeError:
        bad_values = None
    if bad_values is None or bad_values:
        bad = [i for i, v in enumerate(values) if not (type(v) is str and v in allowed)]
        choices = " | ".join(allowed)
        _mark_each(reasons, values, bad, f"{name} must be one of {choices}, got ")


def enum_codes(values: Sequence[object], allowed: Mapping[str, int]) -> NDArray[np.int8]:
    """int8 codes of already-valid enum values."""
    return np.fromiter(map(allowed.__getitem__, values), dtype=np.int8, count=len(values))  # type: ignore[arg-type]


def check_number(
    values: Sequence[object],
    reasons: Reasons,
    name: str,
    *,
    high: float = math.inf,
    optional: bool = False,
) -> NDArray[np.float64]:
    """Finite numbers in [0, ``high``] (``None`` -> NaN when ``optional``); the column."""
    column = number_column(values)
    bad = np.isnan(column)
    if optional:
        bad &= np.fromiter((v is not None for v in values), dtype=np.bool_, count=len(values))
    bad |= ~np.isnan(column) & ((column < 0) | (column > high))
    if bad.any():
        span = "≥ 0" if math.isinf(high) else f"in [0, {high:g}]"
        _mark(reasons, np.flatnonzero(bad), f"{name} must be a finite number {span}")
    return column


def number_column(values: Sequence[object]) -> NDArray[np.float64]:
    """float64 of numeric values; NaN for anything else (None, strings, booleans, inf)."""
    n = len(values)
    if set(map(type, values)) <= _NUMBER_TYPES:
        try:
            column = np.array(values, dtype=np.float64)
        except OverflowError:
            pass
        else:
            column[~np.isfinite(column)] = np.nan
            return column
    column = np.full(n, np.nan)
    for i, v in enumerate(values):
        if type(v) in _NUMBER_TYPES:
            number = float(v)  # type: ignore[arg-type]
            if math.isfinite(number):
                column[i] = number
    return column


def _in(value: object, bad_values: set[object]) -> bool:
    try:
        return value in bad_values
    except TypeError:
        return True


def _mark_each(reasons: Reasons, values: Sequence[object], rows: list[int], prefix: str) -> None:
    for i in rows:
        if reasons[i] is None:
            reasons[i] = prefix + repr(values[i])[:60]
