"""Services, their deployments, logs (including the live stream) and the proxy."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional, Union

import httpx

from .._http import RETRY_STATUSES
from ..errors import (
    APIConnectionError,
    DeploymentFailedError,
    RateLimitError,
    ServerError,
    SparkiError,
    WaitTimeoutError,
)
from ..models import (
    Deployment,
    Service,
    ServiceCheck,
    ServiceListItem,
    ServiceLogLine,
    ServiceRollback,
    Success,
)
from ..pagination import Page
from ._base import Resource, body, query

FINISHED = ("success", "failed")


class Services(Resource):
    """`/services`: services on the runtime, deploys, rollbacks, logs, health checks."""

    def list(
        self,
        *,
        project: Optional[str] = None,
        status: Optional[str] = None,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[ServiceListItem]:
        """The organization's services, newest first.

        Args:
            project: only this project's (`proj-…`).
            status: `running`, `stopped`, `deploying` or `failed`.
            page: page number, from 1. limit: items per page, 1–100 (default 20).
            cursor: a `next_cursor` from an earlier page.

        Returns:
            `Page[ServiceListItem]`; iterate it to walk every page.

        Raises:
            ValidationError: a bad filter or page value.
        """
        params = query(project=project, status=status, page=page, limit=limit, cursor=cursor)
        return self._list("/services", ServiceListItem, params)

    def create(
        self,
        *,
        project_id: str,
        name: str,
        type: Optional[str] = None,
        image: Optional[str] = None,
        command: Optional[str] = None,
        env: Optional[Dict[str, str]] = None,
        replicas: Optional[int] = None,
        health_check_path: Optional[str] = None,
        port: Optional[int] = None,
        url_settings: Optional[Dict[str, str]] = None,
        idempotency_key: Optional[str] = None,
    ) -> Service:
        """Create a service (stopped until its first deploy).

        Args:
            project_id: the project (`proj-…`). name: unique in the project.
            type: `backend`, `frontend`, `web`, `api` (serve HTTP on `PORT`) or `worker`.
            image: the image (a label on the local runtime). command: what to run (the local
            runtime needs it). env: environment variables. replicas: how many, for deploys.
            health_check_path: the HTTP path probed for readiness, e.g. `/`.
            port: a fixed port (default: one assigned as `PORT`).
            url_settings: `{"auth": "private" | "public"}` for the proxy.
            idempotency_key: replay key (the SDK makes one when not given).

        Returns:
            The new `Service`.

        Raises:
            ConflictError (name taken, or the organization's service limit), ValidationError,
            NotFoundError (project), PermissionError.
        """
        fields = body(
            project_id=project_id,
            name=name,
            type=type,
            image=image,
            command=command,
            env=env,
            replicas=replicas,
            health_check_path=health_check_path,
            port=port,
            url_settings=url_settings,
        )
        return self._call(
            "POST", "/services", Service, json=fields, idempotency_key=idempotency_key
        )

    def get(self, service_id: str) -> Service:
        """One service (`svc-…`) with its replicas, endpoints and health.

        Args:
            service_id: the service's id (`svc-…`).

        Returns:
            `Service`.

        Raises:
            NotFoundError.
        """
        return self._call("GET", f"/services/{service_id}", Service)

    retrieve = get

    def update(
        self,
        service_id: str,
        *,
        name: Optional[str] = None,
        type: Optional[str] = None,
        image: Optional[str] = None,
        command: Optional[str] = None,
        env: Optional[Dict[str, str]] = None,
        replicas: Optional[int] = None,
        health_check_path: Optional[str] = None,
        port: Optional[int] = None,
        url_settings: Optional[Dict[str, str]] = None,
    ) -> Service:
        """Change a service's settings (only those given); the next deploy applies them.

        Args:
            service_id: the service's id (`svc-…`).
            name, type, image, command, env, replicas, health_check_path, port, url_settings: the
                fields to change, as for `create()`; those left None are not sent.

        Returns:
            The updated `Service`.

        Raises:
            NotFoundError, ConflictError, ValidationError, PermissionError.
        """
        fields = body(
            name=name,
            type=type,
            image=image,
            command=command,
            env=env,
            replicas=replicas,
            health_check_path=health_check_path,
            port=port,
            url_settings=url_settings,
        )
        return self._call("PATCH", f"/services/{service_id}", Service, json=fields)

    def delete(self, service_id: str) -> Success:
        """Stop a service's replicas and delete it.

        Args:
            service_id: the service's id (`svc-…`).

        Returns:
            `Success`.

        Raises:
            NotFoundError, PermissionError.
        """
        return self._call("DELETE", f"/services/{service_id}", Success)

    def deploy(
        self,
        service_id: str,
        *,
        image: Optional[str] = None,
        command: Optional[str] = None,
        env: Optional[Dict[str, str]] = None,
        replicas: Optional[int] = None,
        strategy: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> Deployment:
        """Start a deploy on a worker; it makes a new numbered revision.

        Args:
            service_id: the service's id (`svc-…`).
            image, command, env, replicas: override the service's settings for this revision.
            strategy: `rolling-update` (default; a failed one keeps the old replicas serving)
                or `recreate`.
            idempotency_key: replay key; the SDK makes one when not given, so a retried call
                never deploys twice.

        Returns:
            `Deployment` with `status` `in-progress`; `client.deployments.wait(d.id)` waits
            for its end.

        Raises:
            ConflictError (a deploy already runs), NotFoundError, ValidationError,
            PermissionError.
        """
        fields = body(image=image, command=command, env=env, replicas=replicas, strategy=strategy)
        return self._call(
            "POST",
            f"/services/{service_id}/deploy",
            Deployment,
            json=fields,
            idempotency_key=idempotency_key,
        )

    def rollback(
        self,
        service_id: str,
        *,
        revision: Union[int, str],
        strategy: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> ServiceRollback:
        """Redeploy an earlier revision (as a new revision).

        Args:
            service_id: the service's id (`svc-…`).
            idempotency_key: the `Idempotency-Key` (up to 255 characters); the SDK makes a UUID when
                not given, so a retry is replayed, never done twice.
            revision: a revision number, or an image tag that one ran.
            strategy: `rolling-update` (default) or `recreate`.

        Returns:
            `ServiceRollback` (a `Deployment` plus `target_image` and `previous_image`).

        Raises:
            NotFoundError (service or revision), ConflictError, ValidationError.
        """
        return self._call(
            "POST",
            f"/services/{service_id}/rollback",
            ServiceRollback,
            json=body(revision=revision, strategy=strategy),
            idempotency_key=idempotency_key,
        )

    def deployments(
        self,
        service_id: str,
        *,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[Deployment]:
        """A service's deployments, newest first.

        Args:
            service_id: the service's id (`svc-…`).
            page: page number, from 1 (default 1).
            limit: items per page, 1–100 (default 20).
            cursor: a `next_cursor` from an earlier page (iterating the page follows them for you).

        Returns:
            `Page[Deployment]`.

        Raises:
            NotFoundError.
        """
        params = query(page=page, limit=limit, cursor=cursor)
        return self._list(f"/services/{service_id}/deployments", Deployment, params)

    def start(self, service_id: str, *, idempotency_key: Optional[str] = None) -> Service:
        """Start a stopped service's replicas (its current revision).

        Args:
            service_id: the service's id (`svc-…`).
            idempotency_key: the `Idempotency-Key` (up to 255 characters); the SDK makes a UUID when
                not given, so a retry is replayed, never done twice.

        Returns:
            The `Service`.

        Raises:
            NotFoundError, ConflictError (never deployed), PermissionError.
        """
        return self._call(
            "POST", f"/services/{service_id}/start", Service, idempotency_key=idempotency_key
        )

    def stop(self, service_id: str, *, idempotency_key: Optional[str] = None) -> Service:
        """Stop every replica of a service.

        Args:
            service_id: the service's id (`svc-…`).
            idempotency_key: the `Idempotency-Key` (up to 255 characters); the SDK makes a UUID when
                not given, so a retry is replayed, never done twice.

        Returns:
            The `Service`.

        Raises:
            NotFoundError, PermissionError.
        """
        return self._call(
            "POST", f"/services/{service_id}/stop", Service, idempotency_key=idempotency_key
        )

    def restart(self, service_id: str, *, idempotency_key: Optional[str] = None) -> Deployment:
        """Replace every replica with a fresh one of the same revision (a deployment).

        Args:
            service_id: the service's id (`svc-…`).
            idempotency_key: the `Idempotency-Key` (up to 255 characters); the SDK makes a UUID when
                not given, so a retry is replayed, never done twice.

        Returns:
            The `Deployment` doing it.

        Raises:
            NotFoundError, ConflictError (a deploy runs, or never deployed), PermissionError.
        """
        return self._call(
            "POST",
            f"/services/{service_id}/restart",
            Deployment,
            idempotency_key=idempotency_key,
        )

    def check(self, service_id: str) -> ServiceCheck:
        """Probe the service's health path now.

        Args:
            service_id: the service's id (`svc-…`).

        Returns:
            `ServiceCheck`: `status` `healthy`, `hibernated`, `unhealthy` or `error`, `reason`,
            `elapsed_ms` (milliseconds).

        Raises:
            NotFoundError.
        """
        return self._call("GET", f"/services/{service_id}/check", ServiceCheck)

    def logs(
        self,
        service_id: str,
        *,
        lines: Optional[int] = None,
        since: Optional[Union[datetime, str]] = None,
    ) -> List[ServiceLogLine]:
        """Recent log lines of a service's replicas, oldest first.

        Args:
            service_id: the service's id (`svc-…`).
            lines: how many, 1–5000 (default 100).
            since: only lines after this time (a `datetime` or ISO-8601 text).

        Returns:
            A list of `ServiceLogLine` (`timestamp`, `level`, `message`, `pod`).

        Raises:
            NotFoundError, ValidationError.
        """
        data = self._call(
            "GET", f"/services/{service_id}/logs", params=query(lines=lines, since=since)
        )
        return [ServiceLogLine.from_dict(line) for line in data.get("logs", [])]

    def follow_logs(
        self,
        service_id: str,
        *,
        lines: Optional[int] = None,
        since: Optional[Union[datetime, str]] = None,
        last_event_id: Optional[str] = None,
    ) -> Iterator[ServiceLogLine]:
        """Follow a service's logs live (Server-Sent Events), forever until you stop.

        Yields the recent `lines` first, then each new line as it is written. A dropped
        connection (or a 429/502/503/504 answer) is retried with backoff, resuming after
        the last line seen (`Last-Event-ID`), so no line is lost or repeated; more than the
        client's `max_retries` failures in a row raise. Break out of the loop (or close the
        iterator) to stop: the connection is closed then.

        Args:
            service_id: the service's id (`svc-…`).
            lines: backlog lines sent first, 1–5000 (default 100).
            since: start after this time instead (a `datetime` or ISO-8601 text).
            last_event_id: resume after this line's `id` (from an earlier stream).

        Returns:
            An iterator of `ServiceLogLine` (each with the stream `id`).

        Raises:
            NotFoundError (no such service), APIConnectionError or the last error after too
            many failures in a row.
        """
        transport = self._transport
        failures = 0
        last = last_event_id
        while True:
            params = query(lines=lines, since=since, follow=True, format="json")
            headers = {"Last-Event-ID": last} if last else {}
            try:
                response, stream = transport.stream(f"/services/{service_id}/logs", params, headers)
            except (RateLimitError, ServerError, httpx.TransportError) as exc:
                if isinstance(exc, SparkiError) and exc.status not in RETRY_STATUSES:
                    raise  # a 500 is not retried, as for every other call
                failures = self._failed(exc, failures)
                continue
            seen = 0
            try:
                for line in _sse_lines(stream):
                    last = line.id or last
                    failures, seen = 0, seen + 1
                    yield line
            except httpx.TransportError as exc:
                failures = self._failed(exc, failures)
                continue
            finally:
                response.close()
            if not seen:  # the server ended an empty stream: reconnect, but not in a spin
                transport.sleep(transport.backoff(0))

    def _failed(self, exc: Exception, failures: int) -> int:
        """Count one failed connection of a stream; wait or give up."""
        transport = self._transport
        if failures >= transport.max_retries:
            if isinstance(exc, httpx.TransportError):
                raise APIConnectionError(f"log stream lost: {exc}") from exc
            raise exc
        if isinstance(exc, RateLimitError) and exc.retry_after is not None:
            transport.sleep(min(exc.retry_after, transport.max_retry_after))
        else:
            transport.sleep(transport.backoff(failures))
        return failures + 1

    def proxy(
        self,
        service_id: str,
        path: str = "",
        *,
        method: str = "GET",
        params: Optional[Dict[str, Any]] = None,
        content: Optional[bytes] = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> httpx.Response:
        """Send a request to the service itself through Sparki's proxy (a ready replica).

        Args:
            service_id: the service's id (`svc-…`).
            path: the path on the service, e.g. `healthz` or `api/items`.
            method: `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
            params: query parameters. content: the raw body. headers: extra headers.

        Returns:
            The `httpx.Response` exactly as the service answered (any status).

        Raises:
            APIConnectionError. Sparki's own errors (no ready replica: 503) are returned as
            responses too, with the API's envelope.
        """
        return self._transport.request(
            method,
            f"/services/{service_id}/proxy/{path.lstrip('/')}",
            params=params,
            content=content,
            headers=headers,
            raw=True,
        )


def _sse_lines(stream: Iterator[str]) -> Iterator[ServiceLogLine]:
    """Parse `text/event-stream` lines into log lines (`event: log` with JSON data)."""
    event, data, event_id = "message", [], None
    for raw in stream:
        if raw == "":
            if data and event == "log":
                line = ServiceLogLine.from_dict(json.loads("\n".join(data)))
                if line.id is None and event_id:
                    line.id = event_id
                yield line
            event, data, event_id = "message", [], None
            continue
        if raw.startswith(":"):
            continue  # a keep-alive comment
        name, _, value = raw.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id":
            event_id = value


class Deployments(Resource):
    """`/deployments`: one deploy, rollback or restart of a service."""

    def get(self, deployment_id: str) -> Deployment:
        """One deployment (`deploy-…`) with its progress.

        Args:
            deployment_id: the deployment's id (`deploy-…`).

        Returns:
            `Deployment`: `status` `in-progress`, `success` or `failed`, `progress`
            (`updated`, `ready`, `available`, `desired`), `message`.

        Raises:
            NotFoundError.
        """
        return self._call("GET", f"/deployments/{deployment_id}", Deployment)

    retrieve = get

    def wait(
        self,
        deployment_id: str,
        *,
        timeout: float = 600.0,
        interval: float = 1.0,
        raise_on_failure: bool = False,
    ) -> Deployment:
        """Poll a deployment until it ends (`success` or `failed`).

        Args:
            deployment_id: the deployment's id (`deploy-…`).
            timeout: seconds to wait at most. interval: seconds between polls.
            raise_on_failure: raise `DeploymentFailedError` when it ends `failed`.

        Returns:
            The finished `Deployment` (check `status`).

        Raises:
            WaitTimeoutError: still in progress after `timeout` seconds (`last` holds it).
            DeploymentFailedError: it failed and `raise_on_failure` is set.
            NotFoundError.
        """
        deadline = time.monotonic() + timeout
        while True:
            deployment = self.get(deployment_id)
            if deployment.status in FINISHED:
                if deployment.status == "failed" and raise_on_failure:
                    raise DeploymentFailedError(
                        f"deployment {deployment_id} failed: {deployment.message}",
                        deployment=deployment,
                    )
                return deployment
            if time.monotonic() >= deadline:
                raise WaitTimeoutError(
                    f"deployment {deployment_id} still {deployment.status} after {timeout}s",
                    last=deployment,
                )
            time.sleep(interval)
