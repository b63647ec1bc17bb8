"""A Kubernetes API on 127.0.0.1 for the driver's tests: kmock's emulator, served over real
HTTP from an asyncio loop on a background thread, plus the controllers a cluster would run.

kmock stores objects and answers the official client, but runs no controllers: `Cluster`
plays them (the API server's generation bump, the Deployment controller's pods and status,
the garbage collector, the kubelet's logs and the service proxy's answers). What a pod does
depends on its image, so a test chooses a scenario by naming one: `app:crash` crash-loops,
`app:oom` is OOMKilled, `app:pull` cannot be pulled, `app:hang` never becomes ready (and its
Deployment passes its progress deadline); anything else becomes ready.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import kmock
from kmock._internal import enums, parsing, rendering

DEPLOYMENTS = "apps/v1/deployments"
PODS = "v1/pods"
RESOURCES = (
    "v1/namespaces",
    PODS,
    "v1/services",
    "v1/nodes",
    "v1/persistentvolumes",
    "v1/persistentvolumeclaims",
    DEPLOYMENTS,
    "networking.k8s.io/v1/networkpolicies",
    "networking.k8s.io/v1/ingresses",
)

_parse_path = parsing.parse_path


def _parse_namespaces_too(path: str) -> parsing.ParsedPath:
    """kmock 0.8 reads `/api/v1/namespaces[/<name>]` as a namespace prefix with no resource;
    a real API server serves the namespaces resource there."""
    parts = path.strip("/").split("/")
    if parts[:3] == ["api", "v1", "namespaces"] and len(parts) <= 4:
        return parsing.ParsedPath("", "v1", "namespaces", None, (parts[3:] or [None])[0], None)
    return _parse_path(path)


parsing.parse_path = _parse_namespaces_too


class ApiServer(kmock.KubernetesEmulator):
    """The emulator plus what the API server does on a write: a Deployment's spec change
    moves its `metadata.generation` on (in the same request, as the real one does)."""

    async def _handle(self, request: rendering.Request):  # type: ignore[override]
        response = await super()._handle(request)
        resource = request.resource
        if (
            resource is not None
            and resource.plural == "deployments"
            and request.action in (enums.action.CREATE, enums.action.UPDATE)
            and isinstance(request.data, dict)
            and "spec" in request.data
        ):
            meta = request.data.get("metadata") or {}
            key = (
                DEPLOYMENTS,
                request.namespace or meta.get("namespace"),
                request.name or meta.get("name"),
            )
            async with self._lock:
                obj = self.objects[key]
                generation = int((obj.get("metadata") or {}).get("generation") or 0) + 1
                obj.patch({"metadata": {"generation": generation}})
        return response


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _short(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:5]


class Cluster:
    """The emulator on a loop thread, with the controllers running as a task of that loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.started = threading.Event()
        self.nodes_for_pods = ["node-a"]
        self.logs: dict[str, list[tuple[datetime, str]]] = {}
        self.previous_logs: dict[str, list[str]] = {}
        self.answers: dict[str, tuple[int, bytes]] = {}  # service proxy path -> answer
        self.follows = 0  # log reads with follow=true (streams opened)
        self.paused = False
        self._thread = threading.Thread(target=self._run, name="kmock", daemon=True)
        self._thread.start()
        if not self.started.wait(30):
            raise RuntimeError("the Kubernetes emulator did not start")

    # --- lifecycle ---------------------------------------------------------------------------
    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self.api = ApiServer()
        self._stop = asyncio.Event()
        async with self.api, kmock.Server(self.api) as server:
            self.url = str(server.url).rstrip("/")
            for name in RESOURCES:
                self.api.resources[name] = {}
            self.api["get /version/"] << {
                "major": "1",
                "minor": "31",
                "gitVersion": "v1.31.4",
                "platform": "linux/amd64",
            }
            self.api["get", re.compile(r"^/api/v1/namespaces/[^/]+/pods/[^/]+/log$")] << (self._log)
            self.api[re.compile(r"^/api/v1/namespaces/[^/]+/services/[^/]+/proxy(/.*)?$")] << (
                self._proxy
            )
            controllers = asyncio.create_task(self._controllers())
            self.started.set()
            await self._stop.wait()
            controllers.cancel()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def kubeconfig(self, path: str, *, token: str = "test-token") -> str:
        with open(path, "w") as fh:
            fh.write(
                "apiVersion: v1\nkind: Config\n"
                f"clusters:\n- name: emulated\n  cluster:\n    server: {self.url}\n"
                "users:\n- name: sparki\n  user:\n"
                f"    token: {token}\n"
                "contexts:\n- name: emulated-ctx\n  context:\n    cluster: emulated\n"
                "    user: sparki\ncurrent-context: emulated-ctx\n"
            )
        return path

    def run(self, fn, *args):
        """Run `fn(*args)` on the loop, holding the emulator's lock; its result."""

        async def locked():
            async with self.api._lock:
                return fn(*args)

        return asyncio.run_coroutine_threadsafe(locked(), self.loop).result(30)

    # --- reading and writing objects ---------------------------------------------------------
    def objects(self, resource: str) -> list[dict[str, Any]]:
        def read():
            return [
                dict(obj.raw)
                for key, obj in self.api.objects.items()
                if _plural(key[0]) == resource.rsplit("/", 1)[-1] and not obj.deleted
            ]

        return self.run(read)

    def put(self, resource: str, namespace: str | None, body: dict[str, Any]) -> None:
        def write():
            self.api.objects[resource, namespace, body["metadata"]["name"]] = body

        self.run(write)

    def patch(self, resource: str, namespace: str | None, name: str, changes: dict) -> None:
        self.run(lambda: self.api.objects[resource, namespace, name].patch(changes))

    def delete(self, resource: str, namespace: str | None, name: str) -> None:
        self.run(lambda: self.api.objects[resource, namespace, name].delete())

    def add_node(self, name: str, *, ready: bool = True, **labels: str) -> None:
        self.put("v1/nodes", None, node(name, ready=ready, labels=labels))

    def write_log(self, pod: str, line: str, when: datetime | None = None) -> None:
        self.run(lambda: self.logs.setdefault(pod, []).append((when or datetime.now(UTC), line)))

    # --- the kubelet and the service proxy ---------------------------------------------------
    def _log(self, request: rendering.Request):
        pod = request.name
        if request.params.get("previous") == "true":
            lines = self.previous_logs.get(pod, self.previous_logs.get("*", []))
            stamp = datetime.now(UTC) - timedelta(seconds=30)
            return "".join(f"{_stamp(stamp)} {line}\n" for line in lines).encode()
        lines = list(self.logs.get(pod, []))
        since = request.params.get("sinceSeconds")
        if since:
            cut = datetime.now(UTC) - timedelta(seconds=int(since))
            lines = [(w, m) for w, m in lines if w >= cut]
        tail = request.params.get("tailLines")
        if tail:
            lines = lines[-int(tail) :] if int(tail) else []
        if request.params.get("follow") == "true":
            self.follows += 1
            written = len(self.logs.get(pod, []))  # now, not when the stream first runs
            return self._follow(request.namespace, pod, lines, written)
        return "".join(f"{_stamp(w)} {m}\n" for w, m in lines).encode()

    async def _follow(self, namespace: str, pod: str, first: list, sent: int):
        """The kubelet following a container's log: what there is, then each new line as it
        is written, until the pod goes."""
        for when, message in first:
            yield f"{_stamp(when)} {message}\n".encode()
        while True:
            written = self.logs.get(pod, [])
            for when, message in written[sent:]:
                yield f"{_stamp(when)} {message}\n".encode()
            sent = len(written)
            alive = any(
                _plural(k[0]) == "pods" and k[1] == namespace and k[2] == pod and not o.deleted
                for k, o in list(self.api.objects.items())
            )
            if not alive or self._stop.is_set():
                return
            await asyncio.sleep(0.02)

    def _proxy(self, request: rendering.Request):
        path = str(request.url.path) if hasattr(request, "url") else ""
        tail = path.split("/proxy", 1)[-1] or "/"
        code, body = self.answers.get(tail, (404, b"no such page"))
        return rendering.Response(status=code, payload=body)

    # --- the controllers ---------------------------------------------------------------------
    async def _controllers(self) -> None:
        while True:
            if not self.paused:
                async with self.api._lock:
                    self._reconcile()
            await asyncio.sleep(0.02)

    def _reconcile(self) -> None:
        objects = self.api.objects
        deployments = {
            (key[1], key[2]): obj
            for key, obj in list(objects.items())
            if _plural(key[0]) == "deployments" and not obj.deleted
        }
        pods = [
            (key, obj)
            for key, obj in list(objects.items())
            if _plural(key[0]) == "pods" and not obj.deleted
        ]
        for key, pod in pods:  # the garbage collector: pods of a deleted Deployment go
            owner = (pod.get("metadata") or {}).get("labels", {}).get("test/owner")
            if owner and (key[1], owner) not in deployments:
                pod.delete()
        for (namespace, name), deployment in deployments.items():
            self._reconcile_deployment(namespace, name, deployment)

    def _reconcile_deployment(self, namespace: str, name: str, deployment) -> None:
        objects = self.api.objects
        spec = deployment.get("spec") or {}
        template = spec.get("template") or {}
        labels = (template.get("metadata") or {}).get("labels") or {}
        key = labels.get("sparki.dev/set", "")
        want = int(spec.get("replicas") or 0)
        mine = [
            (k, p)
            for k, p in list(objects.items())
            if _plural(k[0]) == "pods"
            and not p.deleted
            and k[1] == namespace
            and (p.get("metadata") or {}).get("labels", {}).get("test/owner") == name
        ]
        new = [(k, p) for k, p in mine if p["metadata"]["labels"].get("sparki.dev/set") == key]
        old = [(k, p) for k, p in mine if (k, p) not in new]
        recreate = (spec.get("strategy") or {}).get("type") == "Recreate"
        if recreate and old:
            for _, p in old:
                p.delete()
            old = []
        for index in range(len(new), want):
            pod_name = f"{name}-{_short(key)}-{index}"
            body = self._pod(namespace, pod_name, name, template)
            objects[PODS, namespace, pod_name] = body
            new.append(((PODS, namespace, pod_name), objects[PODS, namespace, pod_name]))
        for _, p in new[want:]:
            p.delete()
        new = new[:want]
        ready_new = sum(1 for _, p in new if _ready(p))
        if ready_new >= want and old:
            for _, p in old:
                p.delete()
            old = []
        image = ((template.get("spec") or {}).get("containers") or [{}])[0].get("image", "")
        alive = new + old
        complete = ready_new >= want and not old
        if "hang" in image and not complete:
            condition = {
                "type": "Progressing",
                "status": "False",
                "reason": "ProgressDeadlineExceeded",
                "message": f'ReplicaSet "{name}-{_short(key)}" has timed out progressing.',
            }
        elif complete:
            condition = {
                "type": "Progressing",
                "status": "True",
                "reason": "NewReplicaSetAvailable",
            }
        else:
            condition = {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"}
        status = {
            "observedGeneration": (deployment.get("metadata") or {}).get("generation"),
            "replicas": len(alive),
            "updatedReplicas": len(new),
            "readyReplicas": sum(1 for _, p in alive if _ready(p)),
            "availableReplicas": sum(1 for _, p in alive if _ready(p)),
            "conditions": [condition],
        }
        if deployment.get("status") != status:
            deployment.patch({"status": status})

    def _pod(self, namespace: str, name: str, owner: str, template: dict) -> dict[str, Any]:
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        labels["test/owner"] = owner
        containers = (template.get("spec") or {}).get("containers") or []
        image = containers[0].get("image", "") if containers else ""
        node = self.nodes_for_pods[_short(name).__hash__() % len(self.nodes_for_pods)]
        running = {"running": {"startedAt": _now()}}
        ready, phase, restarts, state, last = True, "Running", 0, running, {}
        if "crash" in image or "oom" in image:
            why = ("OOMKilled", 137) if "oom" in image else ("Error", 1)
            ready, restarts = False, 3
            state = {
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": "back-off 40s restarting failed container",
                }
            }
            last = {"terminated": {"reason": why[0], "exitCode": why[1]}}
        elif "pull" in image:
            ready, phase = False, "Pending"
            state = {
                "waiting": {
                    "reason": "ImagePullBackOff",
                    "message": f'Back-off pulling image "{image}"',
                }
            }
        elif "hang" in image:
            ready = False
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": labels,
                "creationTimestamp": _now(),
            },
            "spec": {"containers": containers, "nodeName": node},
            "status": {
                "phase": phase,
                "podIP": f"10.0.0.{len(name) % 200 + 10}",
                "startTime": _now(),
                "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
                "containerStatuses": [
                    {
                        "name": "app",
                        "ready": ready,
                        "restartCount": restarts,
                        "state": state,
                        "lastState": last,
                        "image": image,
                    }
                ],
            },
        }


def _plural(resource: Any) -> str:
    return getattr(resource, "plural", None) or str(resource).rsplit("/", 1)[-1]


def _ready(pod) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f000Z")


def node(name: str, *, ready: bool = True, labels: dict[str, str] | None = None) -> dict:
    """A node as the kubelet reports it (an EKS-like m5.large)."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "creationTimestamp": "2026-01-02T03:04:05Z",
            "labels": {
                "kubernetes.io/arch": "amd64",
                "node.kubernetes.io/instance-type": "m5.large",
                **(labels or {}),
            },
        },
        "status": {
            "capacity": {"cpu": "2", "memory": "8012Mi", "ephemeral-storage": "80Gi", "pods": "29"},
            "allocatable": {
                "cpu": "1930m",
                "memory": "7000Mi",
                "ephemeral-storage": "76Gi",
                "pods": "29",
            },
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if ready else "Unknown",
                    "lastHeartbeatTime": "2026-12-06T10:00:00Z",
                    "reason": "KubeletReady" if ready else "NodeStatusUnknown",
                }
            ],
            "addresses": [{"type": "InternalIP", "address": "192.168.1.10"}],
            "nodeInfo": {
                "kubeletVersion": "v1.31.4-eks-1234",
                "containerRuntimeVersion": "containerd://1.7.22",
                "osImage": "Amazon Linux 2023",
                "kernelVersion": "6.1.112-122.189.amzn2023.x86_64",
                "architecture": "amd64",
            },
        },
    }
