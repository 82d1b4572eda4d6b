"""The rules source, its two renders, and promtool's own checks and unit tests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitoring import rules
from monitoring.tools import ROOT, run_tool

RULE_TESTS = sorted((ROOT / "monitoring" / "tests").glob("*.yml"))
RUNBOOKS = ROOT / "docs" / "runbooks.md"


def test_committed_renders_are_up_to_date() -> None:
    assert rules.RULES_FILE.read_text() == rules.render_rules_file(), (
        "monitoring/generated/supplyrisk.rules.yml is stale: run python -m monitoring.rules"
    )
    assert rules.CRD_FILE.read_text() == rules.render_crd(), (
        "k8s/base/prometheusrule.yaml is stale: run python -m monitoring.rules"
    )


def test_check_mode_reports_a_stale_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "supplyrisk.rules.yml"
    stale.write_text(rules.render_rules_file(rules.Thresholds(material_critical_for="1m")))
    monkeypatch.setattr(rules, "RULES_FILE", stale)
    assert rules.main(["--check"]) == 1
    assert rules.main([]) == 0
    assert rules.main(["--check"]) == 0


def test_both_renders_hold_the_same_groups() -> None:
    plain = yaml.safe_load(rules.RULES_FILE.read_text())
    crd = yaml.safe_load(rules.CRD_FILE.read_text())
    assert crd["kind"] == "PrometheusRule"
    assert crd["spec"]["groups"] == plain["groups"]


def test_promtool_accepts_the_rules_file() -> None:
    result = run_tool("promtool", "check", "rules", rules.RULES_FILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_accepts_a_fast_variant(tmp_path: Path) -> None:
    fast = rules.Thresholds(
        rate_window="10s",
        material_critical_for="2s",
        rise_window="30s",
        rise_for="2s",
        dead_letter_for="2s",
        lag_window="10s",
        lag_for="2s",
        stall_window="10s",
        stall_for="2s",
        absent_for="2s",
    )
    path = tmp_path / "fast.rules.yml"
    path.write_text(rules.render_rules_file(fast))
    result = run_tool("promtool", "check", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "for: 2s" in path.read_text()


def test_promtool_rejects_a_broken_rules_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.rules.yml"
    broken.write_text(
        rules.render_rules_file().replace("sum by (job, topic)", "sum by (job, topic", 1)
    )
    result = run_tool("promtool", "check", "rules", broken)
    assert result.returncode != 0


def test_promtool_unit_tests_pass() -> None:
    assert RULE_TESTS, "no promtool unit tests in monitoring/tests"
    result = run_tool("promtool", "test", "rules", *RULE_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULE_TESTS)


def _alert_cases() -> dict[str, dict[str, int]]:
    cases: dict[str, dict[str, int]] = {}
    for path in RULE_TESTS:
        document: dict[str, Any] = yaml.safe_load(path.read_text())
        for test in document["tests"]:
            for case in test.get("alert_rule_test", []):
                kind = "firing" if case.get("exp_alerts") else "silent"
                counts = cases.setdefault(case["alertname"], {"firing": 0, "silent": 0})
                counts[kind] += 1
    return cases


def test_every_alert_has_a_firing_and_a_silent_unit_test() -> None:
    cases = _alert_cases()
    for name in rules.ALERT_NAMES:
        assert cases.get(name, {}).get("firing"), f"{name}: no promtool case where it fires"
        assert cases.get(name, {}).get("silent"), f"{name}: no promtool case where it stays silent"
    assert set(cases) <= set(rules.ALERT_NAMES), "a promtool test names an unknown alert"


def test_alerts_are_named_labelled_and_annotated() -> None:
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", RUNBOOKS.read_text(), flags=re.MULTILINE)
    }
    for alert in rules.alert_rules(rules.Thresholds()):
        name = alert["alert"]
        assert name.startswith("SupplyRisk")
        assert alert["labels"]["severity"] in {"warning", "critical"}
        assert set(alert["annotations"]) >= {"summary", "description", "runbook_url"}
        anchor = alert["annotations"]["runbook_url"].rsplit("#", 1)[1]
        assert anchor in anchors, f"{name}: docs/runbooks.md has no section #{anchor}"


def test_recording_rules_follow_the_naming_convention() -> None:
    for rule in rules.recording_rules(rules.Thresholds()):
        level, metric, operation = rule["record"].split(":")
        assert metric.startswith("supplyrisk_") and not metric.endswith("_total")
        assert "job" in level.split("_") and operation
