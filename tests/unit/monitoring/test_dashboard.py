"""The Grafana dashboard: the dashboard-linter rules, PromQL that parses, metrics that exist."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from monitoring import dashboard_lint, rules
from monitoring.tools import ROOT, run_tool
from stream.metrics import Metrics
from stream.risk_metrics import RiskCollector, RiskView

DASHBOARD = ROOT / "monitoring" / "grafana" / "supplyrisk.json"

SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "info": ("_info",),
    "gauge": ("",),
}


def exported() -> dashboard_lint.Exported:
    """Series names from Metrics.create, the risk collector and the recording rules."""
    registry = CollectorRegistry()
    Metrics.create(registry)
    service = {(f.name, f.type) for f in registry.collect()}
    collected = {(f.name, f.type) for f in RiskCollector(RiskView.empty).describe()}
    names = {name + s for name, kind in service | collected for s in SUFFIXES[kind]}
    names |= {r["record"] for r in rules.recording_rules(rules.Thresholds())}
    # Classic histogram series of the service are counters; the collector's key-score
    # histogram is a snapshot over keys and is read without rate().
    counters = {
        name + s
        for name, kind in service
        if kind in {"counter", "histogram"}
        for s in SUFFIXES[kind]
    }
    return dashboard_lint.Exported(metrics=frozenset(names), counters=frozenset(counters))


def load() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return document


def test_the_dashboard_passes_the_lint() -> None:
    problems = dashboard_lint.lint(load(), exported())
    assert problems == [], "\n".join(map(str, problems))


def test_every_expression_parses_with_promtool(tmp_path: Path) -> None:
    path = tmp_path / "dashboard.rules.yml"
    document = dashboard_lint.as_rules(load())
    assert document["groups"][0]["rules"]
    path.write_text(yaml.safe_dump(document))
    result = run_tool("promtool", "check", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rejects_a_broken_expression(tmp_path: Path) -> None:
    dashboard = load()
    dashboard["panels"][0]["targets"][0]["expr"] += ")"
    path = tmp_path / "broken.rules.yml"
    path.write_text(yaml.safe_dump(dashboard_lint.as_rules(dashboard)))
    assert run_tool("promtool", "check", "rules", path).returncode != 0


def test_identity_and_the_panels_operators_need() -> None:
    dashboard = load()
    assert dashboard["uid"] == "supplyrisk-overview"
    assert dashboard["editable"] is False
    titles = [p["title"] for p in dashboard["panels"]]
    assert len(titles) == len(set(titles))
    names = dashboard_lint.metric_names(dashboard)
    for needed in (
        "supplyrisk_events_consumed_total",
        "supplyrisk_end_to_end_latency_seconds_bucket",
        "supplyrisk_consumer_lag_messages",
        "supplyrisk_dead_letters_total",
        "supplyrisk_keys",
        "supplyrisk_material_score_max",
        "ALERTS",
    ):
        assert needed in names, f"no panel shows {needed}"
    exprs = [t["expr"] for _, t in dashboard_lint.targets(dashboard)]
    assert any('alertname=~"SupplyRisk.*"' in e for e in exprs)
    assert any("topk(" in e and "supplyrisk_material_score_max" in e for e in exprs)


def _panel_expr(dashboard: dict[str, Any], needle: str) -> dict[str, Any]:
    return next(t for _, t in dashboard_lint.targets(dashboard) if needle in t["expr"])


def _variable(dashboard: dict[str, Any], name: str) -> dict[str, Any]:
    return next(v for v in dashboard["templating"]["list"] if v["name"] == name)


def _replace_in_expr(needle: str, old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def breakage(dashboard: dict[str, Any]) -> None:
        target = _panel_expr(dashboard, needle)
        assert old in target["expr"]
        target["expr"] = target["expr"].replace(old, new)

    return breakage


BREAKAGES: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    (
        "template-datasource-rule",
        lambda d: d["templating"]["list"].remove(_variable(d, "datasource")),
    ),
    ("template-datasource-rule", lambda d: _variable(d, "datasource").update(label="DS")),
    ("template-job-rule", lambda d: _variable(d, "job").update(multi=False)),
    ("template-job-rule", lambda d: _variable(d, "job").update(allValue=".*")),
    ("template-job-rule", lambda d: _variable(d, "job").update(datasource={"uid": "prom"})),
    ("panel-title-description-rule", lambda d: d["panels"][0].pop("description")),
    ("panel-title-description-rule", lambda d: d["panels"][1].update(title="")),
    ("panel-units-rule", lambda d: d["panels"][2]["fieldConfig"]["defaults"].pop("unit")),
    ("panel-units-rule", lambda d: d["panels"][2]["fieldConfig"]["defaults"].update(unit="x")),
    ("panel-datasource-rule", lambda d: d["panels"][3].update(datasource={"uid": "prom"})),
    (
        "target-rate-interval-rule",
        _replace_in_expr("supplyrisk_dead_letters_total", "$__rate_interval", "5m"),
    ),
    (
        "target-job-rule",
        _replace_in_expr("supplyrisk_consumer_lag_messages", 'job=~"$job"', 'topic!=""'),
    ),
    (
        "target-counter-agg-rule",
        _replace_in_expr(
            "supplyrisk_scores_published_total",
            'rate(supplyrisk_scores_published_total{job=~"$job"}[$__rate_interval])',
            'supplyrisk_scores_published_total{job=~"$job"}',
        ),
    ),
    (
        "target-metric-rule",
        _replace_in_expr("supplyrisk_keys{", "supplyrisk_keys{", "supplyrisk_key_count{"),
    ),
    ("uneditable-rule", lambda d: d.update(editable=True)),
]


@pytest.mark.parametrize(("rule", "breakage"), BREAKAGES)
def test_the_lint_fails_a_broken_copy(
    rule: str, breakage: Callable[[dict[str, Any]], None]
) -> None:
    dashboard = copy.deepcopy(load())
    breakage(dashboard)
    problems = dashboard_lint.lint(dashboard, exported())
    assert rule in {p.rule for p in problems}, [str(p) for p in problems]


def test_every_lint_rule_has_a_failing_case() -> None:
    documented = {
        line.split("``")[1]
        for line in (dashboard_lint.__doc__ or "").splitlines()
        if line.startswith("- ``")
    }
    assert documented <= {rule for rule, _ in BREAKAGES}


@pytest.mark.parametrize(
    ("expr", "selectors"),
    [
        ('sum by (le, job) (rate(a_total{job=~"$job"}[$__rate_interval]))', {"a_total"}),
        ('time() - max by (instance) (b{job=~"$job", x="by (y)"})', {"b"}),
        (
            'histogram_quantile(0.99, c_bucket{job=~"$job"}) > on (job) group_left d',
            {"c_bucket", "d"},
        ),
        ("topk(10, e) or vector(0)", {"e"}),
    ],
)
def test_selector_extraction(expr: str, selectors: set[str]) -> None:
    dashboard = {"panels": [{"title": "t", "targets": [{"expr": expr}]}]}
    assert dashboard_lint.metric_names(dashboard) == selectors
