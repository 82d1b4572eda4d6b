"""``supplyrisk replay --events FILE.jsonl [--rate N]``: publish events to the input topics."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from config.settings import load_settings
from stream.commands.common import add_bootstrap, bootstrap_of, reports_errors
from stream.errors import UsageError
from stream.progress import ProgressBar
from stream.replay import replay_file

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="publish a JSON Lines file of events to the input topics",
        description="Sends each event to the input topic of its type, keyed for "
        "partitioning; lines that are not valid events are reported and skipped.",
    )
    parser.add_argument("--events", type=Path, required=True, help="JSON Lines file")
    parser.add_argument(
        "--rate", type=float, default=None, help="events per second (default: unthrottled)"
    )
    add_bootstrap(parser)
    parser.set_defaults(handler=run)


@reports_errors("replay")
def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    bootstrap = bootstrap_of(args, settings)
    if not args.events.is_file():
        raise UsageError(f"no such file: {args.events}")
    if args.rate is not None and args.rate <= 0:
        raise UsageError("--rate must be positive")
    with args.events.open("rb") as handle:
        total = sum(1 for line in handle if line.strip())
    bar = ProgressBar(total, sys.stderr, label="replay")
    try:
        report = asyncio.run(
            replay_file(args.events, bootstrap, settings.kafka, settings.topics,
                        rate=args.rate, on_progress=bar.update)
        )  # fmt: skip
    finally:
        bar.close()
    for number, reason in report.skipped:
        print(f"line {number}: {reason}", file=sys.stderr)
    print(f"sent {report.sent} events; {len(report.skipped)} lines skipped", file=sys.stderr)
    return 0 if report.sent else 1
