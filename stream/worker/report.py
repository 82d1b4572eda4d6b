"""What one batch did, and how it is counted in the worker's metrics."""

from __future__ import annotations

from dataclasses import dataclass, field

from stream.metrics import Metrics

__all__ = ["BatchReport", "count_batch", "count_outputs"]


@dataclass(slots=True)
class BatchReport:
    """What one batch did, for metrics."""

    topic: str
    events: int = 0
    applied: int = 0
    duplicates: int = 0
    forwarded: int = 0  # sent on to their company's home partition
    dead_letter_reasons: list[str] = field(default_factory=list)
    scores: int = 0
    alert_levels: list[str] = field(default_factory=list)
    latest_event_s: float = float("nan")
    oldest_produce_s: float = float("nan")


def count_outputs(metrics: Metrics, report: BatchReport) -> None:
    """Count the scores and alerts a batch (or a decay refresh) published."""
    metrics.scores_published.inc(report.scores)
    for level in report.alert_levels:
        metrics.alerts_published.labels(level).inc()


def count_batch(metrics: Metrics, report: BatchReport, now_s: float) -> None:
    """Count a batch of input: its events by outcome, dead letters by reason, outputs,
    event-time lag and the end-to-end latency of its oldest record at ``now_s``."""
    m = metrics
    m.batch_size.observe(report.events)
    m.count_consumed(report.topic, "scored", report.applied)
    m.count_consumed(report.topic, "duplicate", report.duplicates)
    m.count_consumed(report.topic, "forwarded", report.forwarded)
    for reason in report.dead_letter_reasons:  # also counts the dead_lettered outcome
        m.count_dead_letter(report.topic, reason)
    count_outputs(m, report)
    if report.latest_event_s == report.latest_event_s:  # not NaN
        m.last_event_timestamp.set(report.latest_event_s)
        m.event_time_lag.set(now_s - report.latest_event_s)
    m.end_to_end_latency.observe(max(now_s - report.oldest_produce_s, 0.0))
