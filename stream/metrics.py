"""The service's Prometheus metrics: one place for every name, label and bucket.

``Metrics.create(registry)`` registers everything on the registry it is given (a fresh
``CollectorRegistry`` in every test, the process registry in the worker) and returns a
frozen record of the metric objects; handlers record into it and never create metrics of
their own. Names follow Prometheus conventions: the ``supplyrisk_`` prefix, base units
(seconds, bytes), ``_total`` on counters. Label values are bounded by construction: the
dead-letter ``reason`` is one of :data:`DEAD_LETTER_REASONS`, anything else is counted as
``other`` so a malformed event can never mint a new series.

Per-key risk figures are not here: they are computed at scrape time from the engine's
arrays by :mod:`stream.risk_metrics`.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

__all__ = [
    "ALERT_LEVELS",
    "BATCH_SECONDS_BUCKETS",
    "BATCH_SIZE_BUCKETS",
    "DEAD_LETTER_REASONS",
    "LATENCY_SECONDS_BUCKETS",
    "OUTCOMES",
    "SNAPSHOT_SECONDS_BUCKETS",
    "Metrics",
    "dead_letter_reason",
]

PREFIX: Final = "supplyrisk"

OUTCOMES: Final = ("scored", "dead_lettered", "duplicate", "forwarded")
"""Values of ``outcome`` on ``supplyrisk_events_consumed_total``."""

DEAD_LETTER_REASONS: Final = (
    "not_json",
    "schema",
    "unknown_material",
    "bad_value",
    "future_timestamp",
    "oversized",
    "other",
)
"""Values of ``reason`` on ``supplyrisk_dead_letters_total`` (a closed set)."""

ALERT_LEVELS: Final = ("elevated", "high", "critical")
"""Values of ``level`` on ``supplyrisk_alerts_published_total``."""

# Micro-batches are up to a few thousand events; powers of two up to 16k.
BATCH_SIZE_BUCKETS: Final = (1.0, 2.0, 8.0, 32.0, 128.0, 512.0, 1024.0, 2048.0, 4096.0, 16384.0)
# A batch is scored in milliseconds; the top buckets catch stalls (GC, rebalance).
BATCH_SECONDS_BUCKETS: Final = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
)
# Produce-to-publish: batching adds up to the commit interval, backlogs add minutes.
LATENCY_SECONDS_BUCKETS: Final = (
    0.01,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    300.0,
    900.0,
)


# Saving one partition: a copy, serialising and an acknowledged write of megabytes.
SNAPSHOT_SECONDS_BUCKETS: Final = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def dead_letter_reason(reason: str) -> str:
    """``reason`` if it is one of :data:`DEAD_LETTER_REASONS`, else ``"other"``.

    >>> dead_letter_reason("schema"), dead_letter_reason("field 'x' is 3 km long")
    ('schema', 'other')
    """
    return reason if reason in DEAD_LETTER_REASONS else "other"


@dataclass(frozen=True, slots=True)
class Metrics:
    """Every metric the worker records, registered on one registry."""

    events_consumed: Counter
    dead_letters: Counter
    batch_size: Histogram
    batch_processing: Histogram
    end_to_end_latency: Histogram
    event_time_lag: Gauge
    last_event_timestamp: Gauge
    consumer_lag: Gauge
    scores_published: Counter
    alerts_published: Counter
    partitions_assigned: Gauge
    ready: Gauge
    snapshot_duration: Histogram
    snapshot_size: Gauge
    state_unsaved_age: Gauge
    build_info: Info

    @classmethod
    def create(cls, registry: CollectorRegistry, *, version: str | None = None) -> Metrics:
        """Register every metric on ``registry``; ``version`` defaults to the package's."""
        metrics = cls(
            events_consumed=Counter(
                "events_consumed",
                "Input events consumed, by topic and outcome (scored, dead_lettered, duplicate, "
                "forwarded to their company's home partition).",
                ["topic", "outcome"],
                registry=registry,
                namespace=PREFIX,
            ),
            dead_letters=Counter(
                "dead_letters",
                "Events sent to the dead-letter topic, by input topic and bounded reason.",
                ["topic", "reason"],
                registry=registry,
                namespace=PREFIX,
            ),
            batch_size=Histogram(
                "batch_size_events",
                "Events per micro-batch handed to the scoring core.",
                buckets=BATCH_SIZE_BUCKETS,
                registry=registry,
                namespace=PREFIX,
            ),
            batch_processing=Histogram(
                "batch_processing_seconds",
                "Wall time to decode, score, encode and publish one micro-batch.",
                buckets=BATCH_SECONDS_BUCKETS,
                registry=registry,
                namespace=PREFIX,
            ),
            end_to_end_latency=Histogram(
                "end_to_end_latency_seconds",
                "Time from an event's Kafka produce timestamp to the publication of its score.",
                buckets=LATENCY_SECONDS_BUCKETS,
                registry=registry,
                namespace=PREFIX,
            ),
            event_time_lag=Gauge(
                "event_time_lag_seconds",
                "Wall clock minus the event time of the newest event scored.",
                registry=registry,
                namespace=PREFIX,
            ),
            last_event_timestamp=Gauge(
                "last_event_timestamp_seconds",
                "Event time (Unix seconds) of the newest event scored.",
                registry=registry,
                namespace=PREFIX,
            ),
            consumer_lag=Gauge(
                "consumer_lag_messages",
                "Messages between the next offset to handle and the high watermark, per partition.",
                ["topic", "partition"],
                registry=registry,
                namespace=PREFIX,
            ),
            scores_published=Counter(
                "scores_published",
                "Score records published to the scores topic.",
                registry=registry,
                namespace=PREFIX,
            ),
            alerts_published=Counter(
                "alerts_published",
                "Alert records published to the alerts topic, by level.",
                ["level"],
                registry=registry,
                namespace=PREFIX,
            ),
            partitions_assigned=Gauge(
                "partitions_assigned",
                "Input partitions currently assigned to this worker.",
                registry=registry,
                namespace=PREFIX,
            ),
            ready=Gauge(
                "ready",
                "1 when partitions are assigned and state is recovered, else 0.",
                registry=registry,
                namespace=PREFIX,
            ),
            snapshot_duration=Histogram(
                "snapshot_duration_seconds",
                "Time to save one partition state: copy, serialise, acknowledged write.",
                buckets=SNAPSHOT_SECONDS_BUCKETS,
                registry=registry,
                namespace=PREFIX,
            ),
            snapshot_size=Gauge(
                "snapshot_size_bytes",
                "Size of the last snapshot written of each partition state.",
                ["partition"],
                registry=registry,
                namespace=PREFIX,
            ),
            state_unsaved_age=Gauge(
                "state_unsaved_age_seconds",
                "Age of the oldest change to a partition state not yet in a written "
                "snapshot (0: everything saved); a restart re-reads input back to it.",
                ["partition"],
                registry=registry,
                namespace=PREFIX,
            ),
            build_info=Info(
                "build",
                "Version of the service and of Python.",
                registry=registry,
                namespace=PREFIX,
            ),
        )
        metrics.build_info.info(
            {"version": version or _package_version(), "python": platform.python_version()}
        )
        # Pre-create the bounded label sets so rates exist (at 0) before the first event.
        for level in ALERT_LEVELS:
            metrics.alerts_published.labels(level=level)
        return metrics

    def count_consumed(self, topic: str, outcome: str, n: int = 1) -> None:
        """Add ``n`` events of ``topic`` with ``outcome`` (one of :data:`OUTCOMES`)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; expected one of {OUTCOMES}")
        self.events_consumed.labels(topic=topic, outcome=outcome).inc(n)

    def count_dead_letter(self, topic: str, reason: str, n: int = 1) -> None:
        """Add ``n`` dead letters of ``topic``; unknown reasons count as ``other``."""
        self.dead_letters.labels(topic=topic, reason=dead_letter_reason(reason)).inc(n)
        self.events_consumed.labels(topic=topic, outcome="dead_lettered").inc(n)

    def prepare_topic(self, topic: str) -> None:
        """Create the zero-valued series of ``topic`` so its rates exist from the start."""
        for outcome in OUTCOMES:
            self.events_consumed.labels(topic=topic, outcome=outcome)
        for reason in DEAD_LETTER_REASONS:
            self.dead_letters.labels(topic=topic, reason=reason)


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415 - rare path

    try:
        return version("supplyrisk")
    except PackageNotFoundError:
        return "unknown"
