"""Pure translations between Sparki's desired state and Kubernetes documents (no I/O).

A service is one Deployment and one ClusterIP Service in its organization's namespace, both
labelled with the Sparki service; the pod template carries the revision and the replica set
key (the deployment id) as labels, so the pods of each rollout are told apart. The desired
state applied last is kept on the Deployment as an annotation: the cluster is the record.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from ..base import DesiredState, ReplicaSetSpec, ReplicaStatus

MANAGED_BY = "app.kubernetes.io/managed-by"
SERVICE = "sparki.dev/service"
ORG = "sparki.dev/org"
REVISION = "sparki.dev/revision"
SET = "sparki.dev/set"
DESIRED = "sparki.dev/desired"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"  # what `kubectl rollout restart` sets
CONTAINER = "app"
DEFAULT_PORT = 8080
HTTP_PORT = 80  # the Service's port; it forwards to the container's `http` port

#: Waiting reasons that mean the runtime cannot start the container: waiting does not cure
#: them (ErrImagePull alone may be a passing registry hiccup; its back-off is not).
RUNTIME_FAILURES = {
    "ImagePullBackOff",
    "InvalidImageName",
    "ErrImageNeverPull",
    "CreateContainerConfigError",
    "CreateContainerError",
}


def _dns_label(text: str, limit: int = 63) -> str:
    label = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return label[:limit].rstrip("-") or "x"


def namespace_for(org_id: str, prefix: str) -> str:
    """The organization's namespace: the prefix and the org id as a DNS label."""
    return _dns_label(f"{prefix}{org_id}")


def object_name(name: str, service_id: str) -> str:
    """The Deployment's and Service's name: the service's name and its id's random part
    (service names are unique per project only)."""
    suffix = service_id.split("-", 1)[-1]
    return f"{_dns_label(name, 62 - len(suffix))}-{suffix}"


def selector(service_id: str) -> str:
    return f"{SERVICE}={service_id}"


def namespace_manifest(name: str, org_id: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {MANAGED_BY: "sparki", ORG: org_id}},
    }


def _labels(desired: DesiredState) -> dict[str, str]:
    return {MANAGED_BY: "sparki", SERVICE: desired.service_id, ORG: desired.org_id}


def container_port(desired: DesiredState) -> int:
    return desired.port or DEFAULT_PORT


def _container(desired: DesiredState, spec: ReplicaSetSpec) -> dict[str, Any]:
    port = container_port(desired)
    env = [{"name": k, "value": str(v)} for k, v in spec.env.items() if k != "PORT"]
    env.append({"name": "PORT", "value": str(port)})
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": spec.image,
        "env": env,
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
    }
    if spec.command:
        container["command"] = ["sh", "-c", spec.command]
    if desired.type != "worker":
        container["readinessProbe"] = {
            "httpGet": {"path": desired.health_check_path or "/", "port": "http"},
            "periodSeconds": 5,
            "timeoutSeconds": 3,
            "failureThreshold": 3,
        }
    return container


def _strategy(name: str) -> dict[str, Any]:
    if name == "recreate":
        return {"type": "Recreate", "rollingUpdate": None}
    return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}


def deployment_manifest(
    desired: DesiredState,
    *,
    name: str,
    namespace: str,
    deadline_seconds: int,
    current: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The Deployment running `desired` (at most one set: the last one; none = 0 replicas,
    keeping the template of `current`, the Deployment as it is, so a start brings it back).

    A new set of the revision that runs already is a restart: the template gets the
    `restartedAt` annotation, as `kubectl rollout restart` does."""
    spec = desired.sets[-1] if desired.sets else None
    old_template = ((current or {}).get("spec") or {}).get("template") or {}
    if spec is None and old_template:
        template = old_template
    else:
        spec = spec or ReplicaSetSpec(
            key="none", revision=0, image="", command="", env={}, replicas=0
        )
        labels = {**_labels(desired), REVISION: str(spec.revision), SET: _dns_label(spec.key)}
        annotations: dict[str, str] = {}
        old_labels = (old_template.get("metadata") or {}).get("labels") or {}
        if old_labels.get(REVISION) == str(spec.revision) and old_labels.get(SET) != labels[SET]:
            stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
            annotations[RESTARTED_AT] = stamp
        template = {
            "metadata": {"labels": labels, "annotations": annotations},
            "spec": {"containers": [_container(desired, spec)]},
        }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": _labels(desired),
            "annotations": {DESIRED: json.dumps(asdict(desired), sort_keys=True)},
        },
        "spec": {
            "replicas": spec.replicas if desired.sets and spec else 0,
            "selector": {"matchLabels": {SERVICE: desired.service_id}},
            "progressDeadlineSeconds": max(int(deadline_seconds), 1),
            "revisionHistoryLimit": 10,
            "strategy": _strategy(desired.strategy),
            "template": template,
        },
    }


def service_manifest(desired: DesiredState, *, name: str, namespace: str) -> dict[str, Any]:
    """The ClusterIP Service: port 80 to the container's `http` port."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": _labels(desired)},
        "spec": {
            "type": "ClusterIP",
            "selector": {SERVICE: desired.service_id},
            "ports": [{"name": "http", "port": HTTP_PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def desired_from(deployment: dict[str, Any]) -> DesiredState | None:
    """The desired state recorded on a Deployment (None: not one of Sparki's)."""
    raw = ((deployment.get("metadata") or {}).get("annotations") or {}).get(DESIRED)
    if not raw:
        return None
    try:
        spec = json.loads(raw)
        sets = [ReplicaSetSpec(**s) for s in spec.pop("sets", [])]
        return DesiredState(**spec, sets=sets)
    except (TypeError, ValueError):
        return None


def labelled(obj: dict[str, Any], service_id: str) -> bool:
    """Whether `obj` carries the service's label (checked again on what a list returned)."""
    return ((obj.get("metadata") or {}).get("labels") or {}).get(SERVICE) == service_id


# --- pods -> replicas ------------------------------------------------------------------------


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _condition(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c.get("type") == kind), {})


def _pod_state(pod: dict[str, Any], waiting: dict, terminated: dict, restarts: int) -> str:
    phase = (pod.get("status") or {}).get("phase", "Pending")
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return "stopping"
    if phase in ("Failed", "Succeeded") or terminated:
        return "crashed"
    if waiting and (restarts or waiting.get("reason") == "CrashLoopBackOff"):
        return "crashed"
    if phase == "Running" and not waiting:
        return "running"
    return "starting"


def replica_from_pod(pod: dict[str, Any]) -> ReplicaStatus:
    """What a pod says of one replica: state, readiness, node, address, restarts, why its
    last run ended, and what the runtime could not do (an image it cannot pull)."""
    meta, status = pod.get("metadata") or {}, pod.get("status") or {}
    labels = meta.get("labels") or {}
    containers = status.get("containerStatuses") or []
    main = next(
        (c for c in containers if c.get("name") == CONTAINER), containers[0] if containers else {}
    )
    state = main.get("state") or {}
    waiting, terminated = state.get("waiting") or {}, state.get("terminated") or {}
    last = (main.get("lastState") or {}).get("terminated") or {}
    restarts = sum(int(c.get("restartCount") or 0) for c in containers)
    ended = terminated or last
    reason = waiting.get("reason") or ended.get("reason") or ""
    message_parts = []
    if waiting.get("reason"):
        message_parts.append(f"{waiting['reason']}: {waiting.get('message', '')}".rstrip(": "))
    if ended:
        message_parts.append(
            f"last run ended: {ended.get('reason', 'Error')} (exit code {ended.get('exitCode')})"
        )
    if not message_parts and status.get("reason"):
        message_parts.append(f"{status['reason']}: {status.get('message', '')}".rstrip(": "))
    failure = ""
    if waiting.get("reason") in RUNTIME_FAILURES:
        failure = f"could not start replica: {waiting['reason']}: {waiting.get('message', '')}"
    ip = status.get("podIP")
    port = next(
        (
            p.get("containerPort")
            for c in (pod.get("spec") or {}).get("containers") or []
            for p in c.get("ports") or []
            if p.get("name") == "http"
        ),
        None,
    )
    revision = labels.get(REVISION, "0")
    return ReplicaStatus(
        pod=meta.get("name", ""),
        set_key=labels.get(SET, ""),
        revision=int(revision) if revision.isdigit() else 0,
        state=_pod_state(pod, waiting, terminated, restarts),
        ready=_condition(pod, "Ready").get("status") == "True",
        node=(pod.get("spec") or {}).get("nodeName") or "",
        address=f"{ip}:{port}" if ip and port else ip,
        pid=None,
        restarts=restarts,
        started_at=parse_time(status.get("startTime")),
        last_probe_at=None,
        last_exit_code=ended.get("exitCode") if ended else None,
        message="; ".join(message_parts)[:500],
        failure=failure.rstrip(": ")[:500],
        reason=reason,
    )
