"""Risk figures for Prometheus, computed at scrape time from the engine's arrays.

Per-key scores are on Kafka and the HTTP API, never in Prometheus: one series per
(company, material) would be an unbounded number of series. What Prometheus gets is a
summary whose cardinality is bounded by the catalogue (materials x destinations x 2 levels):

- ``supplyrisk_keys_tracked`` and ``supplyrisk_keys{level}``: keys, per risk level;
- ``supplyrisk_key_score``: a histogram of the current score over keys (buckets 10..100);
- ``supplyrisk_material_score_max{material}`` and ``supplyrisk_material_score_p95{material}``;
- ``supplyrisk_keys_at_risk{material, destination, level}`` for ``level`` in high, critical,
  for every (material, destination) pair that has a key (zeros included, so a rise from
  nothing shows as a rise).

The worker passes a zero-argument callable returning the current :class:`RiskView`; the
collector calls it once per scrape and does the rest with a few vectorised numpy passes
(``bincount``, a radix sort by material, ``np.percentile`` per group), cheap enough at a
million keys for a 15 s scrape interval (``benchmarks/bench_scrape.py``). The arrays must
not change while a scrape reads them: return copies, or scrape on the thread (event loop)
that updates them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from prometheus_client.metrics_core import (
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from scoring.results import LEVELS as SCORE_LEVELS

__all__ = [
    "AT_RISK_LEVELS",
    "LEVELS",
    "SCORE_BUCKETS",
    "RiskCollector",
    "RiskView",
]

LEVELS: Final = SCORE_LEVELS
"""Risk levels, indexed by :attr:`RiskView.level` (the scoring core's, in its order)."""

AT_RISK_LEVELS: Final = ("high", "critical")
"""Levels broken down by material and destination in ``supplyrisk_keys_at_risk``."""

SCORE_BUCKETS: Final = (10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0)
"""Upper bounds of the ``supplyrisk_key_score`` histogram (``+Inf`` is added)."""

_FIRST_AT_RISK: Final = LEVELS.index(AT_RISK_LEVELS[0])


@dataclass(frozen=True, slots=True, eq=False)
class RiskView:
    """The current score of every tracked key, as parallel arrays.

    ``level`` indexes :data:`LEVELS`; ``material`` and ``destination`` index
    ``material_codes`` and ``destination_codes``. Scores are in [0, 100]; a NaN score (a
    key with no evidence yet) is counted in ``supplyrisk_keys`` but not in the score
    figures.
    """

    score: NDArray[np.float64]
    level: NDArray[np.int8]
    material: NDArray[np.int32]
    destination: NDArray[np.int32]
    material_codes: tuple[str, ...]
    destination_codes: tuple[str, ...]

    def __post_init__(self) -> None:
        n = len(self.score)
        columns: dict[str, tuple[NDArray[np.generic], type[np.generic]]] = {
            "score": (self.score, np.float64),
            "level": (self.level, np.int8),
            "material": (self.material, np.int32),
            "destination": (self.destination, np.int32),
        }
        for name, (column, dtype) in columns.items():
            if column.dtype != dtype or column.ndim != 1 or len(column) != n:
                raise ValueError(
                    f"RiskView.{name}: expected 1-d {np.dtype(dtype)} of length {n}, "
                    f"got {column.ndim}-d {column.dtype} of length {len(column)}"
                )
        _check_index("level", self.level, len(LEVELS))
        _check_index("material", self.material, len(self.material_codes))
        _check_index("destination", self.destination, len(self.destination_codes))

    def __len__(self) -> int:
        return len(self.score)

    @classmethod
    def empty(
        cls, material_codes: tuple[str, ...] = (), destination_codes: tuple[str, ...] = ()
    ) -> RiskView:
        """A view with no keys."""
        return cls(
            score=np.empty(0, np.float64),
            level=np.empty(0, np.int8),
            material=np.empty(0, np.int32),
            destination=np.empty(0, np.int32),
            material_codes=material_codes,
            destination_codes=destination_codes,
        )

    @classmethod
    def from_labels(
        cls,
        score: NDArray[np.float64],
        level: NDArray[np.int8],
        material: NDArray[np.str_],
        destination: NDArray[np.str_],
    ) -> RiskView:
        """A view from per-key code strings (the code tables are their sorted distinct values).

        ``np.unique`` over strings costs a sort: fine for thousands of keys; at a million,
        pass the engine's integer indices to the constructor instead.
        """
        materials, material_index = np.unique(material, return_inverse=True)
        destinations, destination_index = np.unique(destination, return_inverse=True)
        return cls(
            score=score,
            level=level,
            material=material_index.astype(np.int32).reshape(-1),
            destination=destination_index.astype(np.int32).reshape(-1),
            material_codes=tuple(str(c) for c in materials),
            destination_codes=tuple(str(c) for c in destinations),
        )

    @classmethod
    def concat(cls, parts: list[RiskView]) -> RiskView:
        """The keys of ``parts`` (e.g. one view per partition) in one view.

        Code tables are merged in order of first appearance and each part's indices are
        remapped with one lookup, so parts may have different tables.
        """
        material_codes = _merged(p.material_codes for p in parts)
        destination_codes = _merged(p.destination_codes for p in parts)
        if not parts:
            return cls.empty()
        material_at = {code: i for i, code in enumerate(material_codes)}
        destination_at = {code: i for i, code in enumerate(destination_codes)}
        return cls(
            score=np.concatenate([p.score for p in parts]),
            level=np.concatenate([p.level for p in parts]),
            material=np.concatenate(
                [_remap(p.material, p.material_codes, material_at) for p in parts]
            ),
            destination=np.concatenate(
                [_remap(p.destination, p.destination_codes, destination_at) for p in parts]
            ),
            material_codes=material_codes,
            destination_codes=destination_codes,
        )


def _merged(tables: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(code for table in tables for code in table))


def _remap(
    index: NDArray[np.int32], codes: tuple[str, ...], position: dict[str, int]
) -> NDArray[np.int32]:
    lookup = np.array([position[c] for c in codes], dtype=np.int32)
    if np.array_equal(lookup, np.arange(len(codes))):  # e.g. parts sharing one table
        return index
    return lookup[index]


def _check_index(name: str, column: NDArray[np.integer], size: int) -> None:
    if len(column) and (int(column.min()) < 0 or int(column.max()) >= size):
        raise ValueError(f"RiskView.{name}: indices must be in [0, {size})")


class RiskCollector(Collector):
    """A Prometheus collector of bounded-cardinality risk figures over a :class:`RiskView`."""

    def __init__(self, view: Callable[[], RiskView]) -> None:
        self._view = view

    def describe(self) -> Iterator[Metric]:
        # Declaring the families lets the registry check names without calling the view.
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        view = self._view()
        (
            tracked,
            keys,
            key_score,
            score_max,
            score_p95,
            at_risk,
        ) = self._families()

        tracked.add_metric([], float(len(view)))
        yield tracked

        per_level = np.bincount(view.level, minlength=len(LEVELS))
        for name, count in zip(LEVELS, per_level.tolist(), strict=True):
            keys.add_metric([name], float(count))
        yield keys

        scored = view.score[~np.isnan(view.score)] if len(view) else view.score
        key_score.add_metric([], _cumulative_buckets(scored), sum_value=float(scored.sum()))
        yield key_score

        for code, top, p95 in _material_max_p95(view):
            score_max.add_metric([code], top)
            score_p95.add_metric([code], p95)
        yield score_max
        yield score_p95

        for labels, count in _at_risk_counts(view):
            at_risk.add_metric(list(labels), count)
        yield at_risk

    @staticmethod
    def _families() -> tuple[
        GaugeMetricFamily,
        GaugeMetricFamily,
        HistogramMetricFamily,
        GaugeMetricFamily,
        GaugeMetricFamily,
        GaugeMetricFamily,
    ]:
        return (
            GaugeMetricFamily("supplyrisk_keys_tracked", "(company, material) keys scored."),
            GaugeMetricFamily("supplyrisk_keys", "Keys at each risk level.", labels=["level"]),
            HistogramMetricFamily(
                "supplyrisk_key_score", "Current supply-risk score (0-100) over keys."
            ),
            GaugeMetricFamily(
                "supplyrisk_material_score_max",
                "Highest current score of any key of the material.",
                labels=["material"],
            ),
            GaugeMetricFamily(
                "supplyrisk_material_score_p95",
                "95th percentile (linear interpolation) of the material's key scores.",
                labels=["material"],
            ),
            GaugeMetricFamily(
                "supplyrisk_keys_at_risk",
                "Keys at high or critical level per material and destination country.",
                labels=["material", "destination", "level"],
            ),
        )


def _cumulative_buckets(scores: NDArray[np.float64]) -> list[tuple[str, float]]:
    # One comparison pass per bound beats a searchsorted over a million unsorted scores.
    below = [float(np.count_nonzero(scores <= bound)) for bound in SCORE_BUCKETS]
    labels = [*(f"{b:g}" for b in SCORE_BUCKETS), "+Inf"]
    return list(zip(labels, [*below, float(len(scores))], strict=True))


def _material_max_p95(view: RiskView) -> Iterator[tuple[str, float, float]]:
    """(material code, max, p95) for each material with at least one scored key."""
    keep = ~np.isnan(view.score)
    score, material = view.score[keep], view.material[keep]
    if not len(score):
        return
    # Group by material with a stable sort of a narrow integer key (numpy radix-sorts 16-bit
    # keys in linear time), then take each group's max and percentile by partitioning
    # (linear too): 10x cheaper than np.lexsort at 1M keys. A catalogue has far fewer than
    # 2**15 materials; wider ones fall back to the comparison sort.
    key = material.astype(np.int16) if len(view.material_codes) < 2**15 else material
    grouped = score[np.argsort(key, kind="stable")]
    counts = np.bincount(material, minlength=len(view.material_codes))
    ends = np.cumsum(counts)
    for m in np.flatnonzero(counts).tolist():
        group = grouped[ends[m] - counts[m] : ends[m]]
        yield view.material_codes[m], float(group.max()), float(np.percentile(group, 95))


def _at_risk_counts(view: RiskView) -> Iterator[tuple[tuple[str, str, str], float]]:
    """((material, destination, level), keys) for every pair present, zeros included."""
    n_dest = max(len(view.destination_codes), 1)
    n_pairs = len(view.material_codes) * n_dest
    pair = view.material.astype(np.int64) * n_dest + view.destination
    present = np.flatnonzero(np.bincount(pair, minlength=n_pairs))
    risky = view.level >= _FIRST_AT_RISK
    slot = pair[risky] * len(AT_RISK_LEVELS) + (view.level[risky] - _FIRST_AT_RISK)
    counts = np.bincount(slot, minlength=n_pairs * len(AT_RISK_LEVELS))
    counts = counts.reshape(n_pairs, len(AT_RISK_LEVELS))[present]
    for p, row in zip(present.tolist(), counts.tolist(), strict=True):
        material = view.material_codes[p // n_dest]
        destination = view.destination_codes[p % n_dest]
        for level, count in zip(AT_RISK_LEVELS, row, strict=True):
            yield (material, destination, level), float(count)
