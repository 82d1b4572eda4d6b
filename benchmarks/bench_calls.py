"""Benchmark of what a call to the scoring core costs besides its events.

Each figure against a baseline measured in the same run:

(d) small batches, as the stream hands a partition's share of a fetch to its engine:
    ``apply`` + ``scores`` of the changed keys for batches of 12 to 1,000 shipments of new
    keys on an engine of 40k keys -> µs per call and per event, against the per-event
    cost of the same calls in batches of 10,000 (the cost of a call that is not per event);
(e) ``scores`` of 96 keys, half of them of unknown sourcing, as company-named news
    accumulates 1k to 100k policy cells, against the same call with no cells (what a
    call's cost grows with besides the keys scored);
(f) ``apply`` of 48 shipments and 2 profiles of known keys on engines of 40k and 400k
    keys, against the same call on the smaller engine (a profile replaces its key's
    declared shares: that must cost its key's lanes, not the whole lane table).

Parts (a) to (c) are in ``bench_core.py``, whose synthetic catalogue this one uses.

    python benchmarks/bench_calls.py
"""

from __future__ import annotations

import time

import numpy as np
from bench_core import COUNTRIES, MATERIALS, T0, catalogue

from scoring import Engine, EventBatch, PolicySignals, Profiles, ScoringParams, Shipments


def _shipments(start: int, n: int, prefix: str) -> Shipments:
    k = np.arange(start, start + n)
    return Shipments(
        np.char.add(f"{prefix}-", k.astype(str)), T0 + k.astype(np.float64),
        np.array([f"{prefix}-co-{i // 4}" for i in k]), np.array(MATERIALS)[k % 4],
        np.array(COUNTRIES)[k % 3], np.full(n, "JP"), np.full(n, 100.0), np.ones(n, np.int8),
    )  # fmt: skip


def bench_small_batches(n_keys: int = 40_000, repeats: int = 5) -> None:
    engine = Engine(catalogue(), ScoringParams())
    engine.apply(EventBatch.of(shipments=_shipments(0, n_keys, "seed")))
    start = n_keys

    def per_call(size: int, calls: int) -> float:
        nonlocal start
        batches = []
        for _ in range(calls):
            batches.append(EventBatch.of(shipments=_shipments(start, size, "new")))
            start += size
        began = time.perf_counter()
        for b in batches:
            engine.scores(engine.apply(b).changed)
        return (time.perf_counter() - began) / calls

    per_call(48, 20)  # warm up
    large = min(per_call(10_000, 1) for _ in range(repeats)) / 10_000
    print(f"(d) small batches of new keys on an engine of {n_keys:,} keys (apply + scores)")
    print(f"    batches of 10,000: {large * 1e6:8.2f} us per event (baseline)")
    for size in (12, 48, 200, 1_000):
        t = min(per_call(size, max(3, 2_000 // size)) for _ in range(repeats))
        print(f"    batches of {size:>6,}: {t * 1e6:8.0f} us per call, {t / size * 1e6:8.1f} us "
              f"per event = {t / size / large:6.1f} x the baseline")  # fmt: skip


def bench_news_cells(
    n_keys: int = 40_000, sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
) -> None:
    engine = Engine(catalogue(), ScoringParams())
    engine.apply(EventBatch.of(shipments=_shipments(0, n_keys, "seed")))
    k = np.arange(48)  # keys of unknown sourcing (a profile, no shipments): every actor counts
    engine.apply(EventBatch.of(profiles=Profiles(
        np.char.add("p-", k.astype(str)), np.full(48, T0), np.char.add("unsourced-", k.astype(str)),
        np.full(48, "Dy"), np.full(48, "JP"), np.full(48, np.nan), np.full(48, np.nan),
    )))  # fmt: skip
    rows = np.concatenate([np.arange(0, n_keys, n_keys // 48)[:48], np.arange(n_keys, n_keys + 48)])

    def best_of(repeats: int = 20) -> float:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            engine.scores(rows)
            times.append(time.perf_counter() - start)
        return min(times)

    floor, held = best_of(), 0
    print("(e) scores() of 96 keys (48 of unknown sourcing) against company-named news cells")
    print(f"    no news cells   {floor * 1e6:8.0f} us (baseline)")
    for size in sizes:  # a cell per news row: each names another company
        i = np.arange(held, size)
        engine.apply(EventBatch.of(signals=PolicySignals(
            np.char.add("news-", i.astype(str)), np.zeros(len(i), np.int32),
            T0 + i.astype(np.float64), np.full(len(i), "CN"), np.array(MATERIALS)[i % 4],
            np.full(len(i), ""), np.char.add("named-co-", i.astype(str)),
            np.zeros(len(i), np.int8), np.full(len(i), 0.5),
        )))  # fmt: skip
        held = size
        engine.scores(rows)  # the first read after news sums the cells once
        t = best_of()
        print(f"    {len(engine._state.policy_cells):>7,} cells   {t * 1e6:8.0f} us = "
              f"{t / floor:5.1f} x the baseline")  # fmt: skip


def bench_profile_calls(sizes: tuple[int, ...] = (40_000, 400_000), calls: int = 200) -> None:
    print("(f) apply of 48 shipments + 2 profiles of known keys, by the engine's size")
    floor = 0.0
    for n_keys in sizes:
        engine = Engine(catalogue(), ScoringParams())
        for start in range(0, n_keys, 100_000):
            size = min(100_000, n_keys - start)
            engine.apply(EventBatch.of(shipments=_shipments(start, size, "seed")))
        batches = []
        for i in range(calls):
            j = (i * 2 + np.arange(2)) * 997 % n_keys  # keys seeded above
            profiles = Profiles(
                np.char.add(f"p-{i}-", j.astype(str)), np.full(2, T0 + n_keys + i),
                np.array([f"seed-co-{x // 4}" for x in j]), np.array(MATERIALS)[j % 4],
                np.full(2, "JP"), np.full(2, np.nan), np.full(2, 30.0),
            )  # fmt: skip
            shipments = _shipments(n_keys + i * 48, 48, "new")
            batches.append(EventBatch.of(shipments=shipments, profiles=profiles))
        began = time.perf_counter()
        for b in batches:
            engine.apply(b)
        t = (time.perf_counter() - began) / calls
        floor = floor or t
        print(f"    {n_keys:>9,} keys {t * 1e6:8.0f} us per call = {t / floor:5.1f} x the baseline")


def main() -> None:
    bench_small_batches()
    bench_news_cells()
    bench_profile_calls()


if __name__ == "__main__":
    main()
