"""``supplyrisk topics create``: create the service's topics (idempotent)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from config.settings import load_settings
from stream.commands.common import add_bootstrap, bootstrap_of, reports_errors
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
    add_bootstrap(parser)
    parser.set_defaults(handler=run)


@reports_errors("topics")
def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    bootstrap = bootstrap_of(args, settings)
    created, existing = asyncio.run(create_topics(bootstrap, settings.kafka, settings.topics))
    for name in created:
        print(f"created {name}")
    print(f"{len(created)} created, {len(existing)} already present")
    return 0
