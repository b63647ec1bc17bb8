"""The runtime interface: the only way the rest of Sparki touches running workloads.

Drivers: `local` (a runtime agent supervising OS processes on this machine) and
`kubernetes` (Deployments and Services through the official client). Blueprints call
`get_runtime()` and the methods below; never a driver.

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
    role: str = ""  # Kubernetes: from node-role.kubernetes.io/* labels
    instance_type: str = ""  # Kubernetes: node.kubernetes.io/instance-type
    kubelet_version: str = ""
    created_at: datetime | None = None


@dataclass
class NodeMetrics:
    node: str
    timestamp: datetime
    cpu: ResourceFigure  # cores
    memory: ResourceFigure  # bytes
    # The figures below are None when the runtime cannot read them (Kubernetes:
    # metrics.k8s.io has CPU and memory only); `Runtime.unmeasured_reason` says why.
    disk: ResourceFigure | None  # bytes
    network_ingress_bps: float | None
    network_egress_bps: float | None
    connections: int | None


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
    #: How a driver that carries out rollouts itself (`Runtime.drives_rollouts`) moves from
    #: what runs to `sets`: "rolling-update" (one new replica at a time, none unavailable) or
    #: "recreate" (all old replicas go first). Drivers stepped by the feature ignore it.
    strategy: str = "rolling-update"

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
    #: Why the replica's last run ended, as the runtime names it (Kubernetes: `OOMKilled`,
    #: `Error`, `CrashLoopBackOff`, `ImagePullBackOff`); empty when it never ended.
    reason: str = ""


@dataclass
class RolloutProgress:
    """How far a rollout a driver carries out itself has come (`Runtime.rollout_progress`).

    The counts are the runtime's own (a Kubernetes Deployment's status); `complete` is the
    runtime saying every replica runs the new spec and the old ones are gone; `stalled` names
    why the runtime gave up on it (its progress deadline passed), empty while it goes on.
    """

    updated: int
    ready: int
    available: int
    desired: int
    complete: bool = False
    stalled: str = ""


@dataclass
class ProxyRoute:
    """Where to send a request for a service: `url` (scheme, host, port and a path prefix the
    request's path is appended to), extra `headers` (the runtime's own credentials) and a TLS
    context for `https` (None: the system's defaults)."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    ssl_context: Any = None


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
    """One runtime driver. Implementations must be safe to call from web and worker processes.

    Rollouts: a driver with `drives_rollouts = False` (local) is stepped by the services
    feature, which applies desired states of one or two replica sets one replica at a time
    and waits on `replicas()`. A driver with `drives_rollouts = True` (kubernetes) is handed
    the final state in one `apply()` (one set, with `DesiredState.strategy`) and carries out
    the rollout itself; the feature follows it with `rollout_progress()` and, when it fails,
    applies the previous state again.
    """

    name: str = "abstract"
    drives_rollouts: bool = False
    #: Whether a process of the runtime's own (the local agent) records services' health and
    #: node readings; otherwise the scheduler's periodic `observe_runtime` job does, through
    #: this interface.
    supervised: bool = False
    #: Why some `NodeMetrics` figures (disk, network, connections) are None on this runtime;
    #: empty when the runtime reads every figure.
    unmeasured_reason: str = ""

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

    def cluster_figures(self) -> dict[str, Any] | None:
        """Figures a cluster has beyond its nodes (None: the runtime has none): allocatable vs
        used CPU and memory (`cpu_used`/`memory_used` None with `usage_unavailable_reason`),
        `persistent_volumes`, `persistent_volume_claims`, `pv_capacity` (bytes),
        `network_policies`, `services`, `ingresses` (counts)."""
        return None

    def metrics_history(self, window_seconds: int) -> dict[str, list[NodeMetrics]]:
        """Readings per node over the last `window_seconds`, oldest first (none kept: empty)."""
        return {}

    def cluster_name(self) -> str | None:
        """The cluster's own name (a kubeconfig context's cluster), None when it has none."""
        return None

    # --- services ---------------------------------------------------------------------------
    @abstractmethod
    def available(self) -> bool:
        """Whether the runtime is reachable now (the local agent heartbeats; a cluster answers)."""

    def availability(self) -> tuple[bool, str]:
        """(`available()`, why not: a sentence naming the cause, empty when it is)."""
        up = self.available()
        return up, "" if up else f"the {self.name} runtime is not reachable"

    def rollout_progress(self, service_id: str, set_key: str) -> RolloutProgress:
        """How far the rollout to the set `set_key` has come (drivers that drive rollouts)."""
        raise NotImplementedError(f"the {self.name} runtime is stepped by the services feature")

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

    def observation_sources(self) -> tuple[str, ...] | None:
        """The read-cache counters (core.readcache.generation_key) bumped whenever what
        `observe()` answers can change, or None when the driver has none: answers built on
        its observations are then read afresh every time (a cluster is asked each time)."""
        return None

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

    def proxy_route(self, service_id: str) -> ProxyRoute | None:
        """Where the proxy sends a request for the service (None: no ready replica); by
        default straight to `proxy_target()`."""
        target = self.proxy_target(service_id)
        return ProxyRoute(target) if target else None
