"""DNS rebinding: every call to a source connects to the address the SSRF guard checked.

An attacker's DNS answers a harmless address to the check and a private one (here the
cloud metadata address) to any later lookup. A client that resolved the name again to
connect would reach the second; Sparki's requests go to the checked address, so the fake
LangFlow behind the first answers every call, and a name that turns private is refused."""

from __future__ import annotations

import socket
import threading

import pytest

from blueprints.core import guard

from .fakes import KEY

HOST = "flows.rebind.test"
METADATA = "169.254.169.254"


class RebindingDNS:
    """Answers 127.0.0.1 for HOST to the guard's check and METADATA to any other lookup
    (until `turned`, when the check gets METADATA too); other names resolve normally."""

    def __init__(self, monkeypatch) -> None:
        self.real = socket.getaddrinfo
        self.checking = threading.local()
        self.turned = False
        self.checked = 0  # lookups of HOST by the guard
        self.other = 0  # lookups of HOST by anything else (a connection resolving again)
        real_resolve = guard.resolve

        def resolve(host, port):
            self.checking.on = True
            try:
                return real_resolve(host, port)
            finally:
                self.checking.on = False

        monkeypatch.setattr(guard, "resolve", resolve)
        monkeypatch.setattr(socket, "getaddrinfo", self.getaddrinfo)

    def getaddrinfo(self, host, port, *args, **kwargs):
        if host != HOST:
            return self.real(host, port, *args, **kwargs)
        address = METADATA
        if not getattr(self.checking, "on", False):
            self.other += 1
        elif not self.turned:
            self.checked += 1
            address = "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 80)))]


@pytest.fixture
def dns(monkeypatch):
    return RebindingDNS(monkeypatch)


def test_source_calls_connect_to_the_checked_address(setup, langflow, dns, run_jobs):
    api = setup["api"]
    port = langflow.url.rsplit(":", 1)[1]
    url = f"http://{HOST}:{port}"
    src = api.post(
        "/api/v1/sources",
        json={"name": "rebound", "sourceType": "langflow", "url": url, "apiKey": KEY},
    )
    assert src.status_code == 201, src.get_json()  # /health and /api/v1/version both answered
    source_id = src.get_json()["id"]
    assert src.get_json()["version"] == "1.4.2"
    sync = api.post(f"/api/v1/sources/{source_id}/sync")
    assert sync.status_code == 200, sync.get_json()
    wf = next(
        w["id"]
        for w in api.get(f"/api/v1/workflows?sourceId={source_id}").get_json()["data"]
        if w["name"] == "Summarizer"
    )
    task_id = api.post(f"/api/v1/workflows/{wf}/run", json={"input": "pinned"}).get_json()["id"]
    run_jobs()
    task = api.get(f"/api/v1/tasks/{task_id}").get_json()
    assert task["status"] == "completed" and task["outputText"] == "echo: pinned", task
    # The URL when saved, then health, version, flows and the run: each checked once before
    # its request, and no lookup of the name besides those checks.
    assert dns.checked == 5 and dns.other == 0
    assert langflow.runs[-1]["body"]["input_value"] == "pinned"

    # The name now answers the metadata address to the check as well: refused, not called.
    dns.turned = True
    api.patch(f"/api/v1/workflows/{wf}", json={"maxRetries": 0})
    calls = len(langflow.runs)
    task_id = api.post(f"/api/v1/workflows/{wf}/run", json={"input": "x"}).get_json()["id"]
    run_jobs()
    task = api.get(f"/api/v1/tasks/{task_id}").get_json()
    assert task["status"] == "failed" and "refused address: link-local" in task["error"], task
    assert len(langflow.runs) == calls
    checked = api.post(f"/api/v1/sources/{source_id}/check").get_json()
    assert checked["status"] == "error" and "link-local" in checked["lastError"]
