"""Kafka routing of an input event: its kind (the topic) and its partition key.

Partition keys keep everything that updates one (company, material) key on one
partition, so a consumer's state for a company is complete:

- ``shipment`` and ``profile``: the ``company``.
- ``licence_decision``: the importing ``company`` when named; a country-wide decision
  (no ``company``) is keyed by its ``exporting_country``.
- ``news``: the ``actor_country`` when stated, else ``""`` (no key: any partition).
  News about policy touches many companies; consumers that need every news item read
  the news topic from all partitions (a global table), so its partitioning is only load
  spreading.
"""

from __future__ import annotations

from collections.abc import Mapping

from stream.errors import DecodeError

__all__ = ["KINDS", "event_kind", "partition_key"]

KINDS: tuple[str, ...] = ("shipment", "licence_decision", "news", "profile")


def event_kind(event: Mapping[str, object]) -> str:
    """The event's ``type`` when it is one of :data:`KINDS`, else :class:`DecodeError`.

    >>> event_kind({"type": "news", "headline": "..."})
    'news'
    """
    kind = event.get("type")
    if type(kind) is not str or kind not in KINDS:
        raise DecodeError(f"unknown type {kind!r}"[:80])
    return kind


def partition_key(event: Mapping[str, object]) -> str:
    """The partition key of an event (see the module docstring for the rule per kind).

    >>> partition_key({"type": "licence_decision", "exporting_country": "CN"})
    'CN'
    """
    kind = event_kind(event)
    if kind == "news":
        key = event.get("actor_country")
    elif kind == "licence_decision":
        key = event.get("company") or event.get("exporting_country")
    else:
        key = event.get("company")
    return key if type(key) is str else ""
