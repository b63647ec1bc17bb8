"""HTTP clients for workflow sources: LangFlow and Hive (Agno AgentOS).

Every request goes to a URL the SSRF guard approved, checked again before each request (a
source whose host starts resolving to a private address is refused), and connects to the
very address that check approved (core's pinned `outbound.request`), so a DNS answer that
changes between check and connect (DNS rebinding) cannot reach another host. Requests
follow no redirects and have a total timeout. Failures raise SourceError with `retryable`
telling the task runner whether to try again (connection errors, timeouts and 5xx are; 4xx
are not).
The API key travels only in headers and never appears in an error or log line.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from flask import current_app

from blueprints.core import guard, outbound

CHECK_TIMEOUT = 10.0  # seconds, for health/version/list calls


class SourceError(Exception):
    """A source could not be used. `reason` is short and safe to show; `status` is the HTTP
    status when one came back."""

    def __init__(self, reason: str, *, retryable: bool = False, status: int | None = None):
        super().__init__(reason)
        self.reason, self.retryable, self.status = reason, retryable, status


@dataclass
class RemoteWorkflow:
    remote_id: str
    kind: str
    name: str
    description: str = ""
    input_component: str | None = None
    output_component: str | None = None


@dataclass
class RunResult:
    output: Any
    text: str
    logs: list[str] = field(default_factory=list)


def check_url(url: str) -> str:
    """`url` stripped, without a trailing slash, if the guard allows it; raises
    guard.UnsafeURL."""
    url = (url or "").strip().rstrip("/")
    guard.check(url, allow_private=bool(current_app.config["SOURCE_ALLOW_PRIVATE"]))
    return url


def _request(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    timeout: float,
    body: bytes | None = None,
) -> outbound.Reply:
    try:
        target = guard.check(url, allow_private=bool(current_app.config["SOURCE_ALLOW_PRIVATE"]))
    except guard.UnsafeURL as exc:
        raise SourceError(f"refused address: {exc.reason}") from exc
    try:
        response = outbound.request(target, method, body=body, headers=headers, timeout=timeout)
    except outbound.OutboundError as exc:
        if exc.timed_out:
            raise SourceError(f"timed out after {timeout:g} s", retryable=True) from exc
        raise SourceError("could not connect", retryable=True) from exc
    if response.status in (401, 403):
        raise SourceError(
            f"the API key was refused (HTTP {response.status})", status=response.status
        )
    if response.status >= 500:
        raise SourceError(
            f"the source answered HTTP {response.status}",
            retryable=True,
            status=response.status,
        )
    if response.status >= 300:
        raise SourceError(f"the source answered HTTP {response.status}", status=response.status)
    return response


def _json(response: outbound.Reply) -> Any:
    try:
        return json.loads(response.body)
    except ValueError as exc:
        raise SourceError("the source did not answer JSON") from exc


class Client(ABC):
    """What Sparki does with a source; one subclass per source type (each must implement
    every abstract method: a missing one is a TypeError when the client is made)."""

    def __init__(self, url: str, api_key: str) -> None:
        self.url, self.api_key = url.rstrip("/"), api_key

    @abstractmethod
    def headers(self) -> dict[str, str]:
        """The headers that carry the API key on every call."""

    def get(self, path: str, timeout: float = CHECK_TIMEOUT) -> Any:
        return _json(_request("GET", self.url + path, headers=self.headers(), timeout=timeout))

    @abstractmethod
    def validate(self) -> str | None:
        """Check the source answers and accepts the key; its version (None if unknown).

        Raises SourceError when it does not."""

    @abstractmethod
    def list_workflows(self) -> list[RemoteWorkflow]:
        """The source's workflows. Raises SourceError."""

    @abstractmethod
    def run(self, kind: str, remote_id: str, text: str, timeout: float) -> RunResult:
        """Run one workflow on `text` within `timeout` seconds. Raises SourceError."""


def _health_ok(body: Any) -> bool:
    return isinstance(body, dict) and str(body.get("status", "")).lower() in ("ok", "healthy")


class LangFlowClient(Client):
    """LangFlow's API: `/health`, `/api/v1/version`, `/api/v1/flows/`, `/api/v1/run/{id}`."""

    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.api_key, "Accept": "application/json"}

    def validate(self) -> str | None:
        body = _json(_request("GET", self.url + "/health", headers={}, timeout=CHECK_TIMEOUT))
        if not _health_ok(body):
            raise SourceError('/health did not answer {"status": "ok"}')
        version = self.get("/api/v1/version")
        if isinstance(version, dict):
            return str(version.get("version") or version.get("main_version") or "")[:100] or None
        return None

    def list_workflows(self) -> list[RemoteWorkflow]:
        body = self.get("/api/v1/flows/?get_all=true")
        items = body.get("items", body.get("flows", [])) if isinstance(body, dict) else body
        if not isinstance(items, list):
            raise SourceError("/api/v1/flows/ did not answer a list")
        out = []
        for flow in items:
            if not isinstance(flow, dict) or not flow.get("id"):
                continue
            nodes = ((flow.get("data") or {}).get("nodes")) or []
            inp = out_c = None
            for node in nodes if isinstance(nodes, list) else []:
                data = node.get("data") or {} if isinstance(node, dict) else {}
                kind = str(data.get("type") or "")
                node_id = str(data.get("id") or node.get("id") or "")
                if kind == "ChatInput" and inp is None:
                    inp = node_id
                elif kind == "ChatOutput" and out_c is None:
                    out_c = node_id
            out.append(
                RemoteWorkflow(
                    remote_id=str(flow["id"])[:200],
                    kind="flow",
                    name=str(flow.get("name") or flow["id"])[:200],
                    description=str(flow.get("description") or "")[:5000],
                    input_component=inp,
                    output_component=out_c,
                )
            )
        return out

    def run(self, kind: str, remote_id: str, text: str, timeout: float) -> RunResult:
        response = _request(
            "POST",
            f"{self.url}/api/v1/run/{quote(remote_id, safe='')}?stream=false",
            headers={**self.headers(), "Content-Type": "application/json"},
            timeout=timeout,
            body=json.dumps(
                {"input_value": text, "input_type": "chat", "output_type": "chat", "tweaks": {}}
            ).encode(),
        )
        body = _json(response)
        return RunResult(body, langflow_text(body))


def langflow_text(body: Any) -> str:
    """The chat output's text from a LangFlow run response (empty when there is none)."""
    try:
        for block in body.get("outputs") or []:
            for out in block.get("outputs") or []:
                results = out.get("results") or {}
                message = results.get("message") or {}
                text = message.get("text") or (message.get("data") or {}).get("text")
                if text:
                    return str(text)
                for msg in out.get("messages") or []:
                    if msg.get("message"):
                        return str(msg["message"])
    except (AttributeError, TypeError):
        pass
    return ""


_HIVE_KINDS = {"agent": "agents", "team": "teams", "workflow": "workflows"}


class HiveClient(Client):
    """Hive / Agno AgentOS: `/health`, `/agents|teams|workflows`, `POST /{kind}s/{id}/runs`."""

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"}

    def validate(self) -> str | None:
        body = self.get("/health")
        if not _health_ok(body):
            raise SourceError('/health did not answer {"status": "ok"}')
        return str(body.get("version") or "")[:100] or None

    def list_workflows(self) -> list[RemoteWorkflow]:
        out = []
        for kind, path in _HIVE_KINDS.items():
            items = self.get(f"/{path}")
            if isinstance(items, dict):
                items = items.get("data", [])
            for item in items if isinstance(items, list) else []:
                if not isinstance(item, dict):
                    continue
                rid = item.get("id") or item.get(f"{kind}_id")
                if not rid:
                    continue
                out.append(
                    RemoteWorkflow(
                        remote_id=str(rid)[:200],
                        kind=kind,
                        name=str(item.get("name") or rid)[:200],
                        description=str(item.get("description") or "")[:5000],
                    )
                )
        return out

    def run(self, kind: str, remote_id: str, text: str, timeout: float) -> RunResult:
        path = _HIVE_KINDS.get(kind, "agents")
        response = _request(
            "POST",
            f"{self.url}/{path}/{quote(remote_id, safe='')}/runs",
            headers={**self.headers(), "Content-Type": "application/x-www-form-urlencoded"},
            timeout=timeout,
            body=urlencode({"message": text, "stream": "false"}).encode(),
        )
        body = _json(response)
        text_out = ""
        if isinstance(body, dict):
            text_out = str(body.get("content") or body.get("output") or "")
        return RunResult(body, text_out)


def client_for(source_type: str, url: str, api_key: str) -> Client:
    return (LangFlowClient if source_type == "langflow" else HiveClient)(url, api_key)
