"""The ``supplyrisk`` command line: a thin dispatcher over one module per subcommand.

Each module in :mod:`stream.commands` exposes ``register(subparsers)``, which adds its
parser and sets ``handler`` (a callable taking the parsed namespace and returning an exit
code). Nothing heavy is imported until a subcommand runs, so ``supplyrisk --help`` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import cast

__all__ = ["build_parser", "main"]

# One entry per subcommand module; order is the order shown in ``--help``.
COMMAND_MODULES: tuple[str, ...] = (
    "stream.commands.run",
    "stream.commands.score",
    "stream.commands.kafka_local",
    "stream.commands.topics",
    "stream.commands.replay",
    "stream.commands.worker",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="supplyrisk",
        description="Streaming supply-risk scoring per (company, material) on Kafka.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = cast(Callable[[argparse.Namespace], int], args.handler)
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
