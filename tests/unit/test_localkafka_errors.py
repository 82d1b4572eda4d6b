"""The local broker's one-line errors when its prerequisites are missing."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

import pytest

from stream.localkafka import LocalKafka, LocalKafkaError, broker
from stream.localkafka.jars import resolve_classpath


def test_missing_java_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on it
    broker = LocalKafka("4.2.0", 29991, tmp_path)
    with pytest.raises(LocalKafkaError, match=r"Java 17\+ is needed .* 'java' is not on PATH"):
        broker.start()


def test_old_java_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "java"
    fake.write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LocalKafkaError, match="Kafka 4 needs Java 17\\+, found Java 11"):
        LocalKafka("4.2.0", 29991, tmp_path).start()


def test_missing_maven_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LocalKafkaError, match=r"Maven \('mvn'\) is not on PATH"):
        resolve_classpath("4.2.0", tmp_path)


def test_a_cluster_id_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    # 0xF8 encodes to "-" in URL-safe base64: the storage tool would take it for an option.
    drawn = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=b"\x10" * 16)])
    monkeypatch.setattr(uuid, "uuid4", lambda: next(drawn))
    assert broker._cluster_id() == base64.urlsafe_b64encode(b"\x10" * 16).rstrip(b"=").decode()
