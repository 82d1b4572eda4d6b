"""Start, stop and inspect one local KRaft broker (broker + controller in one JVM).

Each broker lives in its own state directory (``<cache>/broker-<port>``) holding its
``server.properties``, data, log and a ``broker.json`` with the pid it runs as. ``stop``
signals only that pid, and only after checking the process is the one we started (its
command line names our properties file): never a process found by name.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from stream.localkafka.errors import LocalKafkaError
from stream.localkafka.jars import resolve_classpath
from stream.localkafka.java import JVM_OPTIONS, find_java

__all__ = ["BrokerStatus", "LocalKafka", "LocalKafkaError"]

_SERVER_PROPERTIES = """\
# Written by supplyrisk kafka-local: a single-node KRaft broker for development and tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs={data_dir}
# Topics are created explicitly by the project, with their partitions and configs.
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# State snapshots are published in chunks well below this.
message.max.bytes=8388608
replica.fetch.max.bytes=8388608
log.cleaner.backoff.ms=1000
"""

_LOG4J2_PROPERTIES = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.state_change.name = state.change.logger
logger.state_change.level = warn
"""


@dataclass(frozen=True, slots=True)
class BrokerStatus:
    """What ``status`` reports about a local broker."""

    running: bool
    bootstrap: str
    version: str | None = None
    pid: int | None = None

    def describe(self) -> str:
        if not self.running:
            return f"no local Kafka broker running for {self.bootstrap}"
        return (
            f"Apache Kafka {self.version} (KRaft, single node) running at {self.bootstrap}, "
            f"pid {self.pid}"
        )


@dataclass(frozen=True, slots=True)
class LocalKafka:
    """A local broker identified by its port; its files live under ``cache_dir``."""

    version: str
    port: int
    cache_dir: Path
    heap_mb: int = 512

    @property
    def controller_port(self) -> int:
        return self.port + 1

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def home(self) -> Path:
        return self.cache_dir / f"broker-{self.port}"

    @property
    def log_file(self) -> Path:
        return self.home / "kafka.log"

    @property
    def _properties(self) -> Path:
        return self.home / "server.properties"

    @property
    def _record(self) -> Path:
        return self.home / "broker.json"

    # -- status ---------------------------------------------------------------------------

    def status(self) -> BrokerStatus:
        """Whether our broker for this port runs, and which Kafka version it is."""
        record = self._read_record()
        if record is None or not self._is_ours(record[0]):
            return BrokerStatus(running=False, bootstrap=self.bootstrap)
        pid, version = record
        return BrokerStatus(running=True, bootstrap=self.bootstrap, version=version, pid=pid)

    # -- start ----------------------------------------------------------------------------

    def start(self, *, fresh: bool = False, timeout_s: float = 90.0) -> BrokerStatus:
        """Start the broker unless it already runs; wait until it answers metadata."""
        current = self.status()
        if current.running:
            if fresh:
                raise LocalKafkaError(
                    f"the local broker at {self.bootstrap} is running: stop it before --fresh"
                )
            return current
        java = find_java()
        for port in (self.port, self.controller_port):
            _ensure_port_free(port)
        classpath = resolve_classpath(self.version, self.cache_dir)
        self._prepare(java, classpath, fresh=fresh)
        argv = [
            java, f"-Xmx{self.heap_mb}m", f"-Xms{self.heap_mb}m", *JVM_OPTIONS,
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={self.home / 'logs'}",
            "-cp", classpath, "kafka.Kafka", str(self._properties),
        ]  # fmt: skip
        # posix_spawn, not Popen: the broker outlives this process (kafka-local start), so
        # there is no Popen object to wait on; its own session keeps it out of our signals.
        log_flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        pid = os.posix_spawn(
            java,
            argv,
            dict(os.environ),  # the JVM inherits our environment (JAVA_TOOL_OPTIONS, TMPDIR)
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, str(self.log_file), log_flags, 0o644),
                (os.POSIX_SPAWN_DUP2, 1, 2),
            ],
            setsid=True,
        )
        self._record.write_text(
            json.dumps({"pid": pid, "version": self.version, "port": self.port}),
            encoding="utf-8",
        )
        try:
            self._wait_ready(pid, timeout_s)
        except LocalKafkaError:
            self.stop()
            raise
        return BrokerStatus(True, self.bootstrap, self.version, pid)

    def _prepare(self, java: str, classpath: str, *, fresh: bool) -> None:
        data_dir = self.home / "data"
        if fresh and data_dir.exists():
            shutil.rmtree(data_dir)
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "log4j2.properties").write_text(_LOG4J2_PROPERTIES, encoding="utf-8")
        self._properties.write_text(
            _SERVER_PROPERTIES.format(
                port=self.port, controller_port=self.controller_port, data_dir=data_dir
            ),
            encoding="utf-8",
        )
        if (data_dir / "meta.properties").is_file():
            return
        cluster_id = _cluster_id()
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [java, "-cp", classpath, "kafka.tools.StorageTool", "format",
             "-t", cluster_id, "-c", str(self._properties)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-1:]
            raise LocalKafkaError(f"formatting the KRaft storage failed: {' '.join(tail)}")

    def _wait_ready(self, pid: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if _exited(pid):
                raise LocalKafkaError(
                    "the broker exited during start-up: "
                    f"{_last_lines(self.log_file)} (log: {self.log_file})"
                )
            if asyncio.run(_answers_metadata(self.bootstrap)):
                return
            time.sleep(0.5)
        raise LocalKafkaError(
            f"the broker did not answer within {timeout_s:.0f}s (log: {self.log_file})"
        )

    # -- stop -----------------------------------------------------------------------------

    def stop(self, *, timeout_s: float = 30.0) -> bool:
        """Stop our broker for this port; return whether one was running."""
        record = self._read_record()
        if record is None:
            return False
        pid = record[0]
        was_running = self._is_ours(pid)
        if was_running:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout_s
            while self._is_ours(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if self._is_ours(pid):
                os.kill(pid, signal.SIGKILL)
            _reap(pid)
        self._record.unlink(missing_ok=True)
        return was_running

    # -- helpers --------------------------------------------------------------------------

    def _read_record(self) -> tuple[int, str] | None:
        """The (pid, version) we recorded at start, if any."""
        try:
            record = json.loads(self._record.read_text(encoding="utf-8"))
            return int(record["pid"]), str(record["version"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _is_ours(self, pid: int) -> bool:
        """True when ``pid`` is alive and is the JVM running our properties file."""
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
        except OSError:
            return False
        state = stat.rsplit(")", 1)[-1].split()[0]
        return state != "Z" and str(self._properties).encode() in cmdline


async def _answers_metadata(bootstrap: str) -> bool:
    host, _, port = bootstrap.rpartition(":")
    try:  # a plain connect first: cheap, and aiokafka would log every refused attempt
        _, writer = await asyncio.open_connection(host, int(port))
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    from aiokafka.client import AIOKafkaClient  # noqa: PLC0415 - keep CLI start-up light
    from aiokafka.errors import KafkaError  # noqa: PLC0415

    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
    try:
        await client.bootstrap()
        return bool(client.cluster.brokers())
    except (KafkaError, OSError):
        return False
    finally:
        await client.close()


def _ensure_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR: a port in TIME_WAIT after our own broker stopped is free to use.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise LocalKafkaError(
                f"port {port} on 127.0.0.1 is already in use by another process "
                "(choose another with --port or SUPPLYRISK_KAFKA_PORT)"
            ) from None


def _exited(pid: int) -> bool:
    """Whether our spawned child has exited (reaping it), without racing its exec."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not our child: look at /proc instead
        return not Path(f"/proc/{pid}").exists()
    return done == pid


def _reap(pid: int) -> None:
    """Collect the exit status when the broker is our own child (tests start it in-process)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _last_lines(path: Path, count: int = 3) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return " | ".join(line.strip() for line in lines[-count:])[:500]


def _cluster_id() -> str:
    """A random cluster id as Kafka makes them: URL-safe base64 of a UUID, never starting
    with "-" (the storage tool would read such an id as an option and refuse to format)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id
