"""The service's topics, declared once, and their idempotent creation.

Inputs are partitioned by company (shipments, profiles, company-specific licence decisions)
or by country (country-wide licence decisions, news); see docs/ARCHITECTURE.md for why the
country-level topics are read in full by every worker.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from config.settings import KafkaSettings, TopicSettings
from stream.errors import StreamError

__all__ = ["TopicSpec", "create_topics", "topic_specs"]

# Scores and state are compacted: the latest value per key is the truth, history is not kept.
_COMPACTED = {"cleanup.policy": "compact", "min.compaction.lag.ms": "0", "segment.ms": "600000"}
_DEAD_LETTER = {"retention.ms": str(30 * 86400 * 1000)}
# A snapshot is written in chunks of at most 1 MiB; allow some headroom per record.
_STATE = {**_COMPACTED, "max.message.bytes": str(4 * 1024 * 1024)}


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str]


def topic_specs(topics: TopicSettings) -> list[TopicSpec]:
    """Every topic the service reads or writes, with partitions and configs."""
    n = topics.partitions
    specs = [TopicSpec(name, n, {}) for name in topics.inputs]
    specs += [TopicSpec(topics.dead_letter(name), n, dict(_DEAD_LETTER)) for name in topics.inputs]
    specs += [
        TopicSpec(topics.scores, n, dict(_COMPACTED)),
        TopicSpec(topics.alerts, n, {}),
        TopicSpec(topics.state, n, dict(_STATE)),
    ]
    return specs


async def create_topics(
    bootstrap: str, kafka: KafkaSettings, topics: TopicSettings
) -> tuple[list[str], list[str]]:
    """Create missing topics; return (created, already existing). Safe to run again."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka.client_options())
    await admin.start()
    created: list[str] = []
    existing: list[str] = []
    try:
        present = set(await admin.list_topics())
        for spec in topic_specs(topics):
            if spec.name in present:
                existing.append(spec.name)
                continue
            response = await admin.create_topics(
                [NewTopic(spec.name, spec.partitions, topics.replication_factor,
                          topic_configs=spec.config)]
            )  # fmt: skip
            # Errors come back as codes per topic, not as exceptions.
            for name, code, message in response.topic_errors:
                if code == 0:
                    created.append(name)
                elif code == TopicAlreadyExistsError.errno:  # e.g. another worker made it
                    existing.append(name)
                else:
                    raise StreamError(f"could not create topic {name}: {message} (error {code})")
    finally:
        await admin.close()
    return created, existing
