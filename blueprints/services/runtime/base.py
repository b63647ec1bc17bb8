"""The runtime interface: the only way the rest of Sparki touches running workloads.

Drivers: `local` (a runtime agent supervising OS processes on this machine) and, later,
`kubernetes`. Blueprints call `get_runtime()` and the methods below; never a driver.

The node/cluster half of the interface (used by the infrastructure blueprint) is fixed
here; the service half is refined by the services feature.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
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


@dataclass
class ReplicaSetSpec:
    """How many replicas of one revision should run. `key` names the set (a deployment id):
    a rolling update is two sets, the old one shrinking while the new one grows."""

    key: str
    revision: int
    image: str
    command: str
    env: dict[str, str]
    replicas: int


@dataclass
class DesiredState:
    """Everything a driver needs to run one service; `sets` empty means "run nothing"."""

    service_id: str
    org_id: str
    name: str
    health_check_path: str
    port: int | None
    sets: list[ReplicaSetSpec] = field(default_factory=list)
    type: str = "web"  # "web" replicas answer HTTP on PORT; "worker" replicas need only run

    @property
    def total(self) -> int:
        return sum(s.replicas for s in self.sets)


@dataclass
class ReplicaStatus:
    """One running (or restarting) replica as the driver observes it."""

    pod: str
    set_key: str
    revision: int
    state: str  # "starting" | "running" | "crashed" | "stopping"
    ready: bool
    node: str
    address: str | None  # host:port the replica listens on
    pid: int | None
    restarts: int
    started_at: datetime | None
    last_probe_at: datetime | None
    last_exit_code: int | None = None
    message: str = ""
    #: What the runtime itself failed to do for this replica, with the error (e.g. "could not
    #: start replica: [Errno 2] No such file or directory: '/srv/work'"); empty when nothing
    #: failed. Not the program's doing (an exit, a failed health check: see `message`) but
    #: the driver's; what it means for the service is decided by the services feature.
    failure: str = ""


@dataclass
class LogEntry:
    id: str  # a stream position, usable as Last-Event-ID
    timestamp: datetime
    level: str  # "debug" | "info" | "warn" | "error"
    message: str
    pod: str


@dataclass
class ProbeResult:
    status: str  # "healthy" | "hibernated" | "unhealthy" | "error"
    reason: str
    checked_at: datetime
    elapsed_ms: float
    pod: str | None = None
    http_status: int | None = None


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

    # --- services ---------------------------------------------------------------------------
    @abstractmethod
    def available(self) -> bool:
        """Whether the runtime is reachable now (the local agent heartbeats; a cluster answers)."""

    @abstractmethod
    def apply(self, desired: DesiredState) -> None:
        """Record the desired state of one service; the runtime converges on it asynchronously.

        Part of the caller's transaction where the driver keeps state in the database: the
        caller commits.
        """

    @abstractmethod
    def desired(self, service_id: str) -> DesiredState | None:
        """The desired state last applied for a service (None: never applied or removed)."""

    @abstractmethod
    def remove(self, service_id: str) -> None:
        """Forget a service: every replica of it is stopped (asynchronously)."""

    def delete_logs(self, service_id: str) -> None:  # noqa: B027 (optional: a no-op by default)
        """Drop the stored log lines of a deleted service (a runtime that keeps none: nothing)."""

    @abstractmethod
    def replicas(self, service_id: str) -> list[ReplicaStatus]:
        """The replicas of a service that exist now (any set, any state)."""

    def observe(self, service_ids: Sequence[str]) -> dict[str, tuple[int, list[ReplicaStatus]]]:
        """For each of `service_ids`: (replicas its desired state asks for, 0 when none is
        applied; the replicas that exist now). One read for a whole page of services: this
        default asks service by service; a driver overrides it with one query per store."""
        out = {}
        for service_id in service_ids:
            desired = self.desired(service_id)
            out[service_id] = (desired.total if desired else 0, self.replicas(service_id))
        return out

    @abstractmethod
    def read_logs(
        self, service_id: str, *, lines: int = 100, since: datetime | None = None
    ) -> list[LogEntry]:
        """The last `lines` log lines (written after `since`, when given), oldest first."""

    @abstractmethod
    def stream_logs(
        self, service_id: str, *, after: str | None = None, wait_seconds: float = 5.0
    ) -> Iterator[list[LogEntry]]:
        """Endless batches of lines written after the position `after` ("$": from now);
        an empty batch when nothing was written within `wait_seconds` (for keep-alives)."""

    def failed_runs(self, service_id: str, revision: int) -> list[dict[str, Any]]:
        """The last crashed runs of a revision's replicas, oldest first, each
        `{pod, at (epoch seconds), exitCode, reason, lines}` with the run's last output lines
        (a runtime that keeps none: empty)."""
        return []

    @abstractmethod
    def probe(self, service_id: str, path: str, *, timeout: float = 5.0) -> ProbeResult:
        """Really request `path` on a ready replica and report what it answered."""

    @abstractmethod
    def proxy_target(self, service_id: str) -> str | None:
        """A base URL (`http://host:port`) of a ready replica to forward requests to."""
