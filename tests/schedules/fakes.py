"""Fake LangFlow and Hive (Agno AgentOS) servers on 127.0.0.1 answering with the real
response shapes, including a refused key (401/403) and 5xx."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

KEY = "lf-secret-key"


def _flow(fid: str, name: str) -> dict:
    return {
        "id": fid,
        "name": name,
        "description": f"{name} flow",
        "data": {
            "nodes": [
                {
                    "id": f"ChatInput-{fid[:4]}",
                    "data": {"type": "ChatInput", "id": f"ChatInput-{fid[:4]}"},
                },
                {
                    "id": f"OpenAI-{fid[:4]}",
                    "data": {"type": "OpenAIModel", "id": f"OpenAI-{fid[:4]}"},
                },
                {
                    "id": f"ChatOutput-{fid[:4]}",
                    "data": {"type": "ChatOutput", "id": f"ChatOutput-{fid[:4]}"},
                },
            ],
            "edges": [],
        },
    }


def _input_of(kind: str, record: dict) -> str:
    if kind == "langflow":
        return str(record["body"].get("input_value", ""))
    return (record["form"].get("message") or [""])[0]


class _Handler(BaseHTTPRequestHandler):
    source: FakeSource

    def _send(self, status: int, body) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass

    def _authorized(self) -> bool:
        if self.source.kind == "langflow":
            given = self.headers.get("x-api-key")
            if given != self.source.key:
                self._send(403, {"detail": "Invalid or missing API key"})
                return False
            return True
        if self.headers.get("Authorization") != f"Bearer {self.source.key}":
            self._send(401, {"detail": "Invalid authentication token"})
            return False
        return True

    def do_GET(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        if path == "/health":
            if self.source.kind == "hive" and not self._authorized():
                return
            return self._send(200, {"status": "ok"})
        if not self._authorized():
            return
        if self.source.kind == "langflow":
            if path == "/api/v1/version":
                return self._send(
                    200,
                    {"version": "1.4.2", "main_version": "1.4.2", "package": "Langflow"},
                )
            if path == "/api/v1/flows/":
                return self._send(200, self.source.flows)
        else:
            lists = {
                "/agents": self.source.agents,
                "/teams": self.source.teams,
                "/workflows": self.source.workflows,
            }
            if path in lists:
                return self._send(200, lists[path])
        self._send(404, {"detail": "Not Found"})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if not self._authorized():
            return
        path = urlsplit(self.path).path
        with self.source.lock:
            status = self.source.fail_runs.pop(0) if self.source.fail_runs else 200
        if self.source.kind == "langflow":
            body = json.loads(raw or b"{}")
            query = parse_qs(urlsplit(self.path).query)
            record = {
                "path": path,
                "body": body,
                "stream": query.get("stream"),
                "at": time.time(),
            }
        else:
            form = parse_qs(raw.decode())
            record = {"path": path, "form": form, "at": time.time()}
        with self.source.lock:
            self.source.runs.append(record)
        held = self.source.hold_input
        if self.source.release is not None and (
            held is None or held == _input_of(self.source.kind, record)
        ):
            self.source.release.wait(120)
        if self.source.run_delay:
            time.sleep(self.source.run_delay)
        if status != 200:
            return self._send(status, {"detail": "upstream exploded"})
        if self.source.kind == "langflow":
            text = f"echo: {body.get('input_value', '')}"
            return self._send(
                200,
                {
                    "session_id": "s-1",
                    "outputs": [
                        {
                            "inputs": {"input_value": body.get("input_value")},
                            "outputs": [
                                {
                                    "results": {"message": {"text": text, "sender": "Machine"}},
                                    "artifacts": {"message": text},
                                    "messages": [{"message": text, "type": "text"}],
                                }
                            ],
                        }
                    ],
                },
            )
        message = (form.get("message") or [""])[0]
        self._send(
            200,
            {"run_id": "r-1", "content": f"agent says: {message}", "content_type": "str"},
        )

    def log_message(self, *args) -> None:
        pass


class FakeSource:
    """One server; `kind` is "langflow" or "hive". Tweak `flows`, `fail_runs` (statuses
    answered to the next runs), `run_delay` (seconds), `release` (an Event a run waits on:
    every run, or only runs of the input `hold_input` when that is set)."""

    def __init__(self, kind: str = "langflow") -> None:
        self.kind = kind
        self.key = KEY
        self.flows = [_flow("a1b2c3d4-0001", "Summarizer"), _flow("a1b2c3d4-0002", "Translator")]
        self.agents = [
            {"agent_id": "support-agent", "name": "Support agent", "description": "Answers"}
        ]
        self.teams = [{"team_id": "research-team", "name": "Research team"}]
        self.workflows = [{"workflow_id": "nightly-report", "name": "Nightly report"}]
        self.fail_runs: list[int] = []
        self.run_delay = 0.0
        self.release: threading.Event | None = None
        self.hold_input: str | None = None
        self.runs: list[dict] = []
        self.lock = threading.Lock()
        source = self

        class Handler(_Handler):
            pass

        Handler.source = source

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        if self.release is not None:
            self.release.set()
        self.server.shutdown()
        self.server.server_close()
