"""The metrics module: names, units, bounded labels, a fresh registry per test."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from stream.metrics import DEAD_LETTER_REASONS, OUTCOMES, Metrics
from stream.worker.report import BatchReport, count_batch


def scrape(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_every_family_has_the_prefix_and_counters_end_in_total() -> None:
    registry = CollectorRegistry()
    Metrics.create(registry)
    families = list(text_string_to_metric_families(generate_latest(registry).decode()))
    assert families
    for family in families:
        assert family.name.startswith("supplyrisk_"), family.name
        for sample in family.samples:
            if family.type == "counter" and not sample.name.endswith("_created"):
                assert sample.name.endswith("_total"), sample.name


def test_two_registries_do_not_share_state() -> None:
    first, second = CollectorRegistry(), CollectorRegistry()
    Metrics.create(first).scores_published.inc(3)
    Metrics.create(second)
    assert scrape(first)[("supplyrisk_scores_published_total", ())] == 3
    assert scrape(second)[("supplyrisk_scores_published_total", ())] == 0


def test_creating_twice_on_one_registry_is_refused() -> None:
    registry = CollectorRegistry()
    Metrics.create(registry)
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        Metrics.create(registry)


def test_dead_letter_counts_reason_and_outcome() -> None:
    registry = CollectorRegistry()
    metrics = Metrics.create(registry)
    metrics.count_dead_letter("shipments", "schema", 2)
    metrics.count_dead_letter("shipments", "a message with \x00 in it")
    samples = scrape(registry)
    dead = "supplyrisk_dead_letters_total"
    assert samples[(dead, (("reason", "schema"), ("topic", "shipments")))] == 2
    assert samples[(dead, (("reason", "other"), ("topic", "shipments")))] == 1
    consumed = ("outcome", "dead_lettered"), ("topic", "shipments")
    assert samples[("supplyrisk_events_consumed_total", consumed)] == 3
    reasons = {dict(labels)["reason"] for name, labels in samples if name == dead}
    assert reasons <= set(DEAD_LETTER_REASONS)


def test_prepare_topic_creates_zero_series_for_every_outcome_and_reason() -> None:
    registry = CollectorRegistry()
    Metrics.create(registry).prepare_topic("news")
    samples = scrape(registry)
    for outcome in OUTCOMES:
        key = ("supplyrisk_events_consumed_total", (("outcome", outcome), ("topic", "news")))
        assert samples[key] == 0
    for reason in DEAD_LETTER_REASONS:
        key = ("supplyrisk_dead_letters_total", (("reason", reason), ("topic", "news")))
        assert samples[key] == 0


def test_unknown_outcome_is_a_programming_error() -> None:
    metrics = Metrics.create(CollectorRegistry())
    with pytest.raises(ValueError, match="unknown outcome"):
        metrics.count_consumed("news", "dropped")


def test_histograms_use_base_units_and_explicit_buckets() -> None:
    registry = CollectorRegistry()
    metrics = Metrics.create(registry)
    metrics.batch_processing.observe(0.003)
    metrics.end_to_end_latency.observe(42.0)
    metrics.batch_size.observe(1000)
    samples = scrape(registry)
    le = "supplyrisk_batch_processing_seconds_bucket"
    assert samples[(le, (("le", "0.0025"),))] == 0
    assert samples[(le, (("le", "0.005"),))] == 1
    assert samples[("supplyrisk_end_to_end_latency_seconds_bucket", (("le", "30.0"),))] == 0
    assert samples[("supplyrisk_end_to_end_latency_seconds_bucket", (("le", "60.0"),))] == 1
    assert samples[("supplyrisk_batch_size_events_bucket", (("le", "1024.0"),))] == 1


def test_build_info_carries_version_and_python() -> None:
    registry = CollectorRegistry()
    Metrics.create(registry, version="9.9.9")
    infos = [labels for name, labels in scrape(registry) if name == "supplyrisk_build_info"]
    assert len(infos) == 1
    labels = dict(infos[0])
    assert labels["version"] == "9.9.9"
    assert labels["python"].startswith("3.")


def test_gauges_record_lag_and_readiness() -> None:
    registry = CollectorRegistry()
    metrics = Metrics.create(registry)
    metrics.consumer_lag.labels(topic="shipments", partition="3").set(120)
    metrics.ready.set(1)
    metrics.partitions_assigned.set(4)
    samples = scrape(registry)
    key = ("supplyrisk_consumer_lag_messages", (("partition", "3"), ("topic", "shipments")))
    assert samples[key] == 120
    assert samples[("supplyrisk_ready", ())] == 1
    assert samples[("supplyrisk_partitions_assigned", ())] == 4


def test_a_batch_report_is_counted_by_outcome_and_reason() -> None:
    registry = CollectorRegistry()
    report = BatchReport("shipments", events=8, applied=3, duplicates=1, forwarded=2)
    report.dead_letter_reasons += ["schema", "bad_value"]
    count_batch(Metrics.create(registry), report, now_s=100.0)
    samples = scrape(registry)
    consumed = {
        dict(labels)["outcome"]: value
        for (name, labels), value in samples.items()
        if name == "supplyrisk_events_consumed_total"
    }
    assert consumed == {"scored": 3, "duplicate": 1, "forwarded": 2, "dead_lettered": 2}
    for reason in ("schema", "bad_value"):
        key = ("supplyrisk_dead_letters_total", (("reason", reason), ("topic", "shipments")))
        assert samples[key] == 1
