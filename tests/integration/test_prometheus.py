"""End to end with a real Prometheus: our metrics are scraped, recorded and alerted on.

Two targets: an in-process ``prometheus_client`` server exposing ``Metrics.create`` and the
risk collector fed a view with critical keys (the alerting path, fast and deterministic),
and a real ``supplyrisk worker`` fed the scenario on the test broker (the metrics a
deployment actually exports). Both go through ``prometheus_harness.run_prometheus``.
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from prometheus_client import CollectorRegistry, start_http_server

from stream.metrics import Metrics
from stream.risk_metrics import LEVELS, RiskCollector, RiskView
from tests.integration.workers import SCENARIO, WorkerProcess, cli, service_env

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # monitoring/ is a source folder, not an installed package
    sys.path.insert(0, str(ROOT))


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


harness = _load("prometheus_harness")
rules = importlib.import_module("monitoring.rules")

FAST = rules.Thresholds(
    rate_window="10s",
    material_critical_for="2s",
    rise_window="30s",
    rise_for="2s",
    dead_letter_for="2s",
    lag_window="10s",
    lag_for="2s",
    stall_window="10s",
    stall_for="1h",  # the target's counters are static: keep this alert out of the way
    absent_for="2s",
)
CRITICAL, HIGH = LEVELS.index("critical"), LEVELS.index("high")


def risk_view() -> RiskView:
    """Three Dy keys to Japan at critical, two Tb keys to Japan at high, one Nd key low."""
    return RiskView(
        score=np.array([91.0, 88.5, 95.0, 72.0, 70.0, 12.0]),
        level=np.array([CRITICAL, CRITICAL, CRITICAL, HIGH, HIGH, 0], dtype=np.int8),
        material=np.array([0, 0, 0, 1, 1, 2], dtype=np.int32),
        destination=np.array([0, 0, 0, 0, 0, 1], dtype=np.int32),
        material_codes=("DY", "TB", "ND"),
        destination_codes=("JP", "DE"),
    )


@pytest.fixture
def target() -> Iterator[str]:
    registry = CollectorRegistry()
    metrics = Metrics.create(registry)
    registry.register(RiskCollector(risk_view))
    metrics.prepare_topic("supplyrisk.shipments")
    metrics.count_consumed("supplyrisk.shipments", "scored", 40)
    metrics.count_dead_letter("supplyrisk.shipments", "schema")
    metrics.ready.set(1)
    metrics.partitions_assigned.set(8)
    metrics.last_event_timestamp.set_to_current_time()
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_metrics_are_scraped_recorded_and_alerted_on(target: str, tmp_path: Path) -> None:
    with harness.run_prometheus([target], rules.render_rules_file(FAST), tmp_path) as prom:
        harness.wait_until(prom.targets_up, 20, "the target to be scraped")
        up = harness.wait_until(lambda: prom.values('up{job="supplyrisk"}'), 20, "up")
        assert list(up.values()) == [1.0]

        keys = prom.values('supplyrisk_keys_at_risk{job="supplyrisk"}')
        by_labels = {
            (dict(k)["material"], dict(k)["destination"], dict(k)["level"]): v
            for k, v in keys.items()
        }
        assert by_labels[("DY", "JP", "critical")] == 3
        assert by_labels[("TB", "JP", "high")] == 2
        assert by_labels[("ND", "DE", "critical")] == 0
        assert prom.values("supplyrisk_keys_tracked")  # the collector's series exist
        build = prom.query("supplyrisk_build_info")
        assert build and build[0]["metric"]["python"].startswith("3.")
        consumed = prom.values('supplyrisk_events_consumed_total{outcome="dead_lettered"}')
        assert list(consumed.values()) == [1.0]

        recorded = harness.wait_until(
            lambda: prom.values("job_material:supplyrisk_keys_critical:sum"),
            20,
            "the recording rule",
        )
        assert {dict(k)["material"]: v for k, v in recorded.items()} == {
            "DY": 3.0,
            "TB": 0.0,
            "ND": 0.0,
        }

        def firing() -> list[dict[str, object]]:
            return [
                a
                for a in prom.alerts()
                if a["labels"]["alertname"] == "SupplyRiskMaterialCritical"
                and a["state"] == "firing"
            ]

        (alert,) = harness.wait_until(firing, 30, "SupplyRiskMaterialCritical to fire")
        assert alert["labels"]["material"] == "DY"
        assert alert["labels"]["severity"] == "critical"
        assert "docs/runbooks.md#supplyriskmaterialcritical" in alert["annotations"]["runbook_url"]
        active = {a["labels"]["alertname"]: a["state"] for a in prom.alerts()}
        assert "SupplyRiskTargetAbsent" not in active
        assert "SupplyRiskDeadLetterRateHigh" not in active  # 1 in 41 on a trickle
        # The target's counters are static, so this one is pending (its for: is an hour).
        assert active.get("SupplyRiskNoEventsProcessed") in {None, "pending"}


def test_an_absent_target_fires_target_absent(tmp_path: Path) -> None:
    nobody = f"127.0.0.1:{harness.free_port()}"
    with harness.run_prometheus([nobody], rules.render_rules_file(FAST), tmp_path) as prom:

        def firing() -> bool:
            return any(
                a["labels"]["alertname"] == "SupplyRiskTargetAbsent" and a["state"] == "firing"
                for a in prom.alerts()
            )

        harness.wait_until(firing, 30, "SupplyRiskTargetAbsent to fire")


def _config_with_critical_at(threshold: float, into: Path) -> Path:
    """A copy of config/ whose critical level starts at ``threshold`` (test config only)."""
    shutil.copytree(ROOT / "config", into, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    scoring = into / "scoring.toml"
    text = scoring.read_text()
    assert "level_thresholds = [25.0, 45.0, 60.0, 75.0]" in text
    scoring.write_text(text.replace("60.0, 75.0]", f"60.0, {threshold}]"))
    return into


def test_a_real_worker_is_scraped_with_the_catalogued_metrics(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """A ``supplyrisk worker`` scraped while the scenario is replayed: our series exist and
    the critical-risk alert fires from the worker's own risk metrics."""
    env = service_env(kafka_bootstrap, tmp_path / "data", partitions=2)
    # The scenario's riskiest keys peak just under 75; a test-only threshold of 70 makes
    # the January 2026 freeze push Japanese dysprosium buyers to critical.
    env["SUPPLYRISK_CONFIG_DIR"] = str(_config_with_critical_at(70.0, tmp_path / "config"))
    cli(env, "topics", "create")
    worker = WorkerProcess(env, tmp_path / "worker.log")
    try:
        worker.wait_ready()
        target = f"127.0.0.1:{worker.port}"
        rules_text = rules.render_rules_file(FAST)
        with harness.run_prometheus([target], rules_text, tmp_path / "prometheus") as prom:
            harness.wait_until(prom.targets_up, 30, "the worker to be scraped")
            cli(env, "replay", "--events", str(SCENARIO), "--rate", "2000")

            def consumed() -> float:
                total = prom.values("sum(supplyrisk_events_consumed_total)")
                return float(sum(total.values()))

            harness.wait_until(consumed, 60, "consumed events in Prometheus")
            assert sum(prom.values("supplyrisk_ready").values()) == 1
            assert sum(prom.values("supplyrisk_partitions_assigned").values()) == 2
            assert prom.values("supplyrisk_build_info")

            # Everything the worker exports under our prefix is in the catalogue.
            registry = CollectorRegistry()
            Metrics.create(registry)
            registry.register(RiskCollector(RiskView.empty))
            catalogued = {f.name for f in registry.collect()}
            names = prom.get("/api/v1/label/__name__/values")
            exported = {n for n in names if n.startswith("supplyrisk_")}
            assert exported, "the worker exports no supplyrisk_ series"
            unknown = {n for n in exported if not any(n.startswith(c) for c in catalogued)}
            assert unknown == set(), f"not in stream/metrics.py: {sorted(unknown)}"

            # Absent before the first scrape, the alert clears once the worker is scraped.
            def target_absent_cleared() -> bool:
                return "SupplyRiskTargetAbsent" not in {
                    a["labels"]["alertname"] for a in prom.alerts()
                }

            harness.wait_until(target_absent_cleared, 20, "SupplyRiskTargetAbsent to clear")

            def critical_firing() -> list[dict[str, Any]]:
                return [
                    a for a in prom.alerts()
                    if a["labels"]["alertname"] == "SupplyRiskMaterialCritical"
                    and a["state"] == "firing"
                ]  # fmt: skip

            alerts = harness.wait_until(critical_firing, 60, "SupplyRiskMaterialCritical")
            assert "Dy" in {a["labels"]["material"] for a in alerts}
            keys = prom.values('supplyrisk_keys_at_risk{level="critical"}')
            assert sum(keys.values()) >= 1
    finally:
        worker.stop()
