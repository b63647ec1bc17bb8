"""The runtime interface: the only way the rest of Sparki touches running workloads.

Drivers: `local` (a runtime agent supervising OS processes on this machine) and, later,
`kubernetes`. Blueprints call `get_runtime()` and the methods below; never a driver.

The node/cluster half of the interface (used by the infrastructure blueprint) is fixed
here; the service half is refined by the services feature.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ResourceFigure:
    """A used/allocatable pair in base units (CPU cores, bytes)."""

    used: float
    allocatable: float

    @property
    def utilization_percent(self) -> float:
        return round(100.0 * self.used / self.allocatable, 2) if self.allocatable else 0.0


@dataclass
class NodeInfo:
    name: str
    status: str  # "Ready" | "NotReady"
    kind: str  # "local" | "kubernetes"
    os_image: str
    kernel: str
    architecture: str
    runtime_version: str
    capacity: dict[str, Any]  # {"cpu": cores, "memory": bytes, "disk": bytes, "pods": n}
    allocatable: dict[str, Any]
    replicas: int
    last_heartbeat: datetime | None
    addresses: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class NodeMetrics:
    node: str
    timestamp: datetime
    cpu: ResourceFigure  # cores
    memory: ResourceFigure  # bytes
    disk: ResourceFigure  # bytes
    network_ingress_bps: float
    network_egress_bps: float
    connections: int


class Runtime(ABC):
    """One runtime driver. Implementations must be safe to call from web and worker processes."""

    name: str = "abstract"

    # --- nodes and cluster (infrastructure) -------------------------------------------------
    @abstractmethod
    def runtime_version(self) -> str:
        """A human-readable version of the runtime (agent version, Kubernetes version)."""

    @abstractmethod
    def list_nodes(self) -> list[NodeInfo]:
        """Every node with its readiness; a node whose agent stopped reporting is NotReady."""

    @abstractmethod
    def node_metrics(self) -> list[NodeMetrics]:
        """The latest real readings per Ready node (nothing for a node that stopped reporting)."""

    def metrics_history(self, window_seconds: int) -> dict[str, list[NodeMetrics]]:
        """Readings per node over the last `window_seconds`, oldest first (none kept: empty)."""
        return {}
