"""The settings loader: defaults, environment overrides, clear errors, hidden secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Secret, SettingsError, load_settings, local_kafka_settings


def test_defaults_come_from_service_toml() -> None:
    settings = load_settings({})
    assert settings.kafka.bootstrap_servers == ""
    assert settings.topics.scores == "supplyrisk.scores"
    assert settings.topics.dead_letter(settings.topics.news) == "supplyrisk.news.dlq"
    assert settings.worker.web_port == 6066
    assert settings.local_kafka.version.startswith("4.")


def test_environment_overrides_defaults() -> None:
    settings = load_settings(
        {
            "KAFKA_BOOTSTRAP_SERVERS": "broker-1:9092,broker-2:9092",
            "SUPPLYRISK_TOPIC_SCORES": "risk.scores",
            "SUPPLYRISK_PARTITIONS": "12",
            "SUPPLYRISK_SCORE_EMIT_THRESHOLD": "1.5",
            "SUPPLYRISK_DATA_DIR": "state",
        }
    )
    assert settings.kafka.bootstrap_servers == "broker-1:9092,broker-2:9092"
    assert settings.topics.scores == "risk.scores"
    assert settings.topics.partitions == 12
    assert settings.worker.score_emit_threshold == 1.5
    assert settings.worker.data_dir == Path("state")


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("SUPPLYRISK_WEB_PORT", "http", "SUPPLYRISK_WEB_PORT"),
        ("SUPPLYRISK_PARTITIONS", "0", "between 1 and 1024"),
        ("SUPPLYRISK_KAFKA_SECURITY_PROTOCOL", "TLS", "must be one of"),
        ("SUPPLYRISK_TOPIC_NEWS", "bad topic!", "letters, digits"),
        ("SUPPLYRISK_KAFKA_VERSION", "3.9.0", "4.x"),
    ],
)
def test_invalid_values_name_the_variable(variable: str, value: str, fragment: str) -> None:
    with pytest.raises(SettingsError, match=variable) as raised:
        load_settings({variable: value})
    assert fragment in str(raised.value)


def test_sasl_mechanism_requires_a_sasl_protocol() -> None:
    with pytest.raises(SettingsError, match="SASL_SSL or SASL_PLAINTEXT"):
        load_settings({"SUPPLYRISK_KAFKA_SASL_MECHANISM": "PLAIN"})


def test_secrets_never_show_in_repr_or_errors() -> None:
    settings = load_settings(
        {
            "SUPPLYRISK_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "SUPPLYRISK_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "SUPPLYRISK_KAFKA_SASL_USERNAME": "svc",
            "SUPPLYRISK_KAFKA_SASL_PASSWORD": "hunter2-very-secret",
        }
    )
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings.kafka.sasl_password)
    assert settings.kafka.sasl_password == Secret("hunter2-very-secret")
    options = settings.kafka.client_options()
    assert options["sasl_plain_password"] == settings.kafka.sasl_password.value


def test_settings_are_frozen() -> None:
    settings = load_settings({})
    with pytest.raises(AttributeError):
        settings.worker.web_port = 1  # type: ignore[misc]


def test_local_kafka_port_from_environment(tmp_path: Path) -> None:
    local = local_kafka_settings(
        {"SUPPLYRISK_KAFKA_PORT": "19999", "SUPPLYRISK_CACHE_DIR": str(tmp_path)}
    )
    assert local.port == 19999
    assert local.cache_dir == tmp_path


def test_config_dir_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "service.toml").write_bytes(
        (Path(__file__).parents[2] / "config" / "service.toml").read_bytes()
    )
    settings = load_settings({"SUPPLYRISK_CONFIG_DIR": str(tmp_path)})
    assert settings.config_dir == tmp_path
    with pytest.raises(SettingsError, match="SUPPLYRISK_CONFIG_DIR"):
        load_settings({"SUPPLYRISK_CONFIG_DIR": str(tmp_path / "missing")})
