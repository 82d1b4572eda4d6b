"""Dead letters: the original bytes of a refused event, with why and where it came from.

A dead letter keeps the record's key and value unchanged and adds headers naming the
reason, the reason's class, and the original topic, partition and offset, so the event
can be inspected with any Kafka client (``kcat -C -t supplyrisk.news.dlq -J``), fixed
and replayed.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from stream.metrics import DEAD_LETTER_REASONS

__all__ = ["Outgoing", "dead_letter", "reason_class"]

# Ordered: the first pattern that matches a reason names its class.
_CLASSES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("not_json", re.compile(r"not JSON|not a JSON object|empty record")),
    ("unknown_material", re.compile(r"unknown material")),
    ("future_timestamp", re.compile(r"future")),
    ("oversized", re.compile(r"longer than|too long|too large")),
    ("bad_value", re.compile(r"must be (a )?(finite|in \[|>=|≥|non-negative)|NaN|share")),
    ("schema", re.compile(r"missing|must be|unknown|not RFC 3339|not an ISO|belongs on|invalid")),
)
assert {name for name, _ in _CLASSES} <= set(DEAD_LETTER_REASONS)  # noqa: S101 - import-time invariant


class Outgoing(NamedTuple):
    """A record to produce (a named tuple: the worker makes one per output record, and a
    tuple is built several times faster than a frozen dataclass)."""

    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()
    partition: int | None = None  # None: by key, as Kafka's default partitioner does

    @classmethod
    def many(
        cls, topic: str, keys: list[bytes], values: list[bytes], partition: int
    ) -> list[Outgoing]:
        """Records of ``topic`` without headers, all to ``partition``.

        Built with ``tuple.__new__``: the named tuple's generated ``__new__`` costs about
        twice as much per record, and a batch of new keys publishes two records per key.
        """
        new = tuple.__new__
        pairs = zip(keys, values, strict=True)
        return [new(cls, (topic, key, value, (), partition)) for key, value in pairs]


def reason_class(reason: str) -> str:
    """The bounded class of a free-text reason (a label value for metrics and headers).

    >>> reason_class("quantity_kg must be a finite number >= 0")
    'bad_value'
    >>> reason_class("missing field 'material'")
    'schema'
    >>> reason_class("the moon is made of cheese")
    'other'
    """
    for name, pattern in _CLASSES:
        if pattern.search(reason):
            return name
    return "other"


def dead_letter(
    dlq_topic: str,
    *,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    reason: str,
) -> Outgoing:
    """The dead-letter record of one refused input record."""
    return Outgoing(
        topic=dlq_topic,
        key=key,
        value=value or b"",
        partition=partition,
        headers=(
            ("supplyrisk.reason", reason.encode()),
            ("supplyrisk.reason_class", reason_class(reason).encode()),
            ("supplyrisk.topic", topic.encode()),
            ("supplyrisk.partition", str(partition).encode()),
            ("supplyrisk.offset", str(offset).encode()),
        ),
    )
