"""``supplyrisk topics create``: create the service's topics (idempotent)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from aiokafka.errors import KafkaError

from config.settings import SettingsError, load_settings
from stream.topics import create_topics

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "topics",
        help="create the input, output, dead-letter and state topics",
        description="Creates every missing topic with its partitions and configs; "
        "existing topics are left as they are. Uses KAFKA_BOOTSTRAP_SERVERS.",
    )
    parser.add_argument("action", choices=("create",))
    parser.add_argument("--bootstrap", help="Kafka bootstrap servers (default: from settings)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"supplyrisk topics: error: {error}", file=sys.stderr)
        return 2
    bootstrap = args.bootstrap or settings.kafka.bootstrap_servers
    if not bootstrap:
        print("supplyrisk topics: error: set KAFKA_BOOTSTRAP_SERVERS or --bootstrap",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        created, existing = asyncio.run(create_topics(bootstrap, settings.kafka, settings.topics))
    except KafkaError as error:
        print(f"supplyrisk topics: error: {error}", file=sys.stderr)
        return 1
    for name in created:
        print(f"created {name}")
    print(f"{len(created)} created, {len(existing)} already present")
    return 0
