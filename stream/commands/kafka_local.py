"""``supplyrisk kafka-local start | stop | status``: the development broker."""

from __future__ import annotations

import argparse
from typing import Any

from config.settings import local_kafka_settings
from stream.commands.common import reports_errors
from stream.localkafka import LocalKafka

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "kafka-local",
        help="start, stop or inspect a local single-node Apache Kafka (KRaft) on 127.0.0.1",
        description=(
            "Runs Apache Kafka 4.x from the official jars (resolved once from Maven Central "
            "with mvn). Needs Java 17+ and Maven."
        ),
    )
    parser.add_argument("action", choices=("start", "stop", "status"))
    parser.add_argument(
        "--port", type=int, default=None,
        help="client port on 127.0.0.1 (default: SUPPLYRISK_KAFKA_PORT or 9092); "
        "the controller listens on port + 1",
    )  # fmt: skip
    parser.add_argument(
        "--fresh", action="store_true", help="with start: wipe the broker's data first"
    )
    parser.set_defaults(handler=run)


def broker_from_settings(port: int | None = None) -> LocalKafka:
    settings = local_kafka_settings()
    return LocalKafka(
        version=settings.version,
        port=settings.port if port is None else port,
        cache_dir=settings.cache_dir,
        heap_mb=settings.heap_mb,
    )


@reports_errors("kafka-local")
def run(args: argparse.Namespace) -> int:
    broker = broker_from_settings(args.port)
    if args.action == "start":
        status = broker.start(fresh=args.fresh)
        print(status.describe())
        print(f"KAFKA_BOOTSTRAP_SERVERS={status.bootstrap}")
    elif args.action == "stop":
        stopped = broker.stop()
        print(f"stopped the broker at {broker.bootstrap}" if stopped else
              f"no local broker was running at {broker.bootstrap}")  # fmt: skip
    else:
        status = broker.status()
        print(status.describe())
        return 0 if status.running else 3
    return 0
