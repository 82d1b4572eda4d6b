"""``supplyrisk run`` without a cluster: a local broker, a worker, the scenario, a live table.

Everything it starts it stops again, in reverse order, on success, on error and on
Ctrl-C; a broker that was already running before it is left running.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from config.settings import Settings
from stream.errors import StreamError
from stream.localkafka import LocalKafka
from stream.progress import ProgressBar
from stream.replay import replay_file
from stream.topics import create_topics

__all__ = ["DEFAULT_SCENARIO", "render_table", "run_demo"]

DEFAULT_SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "rare-earths-2025-2026.jsonl"


def render_table(scores: list[dict[str, Any]]) -> str:
    """The riskiest keys as a fixed-width text table, with their two largest contributions."""
    lines = [f"{'company':<28} {'mat':<7} {'score':>5}  {'level':<9} top components"]
    for record in scores:
        parts = sorted(record["contributions"].items(), key=lambda kv: -kv[1])[:2]
        why = ", ".join(f"{name} {points:.1f}" for name, points in parts)
        lines.append(
            f"{record['company'][:28]:<28} {record['material'][:7]:<7} "
            f"{record['score']:5.1f}  {record['level']:<9} {why}"
        )
    as_of = scores[0]["as_of"] if scores else "-"
    return f"riskiest keys as of {as_of}\n" + "\n".join(lines)


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None
    except OSError:
        return 0, None


@contextlib.contextmanager
def _local_broker(settings: Settings, out: TextIO) -> Iterator[str]:
    local = settings.local_kafka
    broker = LocalKafka(local.version, local.port, local.cache_dir, local.heap_mb)
    already = broker.status().running
    print(f"starting a local Apache Kafka {local.version} on 127.0.0.1:{local.port} "
          "(first run: fetching the jars with Maven)..." if not already else
          f"using the local broker already running at {broker.bootstrap}", file=out,
          flush=True)  # fmt: skip
    status = broker.start()
    try:
        yield status.bootstrap
    finally:
        if not already:
            broker.stop()
            print("stopped the local broker", file=out)


@contextlib.contextmanager
def _worker(bootstrap: str, port: int, log_file: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "SUPPLYRISK_WEB_PORT": str(port)}
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "stream.cli", "worker", "--loglevel", "warn"],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(process: subprocess.Popen[bytes], port: int, log_file: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StreamError(f"the worker exited with {process.returncode} (log: {log_file})")
        if _get(port, "/readyz")[0] == 200:
            return
        time.sleep(0.5)
    raise StreamError(f"the worker was not ready within 120 s (log: {log_file})")


def _top(port: int, top: int) -> list[dict[str, Any]]:
    status, body = _get(port, f"/scores?top={top}")
    return list(body["scores"]) if status == 200 and body else []


def run_demo(settings: Settings, events: Path, rate: float | None, top: int, out: TextIO) -> int:
    """Broker → topics → worker → replay with progress → live table → clean stop."""
    if not events.is_file():
        raise StreamError(f"no such events file: {events}")
    port = settings.worker.web_port
    if not _port_free(port):
        port = _free_port()
    log_file = settings.local_kafka.cache_dir / "worker.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with _local_broker(settings, out) as bootstrap:
        created, _ = asyncio.run(create_topics(bootstrap, settings.kafka, settings.topics))
        print(f"topics ready ({len(created)} created)", file=out, flush=True)
        with _worker(bootstrap, port, log_file) as process:
            _wait_ready(process, port, log_file)
            print(f"worker ready: http://127.0.0.1:{port}/scores?top={top} (log: {log_file})",
                  file=out, flush=True)  # fmt: skip
            with events.open("rb") as handle:
                total = sum(1 for line in handle if line.strip())
            bar = ProgressBar(total, out, label="replay")
            last_table = [0.0]

            def progress(sent: int) -> None:
                bar.update(sent)
                if time.monotonic() - last_table[0] >= 3.0 and (rows := _top(port, top)):
                    last_table[0] = time.monotonic()
                    out.write("\n" + render_table(rows) + "\n")
                    out.flush()

            report = asyncio.run(
                replay_file(events, bootstrap, settings.kafka, settings.topics, rate=rate,
                            on_progress=progress)
            )  # fmt: skip
            bar.close()
            final = _settled(port, top)
            print(f"\nreplayed {report.sent} events ({len(report.skipped)} lines skipped)",
                  file=out)  # fmt: skip
            print(render_table(final), file=out)
    return 0


def _settled(port: int, top: int, quiet_s: float = 3.0, timeout_s: float = 60.0) -> list[Any]:
    """The top table once it has stopped changing for ``quiet_s`` (the worker caught up)."""
    deadline = time.monotonic() + timeout_s
    last, since = _top(port, top), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        current = _top(port, top)
        if current != last:
            last, since = current, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            break
    return last
