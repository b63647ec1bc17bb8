"""What the infrastructure feature does: cluster figures, history, thresholds and alerts.

Every figure is read through the runtime interface (`get_runtime()`); nothing here samples
the host. The cluster is shared by the organizations of this installation; thresholds and
alerts belong to one organization each.

Functions take the organization and the acting user (`Org`, `Actor`); any role may read,
only admins change thresholds (`can_change_thresholds`). Units: CPU in cores, memory and
disk in bytes, network in bytes per second, thresholds and utilization in percent of
allocatable, windows in seconds.
"""

from __future__ import annotations

import logging
import re
import time
from collections import defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from blueprints.core.auth import has_role, require_role
from blueprints.core.errors import InvalidRequest
from blueprints.core.events import emit
from blueprints.core.extensions import db
from blueprints.core.models import iso_utc, scoped, utcnow
from blueprints.core.text import camel
from blueprints.core.types import Actor, Org

from .models import DEFAULT_FOR_SECONDS, DEFAULT_THRESHOLDS, RESOURCES, AlertThreshold, NodeAlert

if TYPE_CHECKING:
    from sqlalchemy import Select

    from blueprints.services.runtime.base import NodeMetrics, Runtime

log = logging.getLogger("sparki.infrastructure")

WINDOW_CHOICES = {
    "5m": "5 minutes",
    "15m": "15 minutes",
    "1h": "1 hour",
    "6h": "6 hours",
    "24h": "24 hours",
}
MAX_WINDOW_SECONDS = 24 * 3600
_WINDOW = re.compile(r"^(\d{1,5})([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _runtime() -> Runtime:
    from blueprints.services.runtime import get_runtime

    return get_runtime()


# --- figures ----------------------------------------------------------------------------------


def _figure(used: float, allocatable: float) -> dict[str, float]:
    pct = round(100.0 * used / allocatable, 2) if allocatable else 0.0
    return {"used": used, "allocatable": allocatable, "utilization_percent": pct}


def _usage(m: NodeMetrics) -> dict[str, Any]:
    """A node's figures; `disk` None when the runtime does not measure it."""
    return {
        "cpu": _figure(round(m.cpu.used, 3), m.cpu.allocatable),
        "memory": _figure(int(m.memory.used), int(m.memory.allocatable)),
        "disk": _figure(int(m.disk.used), int(m.disk.allocatable)) if m.disk else None,
    }


def _network(ingress: float | None, egress: float | None, connections: float | None) -> dict:
    """Network figures; each None when the runtime does not measure it (never a 0)."""
    return {
        "ingress_bytes_per_second": round(ingress, 1) if ingress is not None else None,
        "egress_bytes_per_second": round(egress, 1) if egress is not None else None,
        "connection_count": round(connections) if connections is not None else None,
    }


def _node_network(m: NodeMetrics) -> dict[str, Any]:
    return _network(m.network_ingress_bps, m.network_egress_bps, m.connections)


def _sum(values: list[float | None]) -> float | None:
    """The sum of the nodes' figures, None when any node has no reading of it: a sum over
    only some nodes would pass for the cluster's figure."""
    if any(v is None for v in values):
        return None
    return sum(values)  # type: ignore[arg-type]


def _unmeasured(figures: dict[str, Any], network: dict[str, Any], why: str) -> str | None:
    """Why figures of a payload are null (the runtime's reason), None when none is."""
    if figures.get("disk") is None or any(v is None for v in network.values()):
        return why or "not measured by this runtime"
    return None


def current_metrics(org: Org, actor: Actor) -> dict[str, Any]:
    """The latest readings: per Ready node and summed over the cluster.

    `{"timestamp", "cluster": {cpu, memory, disk: figure}, "network", "unmeasured_reason",
    "nodes": [...]}`, a figure being `{"used", "allocatable", "utilization_percent"}` (cores
    or bytes); disk and the network figures are None when the runtime does not measure them
    (Kubernetes), `unmeasured_reason` saying why. Raises nothing of its own.
    """
    runtime = _runtime()
    return _metrics_payload(runtime.node_metrics(), runtime.unmeasured_reason)


def _metrics_payload(metrics: list[NodeMetrics], why: str = "") -> dict[str, Any]:
    """Node readings and their sums; a figure a node has no reading of (None) is null in the
    node's entry and in the cluster's sum, with `unmeasured_reason` (`why`, the runtime's)."""
    total = defaultdict(float)
    for m in metrics:
        for name in ("cpu", "memory"):
            fig = getattr(m, name)
            total[f"{name}_used"] += fig.used
            total[f"{name}_alloc"] += fig.allocatable
    disk_used = _sum([m.disk.used if m.disk else None for m in metrics])
    disk_alloc = _sum([m.disk.allocatable if m.disk else None for m in metrics])
    cluster = {
        "cpu": _figure(round(total["cpu_used"], 3), total["cpu_alloc"]),
        "memory": _figure(int(total["memory_used"]), int(total["memory_alloc"])),
        "disk": (
            _figure(int(disk_used), int(disk_alloc))
            if disk_used is not None and disk_alloc is not None
            else None
        ),
    }
    network = _network(
        _sum([m.network_ingress_bps for m in metrics]),
        _sum([m.network_egress_bps for m in metrics]),
        _sum([m.connections for m in metrics]),
    )
    return {
        "timestamp": max((m.timestamp for m in metrics), default=None),
        "cluster": cluster,
        "network": network,
        "unmeasured_reason": _unmeasured(cluster, network, why),
        "nodes": [
            {"name": m.node, "timestamp": m.timestamp, **_usage(m), "network": _node_network(m)}
            for m in metrics
        ],
    }


def list_nodes(org: Org, actor: Actor) -> list[dict[str, Any]]:
    """Every node the runtime knows, Ready or not, in the seed's shape (`NodeOut`:
    capacity and allocatable in cores and bytes). Raises nothing of its own."""
    out = []
    for n in _runtime().list_nodes():
        out.append(
            {
                "name": n.name,
                "status": n.status,
                "kind": n.kind,
                "os_image": n.os_image,
                "kernel_version": n.kernel,
                "architecture": n.architecture,
                "runtime_version": n.runtime_version,
                "capacity": {k: n.capacity.get(k) for k in ("cpu", "memory", "disk")},
                "allocatable": {k: n.allocatable.get(k) for k in ("cpu", "memory", "disk")},
                "pod_count": n.replicas,
                "replica_count": n.replicas,
                "addresses": n.addresses,
                "labels": n.labels,
                "last_heartbeat": n.last_heartbeat,
                "role": n.role or None,
                "instance_type": n.instance_type or None,
                "kubelet_version": n.kubelet_version or None,
                "created_at": n.created_at,
            }
        )
    return out


def _service_figures(org: Org, runtime: Runtime) -> tuple[int, int]:
    """This organization's services and the ready endpoints the runtime reports for them."""
    from blueprints.services.models import Service

    services = list(db.session.execute(scoped(Service, org)).scalars())
    endpoints = 0
    for svc in services:
        if svc.status in ("running", "deploying"):
            endpoints += sum(1 for r in runtime.replicas(svc.id) if r.ready and r.address)
    return len(services), endpoints


def _security_facts() -> dict[str, Any]:
    """What is true of this installation's protections (read from its configuration)."""
    cfg = current_app.config
    return {
        "rbac_enabled": True,  # every domain function checks the actor's role
        "tenant_isolation": True,  # every query is scoped to the caller's organization
        "csrf_protection": bool(cfg["WTF_CSRF_ENABLED"]),
        "rate_limiting": bool(cfg["RATELIMIT_ENABLED"]),
        "api_keys_hashed": True,  # only SHA-256 digests are stored
        "password_hashing": "argon2id",
        "network_policies_enabled": False,  # the local runtime has no network policies
    }


def cluster_status(org: Org, actor: Actor) -> dict[str, Any]:
    """The cluster at a glance (`ClusterOut`): `status` healthy | degraded | unavailable,
    node counts, compute (cores, bytes), storage (bytes), this organization's services
    and endpoints, security facts. Raises nothing of its own.
    """
    runtime = _runtime()
    nodes = runtime.list_nodes()
    metrics = runtime.node_metrics()
    ready = [n for n in nodes if n.status == "Ready"]
    firing = len(_firing_alerts(org))
    if not ready:
        status = "unavailable"
    elif len(ready) < len(nodes) or firing:
        status = "degraded"  # a node down, or one of this organization's alerts firing
    else:
        status = "healthy"
    whole = _metrics_payload(metrics)
    payload = whole["cluster"]
    disk = payload["disk"]  # None: the runtime does not measure disk
    services, endpoints = _service_figures(org, runtime)
    beats = [n.last_heartbeat for n in nodes if n.last_heartbeat is not None]
    out = {
        "name": _cluster_name(runtime),
        "version": runtime.runtime_version(),
        "runtime": runtime.name,
        "status": status,
        "alerts_firing": firing,
        "nodes": {"total": len(nodes), "ready": len(ready), "not_ready": len(nodes) - len(ready)},
        "compute": {
            "cpu_allocatable": payload["cpu"]["allocatable"],
            "cpu_used": payload["cpu"]["used"],
            "memory_allocatable": payload["memory"]["allocatable"],
            "memory_used": payload["memory"]["used"],
        },
        "storage": {
            "total_capacity": disk["allocatable"] if disk else None,
            "used": disk["used"] if disk else None,
            "utilization_percent": disk["utilization_percent"] if disk else None,
            "persistent_volumes": None,
            "persistent_volume_claims": None,
        },
        "networking": {
            "service_count": services,
            "endpoints": endpoints,
            "connection_count": whole["network"]["connection_count"],
        },
        "security": _security_facts(),
        "last_health_check": max(beats, default=None),
    }
    figures = runtime.cluster_figures()
    if figures is not None:
        _add_cluster_figures(out, figures)
    return out


def _cluster_name(runtime: Runtime) -> str:
    """SPARKI_CLUSTER_NAME when set; left at its default, the runtime's own name for the
    cluster (a kubeconfig context's cluster) when it has one."""
    configured = current_app.config["SPARKI_CLUSTER_NAME"]
    if configured != "sparki-local":
        return configured
    return runtime.cluster_name() or configured


def _add_cluster_figures(out: dict[str, Any], figures: dict[str, Any]) -> None:
    """A cluster's own figures (Kubernetes) in place of the sums of node readings: allocatable
    from the nodes, used from metrics.k8s.io (None, with the reason, without metrics-server),
    persistent volumes and claims, network policies, services and ingresses."""
    out["compute"] = {
        "cpu_allocatable": figures["cpu_allocatable"],
        "cpu_used": figures["cpu_used"],
        "memory_allocatable": figures["memory_allocatable"],
        "memory_used": figures["memory_used"],
        "usage_unavailable_reason": figures["usage_unavailable_reason"],
    }
    out["storage"].update(
        {
            "total_capacity": figures["pv_capacity"],
            "used": None,  # a volume's use is not reported by the API server
            "utilization_percent": None,
            "persistent_volumes": figures["persistent_volumes"],
            "persistent_volume_claims": figures["persistent_volume_claims"],
        }
    )
    out["networking"].update(
        {
            "network_policies": figures["network_policies"],
            "cluster_services": figures["services"],
            "ingresses": figures["ingresses"],
            "connection_count": None,  # not part of metrics.k8s.io
        }
    )
    out["security"]["network_policies_enabled"] = bool(figures["network_policies"])


# --- history ----------------------------------------------------------------------------------


def parse_window(text: str | None) -> int:
    """`15m`, `1h`, `24h`, `90s`, `1d` → seconds (between one minute and 24 hours).

    Raises InvalidRequest (field `window`): malformed or out of range.
    """
    match = _WINDOW.match((text or "").strip())
    if not match:
        raise InvalidRequest(
            "window must be a number followed by s, m, h or d (e.g. 1h)",
            field="window",
            reason="malformed",
        )
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if not 60 <= seconds <= MAX_WINDOW_SECONDS:
        raise InvalidRequest(
            "window must be between 1m and 24h", field="window", reason="out of range"
        )
    return seconds


def metrics_history(org: Org, actor: Actor, window: str) -> dict[str, Any]:
    """Cluster figures over the window: every sample up to an hour, one-minute points beyond.

    `{"window", "window_seconds", "resolution_seconds", "start", "end", "points",
    "unmeasured_reason"}`, each point a timestamp with cpu/memory/disk figures and network
    (disk and network None where the runtime does not measure them, `unmeasured_reason`
    saying why). Raises InvalidRequest (see `parse_window`).
    """
    seconds = parse_window(window)
    runtime = _runtime()
    per_node = runtime.metrics_history(seconds)
    step = float(current_app.config["NODE_SAMPLE_SECONDS"]) if seconds <= 3600 else 60.0
    now = time.time()
    points = _aggregate(per_node, step)
    why = runtime.unmeasured_reason
    return {
        "window": window.strip(),
        "window_seconds": seconds,
        "resolution_seconds": step,
        "start": datetime.fromtimestamp(now - seconds, UTC),
        "end": datetime.fromtimestamp(now, UTC),
        "points": points,
        "unmeasured_reason": next(
            (r for p in points if (r := _unmeasured(p, p["network"], why))), None
        ),
    }


def _aggregate(per_node: dict[str, list[NodeMetrics]], step: float) -> list[dict[str, Any]]:
    """Sum the nodes' readings per time bucket (each node averaged within a bucket first).

    A figure some reading of the bucket lacks (None: not measured by the runtime) is None in
    the point, never a 0."""
    buckets: dict[int, dict[str, float | None]] = defaultdict(lambda: defaultdict(float))

    def add(agg: dict[str, float | None], key: str, values: list[float | None]) -> None:
        if agg[key] is None or any(v is None for v in values):
            agg[key] = None
        else:
            agg[key] += sum(values) / len(values)  # type: ignore[operator,arg-type]

    for readings in per_node.values():
        grouped: dict[int, list] = defaultdict(list)
        for m in readings:
            grouped[int(m.timestamp.timestamp() // step)].append(m)
        for key, group in grouped.items():
            agg = buckets[key]
            for name in ("cpu", "memory", "disk"):
                figs = [getattr(m, name) for m in group]
                add(agg, f"{name}_used", [f.used if f else None for f in figs])
                last = figs[-1]
                add(agg, f"{name}_alloc", [last.allocatable if last else None])
            add(agg, "rx", [m.network_ingress_bps for m in group])
            add(agg, "tx", [m.network_egress_bps for m in group])
            add(agg, "conn", [m.connections for m in group])
            agg["ts"] = max(agg["ts"], group[-1].timestamp.timestamp())
    points = []
    for key in sorted(buckets):
        a = buckets[key]
        disk = None
        if a["disk_used"] is not None and a["disk_alloc"] is not None:
            disk = _figure(int(a["disk_used"]), int(a["disk_alloc"]))
        points.append(
            {
                "timestamp": datetime.fromtimestamp(a["ts"], UTC),
                "cpu": _figure(round(a["cpu_used"], 3), a["cpu_alloc"]),
                "memory": _figure(int(a["memory_used"]), int(a["memory_alloc"])),
                "disk": disk,
                "network": _network(a["rx"], a["tx"], a["conn"]),
            }
        )
    return points


# --- thresholds -------------------------------------------------------------------------------


def can_change_thresholds(actor: Actor) -> bool:
    """Whether `actor` may change the organization's alert thresholds (admins only)."""
    return has_role(actor)


def _thresholds(org: Org) -> AlertThreshold:
    row = db.session.execute(scoped(AlertThreshold, org)).scalar_one_or_none()
    if row is None:
        row = AlertThreshold(org_id=org.id, for_seconds=DEFAULT_FOR_SECONDS, **DEFAULT_THRESHOLDS)
    return row


def get_thresholds(org: Org, actor: Actor) -> AlertThreshold:
    """The organization's thresholds in percent (the defaults, unsaved, until an admin
    changes them). Raises nothing of its own."""
    return _thresholds(org)


def update_thresholds(org: Org, actor: Actor, **changes: float | None) -> AlertThreshold:
    """Change thresholds (`cpu_percent`, `memory_percent`, `disk_percent`: 1-100;
    `hysteresis_percent`: 0-50 points, below every threshold; `for_seconds`: 0-86400, how
    long a figure stays over before its alert fires); None leaves one alone.

    Raises PermissionDenied (not an admin) and InvalidRequest (an unknown name, a value
    out of range, or a hysteresis not below every threshold).
    """
    require_role(actor, action="change alert thresholds")
    row = _thresholds(org)
    for name, value in changes.items():
        if value is None:
            continue
        if name == "for_seconds":
            if isinstance(value, bool) or int(value) != value or not 0 <= value <= MAX_FOR_SECONDS:
                raise InvalidRequest(
                    f"forSeconds must be a whole number of seconds from 0 to {MAX_FOR_SECONDS}",
                    field="forSeconds",
                    reason="out of range",
                )
            row.for_seconds = int(value)
            continue
        if name not in DEFAULT_THRESHOLDS:
            raise InvalidRequest(
                f"Unknown threshold '{camel(name)}'", field=camel(name), reason="unknown"
            )
        value = float(value)
        low, high = (0.0, 50.0) if name == "hysteresis_percent" else (1.0, 100.0)
        if not low <= value <= high:
            raise InvalidRequest(
                f"{camel(name)} must be between {low:g} and {high:g}",
                field=camel(name),
                reason="out of range",
            )
        setattr(row, name, value)
    lowest = min(row.cpu_percent, row.memory_percent, row.disk_percent)
    if row.hysteresis_percent >= lowest:
        raise InvalidRequest(
            "hysteresisPercent must be smaller than every threshold",
            field="hysteresisPercent",
            reason="not below the thresholds",
        )
    if row not in db.session:
        db.session.add(row)
    row.updated_at = utcnow()
    db.session.commit()
    return row


MAX_FOR_SECONDS = 86400

# --- alerts -----------------------------------------------------------------------------------


def list_alerts(org: Org, actor: Actor, status: str | None = None) -> Select:
    """The organization's alerts (optionally `firing` or `resolved`), as a statement to
    paginate. Raises nothing of its own."""
    stmt = scoped(NodeAlert, org)
    if status:
        stmt = stmt.where(NodeAlert.status == status)
    return stmt


def recent_alerts(org: Org, actor: Actor, limit: int = 5) -> list[NodeAlert]:
    """The organization's `limit` newest alerts, firing or resolved (pending ones are
    `pending_alerts`: shown apart, they are not incidents yet)."""
    stmt = scoped(NodeAlert, org).where(NodeAlert.status != "pending")
    stmt = stmt.order_by(NodeAlert.created_at.desc(), NodeAlert.id.desc())
    return list(db.session.execute(stmt.limit(limit)).scalars())


def _firing_alerts(org: Org) -> list[NodeAlert]:
    return _open_alerts(org, ("firing",))


def _open_alerts(org: Org, statuses: tuple[str, ...] = ("pending", "firing")) -> list[NodeAlert]:
    stmt = scoped(NodeAlert, org).where(NodeAlert.status.in_(statuses))
    return list(db.session.execute(stmt.order_by(NodeAlert.triggered_at)).scalars())


def pending_alerts(org: Org, actor: Actor) -> list[NodeAlert]:
    """The organization's pending alerts (over a threshold, not yet for `for_seconds`)."""
    return _open_alerts(org, ("pending",))


def evaluate_alerts() -> dict[str, int]:
    """Compare the latest readings with every organization's thresholds.

    An alert fires once when a node's figure reaches a threshold and resolves once it falls
    `hysteresis_percent` points below it; each change emits `alert.triggered` or
    `alert.resolved` in the same transaction. Run by a periodic job, never by a request
    (it acts for the system, so it takes no actor). A figure the runtime does not measure
    (disk on Kubernetes) is neither over nor under any threshold: its alerts are left as
    they are, and `unmeasured` counts the node figures skipped so. Returns `{"triggered",
    "resolved", "unmeasured"}` counts; a race with another run is logged and skipped, not
    raised.
    """
    from blueprints.users.models import Organization

    runtime = _runtime()
    metrics = runtime.node_metrics()
    unmeasured = [(m.node, r) for m in metrics for r in RESOURCES if getattr(m, r) is None]
    if unmeasured:
        log.debug(
            "alerts: no reading of %s (%s); neither over nor under a threshold",
            ", ".join(f"{node} {r}" for node, r in unmeasured),
            runtime.unmeasured_reason or "not measured by this runtime",
        )
    counts = {"triggered": 0, "resolved": 0, "unmeasured": len(unmeasured)}
    orgs = list(db.session.execute(select(Organization.id)).scalars())
    for org_id in orgs:
        org = db.session.get(Organization, org_id)
        if org is None:  # deleted meanwhile
            continue
        try:
            triggered, resolved = _evaluate_org(org, metrics)
            db.session.commit()
        except IntegrityError:
            # Another evaluation opened the same alert first: it owns this crossing.
            db.session.rollback()
            log.info("alert evaluation for %s raced another run; skipped", org.id)
            continue
        counts["triggered"] += triggered
        counts["resolved"] += resolved
    return counts


def _evaluate_org(org: Org, metrics: list[NodeMetrics]) -> tuple[int, int]:
    limits = _thresholds(org)
    open_alerts = {(a.node, a.resource): a for a in _open_alerts(org)}
    triggered = resolved = 0
    now = utcnow()
    for m in metrics:
        for resource in RESOURCES:
            figure = getattr(m, resource)
            if figure is None:
                continue  # not measured: neither over nor under (see `evaluate_alerts`)
            value = figure.utilization_percent
            limit = limits.limit(resource)
            alert = open_alerts.get((m.node, resource))
            if alert is None and value >= limit:
                alert = NodeAlert(
                    org_id=org.id,
                    node=m.node,
                    resource=resource,
                    status="pending",
                    threshold_percent=limit,
                    value_percent=value,
                    peak_percent=value,
                    pending_since=now,
                    triggered_at=now,
                    open_key=f"{m.node}:{resource}",
                )
                db.session.add(alert)
                db.session.flush()
            elif alert is not None and alert.status == "pending" and value < limit:
                db.session.delete(alert)  # back under before `for_seconds`: nothing happened
                continue
            if alert is None:
                continue
            alert.peak_percent = max(alert.peak_percent, value)
            if alert.status == "pending":
                alert.value_percent = value
                since = alert.pending_since or now
                if (now - since).total_seconds() >= limits.for_seconds:
                    alert.status, alert.triggered_at = "firing", now
                    emit(org, "alert.triggered", _alert_event(alert))
                    triggered += 1
            elif value < limit - limits.hysteresis_percent:
                alert.status, alert.open_key = "resolved", None
                alert.resolved_at, alert.resolved_value_percent = now, value
                emit(org, "alert.resolved", _alert_event(alert))
                resolved += 1
    return triggered, resolved


def _alert_event(alert: NodeAlert) -> dict[str, Any]:
    data = {
        "alertId": alert.id,
        "kind": "node.threshold",
        "node": alert.node,
        "resource": alert.resource,
        "status": alert.status,
        "thresholdPercent": alert.threshold_percent,
        "valuePercent": alert.value_percent,
        "peakPercent": alert.peak_percent,
        "triggeredAt": iso_utc(alert.triggered_at),
    }
    if alert.status == "resolved":
        data["resolvedAt"] = iso_utc(alert.resolved_at) if alert.resolved_at else None
        data["resolvedValuePercent"] = alert.resolved_value_percent
    return data


# --- the page's view of a node ----------------------------------------------------------------


def node_cards(org: Org, actor: Actor) -> list[dict[str, Any]]:
    """Each node with its latest usage and which of the organization's thresholds it is over.

    A `list_nodes` entry plus `usage` (figures, or None without a reading; `usage["disk"]`
    None when the runtime does not measure disk), `network` (each figure None when not
    measured), `over` (sorted resource names; an unmeasured one is never over) and
    `unmeasured_reason` (why figures are None, empty when none is). Raises nothing of its own.
    """
    runtime = _runtime()
    latest = {m.node: m for m in runtime.node_metrics()}
    limits = get_thresholds(org, actor)
    firing = defaultdict(set)
    for a in _firing_alerts(org):
        firing[a.node].add(a.resource)
    cards = []
    for node in list_nodes(org, actor):
        m = latest.get(node["name"])
        usage = _usage(m) if m is not None else None
        over = set(firing[node["name"]])
        if usage:
            over |= {
                r
                for r in RESOURCES
                if usage[r] is not None and usage[r]["utilization_percent"] >= limits.limit(r)
            }
        cards.append(
            {
                **node,
                "usage": usage,
                "network": _node_network(m) if m is not None else None,
                "over": sorted(over),
                "unmeasured_reason": runtime.unmeasured_reason or "not measured by this runtime",
            }
        )
    return cards


def home_summary(org: Org, actor: Actor) -> dict[str, Any]:
    """The compact cluster summary and recent alerts for the dashboard home card.

    `{"cluster", "cpu_percent", "memory_percent", "disk_percent" (None: not measured by the
    runtime), "firing": int, "alerts": [NodeAlert]}`. Raises nothing of its own.
    """
    cluster = cluster_status(org, actor)
    metrics = current_metrics(org, actor)["cluster"]
    return {
        "cluster": cluster,
        "cpu_percent": metrics["cpu"]["utilization_percent"],
        "memory_percent": metrics["memory"]["utilization_percent"],
        "disk_percent": metrics["disk"]["utilization_percent"] if metrics["disk"] else None,
        "firing": db.session.execute(
            select(func.count()).select_from(
                scoped(NodeAlert, org).where(NodeAlert.status == "firing").subquery()
            )
        ).scalar_one(),
        "alerts": recent_alerts(org, actor, 5),
    }
