"""JSON shapes of the infrastructure API (the seed's field names; base units: cores, bytes)."""

from __future__ import annotations

from blueprints.core.schemas import PageQuery, QuerySchema, Schema, Timestamp, fields, validators

from .models import ALERT_STATUSES, RESOURCES


class NodeCountsOut(Schema):
    total = fields.Integer()
    ready = fields.Integer()
    not_ready = fields.Integer()


class ComputeOut(Schema):
    cpu_allocatable = fields.Float(metadata={"description": "CPU cores of Ready nodes"})
    cpu_used = fields.Float(allow_none=True, metadata={"description": "CPU cores in use"})
    memory_allocatable = fields.Integer(metadata={"description": "bytes"})
    memory_used = fields.Integer(
        allow_none=True, metadata={"description": "bytes; null when the runtime has no reading"}
    )
    usage_unavailable_reason = fields.String(
        allow_none=True,
        metadata={
            "description": "why cpuUsed/memoryUsed are null (Kubernetes without metrics-server)"
        },
    )


class StorageOut(Schema):
    total_capacity = fields.Integer(
        allow_none=True,
        metadata={
            "description": "bytes of the nodes' data volumes (Kubernetes: of the persistent "
            "volumes); null when the runtime does not measure disk"
        },
    )
    used = fields.Integer(
        allow_none=True,
        metadata={"description": "bytes; null when the runtime does not measure it"},
    )
    utilization_percent = fields.Float(allow_none=True)
    persistent_volumes = fields.Integer(
        allow_none=True, metadata={"description": "null: the runtime has no volume objects"}
    )
    persistent_volume_claims = fields.Integer(allow_none=True)


class NetworkingOut(Schema):
    service_count = fields.Integer(metadata={"description": "this organization's services"})
    endpoints = fields.Integer(
        metadata={"description": "ready replica endpoints of this organization's services"}
    )
    connection_count = fields.Integer(
        allow_none=True, metadata={"description": "established TCP connections"}
    )
    network_policies = fields.Integer(
        allow_none=True, metadata={"description": "Kubernetes: NetworkPolicies in the cluster"}
    )
    cluster_services = fields.Integer(
        allow_none=True, metadata={"description": "Kubernetes: Services in the cluster"}
    )
    ingresses = fields.Integer(
        allow_none=True, metadata={"description": "Kubernetes: Ingresses in the cluster"}
    )


class SecurityOut(Schema):
    rbac_enabled = fields.Boolean()
    tenant_isolation = fields.Boolean()
    csrf_protection = fields.Boolean()
    rate_limiting = fields.Boolean()
    api_keys_hashed = fields.Boolean()
    password_hashing = fields.String()
    network_policies_enabled = fields.Boolean()


class ClusterOut(Schema):
    name = fields.String()
    version = fields.String()
    runtime = fields.String()
    status = fields.String(metadata={"description": "healthy | degraded | unavailable"})
    nodes = fields.Nested(NodeCountsOut)
    compute = fields.Nested(ComputeOut)
    storage = fields.Nested(StorageOut)
    networking = fields.Nested(NetworkingOut)
    security = fields.Nested(SecurityOut)
    last_health_check = Timestamp(allow_none=True)


class ResourcesOut(Schema):
    cpu = fields.Float(metadata={"description": "cores"})
    memory = fields.Integer(metadata={"description": "bytes"})
    disk = fields.Integer(metadata={"description": "bytes"})


class NodeOut(Schema):
    name = fields.String()
    status = fields.String(metadata={"description": "Ready | NotReady"})
    kind = fields.String()
    os_image = fields.String()
    kernel_version = fields.String()
    architecture = fields.String()
    runtime_version = fields.String()
    capacity = fields.Nested(ResourcesOut)
    allocatable = fields.Nested(ResourcesOut)
    pod_count = fields.Integer(metadata={"description": "replicas running on the node"})
    replica_count = fields.Integer()
    addresses = fields.List(fields.String())
    labels = fields.Dict(keys=fields.String(), values=fields.String())
    last_heartbeat = Timestamp(allow_none=True)
    role = fields.String(allow_none=True, metadata={"description": "Kubernetes: node role"})
    instance_type = fields.String(
        allow_none=True, metadata={"description": "node.kubernetes.io/instance-type"}
    )
    kubelet_version = fields.String(allow_none=True)
    created_at = Timestamp(allow_none=True)


class NodeListOut(Schema):
    data = fields.List(fields.Nested(NodeOut))


class FigureOut(Schema):
    used = fields.Float(metadata={"description": "cores (cpu) or bytes (memory, disk)"})
    allocatable = fields.Float(metadata={"description": "cores (cpu) or bytes (memory, disk)"})
    utilization_percent = fields.Float(metadata={"description": "used / allocatable, percent"})


_UNMEASURED = (
    "null when the runtime does not measure it (Kubernetes: metrics.k8s.io has CPU and "
    "memory only); unmeasuredReason says why"
)


class UsageOut(Schema):
    cpu = fields.Nested(FigureOut)
    memory = fields.Nested(FigureOut)
    disk = fields.Nested(FigureOut, allow_none=True, metadata={"description": _UNMEASURED})


class NetworkOut(Schema):
    ingress_bytes_per_second = fields.Float(
        allow_none=True, metadata={"description": f"bytes per second; {_UNMEASURED}"}
    )
    egress_bytes_per_second = fields.Float(
        allow_none=True, metadata={"description": f"bytes per second; {_UNMEASURED}"}
    )
    connection_count = fields.Integer(
        allow_none=True, metadata={"description": f"established TCP connections; {_UNMEASURED}"}
    )


_UNMEASURED_REASON = (
    "why figures are null (the runtime does not measure them, e.g. disk and network on "
    "Kubernetes); null when every figure was measured"
)


class NodeUsageOut(UsageOut):
    name = fields.String()
    timestamp = Timestamp()
    network = fields.Nested(NetworkOut)


class MetricsOut(Schema):
    timestamp = Timestamp(allow_none=True)
    cluster = fields.Nested(UsageOut)
    network = fields.Nested(NetworkOut)
    unmeasured_reason = fields.String(allow_none=True, metadata={"description": _UNMEASURED_REASON})
    nodes = fields.List(fields.Nested(NodeUsageOut))


class HistoryQuery(QuerySchema):
    window = fields.String(
        load_default="1h",
        validate=validators.Length(max=16),
        metadata={
            "description": "e.g. 15m, 1h, 24h (from 1m to 24h)",
            "pattern": r"^\s*[0-9]{1,5}[smhd]\s*$",
        },
    )


class HistoryPointOut(UsageOut):
    timestamp = Timestamp()
    network = fields.Nested(NetworkOut)


class HistoryOut(Schema):
    window = fields.String()
    window_seconds = fields.Integer(metadata={"description": "the window, in seconds"})
    resolution_seconds = fields.Float(
        metadata={"description": "seconds between points (the sample interval up to 1h, else 60)"}
    )
    start = Timestamp(data_key="from")
    end = Timestamp(data_key="to")
    points = fields.List(fields.Nested(HistoryPointOut))
    unmeasured_reason = fields.String(allow_none=True, metadata={"description": _UNMEASURED_REASON})


class ThresholdsOut(Schema):
    cpu_percent = fields.Float(metadata={"description": "percent of allocatable"})
    memory_percent = fields.Float(metadata={"description": "percent of allocatable"})
    disk_percent = fields.Float(metadata={"description": "percent of allocatable"})
    hysteresis_percent = fields.Float(
        metadata={"description": "percentage points below a threshold that resolve an alert"}
    )
    for_seconds = fields.Integer(
        metadata={
            "description": "seconds a figure stays over its threshold before the alert "
            "fires (pending until then), like Prometheus's `for:`"
        }
    )
    updated_at = Timestamp(allow_none=True)


_percent = validators.Range(min=1, max=100)


class ThresholdsUpdate(Schema):
    cpu_percent = fields.Float(validate=_percent)
    memory_percent = fields.Float(validate=_percent)
    disk_percent = fields.Float(validate=_percent)
    hysteresis_percent = fields.Float(validate=validators.Range(min=0, max=50))
    for_seconds = fields.Integer(strict=True, validate=validators.Range(min=0, max=86400))


class AlertOut(Schema):
    id = fields.String()
    node = fields.String()
    resource = fields.String(metadata={"description": " | ".join(RESOURCES)})
    status = fields.String(metadata={"description": " | ".join(ALERT_STATUSES)})
    threshold_percent = fields.Float()
    value_percent = fields.Float()
    peak_percent = fields.Float()
    resolved_value_percent = fields.Float(allow_none=True)
    pending_since = Timestamp(
        allow_none=True, metadata={"description": "when the figure first crossed"}
    )
    triggered_at = Timestamp(metadata={"description": "when it fired (pending: when it began)"})
    resolved_at = Timestamp(allow_none=True)
    created_at = Timestamp()


class AlertQuery(PageQuery):
    status = fields.String(load_default=None, validate=validators.OneOf(ALERT_STATUSES))
