"""The connection to a cluster: kubeconfig loading and one way to call the API server.

Every call goes through `Connection.call()`, which reads the answer as JSON (the driver works
on the API's own documents, as kubectl does) and turns every way a call can fail into a
`ClusterError`: a 503 `service_unavailable` naming the cause (no kubeconfig, the cluster
unreachable, credentials refused, forbidden by RBAC, not found, a conflict, a stale answer).
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

import urllib3
from kubernetes import client, config
from kubernetes.config.config_exception import ConfigException

from blueprints.core.errors import ServiceUnavailable

DEFAULT_KUBECONFIG = "~/.kube/config"

#: HTTP status of a refused call -> (cause, how it reads).
_CAUSES = {
    401: ("unauthorized", "the cluster refused Sparki's credentials (401 Unauthorized)"),
    403: ("forbidden", "forbidden by the cluster's RBAC (403 Forbidden)"),
    404: ("not_found", "not found on the cluster (404 Not Found)"),
    409: ("conflict", "a conflicting object exists on the cluster (409 Conflict)"),
    410: ("gone", "the cluster's answer is stale (410 Gone); retry"),
}


class ClusterError(ServiceUnavailable):
    """A call to the cluster failed; `status` is the API server's HTTP status (None when it
    never answered) and `cause` a short word (kubeconfig, unreachable, forbidden, ...)."""

    def __init__(self, message: str, *, cause: str, status: int | None = None) -> None:
        super().__init__(
            message, details={"runtime": "kubernetes", "cause": cause, "status": status}
        )
        self.cause = cause
        self.http_status = status


def _api_message(exc: client.ApiException) -> str:
    """The `message` of the Status document the API server answered with, if any."""
    try:
        body = json.loads(exc.body or "{}")
    except (TypeError, ValueError):
        return ""
    return str(body.get("message") or "")[:300] if isinstance(body, dict) else ""


class Connection:
    """Loads the kubeconfig lazily (first call) and keeps one API client per process."""

    def __init__(self, kubeconfig: str, context: str, timeout: float) -> None:
        self.kubeconfig = kubeconfig
        self.context = context
        self.timeout = timeout
        self._client: client.ApiClient | None = None
        self._cluster: str | None = None
        self._lock = threading.Lock()

    # --- configuration ---------------------------------------------------------------------
    def _config_file(self) -> str | None:
        """The kubeconfig to load: KUBECONFIG (its first file), else ~/.kube/config when it
        exists, else None (the in-cluster service account)."""
        if self.kubeconfig:
            return self.kubeconfig.split(os.pathsep)[0]
        default = os.path.expanduser(DEFAULT_KUBECONFIG)
        return default if os.path.exists(default) else None

    def _load(self) -> client.ApiClient:
        cfg = client.Configuration()
        path = self._config_file()
        try:
            if path is None:
                config.load_incluster_config(client_configuration=cfg)
                self._cluster = None
            else:
                if not os.path.exists(path):
                    raise ConfigException(f"{path} does not exist")
                config.load_kube_config(
                    config_file=path, context=self.context or None, client_configuration=cfg
                )
                contexts, active = config.list_kube_config_contexts(config_file=path)
                chosen = (
                    next(
                        (c for c in contexts if c["name"] == self.context),
                        active if not self.context else None,
                    )
                    or {}
                )
                self._cluster = (chosen.get("context") or {}).get("cluster") or chosen.get("name")
        except (ConfigException, OSError, ValueError, TypeError, KeyError) as exc:
            where = path or "the in-cluster service account"
            raise ClusterError(
                f"No usable kubeconfig for the Kubernetes runtime ({where}): {exc}",
                cause="kubeconfig",
            ) from exc
        cfg.retries = False  # a refused connection is reported at once, not retried for seconds
        # Path parameters are names, and a health check path whose slashes must stay slashes.
        cfg.safe_chars_for_path_param = "/:"
        return client.ApiClient(cfg)

    def api(self) -> client.ApiClient:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._load()
        return self._client

    def cluster_name(self) -> str | None:
        self.api()
        return self._cluster

    @property
    def host(self) -> str:
        return self.api().configuration.host

    # --- calls -----------------------------------------------------------------------------
    def call(
        self, method: Any, *args: Any, raw: bool = False, stream: bool = False, **kwargs: Any
    ) -> Any:
        """Call one API method of the official client; the answer as JSON (bytes if `raw`,
        the open response to read as it comes if `stream`).

        Raises ClusterError (a ServiceUnavailable) whatever went wrong."""
        kwargs.setdefault("_request_timeout", self.timeout)
        try:
            answer = method(*args, _preload_content=False, **kwargs)
            if stream:
                return answer
            data = answer.data
        except client.ApiException as exc:
            raise self.refused(exc) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ClusterError(
                f"The Kubernetes cluster at {self.host} is unreachable "
                f"({type(exc).__name__}: {str(exc)[:200]})",
                cause="unreachable",
            ) from exc
        if raw:
            return data
        return json.loads(data) if data else None

    def refused(self, exc: client.ApiException) -> ClusterError:
        cause, text = _CAUSES.get(
            exc.status, ("error", f"the cluster answered {exc.status} {exc.reason}")
        )
        detail = _api_message(exc)
        return ClusterError(
            f"Kubernetes: {text}" + (f": {detail}" if detail else ""),
            cause=cause,
            status=exc.status,
        )

    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api())

    def apps(self) -> client.AppsV1Api:
        return client.AppsV1Api(self.api())

    def custom(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(self.api())
