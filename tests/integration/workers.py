"""Run real ``supplyrisk worker`` processes against the test broker, and talk to them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import unique

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "rare-earths-2025-2026.jsonl"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def service_env(bootstrap: str, data_dir: Path, partitions: int = 4) -> dict[str, str]:
    """Settings of one isolated deployment: its own topics, group and state."""
    prefix = unique("sr")
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "SUPPLYRISK_APP_ID": prefix.replace(".", "-"),
        "SUPPLYRISK_PARTITIONS": str(partitions),
        "SUPPLYRISK_DATA_DIR": str(data_dir),
        "SUPPLYRISK_SNAPSHOT_INTERVAL_S": "1",
        "SUPPLYRISK_SESSION_TIMEOUT_S": "6",
        "SUPPLYRISK_WEB_HOST": "127.0.0.1",
    }
    for name in ("SHIPMENTS", "LICENCE_DECISIONS", "NEWS", "PROFILES", "SCORES", "ALERTS", "STATE"):
        env[f"SUPPLYRISK_TOPIC_{name}"] = f"{prefix}.{name.lower().replace('_', '-')}"
    return env


def cli(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "stream.cli", *args],
        env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"supplyrisk {' '.join(args)}: {result.stderr[-2000:]}"
    return result


class WorkerProcess:
    """One worker process with its own web port and log file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stream.cli", "worker", "--loglevel", "warn"],
            env={**env, "SUPPLYRISK_WEB_PORT": str(self.port)},
            stdout=self._log, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip

    def get(self, path: str, **query: str) -> tuple[int, Any]:
        url = f"http://127.0.0.1:{self.port}{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        try:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
                body = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            body, status = error.read(), error.code
        if path == "/metrics":
            return status, body.decode()
        return status, json.loads(body)

    def try_get(self, path: str, **query: str) -> tuple[int, Any]:
        """Like :meth:`get`, but ``(0, {})`` while the web server is not up yet."""
        try:
            return self.get(path, **query)
        except OSError:
            return 0, {}

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, timeout_s: float = 120, partitions: int | None = None) -> list[int]:
        """Wait for /readyz (and, when given, for that many partitions); return them."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.assert_alive()
            status, body = self.try_get("/readyz")
            if status == 200 and (partitions is None or len(body["partitions"]) == partitions):
                return list(body["partitions"])
            time.sleep(0.5)
        pytest.fail(f"worker not ready within {timeout_s}s; log tail:\n{self.tail()}")

    def assert_alive(self) -> None:
        if not self.alive():
            pytest.fail(f"worker exited with {self.process.returncode}:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def kill(self) -> None:
        """SIGKILL: no shutdown, no final snapshot. Its reader process must then exit on
        its own."""
        children = children_of(self.process.pid)
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self._log.close()
        wait_gone(children, "after its worker was killed")

    def stop(self) -> None:
        children = children_of(self.process.pid)
        terminate(self.process)
        self._log.close()
        wait_gone(children, "after its worker stopped")


def children_of(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (the worker's reader process)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (an exited process not yet reaped is a zombie, ``Z``)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_gone(pids: set[int], when: str, timeout_s: float = 30) -> None:
    """Wait for ``pids`` to exit; fail naming those still running."""
    deadline = time.monotonic() + timeout_s
    while (left := {p for p in pids if _running(p)}) and time.monotonic() < deadline:
        time.sleep(0.2)
    if left:
        pytest.fail(f"processes {sorted(left)} still run {timeout_s:g}s {when}")


def terminate(process: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    """SIGTERM and wait (a graceful stop); SIGKILL if it does not stop in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def offline_scores(
    env: dict[str, str], events: Path, tmp: Path, as_of: str | None = None
) -> dict[tuple[str, str], dict[str, Any]]:
    """``supplyrisk score`` over the same events: the reference the stream must equal."""
    out = tmp / f"offline-{unique('scores')}.jsonl"
    args = ["score", "--events", str(events), "--out", str(out)]
    if as_of is not None:
        args += ["--as-of", as_of]
    cli(env, *args)
    records = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    return {(r["company"], r["material"]): r for r in records}


def stream_scores(
    workers: list[WorkerProcess], keys: list[tuple[str, str]], as_of: str
) -> dict[tuple[str, str], dict[str, Any]]:
    """Each key's score at ``as_of`` from whichever worker holds it."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for company, material in keys:
        path = "/scores/" + "/".join(urllib.parse.quote(p, safe="") for p in (company, material))
        for worker in workers:
            status, body = worker.get(path, as_of=as_of)
            if status == 200:
                assert (company, material) not in found, "a key is held by two workers"
                found[(company, material)] = body
    return found


def wait_until_caught_up(
    workers: list[WorkerProcess],
    expected: dict[tuple[str, str], dict[str, Any]],
    timeout_s: float = 180,
) -> dict[tuple[str, str], dict[str, Any]]:
    """Wait until every key's event count equals the reference; return the stream's view."""
    as_of = next(iter(expected.values()))["as_of"]
    deadline = time.monotonic() + timeout_s
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    while time.monotonic() < deadline:
        for worker in workers:
            worker.assert_alive()
        seen = stream_scores(workers, list(expected), as_of)
        if all(k in seen and seen[k]["events"] == r["events"] for k, r in expected.items()):
            return seen
        time.sleep(1)
    behind = [k for k, r in expected.items() if k not in seen or seen[k]["events"] != r["events"]]
    pytest.fail(f"{len(behind)} keys never caught up, e.g. {behind[:3]}")


def assert_same_scores(
    stream: dict[tuple[str, str], dict[str, Any]],
    offline: dict[tuple[str, str], dict[str, Any]],
    tolerance: float = 1e-6,
) -> None:
    assert stream.keys() == offline.keys()
    for key, reference in offline.items():
        got = stream[key]
        assert abs(got["score"] - reference["score"]) <= tolerance, (key, got, reference)
        assert got["level"] == reference["level"], key
        for name, value in reference["components"].items():
            assert abs(got["components"][name] - value) <= tolerance, (key, name)
