"""The Kubernetes overlays render, validate offline and keep their operational promises.

Each overlay is rendered with ``kubectl kustomize`` and checked with ``kubernetes-validate
--strict`` (built-in kinds), the vendored CRD schemas in ``k8s/schemas`` (ServiceMonitor,
PrometheusRule, ScaledObject, TriggerAuthentication) and ``checkov``; then the properties the
design relies on are asserted on the rendered objects.
"""

from __future__ import annotations

import copy
import json
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from monitoring import rules
from monitoring.tools import ROOT, run_tool

OVERLAYS = ("dev", "prod")
SCHEMAS = {
    ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule_v1.json",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor_v1.json",
    ("keda.sh/v1alpha1", "ScaledObject"): "scaledobject_v1alpha1.json",
    ("keda.sh/v1alpha1", "TriggerAuthentication"): "triggerauthentication_v1alpha1.json",
}
CONFIG_FILES = ("service.toml", "scoring.toml", "materials.csv", "wgi.csv", "lexicon.toml")

Doc = dict[str, Any]


@cache
def render_text(overlay: str) -> str:
    result = run_tool(
        "kubectl",
        "kustomize",
        "--load-restrictor",
        "LoadRestrictionsNone",
        ROOT / "k8s" / "overlays" / overlay,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def render(overlay: str) -> list[Doc]:
    return [d for d in yaml.safe_load_all(render_text(overlay)) if d]


def one(docs: list[Doc], kind: str) -> Doc:
    found = [d for d in docs if d["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, got {len(found)}"
    return found[0]


def dump(tmp_path: Path, name: str, docs: list[Doc]) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return path


def kubernetes_validate(path: Path) -> tuple[int, str]:
    result = run_tool("kubernetes-validate", "--strict", "--quiet", path)
    return result.returncode, result.stdout + result.stderr


def crd_errors(doc: Doc) -> list[str]:
    """Schema errors of a custom resource, plus any use of a subtree vendored reduced."""
    schema = json.loads(
        (ROOT / "k8s" / "schemas" / SCHEMAS[doc["apiVersion"], doc["kind"]]).read_text()
    )
    validator = jsonschema.Draft202012Validator(schema)
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)
    ]
    errors += [f"{p}: uses a subtree vendored reduced" for p in _reduced_paths(schema, doc, "")]
    return errors


def _reduced_paths(schema: dict[str, Any], value: Any, path: str) -> list[str]:
    if schema.get("x-reduced"):
        return [path]
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            sub = schema.get("properties", {}).get(key)
            if sub is not None:
                found += _reduced_paths(sub, item, f"{path}/{key}")
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found += _reduced_paths(schema["items"], item, f"{path}/{i}")
    return found


def checkov(path: Path) -> tuple[int, str]:
    result = run_tool(
        "checkov", "--config-file", ROOT / "k8s" / "checkov.yaml", "-f", path, cwd=path.parent
    )
    return result.returncode, result.stdout + result.stderr


# --- offline validation ---------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_builtin_kinds_pass_kubernetes_validate_strict(overlay: str, tmp_path: Path) -> None:
    builtin = [d for d in render(overlay) if (d["apiVersion"], d["kind"]) not in SCHEMAS]
    assert {d["kind"] for d in builtin} >= {"Deployment", "Service", "ConfigMap", "NetworkPolicy"}
    code, output = kubernetes_validate(dump(tmp_path, f"{overlay}.yaml", builtin))
    assert code == 0, output


def test_kubernetes_validate_rejects_a_misspelt_field(tmp_path: Path) -> None:
    deployment = copy.deepcopy(one(render("prod"), "Deployment"))
    pod = deployment["spec"]["template"]["spec"]
    pod["securityContxt"] = pod.pop("securityContext")
    code, _ = kubernetes_validate(dump(tmp_path, "broken.yaml", [deployment]))
    assert code != 0


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_custom_resources_match_their_vendored_schemas(overlay: str) -> None:
    custom = [d for d in render(overlay) if (d["apiVersion"], d["kind"]) in SCHEMAS]
    kinds = {d["kind"] for d in custom}
    assert kinds >= {"PrometheusRule", "ServiceMonitor", "ScaledObject"}
    for doc in custom:
        assert crd_errors(doc) == [], doc["kind"]


@pytest.mark.parametrize(
    ("kind", "breakage"),
    [
        ("ServiceMonitor", lambda d: d["spec"]["endpoints"][0].update(intervall="15s")),
        ("ServiceMonitor", lambda d: d["spec"]["endpoints"][0].update(tlsConfig={})),
        ("ScaledObject", lambda d: d["spec"].update(maxReplicas=8)),
        ("ScaledObject", lambda d: d["spec"]["triggers"][0].pop("type")),
        ("PrometheusRule", lambda d: d["spec"]["groups"][0]["rules"][-1].update(fore="5m")),
        ("PrometheusRule", lambda d: d["spec"]["groups"][0]["rules"][-1].update({"for": "5 min"})),
    ],
)
def test_schemas_reject_broken_custom_resources(kind: str, breakage: Any) -> None:
    doc = copy.deepcopy(one(render("prod"), kind))
    breakage(doc)
    assert crd_errors(doc)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_checkov_passes(overlay: str, tmp_path: Path) -> None:
    path = tmp_path / f"{overlay}.yaml"
    path.write_text(render_text(overlay))
    code, output = checkov(path)
    assert code == 0, output
    assert "Passed checks" in output


def test_checkov_fails_a_privileged_root_container(tmp_path: Path) -> None:
    deployment = copy.deepcopy(one(render("prod"), "Deployment"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"] = {"privileged": True, "runAsUser": 0}
    deployment["spec"]["template"]["spec"].pop("securityContext")
    code, output = checkov(dump(tmp_path, "broken.yaml", [deployment]))
    assert code != 0
    assert "CKV_K8S_16" in output  # privileged containers


def test_skipped_checkov_checks_are_justified() -> None:
    text = (ROOT / "k8s" / "checkov.yaml").read_text()
    config = yaml.safe_load(text)
    for check in config.get("skip-check", []):
        before = text.split(f"- {check}")[0].rstrip().splitlines()
        assert before[-1].lstrip().startswith("#"), f"{check} is skipped without a reason"
    for path in (ROOT / "k8s").rglob("*.yaml"):
        for skip in re.findall(r"checkov\.io/skip\d+: (\S+)", path.read_text()):
            assert "=" in skip and skip.split("=", 1)[1], f"{path}: {skip} has no reason"


# --- the design, asserted on the renders ------------------------------------------------


def container(docs: list[Doc]) -> Doc:
    containers = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    first: Doc = containers[0]
    return first


def env_config(docs: list[Doc]) -> dict[str, str]:
    name = container(docs)["envFrom"][0]["configMapRef"]["name"]
    return next(
        d["data"] for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == name
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_workload_is_a_deployment_with_scratch_space_only(overlay: str) -> None:
    docs = render(overlay)
    kinds = {d["kind"] for d in docs}
    assert "StatefulSet" not in kinds and "PersistentVolumeClaim" not in kinds
    assert "HorizontalPodAutoscaler" not in kinds, "KEDA owns scaling"
    assert "Secret" not in kinds, "secrets are referenced, never shipped"
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    data_dir = env_config(docs)["SUPPLYRISK_DATA_DIR"]
    mount = next(m for m in container(docs)["volumeMounts"] if m["mountPath"] == data_dir)
    assert "emptyDir" in volumes[mount["name"]]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_security_context_is_restrictive(overlay: str) -> None:
    docs = render(overlay)
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod["automountServiceAccountToken"] is False
    context = container(docs)["securityContext"]
    assert context["runAsNonRoot"] is True and context["runAsUser"] > 0
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    assert "add" not in context["capabilities"]
    assert context["seccompProfile"]["type"] == "RuntimeDefault"
    mounts = {m["mountPath"] for m in container(docs)["volumeMounts"]}
    # A read-only root needs a writable /tmp (a mount path compared here, no file is made).
    assert "/tmp" in mounts  # noqa: S108


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_and_resources(overlay: str) -> None:
    worker = container(render(overlay))
    assert worker["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert worker["readinessProbe"]["httpGet"]["path"] == "/readyz"
    startup = worker["startupProbe"]
    assert startup["httpGet"]["path"] == "/healthz"
    # State recovery from the changelog may take minutes: allow at least five.
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 300
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(worker["resources"][kind])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_images_are_pinned(overlay: str) -> None:
    image = container(render(overlay))["image"]
    assert not image.endswith(":latest")
    if overlay == "prod":
        assert re.fullmatch(r"[^@]+@sha256:[0-9a-f]{64}", image), image
    else:
        assert re.fullmatch(r"[^@:]+(:[0-9A-Za-z][\w.-]*)", image.split("/", 1)[1]), image


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_keda_scales_on_lag_within_the_partitions(overlay: str) -> None:
    docs = render(overlay)
    scaled = one(docs, "ScaledObject")["spec"]
    partitions = int(env_config(docs)["SUPPLYRISK_PARTITIONS"])
    assert 1 <= scaled["minReplicaCount"] <= scaled["maxReplicaCount"] <= partitions
    assert scaled["scaleTargetRef"]["name"] == one(docs, "Deployment")["metadata"]["name"]
    (trigger,) = scaled["triggers"]
    assert trigger["type"] == "kafka"
    assert trigger["metadata"]["consumerGroup"] == env_config(docs)["SUPPLYRISK_APP_ID"]
    assert trigger["metadata"]["bootstrapServers"] == env_config(docs)["KAFKA_BOOTSTRAP_SERVERS"]
    auth = trigger.get("authenticationRef")
    if env_config(docs)["SUPPLYRISK_KAFKA_SECURITY_PROTOCOL"] != "PLAINTEXT":
        assert auth, "KEDA needs the Kafka credentials too"
    if auth:
        names = {d["metadata"]["name"] for d in docs if d["kind"] == "TriggerAuthentication"}
        assert auth["name"] in names


def test_partition_default_matches_the_service_config() -> None:
    service = tomllib.loads((ROOT / "config" / "service.toml").read_text())
    assert (
        int(env_config(render("prod"))["SUPPLYRISK_PARTITIONS"]) == service["topics"]["partitions"]
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_selectors_and_ports_line_up(overlay: str) -> None:
    docs = render(overlay)
    pod_labels = one(docs, "Deployment")["spec"]["template"]["metadata"]["labels"]
    service = one(docs, "Service")

    def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in selector.items())

    assert selects(service["spec"]["selector"], pod_labels)
    assert selects(one(docs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"], pod_labels)
    assert selects(one(docs, "NetworkPolicy")["spec"]["podSelector"]["matchLabels"], pod_labels)
    monitor = one(docs, "ServiceMonitor")["spec"]
    assert selects(monitor["selector"]["matchLabels"], service["metadata"]["labels"])
    port_names = {p["name"] for p in service["spec"]["ports"]}
    (endpoint,) = monitor["endpoints"]
    assert endpoint["port"] in port_names and endpoint["path"] == "/metrics"
    web_port = int(env_config(docs)["SUPPLYRISK_WEB_PORT"])
    assert container(docs)["ports"][0]["containerPort"] == web_port
    ingress_ports = {
        p["port"] for rule in one(docs, "NetworkPolicy")["spec"]["ingress"] for p in rule["ports"]
    }
    assert ingress_ports & ({"http", web_port})


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_config_maps_carry_the_config_files_and_the_dashboard(overlay: str) -> None:
    docs = render(overlay)
    volumes = one(docs, "Deployment")["spec"]["template"]["spec"]["volumes"]
    config_name = next(v["configMap"]["name"] for v in volumes if "configMap" in v)
    config = next(
        d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == config_name
    )
    for name in CONFIG_FILES:
        assert config["data"][name] == (ROOT / "config" / name).read_text()
    dashboard = next(
        d
        for d in docs
        if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "supplyrisk-dashboard"
    )
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(dashboard["data"]["supplyrisk.json"]) == json.loads(
        (ROOT / "monitoring" / "grafana" / "supplyrisk.json").read_text()
    )


def test_prometheus_rule_is_the_rendered_one() -> None:
    crd = one(render("prod"), "PrometheusRule")
    assert crd["spec"] == rules.prometheus_rule()["spec"]


def test_secret_references_cover_the_sasl_credentials() -> None:
    env = {e["name"]: e for e in container(render("prod"))["env"]}
    for name in ("SUPPLYRISK_KAFKA_SASL_USERNAME", "SUPPLYRISK_KAFKA_SASL_PASSWORD"):
        ref = env[name]["valueFrom"]["secretKeyRef"]
        assert ref["name"] and not ref.get("optional", False)
    assert "value" not in env["SUPPLYRISK_KAFKA_SASL_PASSWORD"]


# --- Dockerfile ----------------------------------------------------------------------


def dockerfile_problems(text: str) -> list[str]:
    """Lint rules the image relies on (no Docker engine here to build it)."""
    lines = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    declared = (re.fullmatch(r"ARG (\w+)=(\S+)", line) for line in lines)
    args = {match[1]: match[2] for match in declared if match}
    problems: list[str] = []
    froms = [line.split()[1] for line in lines if line.upper().startswith("FROM ")]
    if len(froms) < 2:
        problems.append("not multi-stage")
    stages = {
        line.split()[-1]
        for line in lines
        if line.upper().startswith("FROM ") and " AS " in line.upper()
    }
    for written in froms:
        image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), written)
        if image in stages:
            continue
        tag = image.split("@")[0].rsplit(":", 1)
        if "@sha256:" not in image and (
            len(tag) < 2 or tag[1] == "latest" or not re.search(r"\d+\.\d+\.\d+", tag[1])
        ):
            problems.append(f"base image not pinned to a full version or digest: {image}")
    users = [line.split()[1] for line in lines if line.upper().startswith("USER ")]
    if not users or users[-1].split(":")[0] in {"root", "0"}:
        problems.append("the final stage runs as root")
    if "latest" in text.replace("latest=", ""):
        problems.append("mentions latest")
    return problems


def test_dockerfile_is_multistage_pinned_and_non_root() -> None:
    assert dockerfile_problems((ROOT / "Dockerfile").read_text()) == []


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("python:3.11.11-slim-bookworm", "python:latest", "not pinned"),
        ("python:3.11.11-slim-bookworm", "python:3.11-slim", "not pinned"),
        ("USER 10001:10001", "USER root", "runs as root"),
        ("USER 10001:10001", "", "runs as root"),
    ],
)
def test_dockerfile_lint_catches_regressions(old: str, new: str, problem: str) -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert old in text
    assert any(problem in p for p in dockerfile_problems(text.replace(old, new)))


def test_dockerignore_keeps_the_context_small() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in lines, "the context is an allow-list"
    for needed in ("pyproject.toml", "scoring/", "stream/", "config/"):
        assert f"!{needed}" in lines


def test_sample_limit_covers_the_worst_case_catalogue() -> None:
    materials = len((ROOT / "config" / "materials.csv").read_text().strip().splitlines()) - 1
    countries = len((ROOT / "config" / "wgi.csv").read_text().strip().splitlines()) - 1
    worst = 2 * materials * countries + 2 * materials + 1000  # + service and process series
    limit = one(render("prod"), "ServiceMonitor")["spec"]["sampleLimit"]
    assert worst <= limit, f"sampleLimit {limit} < worst case {worst}"
