"""The `kubernetes` driver: each service a Deployment and a ClusterIP Service, through the
official client only (no kubectl).

Each organization's workloads live in a namespace of their own (SPARKI_K8S_NAMESPACE_PREFIX
and the organization's id), created and labelled when missing. The Deployment carries out
rollouts itself (`drives_rollouts`): a rolling update with one pod of surge and none
unavailable, or Recreate, within `progressDeadlineSeconds` = DEPLOY_READY_TIMEOUT; the
services feature follows it through `rollout_progress()` and undoes a failed one by applying
the previous state again. Replicas are the Deployment's pods; logs are the pods' logs; health
checks and the proxy go through the API server's service proxy, so Sparki needs no route
into the cluster. Every failure to reach or use the cluster is a 503 naming its cause
(`connection.ClusterError`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from flask import current_app

from ..base import (
    DesiredState,
    LogEntry,
    NodeInfo,
    NodeMetrics,
    ProbeResult,
    ProxyRoute,
    ReplicaStatus,
    RolloutProgress,
    Runtime,
)
from . import cluster, logs
from .connection import ClusterError, Connection
from .manifests import (
    HTTP_PORT,
    MANAGED_BY,
    SERVICE,
    SET,
    _condition,
    deployment_manifest,
    desired_from,
    labelled,
    namespace_for,
    namespace_manifest,
    object_name,
    replica_from_pod,
    selector,
    service_manifest,
)

LAST_WORDS_LINES = 20
FOLLOW_READ_TIMEOUT = 300  # seconds a followed pod's log may stay silent before it is reopened


class KubernetesRuntime(Runtime):
    name = "kubernetes"
    drives_rollouts = True
    unmeasured_reason = (
        "not measured by this runtime: metrics.k8s.io reports CPU and memory only, "
        "not disk or network"
    )

    def __init__(self, connection: Connection, *, prefix: str, deadline_seconds: float) -> None:
        self.k = connection
        self.prefix = prefix
        self.deadline_seconds = deadline_seconds

    @classmethod
    def from_config(cls, cfg: Any) -> KubernetesRuntime:
        return cls(
            Connection(cfg["KUBECONFIG"], cfg["SPARKI_K8S_CONTEXT"], cfg["SPARKI_K8S_TIMEOUT"]),
            prefix=cfg["SPARKI_K8S_NAMESPACE_PREFIX"],
            deadline_seconds=cfg["DEPLOY_READY_TIMEOUT"],
        )

    # --- liveness --------------------------------------------------------------------------
    def availability(self) -> tuple[bool, str]:
        try:
            cluster.version(self.k)
        except ClusterError as exc:
            return False, exc.message
        return True, ""

    def available(self) -> bool:
        return self.availability()[0]

    # --- finding a service's objects -------------------------------------------------------
    def _deployment(self, service_id: str) -> dict[str, Any] | None:
        found = self.k.call(
            self.k.apps().list_deployment_for_all_namespaces, label_selector=selector(service_id)
        )
        items = [d for d in (found or {}).get("items", []) if labelled(d, service_id)]
        return items[0] if items else None

    def _pods(self, service_id: str) -> list[dict[str, Any]]:
        found = self.k.call(
            self.k.core().list_pod_for_all_namespaces, label_selector=selector(service_id)
        )
        return [p for p in (found or {}).get("items", []) if labelled(p, service_id)]

    def _ensure_namespace(self, name: str, org_id: str) -> None:
        try:
            self.k.call(self.k.core().read_namespace, name)
            return
        except ClusterError as exc:
            if exc.http_status != 404:
                raise
        try:
            self.k.call(self.k.core().create_namespace, namespace_manifest(name, org_id))
        except ClusterError as exc:
            if exc.http_status != 409:  # created meanwhile by another process: fine
                raise

    # --- desired state ---------------------------------------------------------------------
    def apply(self, desired: DesiredState) -> None:
        current = self._deployment(desired.service_id)
        if current is None:
            if not desired.sets:
                return  # nothing runs and nothing should
            namespace = namespace_for(desired.org_id, self.prefix)
            name = object_name(desired.name, desired.service_id)
            self._ensure_namespace(namespace, desired.org_id)
        else:
            namespace = current["metadata"]["namespace"]
            name = current["metadata"]["name"]  # a renamed service keeps its objects
        body = deployment_manifest(
            desired,
            name=name,
            namespace=namespace,
            deadline_seconds=int(self.deadline_seconds),
            current=current,
        )
        apps = self.k.apps()
        if current is None:
            try:
                self.k.call(apps.create_namespaced_deployment, namespace, body)
            except ClusterError as exc:
                if exc.http_status != 409:
                    raise
                current = {}
        if current is not None:
            self.k.call(
                apps.patch_namespaced_deployment,
                name,
                namespace,
                body,
                _content_type="application/merge-patch+json",
            )
        self._ensure_service(desired, name, namespace)

    def _ensure_service(self, desired: DesiredState, name: str, namespace: str) -> None:
        try:
            self.k.call(
                self.k.core().create_namespaced_service,
                namespace,
                service_manifest(desired, name=name, namespace=namespace),
            )
        except ClusterError as exc:
            if exc.http_status != 409:  # it exists: its selector and port never change
                raise

    def desired(self, service_id: str) -> DesiredState | None:
        deployment = self._deployment(service_id)
        return desired_from(deployment) if deployment else None

    def remove(self, service_id: str) -> None:
        deployment = self._deployment(service_id)
        if deployment is None:
            return
        namespace = deployment["metadata"]["namespace"]
        name = deployment["metadata"]["name"]
        for method in (
            self.k.apps().delete_namespaced_deployment,
            self.k.core().delete_namespaced_service,
        ):
            try:
                self.k.call(method, name, namespace, propagation_policy="Background")
            except ClusterError as exc:
                if exc.http_status != 404:
                    raise

    # --- rollouts --------------------------------------------------------------------------
    def rollout_progress(self, service_id: str, set_key: str) -> RolloutProgress:
        """The Deployment's own account, read as `kubectl rollout status` reads it."""
        deployment = self._deployment(service_id)
        if deployment is None:
            return RolloutProgress(0, 0, 0, 0, stalled="the Deployment is gone")
        spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
        want = int(spec.get("replicas") or 0)
        updated = int(status.get("updatedReplicas") or 0)
        total = int(status.get("replicas") or 0)
        available = int(status.get("availableReplicas") or 0)
        template = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        generation = (deployment.get("metadata") or {}).get("generation")
        observed = status.get("observedGeneration")
        current = generation is None or (observed is not None and observed >= generation)
        progressing = _condition(deployment, "Progressing")
        stalled = ""
        if progressing.get("reason") == "ProgressDeadlineExceeded":
            stalled = (
                f"the Deployment made no progress within its deadline "
                f"(ProgressDeadlineExceeded: {progressing.get('message', '')})"
            ).replace(": )", ")")
        complete = (
            template.get(SET) == set_key
            and current
            and updated >= want
            and total <= updated
            and available >= updated
            and not stalled
        )
        return RolloutProgress(
            updated=updated,
            ready=int(status.get("readyReplicas") or 0),
            available=available,
            desired=want,
            complete=bool(complete),
            stalled=stalled,
        )

    # --- observation -----------------------------------------------------------------------
    def replicas(self, service_id: str) -> list[ReplicaStatus]:
        out = [replica_from_pod(p) for p in self._pods(service_id)]
        out.sort(key=lambda r: (r.revision, r.pod))
        return out

    def observe(self, service_ids: Sequence[str]) -> dict[str, tuple[int, list[ReplicaStatus]]]:
        """Every service in two calls: their Deployments and their pods, cluster-wide (by
        the services' label for a page of them, by Sparki's own label beyond)."""
        if not service_ids:
            return {}
        managed = (
            f"{SERVICE} in ({','.join(service_ids)})"
            if len(service_ids) <= 50
            else f"{MANAGED_BY}=sparki"
        )
        deployments = self.k.call(
            self.k.apps().list_deployment_for_all_namespaces, label_selector=managed
        )
        pods = self.k.call(self.k.core().list_pod_for_all_namespaces, label_selector=managed)
        wanted = set(service_ids)
        out: dict[str, tuple[int, list[ReplicaStatus]]] = {s: (0, []) for s in service_ids}
        for deployment in (deployments or {}).get("items", []):
            desired = desired_from(deployment)
            if desired is not None and desired.service_id in wanted:
                out[desired.service_id] = (desired.total, [])
        for pod in (pods or {}).get("items", []):
            owner = ((pod.get("metadata") or {}).get("labels") or {}).get(SERVICE)
            if owner in wanted:
                out[owner][1].append(replica_from_pod(pod))
        return out

    def _read_pod_log(self, pod: dict[str, Any], **options: Any) -> str:
        meta = pod["metadata"]
        try:
            data = self.k.call(
                self.k.core().read_namespaced_pod_log,
                meta["name"],
                meta["namespace"],
                timestamps=True,
                raw=True,
                **options,
            )
        except ClusterError as exc:
            if exc.http_status in (400, 404):  # a pod still creating, or gone meanwhile
                return ""
            raise
        return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data or "")

    def _read_all(self, service_id: str, *, tail: int | None, since: int | None) -> list[LogEntry]:
        lines = []
        for pod in self._pods(service_id):
            options: dict[str, Any] = {}
            if tail is not None:
                options["tail_lines"] = tail
            if since is not None:
                options["since_seconds"] = since
            lines.extend(
                logs.parse_lines(pod["metadata"]["name"], self._read_pod_log(pod, **options))
            )
        return logs.number(lines)

    def read_logs(
        self, service_id: str, *, lines: int = 100, since: datetime | None = None
    ) -> list[LogEntry]:
        entries = self._read_all(service_id, tail=lines, since=logs.since_seconds(since))
        if since is not None:
            entries = [e for e in entries if e.timestamp > since]
        return entries[-lines:]

    def stream_logs(
        self, service_id: str, *, after: str | None = None, wait_seconds: float = 5.0
    ) -> Iterator[list[LogEntry]]:
        """Every pod's log followed with the client's streaming read (see `logs.follow`)."""
        namespaces: dict[str, str] = {}

        def list_pods() -> list[str]:
            try:
                pods = self._pods(service_id)
            except ClusterError:
                return []  # the cluster is away for a moment: the streams open keep going
            namespaces.update({p["metadata"]["name"]: p["metadata"]["namespace"] for p in pods})
            return [p["metadata"]["name"] for p in pods]

        def open_stream(pod: str, since: int | None) -> Any:
            options: dict[str, Any] = {"since_seconds": since} if since else {"tail_lines": 1000}
            return self.k.call(
                self.k.core().read_namespaced_pod_log,
                pod,
                namespaces[pod],
                follow=True,
                timestamps=True,
                stream=True,
                _request_timeout=(self.k.timeout, FOLLOW_READ_TIMEOUT),
                **options,
            )

        return logs.follow(list_pods, open_stream, after_position=after, wait_seconds=wait_seconds)

    def failed_runs(self, service_id: str, revision: int) -> list[dict[str, Any]]:
        """The previous (crashed) run of each restarted pod of `revision`, with its last lines
        (the kubelet keeps one previous run per container)."""
        runs = []
        for pod in self._pods(service_id):
            replica = replica_from_pod(pod)
            if replica.revision != revision or not replica.restarts:
                continue
            text = self._read_pod_log(pod, previous=True, tail_lines=LAST_WORDS_LINES)
            lines = [m for _, _, m in logs.parse_lines(replica.pod, text)]
            runs.append(
                {
                    "pod": replica.pod,
                    "at": replica.started_at.timestamp() if replica.started_at else 0,
                    "exitCode": replica.last_exit_code,
                    "reason": replica.reason,
                    "lines": lines,
                }
            )
        return sorted(runs, key=lambda run: run["at"])

    # --- reaching a service through the API server -----------------------------------------
    def _service_path(self, service_id: str) -> str | None:
        deployment = self._deployment(service_id)
        if deployment is None:
            return None
        meta = deployment["metadata"]
        return f"/api/v1/namespaces/{meta['namespace']}/services/{meta['name']}:{HTTP_PORT}/proxy"

    def _ready(self, service_id: str) -> tuple[list[ReplicaStatus], list[ReplicaStatus]]:
        every = self.replicas(service_id)
        return every, [r for r in every if r.ready]

    def proxy_target(self, service_id: str) -> str | None:
        route = self.proxy_route(service_id)
        return route.url if route else None

    def proxy_route(self, service_id: str) -> ProxyRoute | None:
        if not self._ready(service_id)[1]:
            return None
        path = self._service_path(service_id)
        if path is None:
            return None
        api = self.k.api()
        cfg = api.configuration
        headers: dict[str, str] = {}
        auth = cfg.auth_settings().get("BearerToken")
        if auth and auth.get("value"):
            headers[auth["key"]] = auth["value"]
        context = None
        if cfg.host.startswith("https"):
            import ssl

            context = ssl.create_default_context(cafile=cfg.ssl_ca_cert)
            if cfg.cert_file and cfg.key_file:
                context.load_cert_chain(cfg.cert_file, cfg.key_file)
            if not cfg.verify_ssl:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
        return ProxyRoute(cfg.host.rstrip("/") + path, headers=headers, ssl_context=context)

    def probe(self, service_id: str, path: str, *, timeout: float = 5.0) -> ProbeResult:
        now = datetime.now(UTC)
        started = time.monotonic()

        def elapsed() -> float:
            return round((time.monotonic() - started) * 1000, 2)

        every, ready = self._ready(service_id)
        if not ready:
            return ProbeResult("unhealthy", f"0 of {len(every)} replicas ready", now, elapsed())
        deployment = self._deployment(service_id)
        if deployment is None:
            return ProbeResult("unhealthy", "the Deployment is gone", now, elapsed())
        meta = deployment["metadata"]
        target = f"{meta['name']}:{HTTP_PORT}"
        try:
            self.k.call(
                self.k.core().connect_get_namespaced_service_proxy_with_path,
                target,
                meta["namespace"],
                path.lstrip("/"),
                raw=True,
                _request_timeout=timeout,
            )
            code = 200
        except ClusterError as exc:
            if exc.http_status is None or exc.http_status in (401, 403):
                return ProbeResult("error", exc.message, now, elapsed())
            code = exc.http_status
        where = f"{path} answered {code} through the service {meta['name']}"
        status = "healthy" if 200 <= code < 300 else "unhealthy"
        return ProbeResult(status, where, now, elapsed(), pod=None, http_status=code)

    # --- nodes and cluster -----------------------------------------------------------------
    def runtime_version(self) -> str:
        return cluster.version(self.k)

    def cluster_name(self) -> str | None:
        return self.k.cluster_name()

    def list_nodes(self) -> list[NodeInfo]:
        return cluster.nodes(self.k)

    def node_metrics(self) -> list[NodeMetrics]:
        return cluster.node_metrics(self.k)

    def cluster_figures(self) -> dict[str, Any]:
        return cluster.figures(self.k)

    def metrics_history(self, window_seconds: int) -> dict[str, list[NodeMetrics]]:
        """What the scheduler sampled (`observe_runtime`), as the local agent's readings."""
        from blueprints.core.extensions import get_redis

        from ..local_node import history

        return history(get_redis(), window_seconds)


def build() -> KubernetesRuntime:
    """The driver for the current app's configuration."""
    return KubernetesRuntime.from_config(current_app.config)
