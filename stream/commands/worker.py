"""``supplyrisk worker``: run one worker of the consumer group (add more to scale out)."""

from __future__ import annotations

import argparse
import gc
import sys
from typing import Any

from config.settings import load_settings
from stream.commands.common import add_bootstrap, bootstrap_of, reports_errors

__all__ = ["register"]

LOG_LEVELS = ("crit", "error", "warn", "info", "debug")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="run a scoring worker against the configured Kafka cluster",
        description="Consumes the input topics as a member of the SUPPLYRISK_APP_ID group, "
        "publishes scores, alerts and dead letters, and serves the HTTP API and /metrics "
        "on SUPPLYRISK_WEB_PORT. Settings: config/service.toml and the environment.",
    )
    add_bootstrap(parser)
    parser.add_argument("--loglevel", choices=LOG_LEVELS, default="info")
    parser.set_defaults(handler=run)


@reports_errors("worker")
def run(args: argparse.Namespace) -> int:
    import faust  # noqa: PLC0415 - heavy: only for this command
    from prometheus_client import CollectorRegistry, ProcessCollector  # noqa: PLC0415

    from stream.worker.app import create_worker  # noqa: PLC0415

    settings = load_settings()
    # Faust's consumer (heartbeats, its polls) and the saving threads get the GIL only when
    # the scoring thread yields it (every 5 ms by default), and each of their steps takes
    # several turns. A shorter interval cut the p99 latency at 10k events/s by a third
    # (docs/PERFORMANCE.md).
    sys.setswitchinterval(settings.worker.switch_interval_s)
    # The modules' objects (faust, aiokafka, numpy: most of the heap) live as long as the
    # process: keep them out of the collector's full passes, which otherwise paused the
    # event loop for ~40 ms at a time under load.
    gc.freeze()
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    worker = create_worker(settings, bootstrap_of(args, settings), registry)
    runner = faust.Worker(worker.app, loglevel=args.loglevel.upper())
    # Faust's terminal spinner sets the root logger to DEBUG so that every log call spins
    # it: each debug call on aiokafka's hot paths then builds a record (2-4 % of the
    # worker's time under load) and the log fills with cursor codes. No spinner.
    runner.spinner = None
    runner.execute_from_commandline()
    return 0  # pragma: no cover - execute_from_commandline exits the process
