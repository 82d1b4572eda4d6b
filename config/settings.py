"""The one place that reads the environment: service settings, validated into frozen values.

Defaults come from ``config/service.toml``; each key has an environment variable that
overrides it (named in that file and in the README). Everything is checked at start-up and
reported as a :class:`SettingsError` naming the variable. Secrets are wrapped in
:class:`Secret`, whose ``repr`` and ``str`` never show the value.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "KafkaSettings",
    "LocalKafkaSettings",
    "Secret",
    "Settings",
    "SettingsError",
    "TopicSettings",
    "WorkerSettings",
    "cache_dir",
    "load_settings",
    "local_kafka_settings",
]

_DEFAULTS = Path(__file__).with_name("service.toml")
_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
_MECHANISMS = ("", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
T = TypeVar("T")


class SettingsError(ValueError):
    """A setting (file key or environment variable) is missing or invalid."""


@dataclass(frozen=True, slots=True)
class Secret:
    """A credential: compare and pass it on, never print it."""

    value: str

    def __repr__(self) -> str:
        return "Secret('***')" if self.value else "Secret('')"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class KafkaSettings:
    bootstrap_servers: str  # "" when none is configured
    security_protocol: str
    sasl_mechanism: str
    sasl_username: str
    sasl_password: Secret
    ssl_cafile: str

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka clients (security only; bootstrap is separate)."""
        options: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.sasl_mechanism:
            options |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": self.sasl_password.value,
            }
        if self.security_protocol in ("SSL", "SASL_SSL"):
            import ssl  # noqa: PLC0415 - only for TLS clusters

            options["ssl_context"] = ssl.create_default_context(cafile=self.ssl_cafile or None)
        return options


@dataclass(frozen=True, slots=True)
class TopicSettings:
    shipments: str
    licence_decisions: str
    news: str
    profiles: str
    scores: str
    alerts: str
    state: str
    partitions: int
    replication_factor: int

    @property
    def inputs(self) -> tuple[str, str, str, str]:
        return (self.shipments, self.licence_decisions, self.news, self.profiles)

    @property
    def outputs(self) -> tuple[str, ...]:
        """Every topic the worker writes: scores, alerts, state and the dead letters."""
        dead_letters = tuple(self.dead_letter(name) for name in self.inputs)
        return (self.scores, self.alerts, self.state, *dead_letters)

    @staticmethod
    def dead_letter(topic: str) -> str:
        """The dead-letter topic of an input topic."""
        return f"{topic}.dlq"


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    app_id: str
    web_host: str
    web_port: int
    data_dir: Path
    batch_max_events: int
    fetch_top_up_s: float
    fetch_partition_bytes: int
    reader_process: bool
    switch_interval_s: float
    score_emit_threshold: float
    alert_hysteresis: float
    snapshot_interval_s: float
    session_timeout_s: float


@dataclass(frozen=True, slots=True)
class LocalKafkaSettings:
    """Settings of the local development broker."""

    version: str
    port: int
    heap_mb: int
    cache_dir: Path


@dataclass(frozen=True, slots=True)
class Settings:
    kafka: KafkaSettings
    topics: TopicSettings
    worker: WorkerSettings
    local_kafka: LocalKafkaSettings
    # Where the reference data and scoring parameters are read from (None: the packaged
    # config/ directory); SUPPLYRISK_CONFIG_DIR, e.g. a mounted ConfigMap.
    config_dir: Path | None = None


class _Reader:
    """Reads one section's keys, each overridable by its environment variable."""

    def __init__(self, defaults: Mapping[str, Any], env: Mapping[str, str]) -> None:
        self._defaults = defaults
        self._env = env

    def get(self, key: str, var: str, parse: Callable[[str], T], check: str = "") -> T:
        raw = self._env.get(var)
        if raw is None or raw == "":
            raw = str(self._defaults[key])
        try:
            return parse(raw)
        except ValueError as error:
            hint = f" ({check})" if check else ""
            raise SettingsError(f"{var}: invalid value {raw!r}{hint}: {error}") from None


def _bounded(kind: Callable[[str], T], low: float, high: float) -> Callable[[str], T]:
    def parse(raw: str) -> T:
        value = kind(raw)
        if not low <= value <= high:  # type: ignore[operator]
            raise ValueError(f"must be between {low:g} and {high:g}")
        return value

    return parse


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in options:
            raise ValueError(f"must be one of {', '.join(o or '(empty)' for o in options)}")
        return raw

    return parse


def _flag(raw: str) -> bool:
    value = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    if raw.lower() not in value:
        raise ValueError("must be true or false")
    return value[raw.lower()]


def _name(raw: str) -> str:
    if not raw or len(raw) > 249 or not all(c.isalnum() or c in "._-" for c in raw):
        raise ValueError("must be 1-249 characters of letters, digits, '.', '_' or '-'")
    return raw


def _text(raw: str) -> str:
    return raw


def _defaults(config_dir: Path | None) -> dict[str, Any]:
    path = _DEFAULTS if config_dir is None else config_dir / "service.toml"
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"{path}: {error}") from None


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where downloaded jars and local broker state live (``SUPPLYRISK_CACHE_DIR``)."""
    env = os.environ if environ is None else environ
    configured = env.get("SUPPLYRISK_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "supplyrisk"


def _local_kafka(section: Mapping[str, Any], env: Mapping[str, str]) -> LocalKafkaSettings:
    read = _Reader(section, env)

    def kafka_4(raw: str) -> str:
        if not raw.startswith("4."):
            raise ValueError("must be an Apache Kafka 4.x release")
        return raw

    return LocalKafkaSettings(
        version=read.get("version", "SUPPLYRISK_KAFKA_VERSION", kafka_4),
        port=read.get("port", "SUPPLYRISK_KAFKA_PORT", _bounded(int, 1024, 65534)),
        heap_mb=read.get("heap_mb", "SUPPLYRISK_KAFKA_HEAP_MB", _bounded(int, 128, 16384)),
        cache_dir=cache_dir(env),
    )


def local_kafka_settings(environ: Mapping[str, str] | None = None) -> LocalKafkaSettings:
    """Settings of the local broker from ``service.toml`` and the environment."""
    env = os.environ if environ is None else environ
    return _local_kafka(_defaults(None)["local_kafka"], env)


def load_settings(
    environ: Mapping[str, str] | None = None, config_dir: Path | None = None
) -> Settings:
    """All service settings, from ``service.toml`` overridden by the environment."""
    env = os.environ if environ is None else environ
    if config_dir is None and env.get("SUPPLYRISK_CONFIG_DIR"):
        config_dir = Path(env["SUPPLYRISK_CONFIG_DIR"])
        if not config_dir.is_dir():
            raise SettingsError(f"SUPPLYRISK_CONFIG_DIR: no such directory: {config_dir}")
    defaults = _defaults(config_dir)
    kafka = _Reader(defaults["kafka"], env)
    topics = _Reader(defaults["topics"], env)
    worker = _Reader(defaults["worker"], env)
    settings = Settings(
        kafka=KafkaSettings(
            bootstrap_servers=kafka.get("bootstrap_servers", "KAFKA_BOOTSTRAP_SERVERS", _text),
            security_protocol=kafka.get(
                "security_protocol", "SUPPLYRISK_KAFKA_SECURITY_PROTOCOL", _choice(_PROTOCOLS)
            ),
            sasl_mechanism=kafka.get(
                "sasl_mechanism", "SUPPLYRISK_KAFKA_SASL_MECHANISM", _choice(_MECHANISMS)
            ),
            sasl_username=kafka.get("sasl_username", "SUPPLYRISK_KAFKA_SASL_USERNAME", _text),
            sasl_password=Secret(
                kafka.get("sasl_password", "SUPPLYRISK_KAFKA_SASL_PASSWORD", _text)
            ),
            ssl_cafile=kafka.get("ssl_cafile", "SUPPLYRISK_KAFKA_SSL_CAFILE", _text),
        ),
        topics=TopicSettings(
            shipments=topics.get("shipments", "SUPPLYRISK_TOPIC_SHIPMENTS", _name),
            licence_decisions=topics.get(
                "licence_decisions", "SUPPLYRISK_TOPIC_LICENCE_DECISIONS", _name
            ),
            news=topics.get("news", "SUPPLYRISK_TOPIC_NEWS", _name),
            profiles=topics.get("profiles", "SUPPLYRISK_TOPIC_PROFILES", _name),
            scores=topics.get("scores", "SUPPLYRISK_TOPIC_SCORES", _name),
            alerts=topics.get("alerts", "SUPPLYRISK_TOPIC_ALERTS", _name),
            state=topics.get("state", "SUPPLYRISK_TOPIC_STATE", _name),
            partitions=topics.get("partitions", "SUPPLYRISK_PARTITIONS", _bounded(int, 1, 1024)),
            replication_factor=topics.get(
                "replication_factor", "SUPPLYRISK_REPLICATION_FACTOR", _bounded(int, 1, 16)
            ),
        ),
        worker=WorkerSettings(
            app_id=worker.get("app_id", "SUPPLYRISK_APP_ID", _name),
            web_host=worker.get("web_host", "SUPPLYRISK_WEB_HOST", _text),
            web_port=worker.get("web_port", "SUPPLYRISK_WEB_PORT", _bounded(int, 0, 65535)),
            data_dir=worker.get("data_dir", "SUPPLYRISK_DATA_DIR", Path),
            batch_max_events=worker.get(
                "batch_max_events", "SUPPLYRISK_BATCH_MAX_EVENTS", _bounded(int, 1, 1_000_000)
            ),
            fetch_top_up_s=worker.get(
                "fetch_top_up_s", "SUPPLYRISK_FETCH_TOP_UP_S", _bounded(float, 0, 1)
            ),
            fetch_partition_bytes=worker.get(
                "fetch_partition_bytes",
                "SUPPLYRISK_FETCH_PARTITION_BYTES",
                _bounded(int, 1 << 16, 1 << 28),
            ),
            reader_process=worker.get("reader_process", "SUPPLYRISK_READER_PROCESS", _flag),
            switch_interval_s=worker.get(
                "switch_interval_s", "SUPPLYRISK_SWITCH_INTERVAL_S", _bounded(float, 1e-5, 0.1)
            ),
            score_emit_threshold=worker.get(
                "score_emit_threshold", "SUPPLYRISK_SCORE_EMIT_THRESHOLD", _bounded(float, 0, 100)
            ),
            alert_hysteresis=worker.get(
                "alert_hysteresis", "SUPPLYRISK_ALERT_HYSTERESIS", _bounded(float, 0, 50)
            ),
            snapshot_interval_s=worker.get(
                "snapshot_interval_s", "SUPPLYRISK_SNAPSHOT_INTERVAL_S", _bounded(float, 0.1, 3600)
            ),
            session_timeout_s=worker.get(
                "session_timeout_s", "SUPPLYRISK_SESSION_TIMEOUT_S", _bounded(float, 6, 300)
            ),
        ),
        local_kafka=_local_kafka(defaults["local_kafka"], env),
        config_dir=config_dir,
    )
    if settings.kafka.sasl_mechanism and not settings.kafka.security_protocol.startswith("SASL"):
        raise SettingsError(
            "SUPPLYRISK_KAFKA_SASL_MECHANISM is set but SUPPLYRISK_KAFKA_SECURITY_PROTOCOL "
            f"is {settings.kafka.security_protocol}: use SASL_SSL or SASL_PLAINTEXT"
        )
    return settings
