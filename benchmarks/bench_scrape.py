"""Benchmark of a Prometheus scrape with the risk collector, against baselines in the same run.

Builds a seeded :class:`~stream.risk_metrics.RiskView` of N keys (scores from a beta
distribution, levels from the score, 40 materials, 30 destinations) and measures, best of
``--repeat`` runs each:

(a) ``np.sort`` of the score array (the floor of any order statistic over the keys),
(b) a scrape (``generate_latest``) of a registry holding only ``Metrics.create``,
(c) a scrape of the same registry plus the risk collector over the N keys,

then prints the figures, (c) - (b) (the collector's own cost) and the ratios (c)/(a),
(c)/(b). A scrape every 15 s can afford a few hundred milliseconds per worker.

    python benchmarks/bench_scrape.py                 # 100k keys
    python benchmarks/bench_scrape.py --keys 1000000  # the 1M-key target
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from prometheus_client import CollectorRegistry, generate_latest

from stream.metrics import Metrics
from stream.risk_metrics import LEVELS, RiskCollector, RiskView

LEVEL_BOUNDS = (25.0, 45.0, 65.0, 80.0)  # low | moderate | elevated | high | critical


def make_view(n: int, seed: int, materials: int = 40, destinations: int = 30) -> RiskView:
    rng = np.random.default_rng(seed)
    score = 100.0 * rng.beta(2.0, 5.0, n)
    level = np.searchsorted(LEVEL_BOUNDS, score, side="right").astype(np.int8)
    assert int(level.max()) < len(LEVELS)
    return RiskView(
        score=score,
        level=level,
        material=rng.integers(0, materials, n).astype(np.int32),
        destination=rng.integers(0, destinations, n).astype(np.int32),
        material_codes=tuple(f"M{i:02d}" for i in range(materials)),
        destination_codes=tuple(f"D{i:02d}" for i in range(destinations)),
    )


def service_registry() -> CollectorRegistry:
    """The service's metrics with the series of three topics of eight partitions."""
    registry = CollectorRegistry()
    metrics = Metrics.create(registry)
    for topic in ("supplyrisk.shipments", "supplyrisk.licence-decisions", "supplyrisk.news"):
        metrics.prepare_topic(topic)
        for partition in range(8):
            metrics.consumer_lag.labels(topic=topic, partition=str(partition)).set(0)
    return registry


def best_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1000.0 * min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=100_000, help="keys in the view")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    view = make_view(args.keys, args.seed)
    base, full = service_registry(), service_registry()
    full.register(RiskCollector(lambda: view))

    sort_ms = best_ms(lambda: np.sort(view.score), args.repeat)
    base_ms = best_ms(lambda: generate_latest(base), args.repeat)
    full_ms = best_ms(lambda: generate_latest(full), args.repeat)
    payload = generate_latest(full)
    series = sum(1 for line in payload.splitlines() if line and not line.startswith(b"#"))

    print(f"keys                         {args.keys:>12,}")
    print(f"(a) np.sort(score)           {sort_ms:>12.2f} ms")
    print(f"(b) scrape, service metrics  {base_ms:>12.2f} ms")
    print(f"(c) scrape, + risk collector {full_ms:>12.2f} ms")
    print(f"    collector's own cost     {full_ms - base_ms:>12.2f} ms")
    print(f"    ratio (c)/(a)            {full_ms / sort_ms:>12.2f}")
    print(f"    ratio (c)/(b)            {full_ms / base_ms:>12.2f}")
    print(f"    exposition               {len(payload):>12,} bytes, {series:,} samples")


if __name__ == "__main__":
    main()
