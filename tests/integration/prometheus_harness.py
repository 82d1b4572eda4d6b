"""A real Prometheus server for tests: started on 127.0.0.1, scraping given targets.

``run_prometheus(targets, rules_text, workdir)`` writes a configuration (scrape and rule
evaluation every second by default), starts the Debian ``prometheus`` binary on a free
loopback port with its TSDB under ``workdir``, waits until it is ready and yields a
:class:`PrometheusServer` with small helpers over the HTTP API; the server is stopped on
exit, whatever happens. Point ``targets`` at any ``host:port`` serving ``/metrics``: an
in-process ``prometheus_client`` server or a running ``supplyrisk worker``.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

__all__ = ["PrometheusServer", "find_prometheus", "free_port", "run_prometheus", "wait_until"]

T = TypeVar("T")


def find_prometheus() -> str:
    """The Debian ``prometheus`` binary; a clear failure when it is not installed."""
    found = shutil.which("prometheus")
    if found is None:
        raise FileNotFoundError(
            "prometheus not found on PATH: run .ci/install-tools as root "
            "(the Makefile runs it before the tests)"
        )
    return found


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until(check: Callable[[], T | None], timeout_s: float, what: str) -> T:
    """Poll ``check`` every 0.25 s until it returns a truthy value; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.25)


@dataclass(frozen=True, slots=True)
class PrometheusServer:
    """A running Prometheus and its HTTP API."""

    url: str
    log_path: Path

    def get(self, path: str, **params: str) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}{path}{query}", timeout=5) as response:  # noqa: S310 - a loopback URL we built
            body = json.loads(response.read())
        if body.get("status") != "success":
            raise RuntimeError(f"{path}: {body}")
        return body["data"]

    def query(self, promql: str) -> list[dict[str, Any]]:
        """The instant vector of ``promql`` now: a list of ``{"metric": …, "value": […]}``."""
        result: list[dict[str, Any]] = self.get("/api/v1/query", query=promql)["result"]
        return result

    def values(self, promql: str) -> dict[tuple[tuple[str, str], ...], float]:
        """``promql`` now, as {sorted label pairs: value}."""
        return {
            tuple(sorted(r["metric"].items())): float(r["value"][1]) for r in self.query(promql)
        }

    def alerts(self) -> list[dict[str, Any]]:
        """Active alerts (pending and firing) with their labels and state."""
        alerts: list[dict[str, Any]] = self.get("/api/v1/alerts")["alerts"]
        return alerts

    def targets_up(self) -> list[dict[str, Any]]:
        active: list[dict[str, Any]] = self.get("/api/v1/targets")["activeTargets"]
        return [t for t in active if t.get("health") == "up"]


@contextlib.contextmanager
def run_prometheus(
    targets: Sequence[str],
    rules_text: str,
    workdir: Path,
    *,
    job: str = "supplyrisk",
    metrics_path: str = "/metrics",
    scrape_interval: str = "1s",
    evaluation_interval: str = "1s",
    start_timeout_s: float = 30.0,
) -> Iterator[PrometheusServer]:
    """Run Prometheus scraping ``targets`` (``host:port``) as ``job`` with ``rules_text``."""
    workdir.mkdir(parents=True, exist_ok=True)
    rules_path = workdir / "rules.yml"
    rules_path.write_text(rules_text)
    config_path = workdir / "prometheus.yml"
    config = {
        "global": {
            "scrape_interval": scrape_interval,
            "scrape_timeout": scrape_interval,
            "evaluation_interval": evaluation_interval,
        },
        "rule_files": [str(rules_path)],
        "scrape_configs": [
            {
                "job_name": job,
                "metrics_path": metrics_path,
                "static_configs": [{"targets": list(targets)}],
            }
        ],
    }
    config_path.write_text(yaml.safe_dump(config))
    port = free_port()
    log_path = workdir / "prometheus.log"
    command = [
        find_prometheus(),
        f"--config.file={config_path}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--storage.tsdb.retention.time=1h",
        "--log.level=warn",
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    server = PrometheusServer(url=f"http://127.0.0.1:{port}", log_path=log_path)
    try:
        wait_until(
            lambda: process.poll() is not None or _ready(server.url),
            start_timeout_s,
            "Prometheus to be ready",
        )
        if process.poll() is not None:
            raise RuntimeError(
                f"prometheus exited with {process.returncode}:\n{log_path.read_text()}"
            )
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False
