"""Typed results of the Sparki API, generated from its OpenAPI document.

Do not edit: run `python sdk/python/scripts/generate_models.py` after the API changes.
Every field defaults to None; `to_dict()` returns the raw camelCase JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Dict, List, Optional

from ._model import SparkiObject

__all__ = [
    "Alert",
    "ApiKey",
    "ApiKeyCreated",
    "AuditChain",
    "AuditEntry",
    "AuditEntryDetail",
    "ChainDelivery",
    "ChainEvent",
    "Change",
    "Cluster",
    "Compute",
    "CurrencyFigures",
    "Customer",
    "CustomerDetail",
    "Delivery",
    "Deployment",
    "DeploymentProgress",
    "DeploymentUser",
    "Event",
    "Figure",
    "Health",
    "HistoryPoint",
    "LogoutEverywhere",
    "Member",
    "MemberUser",
    "Metrics",
    "MetricsHistory",
    "Network",
    "Networking",
    "Node",
    "NodeCounts",
    "NodeList",
    "NodeUsage",
    "Order",
    "OrderDetail",
    "OrderHistoryEntry",
    "OrderItem",
    "Organization",
    "Pagination",
    "PasswordChanged",
    "Payment",
    "Preview",
    "Project",
    "Recover",
    "Resources",
    "Schedule",
    "Security",
    "Service",
    "ServiceCheck",
    "ServiceHealth",
    "ServiceListItem",
    "ServiceLogLine",
    "ServiceLogs",
    "ServiceReplica",
    "ServiceReplicas",
    "ServiceRollback",
    "Session",
    "SessionList",
    "Source",
    "Storage",
    "Success",
    "Sync",
    "Task",
    "TaskDetail",
    "Thresholds",
    "Token",
    "Usage",
    "User",
    "Webhook",
    "WebhookCreated",
    "Workflow",
    "WorkflowDetail",
]


@dataclass(eq=True)
class Alert(SparkiObject):
    """`AlertOut` in the OpenAPI document."""

    id: Optional[str] = None
    node: Optional[str] = None
    resource: Optional[str] = None
    status: Optional[str] = None
    threshold_percent: Optional[float] = None
    value_percent: Optional[float] = None
    peak_percent: Optional[float] = None
    resolved_value_percent: Optional[float] = None
    pending_since: Optional[datetime] = None
    triggered_at: Optional[datetime] = None
    resolved_at: Optional[datetime] = None
    created_at: Optional[datetime] = None

    _SPEC = {
        "id": ("id", None),
        "node": ("node", None),
        "resource": ("resource", None),
        "status": ("status", None),
        "threshold_percent": ("thresholdPercent", None),
        "value_percent": ("valuePercent", None),
        "peak_percent": ("peakPercent", None),
        "resolved_value_percent": ("resolvedValuePercent", None),
        "pending_since": ("pendingSince", "datetime"),
        "triggered_at": ("triggeredAt", "datetime"),
        "resolved_at": ("resolvedAt", "datetime"),
        "created_at": ("createdAt", "datetime"),
    }


@dataclass(eq=True)
class ApiKey(SparkiObject):
    """`ApiKeyOut` in the OpenAPI document."""

    id: Optional[str] = None
    name: Optional[str] = None
    prefix: Optional[str] = None
    user_id: Optional[str] = None
    status: Optional[str] = None
    created_at: Optional[datetime] = None
    last_used_at: Optional[datetime] = None
    revoked_at: Optional[datetime] = None

    _SPEC = {
        "id": ("id", None),
        "name": ("name", None),
        "prefix": ("prefix", None),
        "user_id": ("userId", None),
        "status": ("status", None),
        "created_at": ("createdAt", "datetime"),
        "last_used_at": ("lastUsedAt", "datetime"),
        "revoked_at": ("revokedAt", "datetime"),
    }


@dataclass(eq=True)
class ApiKeyCreated(SparkiObject):
    """`ApiKeyCreated` in the OpenAPI document."""

    id: Optional[str] = None
    name: Optional[str] = None
    prefix: Optional[str] = None
    user_id: Optional[str] = None
    status: Optional[str] = None
    created_at: Optional[datetime] = None
    last_used_at: Optional[datetime] = None
    revoked_at: Optional[datetime] = None
    key: Optional[str] = None

    _SPEC = {
        "id": ("id", None),
        "name": ("name", None),
        "prefix": ("prefix", None),
        "user_id": ("userId", None),
        "status": ("status", None),
        "created_at": ("createdAt", "datetime"),
        "last_used_at": ("lastUsedAt", "datetime"),
        "revoked_at": ("revokedAt", "datetime"),
        "key": ("key", None),
    }


@dataclass(eq=True)
class AuditChain(SparkiObject):
    """`AuditChainOut` in the OpenAPI document."""

    deployments: Optional[List[str]] = None
    events: Optional[List[ChainEvent]] = None
    deliveries: Optional[List[ChainDelivery]] = None

    _SPEC = {
        "deployments": ("deployments", None),
        "events": ("events", "list:ChainEvent"),
        "deliveries": ("deliveries", "list:ChainDelivery"),
    }


@dataclass(eq=True)
class AuditEntry(SparkiObject):
    """`AuditEntryOut` in the OpenAPI document."""

    id: Optional[str] = None
    timestamp: Optional[datetime] = None
    action: Optional[str] = None
    outcome: Optional[str] = None
    status_code: Optional[int] = None
    actor: Optional[Dict[str, Any]] = None
    target: Optional[Dict[str, Any]] = None
    client: Optional[str] = None
    request_id: Optional[str] = None
    method: Optional[str] = None
    path: Optional[str] = None
    channel: Optional[str] = None
    changes: Optional[List[Change]] = None
    details: Optional[Dict[str, Any]] = None

    _SPEC = {
        "id": ("id", None),
        "timestamp": ("timestamp", "datetime"),
        "action": ("action", None),
        "outcome": ("outcome", None),
        "status_code": ("statusCode", None),
        "actor": ("actor", None),
        "target": ("target", None),
        "client": ("client", None),
        "request_id": ("requestId", None),
        "method": ("method", None),
        "path": ("path", None),
        "channel": ("channel", None),
        "changes": ("changes", "list:Change"),
        "details": ("details", None),
    }


@dataclass(eq=True)
class AuditEntryDetail(SparkiObject):
    """`AuditEntryDetailOut` in the OpenAPI document."""

    entry: Optional[AuditEntry] = None
    chain: Optional[AuditChain] = None

    _SPEC = {
        "entry": ("entry", "AuditEntry"),
        "chain": ("chain", "AuditChain"),
    }


@dataclass(eq=True)
class ChainDelivery(SparkiObject):
    """`ChainDeliveryOut` in the OpenAPI document."""

    id: Optional[str] = None
    webhook_id: Optional[str] = None
    event_id: Optional[str] = None
    attempt: Optional[int] = None
    status: Optional[str] = None
    status_code: Optional[int] = None
    duration_ms: Optional[int] = None

    _SPEC = {
        "id": ("id", None),
        "webhook_id": ("webhookId", None),
        "event_id": ("eventId", None),
        "attempt": ("attempt", None),
        "status": ("status", None),
        "status_code": ("statusCode", None),
        "duration_ms": ("durationMs", None),
    }


@dataclass(eq=True)
class ChainEvent(SparkiObject):
    """`ChainEventOut` in the OpenAPI document."""

    id: Optional[str] = None
    type: Optional[str] = None
    timestamp: Optional[datetime] = None

    _SPEC = {
        "id": ("id", None),
        "type": ("type", None),
        "timestamp": ("timestamp", "datetime"),
    }


@dataclass(eq=True)
class Change(SparkiObject):
    """`ChangeOut` in the OpenAPI document."""

    op: Optional[str] = None
    type: Optional[str] = None
    id: Optional[str] = None
    fields: Optional[Dict[str, Any]] = None
    before: Optional[Dict[str, Any]] = None

    _SPEC = {
        "op": ("op", None),
        "type": ("type", None),
        "id": ("id", None),
        "fields": ("fields", None),
        "before": ("before", None),
    }


@dataclass(eq=True)
class Cluster(SparkiObject):
    """`ClusterOut` in the OpenAPI document."""

    name: Optional[str] = None
    version: Optional[str] = None
    runtime: Optional[str] = None
    status: Optional[str] = None
    nodes: Optional[NodeCounts] = None
    compute: Optional[Compute] = None
    storage: Optional[Storage] = None
    networking: Optional[Networking] = None
    security: Optional[Security] = None
    last_health_check: Optional[datetime] = None

    _SPEC = {
        "name": ("name", None),
        "version": ("version", None),
        "runtime": ("runtime", None),
        "status": ("status", None),
        "nodes": ("nodes", "NodeCounts"),
        "compute": ("compute", "Compute"),
        "storage": ("storage", "Storage"),
        "networking": ("networking", "Networking"),
        "security": ("security", "Security"),
        "last_health_check": ("lastHealthCheck", "datetime"),
    }


@dataclass(eq=True)
class Compute(SparkiObject):
    """`ComputeOut` in the OpenAPI document."""

    cpu_allocatable: Optional[float] = None
    cpu_used: Optional[float] = None
    memory_allocatable: Optional[int] = None
    memory_used: Optional[int] = None
    usage_unavailable_reason: Optional[str] = None

    _SPEC = {
        "cpu_allocatable": ("cpuAllocatable", None),
        "cpu_used": ("cpuUsed", None),
        "memory_allocatable": ("memoryAllocatable", None),
        "memory_used": ("memoryUsed", None),
        "usage_unavailable_reason": ("usageUnavailableReason", None),
    }


@dataclass(eq=True)
class CurrencyFigures(SparkiObject):
    """`CurrencyFiguresOut` in the OpenAPI document."""

    currency: Optional[str] = None
    orders: Optional[int] = None
    spent: Optional[Decimal] = None
    open_balance: Optional[Decimal] = None

    _SPEC = {
        "currency": ("currency", None),
        "orders": ("orders", None),
        "spent": ("spent", "decimal"),
        "open_balance": ("openBalance", "decimal"),
    }


@dataclass(eq=True)
class Customer(SparkiObject):
    """`CustomerOut` in the OpenAPI document."""

    id: Optional[str] = None
    name: Optional[str] = None
    email: Optional[str] = None
    company: Optional[str] = None
    phone: Optional[str] = None
    address: Optional[str] = None
    notes: Optional[str] = None
    archived: Optional[bool] = None
    archived_at: Optional[datetime] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None

    _SPEC = {
        "id": ("id", None),
        "name": ("name", None),
        "email": ("email", None),
        "company": ("company", None),
        "phone": ("phone", None),
        "address": ("address", None),
        "notes": ("notes", None),
        "archived": ("archived", None),
        "archived_at": ("archivedAt", "datetime"),
        "created_at": ("createdAt", "datetime"),
        "updated_at": ("updatedAt", "datetime"),
    }


@dataclass(eq=True)
class CustomerDetail(SparkiObject):
    """`CustomerDetailOut` in the OpenAPI document."""

    id: Optional[str] = None
    name: Optional[str] = None
    email: Optional[str] = None
    company: Optional[str] = None
    phone: Optional[str] = None
    address: Optional[str] = None
    notes: Optional[str] = None
    archived: Optional[bool] = None
    archived_at: Optional[datetime] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    totals: Optional[List[CurrencyFigures]] = None

    _SPEC = {
        "id": ("id", None),
        "name": ("name", None),
        "email": ("email", None),
        "company": ("company", None),
        "phone": ("phone", None),
        "address": ("address", None),
        "notes": ("notes", None),
        "archived": ("archived", None),
        "archived_at": ("archivedAt", "datetime"),
        "created_at": ("createdAt", "datetime"),
        "updated_at": ("updatedAt", "datetime"),
        "totals": ("totals", "list:CurrencyFigures"),
    }


@dataclass(eq=True)
class Delivery(SparkiObject):
    """`DeliveryOut` in the OpenAPI document."""

    id: Optional[str] = None
    webhook_id: Optional[str] = None
    event_id: Optional[str] = None
    event: Optional[str] = None
    attempt: Optional[int] = None
    manual: Optional[bool] = None
    status: Optional[str] = None
    status_code: Optional[int] = None
    duration_ms: Optional[int] = None
    duration: Optional[int] = None
    response_excerpt: Optional[str] = None
    error: Optional[str] = None
    scheduled_at: Optional[datetime] = None
    started_at: Optional[datetime] = None
    finished_at: Optional[datetime] = None
    next_retry_at: Optional[datetime] = None
    created_at: Optional[datetime] = None

    _SPEC = {
        "id": ("id", None),
        "webhook_id": ("webhookId", None),
        "event_id": ("eventId", None),
        "event": ("event", None),
        "attempt": ("attempt", None),
        "manual": ("manual", None),
        "status": ("status", None),
        "status_code": ("statusCode", None),
        "duration_ms": ("durationMs", None),
        "duration": ("duration", None),
        "response_excerpt": ("responseExcerpt", None),
        "error": ("error", None),
        "scheduled_at": ("scheduledAt", "datetime"),
        "started_at": ("startedAt", "datetime"),
        "finished_at": ("finishedAt", "datetime"),
        "next_retry_at": ("nextRetryAt", "datetime"),
        "created_at": ("createdAt", "datetime"),
    }


@dataclass(eq=True)
class Deployment(SparkiObject):
    """`DeploymentOut` in the OpenAPI document."""

    id: Optional[str] = None
    deployment_id: Optional[str] = None
    service_id: Optional[str] = None
    kind: Optional[str] = None
    strategy: Optional[str] = None
    status: Optional[str] = None
    revision: Optional[int] = None
    previous_revision: Optional[int] = None
    image: Optional[str] = None
    previous_image: Optional[str] = None
    replicas: Optional[int] = None
    progress: Optional[DeploymentProgress] = None
    message: Optional[str] = None
    created_by: Optional[DeploymentUser] = None
    created_at: Optional[datetime] = None
    started_at: Optional[datetime] = None
    finished_at: Optional[datetime] = None
    duration_ms: Optional[int] = None
    duration_seconds: Optional[float] = None

    _SPEC = {
        "id": ("id", None),
        "deployment_id": ("deploymentId", None),
        "service_id": ("serviceId", None),
        "kind": ("kind", None),
        "strategy": ("strategy", None),
        "status": ("status", None),
        "revision": ("revision", None),
        "previous_revision": ("previousRevision", None),
        "image": ("image", None),
        "previous_image": ("previousImage", None),
        "replicas": ("replicas", None),
        "progress": ("progress", "DeploymentProgress"),
        "message": ("message", None),
        "created_by": ("createdBy", "DeploymentUser"),
        "created_at": ("createdAt", "datetime"),
        "started_at": ("startedAt", "datetime"),
        "finished_at": ("finishedAt", "datetime"),
        "duration_ms": ("durationMs", None),
        "duration_seconds": ("durationSeconds", None),
    }


@dataclass(eq=True)
class DeploymentProgress(SparkiObject):
    """`DeploymentProgressOut` in the OpenAPI document."""

    updated: Optional[int] = None
    ready: Optional[int] = None
    available: Optional[int] = None
    desired: Optional[int] = None

    _SPEC = {
        "updated": ("updated", None),
        "ready": ("ready", None),
        "available": ("available", None),
        "desired": ("desired", None),
    }


@dataclass(eq=True)
class DeploymentUser(SparkiObject):
    """`DeploymentUserOut` in the OpenAPI document."""

    id: Optional[str] = None
    name: Optional[str] = None
    email: Optional[str] = None

    _SPEC = {
        "id": ("id", None),
        "name": ("name", None),
        "email": ("email", None),
    }


@dataclass(eq=True)
class Event(SparkiObject):
    """`EventOut` in the OpenAPI document."""

    id: Optional[str] = None
    type: Optional[str] = None
    organization_id: Optional[str] = None
    data: Optional[Dict[str, Any]] = None
    timestamp: Optional[datetime] = None
    dispatched_at: Optional[datetime] = None

    _SPEC = {
        "id": ("id", None),
        "type": ("type", None),
        "organization_id": ("organizationId", None),
        "data": ("data", None),
        "timestamp": ("timestamp", "datetime"),
        "dispatched_at": ("dispatchedAt", "datetime"),
    }


@dataclass(eq=True)
class Figure(SparkiObject):
    """`FigureOut` in the OpenAPI document."""

    used: Optional[float] = None
    allocatable: Optional[float] = None
    utilization_percent: Optional[float] = None

    _SPEC = {
        "used": ("used", None),
        "allocatable": ("allocatable", None),
        "utilization_percent": ("utilizationPercent", None),
    }


@dataclass(eq=True)
class Health(SparkiObject):
    """`HealthOut` in the OpenAPI document."""

    status: Optional[str] = None
    checks: Optional[Dict[str, Any]] = None
    timestamp: Optional[datetime] = None
    runtime: Optional[Dict[str, Any]] = None

    _SPEC = {
        "status": ("status", None),
        "checks": ("checks", None),
        "timestamp": ("timestamp", "datetime"),
        "runtime": ("runtime", None),
    }


@dataclass(eq=True)
class HistoryPoint(SparkiObject):
    """`HistoryPointOut` in the OpenAPI document."""

    cpu: Optional[Figure] = None
    memory: Optional[Figure] = None
    disk: Optional[Figure] = None
    timestamp: Optional[datetime] = None
    network: Optional[Network] = None

    _SPEC = {
        "cpu": ("cpu", "Figure"),
        "memory": ("memory", "Figure"),
        "disk": ("disk", "Figure"),
        "timestamp": ("timestamp", "datetime"),
        "network": ("network", "Network"),
    }


@dataclass(eq=True)
class LogoutEverywhere(SparkiObject):
    """`LogoutEverywhereOut` in the OpenAPI document."""

    success: Optional[bool] = None
    message: Optional[str] = None
    sessions_ended: Optional[int] = None

    _SPEC = {
        "success": ("success", None),
        "message": ("message", None),
        "sessions_ended": ("sessionsEnded", None),
    }


@dataclass(eq=True)
class Member(SparkiObject):
    """`MemberOut` in the OpenAPI document."""

    id: Optional[str] = None
    name: Optional[str] = None
    user_id: Optional[str] = None
    role: Optional[str] = None
    added_at: Optional[datetime] = None
    user: Optional[MemberUser] = None

    _SPEC = {
        "id": ("id", None),
        "name": ("name", None),
        "user_id": ("userId", None),
        "role": ("role", None),
        "added_at": ("addedAt", "datetime"),
        "user": ("user", "MemberUser"),
    }


@dataclass(eq=True)
class MemberUser(SparkiObject):
    """`MemberUserOut` in the OpenAPI document."""

    id: Optional[str] = None
    email: Optional[str] = None
    name: Optional[str] = None

    _SPEC = {
        "id": ("id", None),
        "email": ("email", None),
        "name": ("name", None),
    }


@dataclass(eq=True)
class Metrics(SparkiObject):
    """`MetricsOut` in the OpenAPI document."""

    timestamp: Optional[datetime] = None
    cluster: Optional[Usage] = None
    network: Optional[Network] = None
    unmeasured_reason: Optional[str] = None
    nodes: Optional[List[NodeUsage]] = None

    _SPEC = {
        "timestamp": ("timestamp", "datetime"),
        "cluster": ("cluster", "Usage"),
        "network": ("network", "Network"),
        "unmeasured_reason": ("unmeasuredReason", None),
        "nodes": ("nodes", "list:NodeUsage"),
    }


@dataclass(eq=True)
class MetricsHistory(SparkiObject):
    """`HistoryOut1` in the OpenAPI document."""

    window: Optional[str] = None
    window_seconds: Optional[int] = None
    resolution_seconds: Optional[float] = None
    from_: Optional[datetime] = None
    to: Optional[datetime] = None
    points: Optional[List[HistoryPoint]] = None
    unmeasured_reason: Optional[str] = None

    _SPEC = {
        "window": ("window", None),
        "window_seconds": ("windowSeconds", None),
        "resolution_seconds": ("resolutionSeconds", None),
        "from_": ("from", "datetime"),
        "to": ("to", "datetime"),
        "points": ("points", "list:HistoryPoint"),
        "unmeasured_reason": ("unmeasuredReason", None),
    }


@dataclass(eq=True)
class Network(SparkiObject):
    """`NetworkOut` in the OpenAPI document."""

    ingress_bytes_per_second: Optional[float] = None
    egress_bytes_per_second: Optional[float] = None
    connection_count: Optional[int] = None

    _SPEC = {
        "ingress_bytes_per_second": ("ingressBytesPerSecond", None),
        "egress_bytes_per_second": ("egressBytesPerSecond", None),
        "connection_count": ("connectionCount", None),
    }


@dataclass(eq=True)
class Networking(SparkiObject):
    """`NetworkingOut` in the OpenAPI document."""

    service_count: Optional[int] = None
    endpoints: Optional[int] = None
    connection_count: Optional[int] = None
    network_policies: Optional[int] = None
    cluster_services: Optional[int] = None
    ingresses: Optional[int] = None

    _SPEC = {
        "service_count": ("serviceCount", None),
        "endpoints": ("endpoints", None),
        "connection_count": ("connectionCount", None),
        "network_policies": ("networkPolicies", None),
        "cluster_services": ("clusterServices", None),
        "ingresses": ("ingresses", None),
    }


@dataclass(eq=True)
class Node(SparkiObject):
    """`NodeOut` in the OpenAPI document."""

    name: Optional[str] = None
    status: Optional[str] = None
    kind: Optional[str] = None
    os_image: Optional[str] = None
    kernel_version: Optional[str] = None
    architecture: Optional[str] = None
    runtime_version: Optional[str] = None
    capacity: Optional[Resources] = None
    allocatable: Optional[Resources] = None
    pod_count: Optional[int] = None
    replica_count: Optional[int] = None
    addresses: Optional[List[str]] = None
    labels: Optional[Dict[str, Any]] = None
    last_heartbeat: Optional[datetime] = None
    role: Optional[str] = None
    instance_type: Optional[str] = None
    kubelet_version: Optional[str] = None
    created_at: Optional[datetime] = None

    _SPEC = {
        "name": ("name", None),
        "status": ("status", None),
        "kind": ("kind", None),
        "os_image": ("osImage", None),
        "kernel_version": ("kernelVersion", None),
        "architecture": ("architecture", None),
        "runtime_version": ("runtimeVersion", None),
        "capacity": ("capacity", "Resources"),
        "allocatable": ("allocatable", "Resources"),
        "pod_count": ("podCount", None),
        "replica_count": ("replicaCount", None),
        "addresses": ("addresses", None),
        "labels": ("labels", None),
        "last_heartbeat": ("lastHeartbeat", "datetime"),
        "role": ("role", None),
        "instance_type": ("instanceType", None),
        "kubelet_version": ("kubeletVersion", None),
        "created_at": ("createdAt", "datetime"),
    }


@dataclass(eq=True)
class NodeCounts(SparkiObject):
    """`NodeCountsOut` in the OpenAPI document."""

    total: Optional[int] = None
    ready: Optional[int] = None
    not_ready: Optional[int] = None

    _SPEC = {
        "total": ("total", None),
        "ready": ("ready", None),
        "not_ready": ("notReady", None),
    }


@dataclass(eq=True)
class NodeList(SparkiObject):
    """`NodeListOut` in the OpenAPI document."""

    data: Optional[List[Node]] = None

    _SPEC = {
        "data": ("data", "list:Node"),
    }


@dataclass(eq=True)
class NodeUsage(SparkiObject):
    """`NodeUsageOut` in the OpenAPI document."""

    cpu: Optional[Figure] = None
    memory: Optional[Figure] = None
    disk: Optional[Figure] = None
    name: Optional[str] = None
    timestamp: Optional[datetime] = None
    network: Optional[Network] = None

    _SPEC = {
        "cpu": ("cpu", "Figure"),
        "memory": ("memory", "Figure"),
        "disk": ("disk", "Figure"),
        "name": ("name", None),
        "timestamp": ("timestamp", "datetime"),
        "network": ("network", "Network"),
    }


@dataclass(eq=True)
class Order(SparkiObject):
    """`OrderOut` in the OpenAPI document."""

    id: Optional[str] = None
    order_number: Optional[str] = None
    status: Optional[str] = None
    payment_status: Optional[str] = None
    customer_id: Optional[str] = None
    currency: Optional[str] = None
    subtotal: Optional[Decimal] = None
    total: Optional[Decimal] = None
    amount_paid: Optional[Decimal] = None
    amount_refunded: Optional[Decimal] = None
    open_balance: Optional[Decimal] = None
    allowed_statuses: Optional[List[str]] = None
    items: Optional[List[OrderItem]] = None
    notes: Optional[str] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None

    _SPEC = {
        "id": ("id", None),
        "order_number": ("orderNumber", None),
        "status": ("status", None),
        "payment_status": ("paymentStatus", None),
        "customer_id": ("customerId", None),
        "currency": ("currency", None),
        "subtotal": ("subtotal", "decimal"),
        "total": ("total", "decimal"),
        "amount_paid": ("amountPaid", "decimal"),
        "amount_refunded": ("amountRefunded", "decimal"),
        "open_balance": ("openBalance", "decimal"),
        "allowed_statuses": ("allowedStatuses", None),
        "items": ("items", "list:OrderItem"),
        "notes": ("notes", None),
        "created_at": ("createdAt", "datetime"),
        "updated_at": ("updatedAt", "datetime"),
    }


@dataclass(eq=True)
class OrderDetail(SparkiObject):
    """`OrderDetailOut` in the OpenAPI document."""

    id: Optional[str] = None
    order_number: Optional[str] = None
    status: Optional[str] = None
    payment_status: Optional[str] = None
    customer_id: Optional[str] = None
    currency: Optional[str] = None
    subtotal: Optional[Decimal] = None
    total: Optional[Decimal] = None
    amount_paid: Optional[Decimal] = None
    amount_refunded: Optional[Decimal] = None
    open_balance: Optional[Decimal] = None
    allowed_statuses: Optional[List[str]] = None
    items: Optional[List[OrderItem]] = None
    notes: Optional[str] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    payments: Optional[List[Payment]] = None
    history: Optional[List[OrderHistoryEntry]] = None

    _SPEC = {
        "id": ("id", None),
        "order_number": ("orderNumber", None),
        "status": ("status", None),
        "payment_status": ("paymentStatus", None),
        "customer_id": ("customerId", None),
        "currency": ("currency", None),
        "subtotal": ("subtotal", "decimal"),
        "total": ("total", "decimal"),
        "amount_paid": ("amountPaid", "decimal"),
        "amount_refunded": ("amountRefunded", "decimal"),
        "open_balance": ("openBalance", "decimal"),
        "allowed_statuses": ("allowedStatuses", None),
        "items": ("items", "list:OrderItem"),
        "notes": ("notes", None),
        "created_at": ("createdAt", "datetime"),
        "updated_at": ("updatedAt", "datetime"),
        "payments": ("payments", "list:Payment"),
        "history": ("history", "list:OrderHistoryEntry"),
    }


@dataclass(eq=True)
class OrderHistoryEntry(SparkiObject):
    """`HistoryOut` in the OpenAPI document."""

    action: Optional[str] = None
    field: Optional[str] = None
    from_: Optional[str] = None
    to: Optional[str] = None
    amount: Optional[Decimal] = None
    actor_id: Optional[str] = None
    actor_email: Optional[str] = None
    created_at: Optional[datetime] = None

    _SPEC = {
        "action": ("action", None),
        "field": ("field", None),
        "from_": ("from", None),
        "to": ("to", None),
        "amount": ("amount", "decimal"),
        "actor_id": ("actorId", None),
        "actor_email": ("actorEmail", None),
        "created_at": ("createdAt", "datetime"),
    }


@dataclass(eq=True)
class OrderItem(SparkiObject):
    """`OrderItemOut` in the OpenAPI document."""

    sku: Optional[str] = None
    name: Optional[str] = None
    quantity: Optional[int] = None
    unit_price: Optional[Decimal] = None
    amount: Optional[Decimal] = None

    _SPEC = {
        "sku": ("sku", None),
        "name": ("name", None),
        "quantity": ("quantity", None),
        "unit_price": ("unitPrice", "decimal"),
        "amount": ("amount", "decimal"),
    }


@dataclass(eq=True)
class Organization(SparkiObject):
    """`OrganizationOut` in the OpenAPI document."""

    id: Optional[str] = None
    slug: Optional[str] = None
    name: Optional[str] = None
    modules: Optional[Dict[str, Any]] = None
    limits: Optional[Dict[str, Any]] = None
    created_at: Optional[datetime] = None

    _SPEC = {
        "id": ("id", None),
        "slug": ("slug", None),
        "name": ("name", None),
        "modules": ("modules", None),
        "limits": ("limits", None),
        "created_at": ("createdAt", "datetime"),
    }


@dataclass(eq=True)
class Pagination(SparkiObject):
    """`PaginationOut` in the OpenAPI document."""

    page: Optional[int] = None
    limit: Optional[int] = None
    total: Optional[int] = None
    total_pages: Optional[int] = None
    next_cursor: Optional[str] = None

    _SPEC = {
        "page": ("page", None),
        "limit": ("limit", None),
        "total": ("total", None),
        "total_pages": ("totalPages", None),
        "next_cursor": ("nextCursor", None),
    }


@dataclass(eq=True)
class PasswordChanged(SparkiObject):
    """`PasswordChangedOut` in the OpenAPI document."""

    success: Optional[bool] = None
    message: Optional[str] = None
    token: Optional[str] = None
    expires_in: Optional[int] = None

    _SPEC = {
        "success": ("success", None),
        "message": ("message", None),
        "token": ("token", None),
        "expires_in": ("expiresIn", None),
    }


@dataclass(eq=True)
class Payment(SparkiObject):
    """`PaymentOut` in the OpenAPI document."""

    id: Optional[str] = None
    order_id: Optional[str] = None
    kind: Optional[str] = None
    amount: Optional[Decimal] = None
    currency: Optional[str] = None
    method: Optional[str] = None
    reference: Optional[str] = None
    created_at: Optional[datetime] = None

    _SPEC = {
        "id": ("id", None),
        "order_id": ("orderId", None),
        "kind": ("kind", None),
        "amount": ("amount", "decimal"),
        "currency": ("currency", None),
        "method": ("method", None),
        "reference": ("reference", None),
        "created_at": ("createdAt", "datetime"),
    }


@dataclass(eq=True)
class Preview(SparkiObject):
    """`PreviewOut` in the OpenAPI document."""

    next_runs: Optional[List[str]] = None

    _SPEC = {
        "next_runs": ("nextRuns", None),
    }


@dataclass(eq=True)
class Project(SparkiObject):
    """`ProjectOut` in the OpenAPI document."""

    id: Optional[str] = None
    name: Optional[str] = None
    description: Optional[str] = None
    status: Optional[str] = None
    visibility: Optional[str] = None
    owner: Optional[MemberUser] = None
    members: Optional[List[Member]] = None
    repository: Optional[Any] = None
    ci: Optional[Any] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    archived_at: Optional[datetime] = None

    _SPEC = {
        "id": ("id", None),
        "name": ("name", None),
        "description": ("description", None),
        "status": ("status", None),
        "visibility": ("visibility", None),
        "owner": ("owner", "MemberUser"),
        "members": ("members", "list:Member"),
        "repository": ("repository", None),
        "ci": ("ci", None),
        "created_at": ("createdAt", "datetime"),
        "updated_at": ("updatedAt", "datetime"),
        "archived_at": ("archivedAt", "datetime"),
    }


@dataclass(eq=True)
class Recover(SparkiObject):
    """`RecoverOut` in the OpenAPI document."""

    count: Optional[int] = None
    deliveries: Optional[List[Delivery]] = None

    _SPEC = {
        "count": ("count", None),
        "deliveries": ("deliveries", "list:Delivery"),
    }


@dataclass(eq=True)
class Resources(SparkiObject):
    """`ResourcesOut` in the OpenAPI document."""

    cpu: Optional[float] = None
    memory: Optional[int] = None
    disk: Optional[int] = None

    _SPEC = {
        "cpu": ("cpu", None),
        "memory": ("memory", None),
        "disk": ("disk", None),
    }


@dataclass(eq=True)
class Schedule(SparkiObject):
    """`ScheduleOut` in the OpenAPI document."""

    id: Optional[str] = None
    workflow_id: Optional[str] = None
    target: Optional[Dict[str, Any]] = None
    schedule_type: Optional[str] = None
    expression: Optional[str] = None
    timezone: Optional[str] = None
    input: Optional[str] = None
    active: Optional[bool] = None
    missed_run_policy: Optional[str] = None
    concurrency_policy: Optional[str] = None
    next_run_at: Optional[datetime] = None
    last_run_at: Optional[datetime] = None
    next_runs: Optional[Any] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None

    _SPEC = {
        "id": ("id", None),
        "workflow_id": ("workflowId", None),
        "target": ("target", None),
        "schedule_type": ("scheduleType", None),
        "expression": ("expression", None),
        "timezone": ("timezone", None),
        "input": ("input", None),
        "active": ("active", None),
        "missed_run_policy": ("missedRunPolicy", None),
        "concurrency_policy": ("concurrencyPolicy", None),
        "next_run_at": ("nextRunAt", "datetime"),
        "last_run_at": ("lastRunAt", "datetime"),
        "next_runs": ("nextRuns", None),
        "created_at": ("createdAt", "datetime"),
        "updated_at": ("updatedAt", "datetime"),
    }


@dataclass(eq=True)
class Security(SparkiObject):
    """`SecurityOut` in the OpenAPI document."""

    rbac_enabled: Optional[bool] = None
    tenant_isolation: Optional[bool] = None
    csrf_protection: Optional[bool] = None
    rate_limiting: Optional[bool] = None
    api_keys_hashed: Optional[bool] = None
    password_hashing: Optional[str] = None
    network_policies_enabled: Optional[bool] = None

    _SPEC = {
        "rbac_enabled": ("rbacEnabled", None),
        "tenant_isolation": ("tenantIsolation", None),
        "csrf_protection": ("csrfProtection", None),
        "rate_limiting": ("rateLimiting", None),
        "api_keys_hashed": ("apiKeysHashed", None),
        "password_hashing": ("passwordHashing", None),
        "network_policies_enabled": ("networkPoliciesEnabled", None),
    }


@dataclass(eq=True)
class Service(SparkiObject):
    """`ServiceOut` in the OpenAPI document."""

    id: Optional[str] = None
    project_id: Optional[str] = None
    name: Optional[str] = None
    type: Optional[str] = None
    image: Optional[str] = None
    command: Optional[str] = None
    env: Optional[Dict[str, Any]] = None
    health_check_path: Optional[str] = None
    port: Optional[int] = None
    url_settings: Optional[Dict[str, Any]] = None
    status: Optional[str] = None
    current_revision: Optional[int] = None
    current_image: Optional[str] = None
    active_deployment_id: Optional[str] = None
    replicas: Optional[ServiceReplicas] = None
    health: Optional[ServiceHealth] = None
    endpoints: Optional[List[Dict[str, Any]]] = None
    created_by_id: Optional[str] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None

    _SPEC = {
        "id": ("id", None),
        "project_id": ("projectId", None),
        "name": ("name", None),
        "type": ("type", None),
        "image": ("image", None),
        "command": ("command", None),
        "env": ("env", None),
        "health_check_path": ("healthCheckPath", None),
        "port": ("port", None),
        "url_settings": ("urlSettings", None),
        "status": ("status", None),
        "current_revision": ("currentRevision", None),
        "current_image": ("currentImage", None),
        "active_deployment_id": ("activeDeploymentId", None),
        "replicas": ("replicas", "ServiceReplicas"),
        "health": ("health", "ServiceHealth"),
        "endpoints": ("endpoints", None),
        "created_by_id": ("createdById", None),
        "created_at": ("createdAt", "datetime"),
        "updated_at": ("updatedAt", "datetime"),
    }


@dataclass(eq=True)
class ServiceCheck(SparkiObject):
    """`ServiceCheckOut` in the OpenAPI document."""

    status: Optional[str] = None
    reason: Optional[str] = None
    checked_at: Optional[datetime] = None
    elapsed_ms: Optional[float] = None
    elapsed: Optional[float] = None
    pod: Optional[str] = None
    http_status: Optional[int] = None

    _SPEC = {
        "status": ("status", None),
        "reason": ("reason", None),
        "checked_at": ("checkedAt", "datetime"),
        "elapsed_ms": ("elapsedMs", None),
        "elapsed": ("elapsed", None),
        "pod": ("pod", None),
        "http_status": ("httpStatus", None),
    }


@dataclass(eq=True)
class ServiceHealth(SparkiObject):
    """`ServiceHealthOut` in the OpenAPI document."""

    status: Optional[str] = None
    reason: Optional[str] = None
    last_check: Optional[datetime] = None
    changed_at: Optional[datetime] = None

    _SPEC = {
        "status": ("status", None),
        "reason": ("reason", None),
        "last_check": ("lastCheck", "datetime"),
        "changed_at": ("changedAt", "datetime"),
    }


@dataclass(eq=True)
class ServiceListItem(SparkiObject):
    """`ServiceListItem` in the OpenAPI document."""

    id: Optional[str] = None
    project_id: Optional[str] = None
    name: Optional[str] = None
    type: Optional[str] = None
    image: Optional[str] = None
    status: Optional[str] = None
    current_revision: Optional[int] = None
    url_settings: Optional[Dict[str, Any]] = None
    health: Optional[ServiceHealth] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None

    _SPEC = {
        "id": ("id", None),
        "project_id": ("projectId", None),
        "name": ("name", None),
        "type": ("type", None),
        "image": ("image", None),
        "status": ("status", None),
        "current_revision": ("currentRevision", None),
        "url_settings": ("urlSettings", None),
        "health": ("health", "ServiceHealth"),
        "created_at": ("createdAt", "datetime"),
        "updated_at": ("updatedAt", "datetime"),
    }


@dataclass(eq=True)
class ServiceLogLine(SparkiObject):
    """`ServiceLogLineOut` in the OpenAPI document."""

    id: Optional[str] = None
    timestamp: Optional[datetime] = None
    level: Optional[str] = None
    message: Optional[str] = None
    pod: Optional[str] = None

    _SPEC = {
        "id": ("id", None),
        "timestamp": ("timestamp", "datetime"),
        "level": ("level", None),
        "message": ("message", None),
        "pod": ("pod", None),
    }


@dataclass(eq=True)
class ServiceLogs(SparkiObject):
    """`ServiceLogsOut` in the OpenAPI document."""

    logs: Optional[List[ServiceLogLine]] = None

    _SPEC = {
        "logs": ("logs", "list:ServiceLogLine"),
    }


@dataclass(eq=True)
class ServiceReplica(SparkiObject):
    """`ServiceReplicaOut` in the OpenAPI document."""

    pod: Optional[str] = None
    revision: Optional[int] = None
    state: Optional[str] = None
    ready: Optional[bool] = None
    node: Optional[str] = None
    address: Optional[str] = None
    pid: Optional[int] = None
    restarts: Optional[int] = None
    started_at: Optional[datetime] = None
    last_probe_at: Optional[datetime] = None
    last_exit_code: Optional[int] = None
    message: Optional[str] = None
    reason: Optional[str] = None

    _SPEC = {
        "pod": ("pod", None),
        "revision": ("revision", None),
        "state": ("state", None),
        "ready": ("ready", None),
        "node": ("node", None),
        "address": ("address", None),
        "pid": ("pid", None),
        "restarts": ("restarts", None),
        "started_at": ("startedAt", "datetime"),
        "last_probe_at": ("lastProbeAt", "datetime"),
        "last_exit_code": ("lastExitCode", None),
        "message": ("message", None),
        "reason": ("reason", None),
    }


@dataclass(eq=True)
class ServiceReplicas(SparkiObject):
    """`ServiceReplicasOut` in the OpenAPI document."""

    desired: Optional[int] = None
    ready: Optional[int] = None
    available: Optional[int] = None
    items: Optional[List[ServiceReplica]] = None

    _SPEC = {
        "desired": ("desired", None),
        "ready": ("ready", None),
        "available": ("available", None),
        "items": ("items", "list:ServiceReplica"),
    }


@dataclass(eq=True)
class ServiceRollback(SparkiObject):
    """`ServiceRollbackOut` in the OpenAPI document."""

    id: Optional[str] = None
    deployment_id: Optional[str] = None
    service_id: Optional[str] = None
    kind: Optional[str] = None
    strategy: Optional[str] = None
    status: Optional[str] = None
    revision: Optional[int] = None
    previous_revision: Optional[int] = None
    image: Optional[str] = None
    previous_image: Optional[str] = None
    replicas: Optional[int] = None
    progress: Optional[DeploymentProgress] = None
    message: Optional[str] = None
    created_by: Optional[DeploymentUser] = None
    created_at: Optional[datetime] = None
    started_at: Optional[datetime] = None
    finished_at: Optional[datetime] = None
    duration_ms: Optional[int] = None
    duration_seconds: Optional[float] = None
    target_image: Optional[str] = None

    _SPEC = {
        "id": ("id", None),
        "deployment_id": ("deploymentId", None),
        "service_id": ("serviceId", None),
        "kind": ("kind", None),
        "strategy": ("strategy", None),
        "status": ("status", None),
        "revision": ("revision", None),
        "previous_revision": ("previousRevision", None),
        "image": ("image", None),
        "previous_image": ("previousImage", None),
        "replicas": ("replicas", None),
        "progress": ("progress", "DeploymentProgress"),
        "message": ("message", None),
        "created_by": ("createdBy", "DeploymentUser"),
        "created_at": ("createdAt", "datetime"),
        "started_at": ("startedAt", "datetime"),
        "finished_at": ("finishedAt", "datetime"),
        "duration_ms": ("durationMs", None),
        "duration_seconds": ("durationSeconds", None),
        "target_image": ("targetImage", None),
    }


@dataclass(eq=True)
class Session(SparkiObject):
    """`SessionOut` in the OpenAPI document."""

    id: Optional[str] = None
    created_at: Optional[datetime] = None
    last_seen_at: Optional[datetime] = None
    user_agent: Optional[str] = None
    client_label: Optional[str] = None
    client: Optional[str] = None
    current: Optional[bool] = None

    _SPEC = {
        "id": ("id", None),
        "created_at": ("createdAt", "datetime"),
        "last_seen_at": ("lastSeenAt", "datetime"),
        "user_agent": ("userAgent", None),
        "client_label": ("clientLabel", None),
        "client": ("client", None),
        "current": ("current", None),
    }


@dataclass(eq=True)
class SessionList(SparkiObject):
    """`SessionsOut` in the OpenAPI document."""

    data: Optional[List[Session]] = None

    _SPEC = {
        "data": ("data", "list:Session"),
    }


@dataclass(eq=True)
class Source(SparkiObject):
    """`SourceOut` in the OpenAPI document."""

    id: Optional[str] = None
    name: Optional[str] = None
    source_type: Optional[str] = None
    url: Optional[str] = None
    status: Optional[str] = None
    version: Optional[str] = None
    last_checked_at: Optional[datetime] = None
    last_error: Optional[str] = None
    last_synced_at: Optional[datetime] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None

    _SPEC = {
        "id": ("id", None),
        "name": ("name", None),
        "source_type": ("sourceType", None),
        "url": ("url", None),
        "status": ("status", None),
        "version": ("version", None),
        "last_checked_at": ("lastCheckedAt", "datetime"),
        "last_error": ("lastError", None),
        "last_synced_at": ("lastSyncedAt", "datetime"),
        "created_at": ("createdAt", "datetime"),
        "updated_at": ("updatedAt", "datetime"),
    }


@dataclass(eq=True)
class Storage(SparkiObject):
    """`StorageOut` in the OpenAPI document."""

    total_capacity: Optional[int] = None
    used: Optional[int] = None
    utilization_percent: Optional[float] = None
    persistent_volumes: Optional[int] = None
    persistent_volume_claims: Optional[int] = None

    _SPEC = {
        "total_capacity": ("totalCapacity", None),
        "used": ("used", None),
        "utilization_percent": ("utilizationPercent", None),
        "persistent_volumes": ("persistentVolumes", None),
        "persistent_volume_claims": ("persistentVolumeClaims", None),
    }


@dataclass(eq=True)
class Success(SparkiObject):
    """`SuccessOut` in the OpenAPI document."""

    success: Optional[bool] = None
    message: Optional[str] = None

    _SPEC = {
        "success": ("success", None),
        "message": ("message", None),
    }


@dataclass(eq=True)
class Sync(SparkiObject):
    """`SyncOut` in the OpenAPI document."""

    source: Optional[Source] = None
    created: Optional[int] = None
    updated: Optional[int] = None
    gone: Optional[int] = None

    _SPEC = {
        "source": ("source", "Source"),
        "created": ("created", None),
        "updated": ("updated", None),
        "gone": ("gone", None),
    }


@dataclass(eq=True)
class Task(SparkiObject):
    """`TaskOut` in the OpenAPI document."""

    id: Optional[str] = None
    status: Optional[str] = None
    trigger: Optional[str] = None
    workflow_id: Optional[str] = None
    schedule_id: Optional[str] = None
    service_id: Optional[str] = None
    action: Optional[str] = None
    replicas: Optional[int] = None
    retry_of: Optional[str] = None
    input: Optional[str] = None
    output: Optional[Any] = None
    output_text: Optional[str] = None
    error: Optional[str] = None
    reason: Optional[str] = None
    tries: Optional[int] = None
    max_retries: Optional[int] = None
    scheduled_for: Optional[datetime] = None
    started_at: Optional[datetime] = None
    finished_at: Optional[datetime] = None
    duration_ms: Optional[int] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None

    _SPEC = {
        "id": ("id", None),
        "status": ("status", None),
        "trigger": ("trigger", None),
        "workflow_id": ("workflowId", None),
        "schedule_id": ("scheduleId", None),
        "service_id": ("serviceId", None),
        "action": ("action", None),
        "replicas": ("replicas", None),
        "retry_of": ("retryOf", None),
        "input": ("input", None),
        "output": ("output", None),
        "output_text": ("outputText", None),
        "error": ("error", None),
        "reason": ("reason", None),
        "tries": ("tries", None),
        "max_retries": ("maxRetries", None),
        "scheduled_for": ("scheduledFor", "datetime"),
        "started_at": ("startedAt", "datetime"),
        "finished_at": ("finishedAt", "datetime"),
        "duration_ms": ("durationMs", None),
        "created_at": ("createdAt", "datetime"),
        "updated_at": ("updatedAt", "datetime"),
    }


@dataclass(eq=True)
class TaskDetail(SparkiObject):
    """`TaskDetailOut` in the OpenAPI document."""

    id: Optional[str] = None
    status: Optional[str] = None
    trigger: Optional[str] = None
    workflow_id: Optional[str] = None
    schedule_id: Optional[str] = None
    service_id: Optional[str] = None
    action: Optional[str] = None
    replicas: Optional[int] = None
    retry_of: Optional[str] = None
    input: Optional[str] = None
    output: Optional[Any] = None
    output_text: Optional[str] = None
    error: Optional[str] = None
    reason: Optional[str] = None
    tries: Optional[int] = None
    max_retries: Optional[int] = None
    scheduled_for: Optional[datetime] = None
    started_at: Optional[datetime] = None
    finished_at: Optional[datetime] = None
    duration_ms: Optional[int] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    logs: Optional[List[Dict[str, Any]]] = None

    _SPEC = {
        "id": ("id", None),
        "status": ("status", None),
        "trigger": ("trigger", None),
        "workflow_id": ("workflowId", None),
        "schedule_id": ("scheduleId", None),
        "service_id": ("serviceId", None),
        "action": ("action", None),
        "replicas": ("replicas", None),
        "retry_of": ("retryOf", None),
        "input": ("input", None),
        "output": ("output", None),
        "output_text": ("outputText", None),
        "error": ("error", None),
        "reason": ("reason", None),
        "tries": ("tries", None),
        "max_retries": ("maxRetries", None),
        "scheduled_for": ("scheduledFor", "datetime"),
        "started_at": ("startedAt", "datetime"),
        "finished_at": ("finishedAt", "datetime"),
        "duration_ms": ("durationMs", None),
        "created_at": ("createdAt", "datetime"),
        "updated_at": ("updatedAt", "datetime"),
        "logs": ("logs", None),
    }


@dataclass(eq=True)
class Thresholds(SparkiObject):
    """`ThresholdsOut` in the OpenAPI document."""

    cpu_percent: Optional[float] = None
    memory_percent: Optional[float] = None
    disk_percent: Optional[float] = None
    hysteresis_percent: Optional[float] = None
    for_seconds: Optional[int] = None
    updated_at: Optional[datetime] = None

    _SPEC = {
        "cpu_percent": ("cpuPercent", None),
        "memory_percent": ("memoryPercent", None),
        "disk_percent": ("diskPercent", None),
        "hysteresis_percent": ("hysteresisPercent", None),
        "for_seconds": ("forSeconds", None),
        "updated_at": ("updatedAt", "datetime"),
    }


@dataclass(eq=True)
class Token(SparkiObject):
    """`TokenOut` in the OpenAPI document."""

    token: Optional[str] = None
    token_type: Optional[str] = None
    expires_in: Optional[int] = None

    _SPEC = {
        "token": ("token", None),
        "token_type": ("tokenType", None),
        "expires_in": ("expiresIn", None),
    }


@dataclass(eq=True)
class Usage(SparkiObject):
    """`UsageOut` in the OpenAPI document."""

    cpu: Optional[Figure] = None
    memory: Optional[Figure] = None
    disk: Optional[Figure] = None

    _SPEC = {
        "cpu": ("cpu", "Figure"),
        "memory": ("memory", "Figure"),
        "disk": ("disk", "Figure"),
    }


@dataclass(eq=True)
class User(SparkiObject):
    """`UserOut` in the OpenAPI document."""

    id: Optional[str] = None
    organization_id: Optional[str] = None
    email: Optional[str] = None
    name: Optional[str] = None
    roles: Optional[List[str]] = None
    active: Optional[bool] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    last_login_at: Optional[datetime] = None

    _SPEC = {
        "id": ("id", None),
        "organization_id": ("organizationId", None),
        "email": ("email", None),
        "name": ("name", None),
        "roles": ("roles", None),
        "active": ("active", None),
        "created_at": ("createdAt", "datetime"),
        "updated_at": ("updatedAt", "datetime"),
        "last_login_at": ("lastLoginAt", "datetime"),
    }


@dataclass(eq=True)
class Webhook(SparkiObject):
    """`WebhookOut` in the OpenAPI document."""

    id: Optional[str] = None
    url: Optional[str] = None
    description: Optional[str] = None
    events: Optional[List[str]] = None
    active: Optional[bool] = None
    status: Optional[str] = None
    disabled_at: Optional[datetime] = None
    disabled_reason: Optional[str] = None
    failing_since: Optional[datetime] = None
    previous_secret_expires_at: Optional[datetime] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None

    _SPEC = {
        "id": ("id", None),
        "url": ("url", None),
        "description": ("description", None),
        "events": ("events", None),
        "active": ("active", None),
        "status": ("status", None),
        "disabled_at": ("disabledAt", "datetime"),
        "disabled_reason": ("disabledReason", None),
        "failing_since": ("failingSince", "datetime"),
        "previous_secret_expires_at": ("previousSecretExpiresAt", "datetime"),
        "created_at": ("createdAt", "datetime"),
        "updated_at": ("updatedAt", "datetime"),
    }


@dataclass(eq=True)
class WebhookCreated(SparkiObject):
    """`WebhookCreated` in the OpenAPI document."""

    id: Optional[str] = None
    url: Optional[str] = None
    description: Optional[str] = None
    events: Optional[List[str]] = None
    active: Optional[bool] = None
    status: Optional[str] = None
    disabled_at: Optional[datetime] = None
    disabled_reason: Optional[str] = None
    failing_since: Optional[datetime] = None
    previous_secret_expires_at: Optional[datetime] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    secret: Optional[str] = None

    _SPEC = {
        "id": ("id", None),
        "url": ("url", None),
        "description": ("description", None),
        "events": ("events", None),
        "active": ("active", None),
        "status": ("status", None),
        "disabled_at": ("disabledAt", "datetime"),
        "disabled_reason": ("disabledReason", None),
        "failing_since": ("failingSince", "datetime"),
        "previous_secret_expires_at": ("previousSecretExpiresAt", "datetime"),
        "created_at": ("createdAt", "datetime"),
        "updated_at": ("updatedAt", "datetime"),
        "secret": ("secret", None),
    }


@dataclass(eq=True)
class Workflow(SparkiObject):
    """`WorkflowOut` in the OpenAPI document."""

    id: Optional[str] = None
    source_id: Optional[str] = None
    remote_id: Optional[str] = None
    kind: Optional[str] = None
    name: Optional[str] = None
    description: Optional[str] = None
    input_component: Optional[str] = None
    output_component: Optional[str] = None
    status: Optional[str] = None
    max_retries: Optional[int] = None
    timeout_seconds: Optional[int] = None
    synced_at: Optional[datetime] = None
    created_at: Optional[datetime] = None

    _SPEC = {
        "id": ("id", None),
        "source_id": ("sourceId", None),
        "remote_id": ("remoteId", None),
        "kind": ("kind", None),
        "name": ("name", None),
        "description": ("description", None),
        "input_component": ("inputComponent", None),
        "output_component": ("outputComponent", None),
        "status": ("status", None),
        "max_retries": ("maxRetries", None),
        "timeout_seconds": ("timeoutSeconds", None),
        "synced_at": ("syncedAt", "datetime"),
        "created_at": ("createdAt", "datetime"),
    }


@dataclass(eq=True)
class WorkflowDetail(SparkiObject):
    """`WorkflowDetailOut` in the OpenAPI document."""

    id: Optional[str] = None
    source_id: Optional[str] = None
    remote_id: Optional[str] = None
    kind: Optional[str] = None
    name: Optional[str] = None
    description: Optional[str] = None
    input_component: Optional[str] = None
    output_component: Optional[str] = None
    status: Optional[str] = None
    max_retries: Optional[int] = None
    timeout_seconds: Optional[int] = None
    synced_at: Optional[datetime] = None
    created_at: Optional[datetime] = None
    last_task: Optional[Task] = None
    counts: Optional[Dict[str, Any]] = None

    _SPEC = {
        "id": ("id", None),
        "source_id": ("sourceId", None),
        "remote_id": ("remoteId", None),
        "kind": ("kind", None),
        "name": ("name", None),
        "description": ("description", None),
        "input_component": ("inputComponent", None),
        "output_component": ("outputComponent", None),
        "status": ("status", None),
        "max_retries": ("maxRetries", None),
        "timeout_seconds": ("timeoutSeconds", None),
        "synced_at": ("syncedAt", "datetime"),
        "created_at": ("createdAt", "datetime"),
        "last_task": ("lastTask", "Task"),
        "counts": ("counts", None),
    }
