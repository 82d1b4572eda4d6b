"""The README's main command, ``supplyrisk run``, from start to a clean stop."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from config.settings import cache_dir
from tests.integration.test_kafka_local import _cmdline_has, _free_port_pair


def test_run_starts_everything_replays_the_scenario_and_stops_what_it_started() -> None:
    port = _free_port_pair()
    env = _without_cluster(port)
    result = subprocess.run(
        [sys.executable, "-m", "stream.cli", "run", "--rate", "5000", "--top", "5"],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-3000:]
    out = result.stdout
    assert "replayed 8593 events (0 lines skipped)" in out
    final = out.split("replayed 8593 events")[1]
    rows = [line for line in final.splitlines() if line.endswith(tuple("0123456789"))]
    assert len(rows) == 5, final
    assert "stopped the local broker" in out
    # Exactly what it started is gone: no broker is left on its port.
    leftovers = [
        p for p in Path("/proc").iterdir()
        if p.name.isdigit() and _cmdline_has(p, f"broker-{port}/server.properties")
    ]  # fmt: skip
    assert leftovers == []


def test_ctrl_c_stops_the_worker_and_the_broker_it_started() -> None:
    port = _free_port_pair()
    env = _without_cluster(port)
    with _interruptible():
        process = subprocess.Popen(
            [sys.executable, "-m", "stream.cli", "run", "--rate", "100"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    assert process.stdout is not None
    # Wait until it is replaying. Its output is a pipe here: a line held in a buffer would
    # only arrive at the end, after a whole replay.
    ready = next((line for line in process.stdout if line.startswith("worker ready")), None)
    assert ready is not None, "the run ended without saying its worker was ready"
    time.sleep(2)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err[-2000:]
    assert "interrupted: everything started has been stopped" in err
    leftovers = [
        p for p in Path("/proc").iterdir()
        if p.name.isdigit() and (_cmdline_has(p, f"broker-{port}/server.properties") or
                                 _has_env(p, f"SUPPLYRISK_KAFKA_PORT={port}"))
    ]  # fmt: skip
    assert leftovers == []


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C's default action for the processes started inside, as in a terminal. Tests
    started in the background by a shell without job control inherit SIGINT ignored, and
    a child inherits an ignored signal (it then ran to its end and exited 0); a handled
    one is reset to the default at exec."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _without_cluster(port: int) -> dict[str, str]:
    """The environment of a newcomer with no cluster configured; the local broker on ``port``."""
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    return env | {"SUPPLYRISK_KAFKA_PORT": str(port), "SUPPLYRISK_CACHE_DIR": str(cache_dir())}


def _has_env(proc: Path, assignment: str) -> bool:
    """Whether the process was started with ``assignment`` in its environment."""
    try:
        return assignment.encode() in (proc / "environ").read_bytes().split(b"\0")
    except OSError:
        return False
