"""Integration fixtures: a real Apache Kafka broker and fresh, uniquely named topics.

``KAFKA_BOOTSTRAP_SERVERS`` points the suite at an existing cluster; otherwise the session
starts the project's local single-node broker (``supplyrisk kafka-local``) on
``SUPPLYRISK_TEST_KAFKA_PORT`` (default 19092) and stops it at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from config.settings import cache_dir, local_kafka_settings
from stream.localkafka import LocalKafka

pytestmark = pytest.mark.integration

# Apps run as worker processes by the tests; importing them needs their environment.
collect_ignore = ["apps"]

TopicFactory = Callable[..., Awaitable[str]]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        yield configured
        return
    settings = local_kafka_settings()
    broker = LocalKafka(
        version=settings.version,
        port=int(os.environ.get("SUPPLYRISK_TEST_KAFKA_PORT", "19092")),
        cache_dir=cache_dir(),
    )
    broker.stop()  # a broker left behind by an interrupted run
    status = broker.start(fresh=True)
    try:
        yield status.bootstrap
    finally:
        broker.stop()


def unique(prefix: str) -> str:
    """A fresh name for a topic or consumer group."""
    return f"test.{prefix}.{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def new_topic(kafka_bootstrap: str) -> AsyncIterator[TopicFactory]:
    """Create uniquely named topics: ``await new_topic("scores", partitions=3, config={...})``."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()

    async def create(prefix: str, partitions: int = 1, config: dict[str, str] | None = None) -> str:
        name = unique(prefix)
        await admin.create_topics([NewTopic(name, partitions, 1, topic_configs=config or {})])
        return name

    try:
        yield create
    finally:
        await admin.close()
