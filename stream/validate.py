"""Column-wise validation of decoded event fields (the edge's shape and type checks).

Each check takes one field's values for every event of a kind (a list or tuple) and the
batch's reasons (row -> first reason found; rows absent are still valid), records a
reason for the rows it rejects, and returns the column as a numpy array when the field
is used. Checks work on whole columns: C-level ``map``/``set`` and numpy string ufuncs
over the values; per-row Python runs only for columns that contain a bad value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MAX_COMPANY",
    "MAX_EVENT_ID",
    "MAX_MATERIAL",
    "MAX_SHORT",
    "Reasons",
    "check_alpha2",
    "check_enum",
    "check_number",
    "check_string",
    "is_alpha2",
    "joined_strings",
    "number_column",
    "string_column",
]

Reasons = dict[int, str]
# Longest strings accepted (characters), per field of the event contract.
MAX_EVENT_ID = 128
MAX_COMPANY = 200
MAX_MATERIAL = 32
MAX_SHORT = 200  # supplier, authority, source
_NUMBER_TYPES = frozenset({int, float})
_NUMBER_OR_NONE = frozenset({int, float, type(None)})
_STRING_OR_NONE = frozenset({str, type(None)})


def _mark(reasons: Reasons, rows: Iterable[int], reason: str) -> None:
    for i in rows:
        reasons.setdefault(int(i), reason)


def string_column(
    values: Sequence[object],
    reasons: Reasons,
    name: str,
    *,
    max_len: int,
    optional: bool = False,
) -> NDArray[np.str_]:
    """Strings of 1..``max_len`` characters as a unicode array ("" where absent or bad).

    ``None`` (absent) is allowed when ``optional``. NUL characters are refused: numpy
    unicode arrays drop trailing NULs, so "id\\0" and "id" would become one value.
    """
    reason = f"{name} must be a string of 1 to {max_len} characters"
    joined = joined_strings(values)
    all_strings = joined is not None
    types = {str} if all_strings else set(map(type, values))
    strings = values if all_strings else [v if type(v) is str else "" for v in values]
    if joined is None:
        joined = "".join(strings)  # type: ignore[arg-type]
    if "\x00" in joined:
        with_nul = [i for i, v in enumerate(strings) if "\x00" in v]  # type: ignore[operator]
        _mark(reasons, with_nul, f"{name} must not contain NUL characters")
    # The lengths first: numpy then copies into a unicode array of known width, about
    # twice as fast as when it must find the width itself.
    lengths = np.fromiter(map(len, strings), dtype=np.intp, count=len(strings))  # type: ignore[arg-type]
    oversized = lengths > max_len
    if oversized.any():
        # Left out of the column (and rejected below): a long value would widen every row
        # (one 100k-character id among 2,000 events made a 0.8 GB array, in 5 s).
        strings = ["" if long else v for v, long in zip(strings, oversized.tolist(), strict=True)]
    width = int(lengths[~oversized].max(initial=1))
    column = np.array(strings, dtype=f"<U{width}")
    absent = (
        np.zeros(len(column), dtype=np.bool_)
        if all_strings
        else np.fromiter(map(_is_none, values), dtype=np.bool_, count=len(values))
    )
    if not (all_strings or (optional and types <= _STRING_OR_NONE)):
        bad_type = [
            i for i, v in enumerate(values) if type(v) is not str and not (optional and v is None)
        ]
        _mark(reasons, bad_type, reason)
        absent[bad_type] = True
    empty = (lengths < 1) & ~absent
    if empty.any():
        _mark(reasons, np.flatnonzero(empty).tolist(), reason)
    if oversized.any():  # its own reason: too long is a different fault from missing
        _mark(
            reasons, np.flatnonzero(oversized).tolist(), f"{name} longer than {max_len} characters"
        )
    return column


def check_string(values: Sequence[object], reasons: Reasons, name: str, *, max_len: int) -> None:
    """Optional strings of 1..``max_len`` characters that the columns do not keep.

    Checks types and lengths without building an array; only a column with a bad value
    goes through :func:`string_column` to find the rows.
    """
    types = {str} if joined_strings(values) is not None else set(map(type, values))
    if types <= _STRING_OR_NONE:
        present = values if type(None) not in types else [v for v in values if v is not None]
        if not present or (min(map(len, present)) >= 1 and max(map(len, present)) <= max_len):  # type: ignore[arg-type]
            return
    string_column(values, reasons, name, max_len=max_len, optional=True)


def joined_strings(values: Sequence[object]) -> str | None:
    """All the values joined when every one is a string, else None: the type check of a
    whole column in one C call (``set(map(type, ...))`` costs about three times more).

    >>> joined_strings(["CN", "JP"]), joined_strings(["CN", None])
    ('CNJP', None)
    """
    try:
        return "".join(values)  # type: ignore[arg-type]
    except TypeError:
        return None


def _is_none(value: object) -> bool:
    return value is None


def is_alpha2(value: object) -> bool:
    """An ISO 3166-1 alpha-2 shaped code: two upper-case ASCII letters."""
    return (
        type(value) is str
        and len(value) == 2
        and value.isascii()
        and value.isalpha()
        and value.isupper()
    )


def check_alpha2(values: Sequence[object], reasons: Reasons, name: str) -> NDArray[np.str_]:
    """ISO alpha-2 codes, as a unicode array; each distinct value is checked once."""
    prefix = f"{name} must be an ISO 3166-1 alpha-2 code, got "
    try:
        bad_values = {v for v in set(values) if not is_alpha2(v)}
    except TypeError:  # an unhashable value (list, object): check row by row
        bad_values = None
    if bad_values is None or bad_values:
        bad = [i for i, v in enumerate(values) if not is_alpha2(v)]
        _mark_each(reasons, values, bad, prefix)
        return np.array([v if is_alpha2(v) else "" for v in values], dtype="<U2")
    return np.array(values, dtype="<U2")


def check_enum(
    values: Sequence[object], reasons: Reasons, name: str, allowed: Mapping[str, int]
) -> NDArray[np.int8]:
    """int8 codes of values among the keys of ``allowed`` (-1 where rejected)."""
    try:
        bad_values = {v for v in set(values) if not (type(v) is str and v in allowed)}
    except TypeError:
        bad_values = None
    if bad_values is None or bad_values:
        bad = [i for i, v in enumerate(values) if not (type(v) is str and v in allowed)]
        choices = " | ".join(allowed)
        _mark_each(reasons, values, bad, f"{name} must be one of {choices}, got ")
        codes = [allowed.get(v, -1) if type(v) is str else -1 for v in values]
        return np.array(codes, dtype=np.int8)
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
    column, clean = _numbers(values)
    if clean:  # every NaN is a None
        bad = (column < 0) | (column > high)
        if not optional:
            bad |= np.isnan(column)
    else:
        bad = np.isnan(column)
        if optional:
            bad &= ~np.fromiter(map(_is_none, values), dtype=np.bool_, count=len(values))
        bad |= ~np.isnan(column) & ((column < 0) | (column > high))
    if bad.any():
        span = "≥ 0" if math.isinf(high) else f"in [0, {high:g}]"
        _mark(reasons, np.flatnonzero(bad).tolist(), f"{name} must be a finite number {span}")
    return column


def number_column(values: Sequence[object]) -> NDArray[np.float64]:
    """float64 of numeric values; NaN for anything else (None, strings, booleans, inf)."""
    return _numbers(values)[0]


def _numbers(values: Sequence[object]) -> tuple[NDArray[np.float64], bool]:
    """The column, and whether every value was a finite number or None."""
    types = set(map(type, values))
    if types <= {type(None)}:  # an optional field nobody sent
        return np.full(len(values), np.nan), True
    if types <= _NUMBER_OR_NONE:  # numpy reads None as NaN
        try:
            column = np.array(values, dtype=np.float64)
        except OverflowError:
            pass
        else:
            if not np.isinf(column).any():
                return column, True
    column = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        if type(v) in _NUMBER_TYPES:
            try:
                number = float(v)  # type: ignore[arg-type]
            except OverflowError:
                continue
            if math.isfinite(number):
                column[i] = number
    return column, False


def _mark_each(reasons: Reasons, values: Sequence[object], rows: list[int], prefix: str) -> None:
    for i in rows:
        reasons.setdefault(i, prefix + repr(values[i])[:60])
