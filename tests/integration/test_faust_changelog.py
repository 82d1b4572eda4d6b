"""Faust on the real broker: a table survives a worker restart through its changelog."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from tests.integration.conftest import TopicFactory, unique
from tests.integration.workers import terminate

APP = Path(__file__).with_name("apps") / "counter_app.py"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Worker:
    """One ``faust worker`` process of the counter app."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = int(env["COUNTER_WEB_PORT"])
        self.log_path = log
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, str(APP), "worker", "-l", "warn"],
            env=env, stdout=self._log, stderr=subprocess.STDOUT, cwd=APP.parent,
        )  # fmt: skip

    def counts(self) -> dict[str, int] | None:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.port}/counts/", timeout=2
            ) as response:
                return dict(json.loads(response.read()))
        except OSError:
            return None

    def wait_for(self, expected: dict[str, int], timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        seen = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                pytest.fail(f"the worker exited with {self.process.returncode}:\n{tail}")
            seen = self.counts()
            if seen == expected:
                return
            time.sleep(0.5)
        pytest.fail(f"table never reached {expected}; last seen {seen}")

    def stop(self) -> None:
        terminate(self.process)
        self._log.close()


@pytest.fixture
def worker_env(kafka_bootstrap: str) -> Iterator[dict[str, str]]:
    yield {
        **os.environ,
        "COUNTER_APP_ID": unique("counter"),
        "COUNTER_BOOTSTRAP": kafka_bootstrap,
        "COUNTER_WEB_PORT": str(_free_port()),
    }


async def _produce(bootstrap: str, topic: str, values: list[str]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value.encode())
    finally:
        await producer.stop()


async def test_table_recovers_from_changelog_after_restart(
    kafka_bootstrap: str, new_topic: TopicFactory, worker_env: dict[str, str], tmp_path: Path
) -> None:
    topic = await new_topic("counter-input")
    env = {**worker_env, "COUNTER_TOPIC": topic}
    await _produce(kafka_bootstrap, topic, [f"k{i % 3}" for i in range(30)])

    first = Worker(env, tmp_path / "worker.log")
    try:
        first.wait_for({"k0": 10, "k1": 10, "k2": 10})
    finally:
        first.stop()

    changelog = f"{env['COUNTER_APP_ID']}-counts-changelog"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        described = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, changelog)]
        )
    finally:
        await admin.close()
    entries = {e[0]: e[1] for e in described[0].resources[0][4]}
    assert entries["cleanup.policy"] == "compact"

    # A new process with an empty in-memory store: the counts can only come from the
    # changelog, and new input is counted once on top of them (no input is re-read).
    second = Worker(env, tmp_path / "worker.log")
    try:
        second.wait_for({"k0": 10, "k1": 10, "k2": 10})
        await _produce(kafka_bootstrap, topic, ["k0", "k1", "k2"])
        second.wait_for({"k0": 11, "k1": 11, "k2": 11})
    finally:
        second.stop()
