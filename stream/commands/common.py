"""What the subcommands share: one way to report errors, one way to find the cluster."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable

from aiokafka.errors import KafkaError

from config.settings import Settings, SettingsError
from stream.errors import StreamError, UsageError

__all__ = ["add_bootstrap", "bootstrap_of", "reports_errors"]

Handler = Callable[[argparse.Namespace], int]


def reports_errors(command: str) -> Callable[[Handler], Handler]:
    """Turn expected failures into one ``supplyrisk COMMAND: error: ...`` line and a code.

    Exit codes: 2 for usage and settings errors, 1 for everything else that went wrong.
    """

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def run(args: argparse.Namespace) -> int:
            try:
                return handler(args)
            except (UsageError, SettingsError) as error:
                code, message = 2, str(error)
            except (StreamError, KafkaError, OSError) as error:
                code, message = 1, str(error) or type(error).__name__
            print(f"supplyrisk {command}: error: {message}", file=sys.stderr)
            return code

        return run

    return decorate


def add_bootstrap(parser: argparse.ArgumentParser) -> None:
    """The ``--bootstrap`` option of the commands that talk to a cluster."""
    parser.add_argument("--bootstrap", help="Kafka bootstrap servers (default: from settings)")


def bootstrap_of(args: argparse.Namespace, settings: Settings) -> str:
    """``--bootstrap`` when given, else ``KAFKA_BOOTSTRAP_SERVERS``; a UsageError if neither."""
    bootstrap = getattr(args, "bootstrap", None) or settings.kafka.bootstrap_servers
    if not bootstrap:
        raise UsageError("set KAFKA_BOOTSTRAP_SERVERS or pass --bootstrap")
    return str(bootstrap)
