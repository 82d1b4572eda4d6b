"""``supplyrisk kafka-local``: a real Kafka 4.x broker, started once, stopped exactly."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import cache_dir
from stream.localkafka import LocalKafkaError
from stream.localkafka.jars import resolve_classpath


def _cli(*args: str, port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stream.cli", "kafka-local", *args, "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, "SUPPLYRISK_CACHE_DIR": str(cache_dir())},
    )


def _free_port_pair() -> int:
    """A port p such that p and p + 1 are free (client and controller listeners)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port < 65000:
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
            return port
    pytest.fail("no pair of free ports")


def _pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def test_start_status_start_again_stop() -> None:
    port = _free_port_pair()
    started = _cli("start", "--fresh", port=port)
    try:
        assert started.returncode == 0, started.stderr
        assert f"KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:{port}" in started.stdout

        status = _cli("status", port=port)
        assert status.returncode == 0
        match = re.search(r"Apache Kafka (4\.\d+\.\d+) \(KRaft.*pid (\d+)", status.stdout)
        assert match, status.stdout
        pid = int(match.group(2))
        assert _pid_alive(pid)

        again = _cli("start", port=port)
        assert again.returncode == 0
        assert f"pid {pid}" in again.stdout, "a second start must not start a second broker"
        brokers = [
            p for p in Path("/proc").iterdir()
            if p.name.isdigit() and _cmdline_has(p, f"broker-{port}/server.properties")
        ]  # fmt: skip
        assert [int(p.name) for p in brokers] == [pid]
    finally:
        stopped = _cli("stop", port=port)
    assert stopped.returncode == 0
    assert not _pid_alive(pid)
    assert _cli("status", port=port).returncode == 3


def _cmdline_has(proc: Path, needle: str) -> bool:
    try:
        return needle.encode() in (proc / "cmdline").read_bytes()
    except OSError:
        return False


def test_taken_port_is_a_one_line_error() -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = int(squatter.getsockname()[1])
        result = _cli("start", port=port)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"port {port}" in lines[0]
    assert "already in use" in lines[0]


def test_a_kafka_version_maven_central_does_not_have_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LocalKafkaError, match=r"could not resolve Apache Kafka 4\.99\.99 jars"):
        resolve_classpath("4.99.99", tmp_path)
