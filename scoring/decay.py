"""Exponentially decayed sums in event time, anchored so they never overflow.

An event at time ``t`` with value ``x`` contributes ``x * 2**(-(T - t) / h)`` at evaluation
time ``T``. Sums are stored relative to an anchor ``A``: ``S = sum(x * 2**((t - A) / h))``,
and read as ``S * 2**((A - T) / h)``. Whatever the order events arrive in, the stored sum is
the same set of terms, so results depend on the set of events only (up to the rounding of
additions, far below 1e-9 relative).

The anchor moves forward on a grid of ``ANCHOR_STEP`` half-lives: moving it multiplies a
stored sum by ``2**-(k * ANCHOR_STEP)``, an exact power of two, so rebasing adds no rounding
and does not depend on when it happened. Between moves an event's weight is at most
``2**ANCHOR_STEP``, far from overflow; terms older than ~1000 half-lives underflow to 0.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = ["ANCHOR_STEP", "MAX_READ_BACK", "Anchors", "anchor_for", "decay_factor", "weights"]

ANCHOR_STEP = 32  # half-lives per anchor grid step
# Reading a sum at a time before its anchor extrapolates it (a factor above 1). The factor
# is capped at 2**MAX_READ_BACK, i.e. a read that many half-lives back: read decades back,
# a shipment's sums overflowed to inf and the score to NaN, and so far back the components
# have long saturated anyway.
MAX_READ_BACK = 256.0


def anchor_for(latest_s: float, half_life_s: float) -> float:
    """The anchor for sums with ``half_life_s`` once events up to ``latest_s`` are seen.

    Examples
    --------
    >>> anchor_for(100.0, 1.0), anchor_for(-1.0, 1.0)
    (96.0, -32.0)
    """
    step = ANCHOR_STEP * half_life_s
    return math.floor(latest_s / step) * step


def weights(
    time_s: NDArray[np.float64], anchor_s: float, half_life_s: float
) -> NDArray[np.float64]:
    """``2**((t - anchor) / h)``: each event's weight in a sum anchored at ``anchor_s``.

    Examples
    --------
    >>> weights(np.array([0.0, 10.0, 20.0]), 20.0, 10.0).tolist()
    [0.25, 0.5, 1.0]
    """
    return np.exp2((np.asarray(time_s, dtype=np.float64) - anchor_s) / half_life_s)


def decay_factor(from_s: float, to_s: float, half_life_s: float) -> float:
    """``2**((from - to) / h)``: rebases a sum anchored at ``from_s`` to ``to_s``.

    Exact (a power of two) when the anchors differ by whole ``ANCHOR_STEP`` grid steps.

    Examples
    --------
    >>> decay_factor(0.0, 64.0, 2.0) == 2.0**-32
    True
    """
    return float(np.exp2((from_s - to_s) / half_life_s))


class Anchors:
    """One anchor per decay family (a named half-life), moved forward on the grid.

    Examples
    --------
    >>> a = Anchors({"policy": 10.0})
    >>> a.advance(1000.0)
    {'policy': 1.0}
    >>> a.anchor["policy"], a.advance(1000.0 + 320.0)
    (960.0, {'policy': 2.3283064365386963e-10})
    """

    __slots__ = ("anchor", "half_life_s")

    def __init__(self, half_life_s: dict[str, float]) -> None:
        self.half_life_s = dict(half_life_s)
        self.anchor = dict.fromkeys(half_life_s, math.nan)

    def advance(self, latest_s: float) -> dict[str, float]:
        """Move anchors for events up to ``latest_s``; the factor to rebase each family."""
        factors = {}
        for name, h in self.half_life_s.items():
            new = anchor_for(latest_s, h)
            old = self.anchor[name]
            if math.isnan(old):
                self.anchor[name] = new
                factors[name] = 1.0
            elif new > old:
                self.anchor[name] = new
                factors[name] = decay_factor(old, new, h)
            else:
                factors[name] = 1.0
        return factors

    def weights(self, name: str, time_s: NDArray[np.float64]) -> NDArray[np.float64]:
        """Weights of events at ``time_s`` in the sums of family ``name``."""
        return weights(time_s, self.anchor[name], self.half_life_s[name])

    def read_factor(self, name: str, as_of_s: float) -> float:
        """Factor turning a stored sum of family ``name`` into its value at ``as_of_s``
        (at most ``2**MAX_READ_BACK``, for a time long before the anchor).

        >>> a = Anchors({"flow": 1.0})
        >>> _ = a.advance(100.0)
        >>> a.read_factor("flow", 98.0), a.read_factor("flow", -1e9) == 2.0**MAX_READ_BACK
        (0.25, True)
        """
        anchor = self.anchor[name]
        if math.isnan(anchor):
            return 0.0
        half_lives = min((anchor - as_of_s) / self.half_life_s[name], MAX_READ_BACK)
        return float(np.exp2(half_lives))
