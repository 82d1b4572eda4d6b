"""A linter for the Grafana dashboard, after the rules of grafana/dashboard-linter.

``lint(dashboard, exported)`` returns the problems of a raw dashboard model, each tagged
with the rule it breaks (the rule names are those of dashboard-linter):

- ``template-datasource-rule``: a ``datasource`` variable of type datasource for Prometheus,
  labelled "Data source";
- ``template-job-rule``: a ``job`` query variable on ``$datasource``, labelled ``job``,
  multi-select with ``allValue`` ``.+`` (the same for ``material`` and ``destination``);
- ``panel-datasource-rule``: every panel and target queries ``${datasource}``;
- ``panel-title-description-rule``: every panel has a title and a description;
- ``panel-units-rule``: every panel has a unit Grafana knows;
- ``target-rate-interval-rule``: ``rate``/``irate``/``increase`` use ``$__rate_interval``;
- ``target-job-rule``: every selector matches ``job=~"$job..."``;
- ``target-counter-agg-rule``: counters (and classic histogram series) appear only inside
  ``rate``/``irate``/``increase``;
- ``target-metric-rule``: every metric is one the service exports (or a recording rule);
- ``uneditable-rule``: the dashboard is not editable.

PromQL syntax itself is checked by ``promtool`` on the expressions (see :func:`as_rules`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Set
from dataclasses import dataclass
from typing import Any

__all__ = ["TEMPLATE_VALUES", "Exported", "Problem", "as_rules", "lint", "metric_names", "targets"]

# Grafana unit ids accepted here (a subset of Grafana's list: those this dashboard may use).
UNITS = frozenset(
    {
        "none",
        "short",
        "percent",
        "percentunit",
        "s",
        "ms",
        "µs",
        "ns",
        "ops",
        "reqps",
        "rps",
        "wps",
        "cps",
        "bytes",
        "decbytes",
        "bits",
        "Bps",
        "dtdurations",
        "dateTimeAsIso",
    }
)
RATE_FUNCTIONS = ("rate", "irate", "increase")
# Substituted for template variables before promtool parses an expression.
TEMPLATE_VALUES = {
    "$__rate_interval": "1m",
    "$__interval": "1m",
    "$__range": "1h",
    "$job": "supplyrisk",
    "$material": ".+",
    "$destination": ".+",
}
# Series Prometheus itself provides.
BUILTIN_METRICS = frozenset({"ALERTS", "ALERTS_FOR_STATE", "up"})
PROMQL_WORDS = frozenset(
    {
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "and",
        "or",
        "unless",
        "offset",
        "inf",
        "nan",
        "atan2",
    }
)
QUERY_VARIABLES = ("job", "material", "destination")


@dataclass(frozen=True, slots=True)
class Problem:
    rule: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Exported:
    """What the service exports: metric names, and which of them are counters."""

    metrics: Set[str]
    counters: Set[str]


def targets(dashboard: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(panel title, target) for every query target of every panel."""
    for panel in _panels(dashboard):
        for target in panel.get("targets", []):
            yield panel.get("title", f"panel {panel.get('id')}"), target


def lint(dashboard: dict[str, Any], exported: Exported) -> list[Problem]:
    """Every problem of ``dashboard``; an empty list means it passes."""
    problems = [*_lint_templates(dashboard)]
    if dashboard.get("editable") is not False:
        problems.append(Problem("uneditable-rule", "dashboard", "editable must be false"))
    for panel in _panels(dashboard):
        problems += _lint_panel(panel)
    for title, target in targets(dashboard):
        problems += _lint_expr(title, target.get("expr", ""), exported)
    return problems


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def _lint_templates(dashboard: dict[str, Any]) -> Iterator[Problem]:
    variables = {v.get("name"): v for v in dashboard.get("templating", {}).get("list", [])}
    rule = "template-datasource-rule"
    source = variables.get("datasource")
    if source is None:
        yield Problem(rule, "templating", "no variable named datasource")
    elif source.get("type") != "datasource" or source.get("query") != "prometheus":
        yield Problem(rule, "datasource", "must be a datasource variable for prometheus")
    elif source.get("label") != "Data source":
        yield Problem(rule, "datasource", "must be labelled 'Data source'")
    for name in QUERY_VARIABLES:
        rule = "template-job-rule" if name == "job" else "template-variable-rule"
        variable = variables.get(name)
        if variable is None:
            yield Problem(rule, "templating", f"no variable named {name}")
            continue
        if not _is_templated_source(variable.get("datasource")):
            yield Problem(rule, name, "must use the $datasource data source")
        if variable.get("type") != "query":
            yield Problem(rule, name, "must be a query variable")
        if variable.get("label") != name:
            yield Problem(rule, name, f"must be labelled {name!r}")
        if not variable.get("multi") or not variable.get("includeAll"):
            yield Problem(rule, name, "must be multi-select with All")
        if variable.get("allValue") != ".+":
            yield Problem(rule, name, "allValue must be '.+'")


def _is_templated_source(source: Any) -> bool:
    uid = source.get("uid") if isinstance(source, dict) else source
    return uid in {"$datasource", "${datasource}"}


def _lint_panel(panel: dict[str, Any]) -> Iterator[Problem]:
    where = panel.get("title") or f"panel {panel.get('id')}"
    if not panel.get("title"):
        yield Problem("panel-title-description-rule", where, "no title")
    if not panel.get("description"):
        yield Problem("panel-title-description-rule", where, "no description")
    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
    if unit not in UNITS:
        yield Problem("panel-units-rule", where, f"no valid unit (has {unit!r})")
    if not _is_templated_source(panel.get("datasource")):
        yield Problem("panel-datasource-rule", where, "must query ${datasource}")
    for target in panel.get("targets", []):
        if not _is_templated_source(target.get("datasource", panel.get("datasource"))):
            yield Problem("panel-datasource-rule", where, f"target {target.get('refId')}")


def _lint_expr(where: str, expr: str, exported: Exported) -> Iterator[Problem]:
    for function, window in re.findall(r"\b(rate|irate|increase)\s*\(.*?\[([^\]]*)\]", expr):
        if window != "$__rate_interval":
            yield Problem("target-rate-interval-rule", where, f"{function} over [{window}]")
    for name, matchers, start in _selectors(expr):
        if not re.search(r'\bjob\s*=~\s*"\$job', matchers):
            yield Problem("target-job-rule", where, f'{name} has no job=~"$job" matcher')
        if name not in exported.metrics and name not in BUILTIN_METRICS:
            yield Problem("target-metric-rule", where, f"{name} is not exported by the service")
        if name in exported.counters and _enclosing_function(expr, start) not in RATE_FUNCTIONS:
            yield Problem("target-counter-agg-rule", where, f"counter {name} outside rate()")


_SELECTOR = re.compile(r"(?<![\w:$.])([A-Za-z_:][\w:]*)\s*(\{[^}]*\})?")


def _selectors(expr: str) -> Iterator[tuple[str, str, int]]:
    """(metric name, label matchers, offset) of each vector selector in ``expr``."""
    masked = _mask(expr)
    for match in _SELECTOR.finditer(masked):
        name, matchers = match.group(1), match.group(2) or ""
        after = masked[match.end() :].lstrip()
        called = after.startswith("(") or re.match(r"(by|without)\s*\(", after)
        if name in PROMQL_WORDS or (not matchers and called):
            continue  # a keyword, a function call or an aggregation
        if _inside_grouping(masked, match.start()):
            continue  # a label name in by (...) / on (...)
        yield name, expr[match.start(2) : match.end(2)] if matchers else "", match.start()


def _mask(expr: str) -> str:
    """``expr`` with string literals and durations blanked, offsets preserved."""
    blank = re.sub(r'"(?:[^"\\]|\\.)*"', lambda m: '"' + " " * (len(m.group()) - 2) + '"', expr)
    return re.sub(r"\[[^\]]*\]", lambda m: " " * len(m.group()), blank)


def _inside_grouping(masked: str, position: int) -> bool:
    opening = masked.rfind("(", 0, position)
    if opening < 0 or ")" in masked[opening:position]:
        return False
    return bool(
        re.search(r"\b(by|without|on|ignoring|group_left|group_right)\s*$", masked[:opening])
    )


def _enclosing_function(expr: str, position: int) -> str:
    depth = 0
    for i in range(position - 1, -1, -1):
        if expr[i] == ")":
            depth += 1
        elif expr[i] == "(":
            if depth == 0:
                called = re.search(r"([A-Za-z_]\w*)\s*$", expr[:i])
                return called.group(1) if called else ""
            depth -= 1
    return ""


def metric_names(dashboard: dict[str, Any]) -> set[str]:
    """Every metric name the dashboard's expressions select."""
    return {name for _, t in targets(dashboard) for name, _, _ in _selectors(t.get("expr", ""))}


def as_rules(dashboard: dict[str, Any]) -> dict[str, Any]:
    """The expressions, template variables substituted, as a rules file for ``promtool``."""
    rules = []
    for i, (title, target) in enumerate(targets(dashboard)):
        expr = target.get("expr", "")
        for variable, value in TEMPLATE_VALUES.items():
            expr = expr.replace(variable, value)
        record = f"dashboard:panel_{i}:{re.sub(r'[^a-z0-9]+', '_', title.lower()).strip('_')}"
        rules.append({"record": record, "expr": expr})
    return {"groups": [{"name": "dashboard-expressions", "rules": rules}]}
