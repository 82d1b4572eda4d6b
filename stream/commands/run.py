"""``supplyrisk run``: the main job.

With ``KAFKA_BOOTSTRAP_SERVERS`` set it runs a worker against that cluster (as
``supplyrisk worker``). Without it, it starts a local Apache Kafka, creates the topics,
starts a worker, replays the rare-earth scenario while printing the riskiest keys, and
stops everything it started.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from config.settings import load_settings
from stream.commands import worker
from stream.commands.common import reports_errors
from stream.demo import DEFAULT_SCENARIO, run_demo

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the service (and, with no cluster configured, the local demo)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--events", type=Path, default=DEFAULT_SCENARIO, help="events for the local demo"
    )
    parser.add_argument("--rate", type=float, default=1000.0, help="replay rate, events per second")
    parser.add_argument("--top", type=int, default=10, help="rows in the live table")
    parser.set_defaults(handler=run)


@reports_errors("run")
def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if settings.kafka.bootstrap_servers:
        return worker.run(argparse.Namespace(bootstrap=None, loglevel="info"))
    try:
        return run_demo(settings, args.events, args.rate, args.top, sys.stdout)
    except KeyboardInterrupt:
        print("\ninterrupted: everything started has been stopped", file=sys.stderr)
        return 130
