"""deploy/kubernetes/: every manifest valid against the Kubernetes schemas, and the ClusterRole
covering exactly the API calls the driver makes (recorded from a scenario that uses every
operation against the emulated cluster)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.kubernetes.test_k8s_cluster import _metrics
from tests.kubernetes.test_k8s_services import _deploy, _service

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "kubernetes"
K8S_VERSION = "1.31"


def _documents() -> list[tuple[str, dict]]:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    out = []
    for name in kustomization["resources"]:
        for doc in yaml.safe_load_all((DEPLOY / name).read_text()):
            if doc:
                out.append((name, doc))
    return out


def test_the_kustomization_lists_every_manifest_and_nothing_else():
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    files = {p.name for p in DEPLOY.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files
    kinds = {(doc["kind"], doc["metadata"]["name"]) for _, doc in _documents()}
    for process in ("web", "worker", "deployer", "scheduler"):
        assert ("Deployment", f"sparki-{process}") in kinds
    assert {"ConfigMap", "Secret", "ClusterRole", "ClusterRoleBinding", "ServiceAccount"} <= {
        k for k, _ in kinds
    }
    assert not any("agent" in name for _, name in kinds)  # no agent on Kubernetes


@pytest.mark.parametrize("name, doc", _documents(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_manifest_validates_against_the_kubernetes_schemas(name, doc):
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_the_drivers_own_objects_validate():
    from blueprints.services.runtime.base import DesiredState, ReplicaSetSpec
    from blueprints.services.runtime.kubernetes import manifests

    for kind, strategy in (("web", "rolling-update"), ("worker", "recreate")):
        desired = DesiredState(
            service_id="svc-0123456789abcdef0123",
            org_id="org-aa",
            name="api",
            health_check_path="/healthz",
            port=8000,
            sets=[ReplicaSetSpec("deploy-1", 3, "shop/api:v3", "python -m app", {"A": "1"}, 2)],
            type=kind,
            strategy=strategy,
        )
        body = manifests.deployment_manifest(
            desired,
            name="api-x",
            namespace="sparki-org-aa",
            deadline_seconds=60,
            now=datetime.now(UTC),
        )
        if strategy == "recreate":  # null in a merge patch removes it; absent in a document
            body["spec"]["strategy"].pop("rollingUpdate")
        kubernetes_validate.validate(body, K8S_VERSION, strict=True)
        service = manifests.service_manifest(desired, name="api-x", namespace="sparki-org-aa")
        kubernetes_validate.validate(service, K8S_VERSION, strict=True)
    kubernetes_validate.validate(
        manifests.namespace_manifest("sparki-org-aa", "org-aa"), K8S_VERSION, strict=True
    )


# --- RBAC ------------------------------------------------------------------------------------

VERBS = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


def attributes(method: str, path: str, query: str = "") -> tuple:
    """What the API server's authorizer sees of a request: (group, resource[/sub], verb),
    or ("nonResource", path, verb)."""
    parts = path.strip("/").split("/")
    if parts[0] == "api":
        group, rest = "", parts[2:]
    elif parts[0] == "apis":
        group, rest = parts[1], parts[3:]
    else:
        return ("nonResource", path, VERBS[method])
    if rest[:1] == ["namespaces"] and len(rest) > 2:
        rest = rest[2:]  # a namespaced resource
    resource = rest[0]
    named = len(rest) > 1
    if len(rest) > 2:
        resource += "/" + rest[2]
    verb = VERBS[method]
    if method == "GET" and not named:
        verb = "watch" if "watch=true" in query else "list"
    return (group, resource, verb)


def allowed(rules: list[dict], need: tuple) -> bool:
    group, resource, verb = need
    for rule in rules:
        if verb not in rule["verbs"]:
            continue
        if group == "nonResource":
            if resource in rule.get("nonResourceURLs", []):
                return True
        elif group in rule.get("apiGroups", []) and resource in rule.get("resources", []):
            return True
    return False


def _cluster_role() -> list[dict]:
    role = next(d for _, d in _documents() if d["kind"] == "ClusterRole")
    return role["rules"]


def test_the_attributes_of_requests():
    assert attributes("GET", "/api/v1/pods") == ("", "pods", "list")
    assert attributes("POST", "/api/v1/namespaces") == ("", "namespaces", "create")
    assert attributes("GET", "/api/v1/namespaces/x") == ("", "namespaces", "get")
    assert attributes("GET", "/api/v1/namespaces/x/pods/p/log") == ("", "pods/log", "get")
    assert attributes("PATCH", "/apis/apps/v1/namespaces/x/deployments/d") == (
        "apps",
        "deployments",
        "patch",
    )
    assert attributes("POST", "/api/v1/namespaces/x/services/s:80/proxy/a/b") == (
        "",
        "services/proxy",
        "create",
    )
    assert attributes("GET", "/version/") == ("nonResource", "/version/", "get")


def test_the_cluster_role_covers_every_call_the_driver_makes_and_no_more(
    cluster, k8s_app, k8s_api, k8s_jobs
):
    from blueprints.services.jobs import observe_runtime

    cluster.add_node("node-a")
    _metrics(cluster, node_a=("500m", "1Gi"))
    cluster.answers["/healthz"] = (200, b"ok")
    cluster.answers["/items"] = (200, b"[]")
    svc = _service(k8s_api)
    sid = svc["id"]
    assert _deploy(k8s_api, k8s_jobs, sid)["status"] == "success"
    assert _deploy(k8s_api, k8s_jobs, sid, image="shop/api:oom")["status"] == "failed"
    k8s_api.get(f"/api/v1/services/{sid}/logs")
    k8s_api.get(f"/api/v1/services/{sid}/check")
    for method in ("get", "post", "put", "patch", "delete"):
        getattr(k8s_api, method)(f"/api/v1/services/{sid}/proxy/items")
    k8s_api.get("/api/v1/infrastructure/cluster")
    k8s_api.get("/api/v1/infrastructure/nodes")
    with k8s_app.app_context():
        observe_runtime()
    assert k8s_api.post(f"/api/v1/services/{sid}/stop").status_code == 200
    assert k8s_api.delete(f"/api/v1/services/{sid}").status_code == 200

    requests = cluster.run(
        lambda: [(str(r.method), r.url.path, r.url.query_string) for r in cluster.api]
    )
    made = {attributes(m.rsplit(".", 1)[-1].upper(), p, q) for m, p, q in requests}
    rules = _cluster_role()
    assert not [need for need in sorted(made) if not allowed(rules, need)]
    granted = {
        (group if "nonResourceURLs" not in rule else "nonResource", resource, verb)
        for rule in rules
        for group in rule.get("apiGroups", ["nonResource"])
        for resource in rule.get("resources", rule.get("nonResourceURLs", []))
        for verb in rule["verbs"]
    }
    granted.discard(("nonResource", "/version", "get"))  # the same URL without its slash
    assert granted - made == set()  # nothing granted that the driver does not use
