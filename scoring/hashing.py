"""Stable 64-bit hashes and fixed-width codes computed from numpy string arrays.

Python's ``hash()`` of a string is salted per process, so it cannot identify an event
across a snapshot and a restore in another process. These hashes depend only on the
code points of the strings: FNV-1a over the UCS4 code points, then the SplitMix64
finaliser so that nearby inputs spread over the whole 64-bit range.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "N_COUNTRIES",
    "avalanche",
    "country_codes",
    "mix",
    "stable_hash",
    "string_lengths",
]

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)

_TRIM_MIN_ROWS = 64

# Two upper-case letters: 26 * 26 codes; N_COUNTRIES itself is free for sentinels.
N_COUNTRIES = 26 * 26


def _code_points(strings: NDArray[np.str_]) -> NDArray[np.uint32]:
    """``(n, width)`` UCS4 code points (zero padded) of a unicode array."""
    array = np.ascontiguousarray(strings)
    width = array.dtype.itemsize // 4
    if width == 0:
        return np.zeros((len(array), 0), dtype=np.uint32)
    return array.view(np.uint32).reshape(len(array), width)


def _code_words(strings: NDArray[np.str_]) -> NDArray[np.uint64]:
    """``(words, n)`` words of two code points each, one row per word position.

    Trailing code-point columns that are NUL in every string are left out: numpy pads to
    the array's width, which may exceed its longest string (``np.char.add``, a fixed
    dtype), and each word costs passes over the batch. One copy, of the used columns only.
    """
    points = _code_points(strings)
    n, width = points.shape
    if n == 0 or width == 0:
        return np.zeros((0, n), dtype=np.uint64)
    used = width
    # Worth a check per column only when a word costs more than the check (max: faster
    # than any on a strided column).
    while n >= _TRIM_MIN_ROWS and used and not points[:, used - 1].max():
        used -= 1
    pairs, odd = divmod(used, 2)
    words = np.empty((pairs + odd, n), dtype=np.uint64)
    # Word j of string i starts at byte 4 * width * i + 8 * j (unaligned when width is odd).
    words[:pairs] = np.ndarray((pairs, n), np.uint64, points, 0, (8, 4 * width))
    if odd:
        words[pairs] = points[:, used - 1]
    return words


def _finalise(h: NDArray[np.uint64]) -> NDArray[np.uint64]:
    h = h ^ (h >> np.uint64(30))
    h = h * _MIX1
    h = h ^ (h >> np.uint64(27))
    h = h * _MIX2
    return h ^ (h >> np.uint64(31))


def stable_hash(strings: NDArray[np.str_]) -> NDArray[np.uint64]:
    """64-bit hash of each string, the same in every process and for every array width.

    All-NUL pairs of code points are skipped (numpy pads with NULs), so the padding of a wider
    array does not change a string's hash.

    Examples
    --------
    >>> a = stable_hash(np.array(["ev-1", "ev-2"]))
    >>> b = stable_hash(np.array(["ev-1", "a much longer event id"]))
    >>> bool(a[0] == b[0]), bool(a[0] == a[1])
    (True, False)
    >>> hex(int(stable_hash(np.array(["Dy"]))[0]))
    '0x981e4ca29edcf5f7'
    """
    if len(strings) == 0:  # most batches lack most kinds: skip the passes
        return np.empty(0, dtype=np.uint64)
    words = _code_words(strings)
    h = np.full(words.shape[1], _FNV_OFFSET, dtype=np.uint64)
    step = np.empty_like(h)
    # Which word positions hold no padding in any string: one pass, not one per position.
    full = np.asarray(words.all(axis=1), dtype=np.bool_)
    for word, no_padding in zip(words, full.tolist(), strict=True):
        # Padding words are all zero: skipping them makes the hash independent of width.
        np.bitwise_xor(h, word, out=step)
        np.multiply(step, _FNV_PRIME, out=step)
        if no_padding:
            h, step = step, h
        else:
            h = np.where(word != 0, step, h)
    return _finalise(h)


def avalanche(h: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64 finaliser: spreads structured 64-bit codes over the whole range.

    Examples
    --------
    >>> a = avalanche(np.array([1, 2], dtype=np.uint64))
    >>> bool(a[0] != a[1]) and bool((a > 2**32).all())
    True
    """
    return _finalise(np.asarray(h, dtype=np.uint64))


def mix(h: NDArray[np.uint64], value: NDArray[np.integer]) -> NDArray[np.uint64]:
    """Combine hashes with integers (e.g. a news row's ``part``) into new hashes.

    Examples
    --------
    >>> h = stable_hash(np.array(["n-1", "n-1"]))
    >>> m = mix(h, np.array([0, 1]))
    >>> bool(m[0] != m[1]), bool(m[0] != h[0])
    (True, True)
    """
    v = np.asarray(value).astype(np.int64).view(np.uint64)
    return _finalise(h ^ _finalise(v * _GOLDEN + _GOLDEN))


def country_codes(strings: NDArray[np.str_]) -> tuple[NDArray[np.int16], NDArray[np.bool_]]:
    """ISO alpha-2 strings as codes ``0 .. 675`` and a mask of well-formed ones.

    A well-formed code is exactly two upper-case ASCII letters; other rows get code -1.

    Examples
    --------
    >>> codes, ok = country_codes(np.array(["CN", "jp", "", "USA"]))
    >>> codes.tolist(), ok.tolist()
    ([65, -1, -1, -1], [True, False, False, False])
    """
    points = _code_points(strings).astype(np.int64)
    n, width = points.shape
    if width < 2:
        return np.full(n, -1, dtype=np.int16), np.zeros(n, dtype=np.bool_)
    first, second = points[:, 0] - 65, points[:, 1] - 65
    ok = (first >= 0) & (first < 26) & (second >= 0) & (second < 26)
    if width > 2:
        ok &= ~points[:, 2:].any(axis=1)
    codes = np.where(ok, first * 26 + second, -1).astype(np.int16)
    return codes, ok


def string_lengths(strings: NDArray[np.str_]) -> NDArray[np.int64]:
    """Length in characters of each string.

    Examples
    --------
    >>> string_lengths(np.array(["", "ab", "abc"])).tolist()
    [0, 2, 3]
    """
    return np.asarray(np.strings.str_len(strings), dtype=np.int64)
