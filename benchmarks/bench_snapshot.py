"""Benchmark of what saving a partition costs the worker's event loop, on a real broker.

Every snapshot interval the worker saves each changed partition state to the state
topic while its event loop goes on handling fetches. Measured in one run, against a
baseline measured in the same run:

(service)  the worker's save (``stream.worker.saving.Saving``: the state copied on the
           loop, serialised in a thread, its chunks written to the state topic) while a
           probe task on the same loop sleeps 1 ms at a time: the longest stall the
           probe sees, the 99th percentile of its oversleep, and the save's wall time;
(thread)   how fast a busy loop in the main thread runs while another thread serialises
           the state, as the save does: packed (the snapshot format) against the same
           arrays written as an ``.npz`` archive (the earlier format), in % of its speed
           alone: what the serialising thread leaves to the event loop;
(baseline) serialising the same state on the loop (``PartitionState.to_bytes``), which
           the probe cannot interrupt: the stall a save would cause serialising inline.
           Also the time of the copy taken under the runtime's lock
           (``PartitionState.capture``, in a thread): how long fetches wait for a save.

    python benchmarks/bench_snapshot.py                  # a partition of 250k keys
    python benchmarks/bench_snapshot.py --keys 50000

Uses KAFKA_BOOTSTRAP_SERVERS when set, else starts the local broker on port 19392.
Prints figures and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faust.types import TP
from prometheus_client import CollectorRegistry
from stream_load import broker, create_topic, seeded_state

from config.settings import load_settings
from stream.metrics import Metrics
from stream.worker.outbox import Outbox
from stream.worker.output import OutputProducer
from stream.worker.partition_state import PartitionState, StateCapture
from stream.worker.saving import Saving
from stream.worker.state_store import StateStore


class _Committer:
    async def commit_offsets(self, offsets: dict[TP, int]) -> bool:
        return True


async def probed(work: asyncio.Future[object] | asyncio.Task[object]) -> list[float]:
    """Oversleep (ms) of each 1 ms sleep on this loop until ``work`` is done."""
    lags: list[float] = []
    while not work.done():
        started = time.perf_counter()
        await asyncio.sleep(0.001)
        lags.append((time.perf_counter() - started) * 1e3 - 1.0)
    await work
    return lags


async def measure(bootstrap: str, state: PartitionState, repeats: int) -> None:
    topic = f"bench-state-{time.time_ns()}"
    await create_topic(bootstrap, topic, partitions=1)
    output = OutputProducer(bootstrap, {})
    outbox = Outbox(output)
    store = StateStore(topic, bootstrap, {})
    metrics = Metrics.create(CollectorRegistry())
    saving = Saving(store, outbox, asyncio.Lock(), {0: state}, interval_s=0.0, metrics=metrics)
    try:
        await output.prepare([topic])
        inline_ms, copy_ms, stalls, p99s, walls = [], [], [], [], []
        for _ in range(repeats):
            started = time.perf_counter()
            size = len(state.to_bytes())
            inline_ms.append((time.perf_counter() - started) * 1e3)
            started = time.perf_counter()
            state.capture()
            copy_ms.append((time.perf_counter() - started) * 1e3)

            state.changes = 1
            started = time.perf_counter()
            saving.start(time.monotonic(), _Committer())
            lags = await probed(asyncio.ensure_future(saving.finish(None)))
            walls.append((time.perf_counter() - started) * 1e3)
            stalls.append(max(lags))
            p99s.append(float(np.percentile(lags, 99)))
    finally:
        await outbox.close()
        await output.stop()
    print(f"partition of {state.engine.n_keys:,} keys, snapshot {size / 1e6:.1f} MB, "
          f"best / worst of {repeats} saves")  # fmt: skip
    print(f"    baseline: serialising on the loop       stall {min(inline_ms):7.1f} / "
          f"{max(inline_ms):7.1f} ms")  # fmt: skip
    print(f"    service:  save, longest loop stall      {min(stalls):7.1f} / {max(stalls):7.1f} ms"
          f"   (p99 oversleep of a 1 ms sleep {min(p99s):.1f} / {max(p99s):.1f} ms)")  # fmt: skip
    print(f"              copy under the lock (fetches wait) {min(copy_ms):7.1f} / "
          f"{max(copy_ms):7.1f} ms")  # fmt: skip
    print(f"              save wall time, to the state topic {min(walls):7.1f} / "
          f"{max(walls):7.1f} ms")  # fmt: skip
    ratio = min(inline_ms) / max(min(stalls), 1e-3)
    print(f"    ratio: the inline stall is {ratio:.1f} x the save's longest stall (best runs)")


def _spin(seconds: float) -> tuple[int, float]:
    """Iterations of a small pure-Python loop in ``seconds``, and its longest gap (ms)."""
    n, gap, end = 0, 0.0, time.perf_counter() + seconds
    last = time.perf_counter()
    while (now := time.perf_counter()) < end:
        gap, last = max(gap, now - last), now
        sum(range(200))
        n += 1
    return n, gap * 1e3


def _npz(capture: StateCapture) -> None:
    np.savez(io.BytesIO(), allow_pickle=False, **capture.engine.arrays())


def thread_share(state: PartitionState, repeats: int) -> None:
    """Main-thread speed while a thread serialises a copy of the state (taken before, as
    the save takes it on the loop), for both formats."""
    sys.setswitchinterval(load_settings({}).worker.switch_interval_s)  # as the worker
    alone, _ = _spin(1.0)
    window_s = 0.6
    for label, work in (
        ("packed (the snapshot format)", StateCapture.to_buffer),
        (".npz of the same arrays     ", _npz),
    ):
        speeds, gaps = [], []
        for _ in range(repeats):
            thread = threading.Thread(target=work, args=(state.capture(),))
            thread.start()
            n, gap = _spin(window_s)
            thread.join()
            speeds.append(n / alone / window_s * 100)
            gaps.append(gap)
        print(f"    thread writing {label}: main thread at {min(speeds):4.0f}-"
              f"{max(speeds):4.0f} % of its speed, longest gap {max(gaps):6.1f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=250_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    state = seeded_state(0, args.keys)
    with broker() as bootstrap:
        asyncio.run(measure(bootstrap, state, args.repeats))
    thread_share(state, args.repeats)


if __name__ == "__main__":
    main()
