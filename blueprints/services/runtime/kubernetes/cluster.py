"""The cluster's own figures: version, nodes, metrics.k8s.io usage, storage and networking.

Usage comes from metrics-server (`metrics.k8s.io/v1beta1`); when the cluster has none, the
used figures are absent (None, with the reason), never made up. metrics.k8s.io reports CPU
and memory only: a node's disk and network readings are not part of it, so they are None
(null in the API, "not measured by this runtime" on the page; no threshold applies to them).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from ..base import NodeInfo, NodeMetrics, ResourceFigure
from .connection import ClusterError, Connection
from .manifests import _condition, parse_time

_SUFFIX = {
    "n": 1e-9,
    "u": 1e-6,
    "m": 1e-3,
    "": 1.0,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}
_QUANTITY = re.compile(r"^([0-9.]+(?:[eE][-+]?[0-9]+)?)([a-zA-Z]*)$")


def quantity(text: Any) -> float:
    """A Kubernetes quantity ("250m", "3928Mi", "12345678n", "4") as a plain number."""
    match = _QUANTITY.match(str(text or "0").strip())
    if not match or match.group(2) not in _SUFFIX:
        return 0.0
    return float(match.group(1)) * _SUFFIX[match.group(2)]


def version(k: Connection) -> str:
    from kubernetes import client

    info = k.call(client.VersionApi(k.api()).get_code) or {}
    return str(info.get("gitVersion") or f"v{info.get('major')}.{info.get('minor')}")


def _resources(block: dict[str, Any]) -> dict[str, Any]:
    return {
        "cpu": quantity(block.get("cpu")),
        "memory": int(quantity(block.get("memory"))),
        "disk": int(quantity(block.get("ephemeral-storage"))),
        "pods": int(quantity(block.get("pods"))),
    }


def _role(labels: dict[str, str]) -> str:
    roles = sorted(
        key.split("/", 1)[1] for key in labels if key.startswith("node-role.kubernetes.io/")
    )
    return ",".join(r for r in roles if r) or "worker"


def _pods_per_node(k: Connection) -> dict[str, int]:
    pods = k.call(k.core().list_pod_for_all_namespaces) or {}
    counts: dict[str, int] = {}
    for pod in pods.get("items", []):
        node = (pod.get("spec") or {}).get("nodeName")
        phase = (pod.get("status") or {}).get("phase")
        if node and phase not in ("Succeeded", "Failed"):
            counts[node] = counts.get(node, 0) + 1
    return counts


def nodes(k: Connection) -> list[NodeInfo]:
    listed = k.call(k.core().list_node) or {}
    per_node = _pods_per_node(k)
    out = []
    for node in listed.get("items", []):
        meta, status = node.get("metadata") or {}, node.get("status") or {}
        info = status.get("nodeInfo") or {}
        labels = meta.get("labels") or {}
        ready = _condition(node, "Ready")
        out.append(
            NodeInfo(
                name=meta.get("name", ""),
                status="Ready" if ready.get("status") == "True" else "NotReady",
                kind="kubernetes",
                os_image=info.get("osImage", ""),
                kernel=info.get("kernelVersion", ""),
                architecture=info.get("architecture", ""),
                runtime_version=info.get("containerRuntimeVersion", ""),
                capacity=_resources(status.get("capacity") or {}),
                allocatable=_resources(status.get("allocatable") or {}),
                replicas=per_node.get(meta.get("name", ""), 0),
                last_heartbeat=parse_time(ready.get("lastHeartbeatTime")),
                addresses=[a.get("address", "") for a in status.get("addresses") or []],
                labels=labels,
                role=_role(labels),
                instance_type=labels.get("node.kubernetes.io/instance-type")
                or labels.get("beta.kubernetes.io/instance-type", ""),
                kubelet_version=info.get("kubeletVersion", ""),
                created_at=parse_time(meta.get("creationTimestamp")),
            )
        )
    return out


def usage(k: Connection) -> tuple[dict[str, dict[str, Any]] | None, str]:
    """Per node `{cpu, memory, timestamp}` from metrics.k8s.io, or (None, why not)."""
    try:
        found = (
            k.call(k.custom().list_cluster_custom_object, "metrics.k8s.io", "v1beta1", "nodes")
            or {}
        )
    except ClusterError as exc:
        if exc.http_status in (404, 503):
            return None, "metrics-server is not installed (metrics.k8s.io is not served)"
        return None, exc.message
    out = {}
    for item in found.get("items", []):
        name = (item.get("metadata") or {}).get("name", "")
        used = item.get("usage") or {}
        out[name] = {
            "cpu": quantity(used.get("cpu")),
            "memory": quantity(used.get("memory")),
            "timestamp": parse_time(item.get("timestamp")) or datetime.now(UTC),
        }
    return out, ""


def node_metrics(k: Connection) -> list[NodeMetrics]:
    """Readings of every Ready node metrics-server reports (none without metrics-server):
    CPU and memory; disk and network are None (metrics.k8s.io has no such figures)."""
    readings, _ = usage(k)
    if not readings:
        return []
    out = []
    for node in nodes(k):
        seen = readings.get(node.name)
        if node.status != "Ready" or seen is None:
            continue
        out.append(
            NodeMetrics(
                node=node.name,
                timestamp=seen["timestamp"],
                cpu=ResourceFigure(seen["cpu"], float(node.allocatable["cpu"])),
                memory=ResourceFigure(seen["memory"], float(node.allocatable["memory"])),
                # not part of metrics.k8s.io: no reading, so no figure (never a 0)
                disk=None,
                network_ingress_bps=None,
                network_egress_bps=None,
                connections=None,
            )
        )
    return out


def _count(k: Connection, method: Any, *args: Any) -> int | None:
    try:
        return len((k.call(method, *args) or {}).get("items", []))
    except ClusterError as exc:
        if exc.http_status == 404:
            return None
        raise


def figures(k: Connection) -> dict[str, Any]:
    """What the Cluster page shows beyond nodes: allocatable vs used CPU and memory (used
    None with a reason without metrics-server), persistent volumes and claims with their
    total capacity, and the counts of network policies, services and ingresses."""
    every = nodes(k)
    ready = [n for n in every if n.status == "Ready"]
    readings, why = usage(k)
    pvs = (k.call(k.core().list_persistent_volume) or {}).get("items", [])
    from kubernetes import client

    networking = client.NetworkingV1Api(k.api())
    return {
        "cpu_allocatable": round(sum(n.allocatable["cpu"] for n in ready), 3),
        "memory_allocatable": int(sum(n.allocatable["memory"] for n in ready)),
        "cpu_used": None
        if readings is None
        else round(
            sum(r["cpu"] for name, r in readings.items() if any(n.name == name for n in ready)), 3
        ),
        "memory_used": None
        if readings is None
        else int(
            sum(r["memory"] for name, r in readings.items() if any(n.name == name for n in ready))
        ),
        "usage_unavailable_reason": why or None,
        "persistent_volumes": len(pvs),
        "persistent_volume_claims": _count(
            k, k.core().list_persistent_volume_claim_for_all_namespaces
        ),
        "pv_capacity": int(
            sum(
                quantity(((pv.get("spec") or {}).get("capacity") or {}).get("storage"))
                for pv in pvs
            )
        ),
        "network_policies": _count(k, networking.list_network_policy_for_all_namespaces),
        "services": _count(k, k.core().list_service_for_all_namespaces),
        "ingresses": _count(k, networking.list_ingress_for_all_namespaces),
    }
