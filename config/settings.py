"""The one place that reads the environment: service settings, validated into frozen values.

Defaults come from ``config/service.toml``; environment variables override them. Anything
wrong is reported as a :class:`SettingsError` naming the variable or key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["LocalKafkaSettings", "SettingsError", "cache_dir", "local_kafka_settings"]

_DEFAULTS = Path(__file__).with_name("service.toml")


class SettingsError(ValueError):
    """A setting (file key or environment variable) is missing or invalid."""


@dataclass(frozen=True, slots=True)
class LocalKafkaSettings:
    """Settings of the local development broker."""

    version: str
    port: int
    heap_mb: int
    cache_dir: Path


def _defaults() -> dict[str, Any]:
    with _DEFAULTS.open("rb") as handle:
        return tomllib.load(handle)


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where downloaded jars and local broker state live (``SUPPLYRISK_CACHE_DIR``)."""
    env = os.environ if environ is None else environ
    configured = env.get("SUPPLYRISK_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "supplyrisk"


def local_kafka_settings(environ: Mapping[str, str] | None = None) -> LocalKafkaSettings:
    """Settings of the local broker from ``service.toml`` and the environment."""
    env = os.environ if environ is None else environ
    defaults = _defaults()["local_kafka"]
    version = env.get("SUPPLYRISK_KAFKA_VERSION") or str(defaults["version"])
    if not version.startswith("4."):
        raise SettingsError(f"SUPPLYRISK_KAFKA_VERSION must be a Kafka 4.x release, got {version}")
    return LocalKafkaSettings(
        version=version,
        port=_int(env, "SUPPLYRISK_KAFKA_PORT", int(defaults["port"]), 1024, 65534),
        heap_mb=_int(env, "SUPPLYRISK_KAFKA_HEAP_MB", int(defaults["heap_mb"]), 128, 16384),
        cache_dir=cache_dir(env),
    )
