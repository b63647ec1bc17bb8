"""The proxy forwards what it was given and passes on what the replica writes as it writes it:
the raw path and query (`/proxy/files/a%2Fb` reaches the service as `/files/a%2Fb`), and the
answer piece by piece whatever its framing. Both ways in: the API route and the service's own
origin. The replica is a real socket server on 127.0.0.1 that records the raw request."""

from __future__ import annotations

import socket
import threading

import pytest

from tests.services.test_proxy_origin import _host, _service

PATIENCE = 60.0


class ScriptedReplica:
    """Answers each connection with `head`, then each of `pieces`, waiting for the test to
    have read the previous piece (`read.set()`) before writing the next one."""

    def __init__(self, head: bytes, pieces: list[bytes]) -> None:
        self.head, self.pieces = head, pieces
        self.requests: list[bytes] = []
        self.read = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                self.requests.append(data.split(b"\r\n", 1)[0])
                conn.sendall(self.head)
                for i, piece in enumerate(self.pieces):
                    if i:  # the next piece only once the test has the previous one (or gave up)
                        self.read.wait(PATIENCE)
                        self.read.clear()
                    conn.sendall(piece)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def replica(monkeypatch):
    from blueprints.services import proxy

    made: list[ScriptedReplica] = []

    def make(head: bytes = b"", pieces: list[bytes] | None = None) -> ScriptedReplica:
        r = ScriptedReplica(
            head or b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n",
            pieces if pieces is not None else [b"ok"],
        )
        monkeypatch.setattr(proxy, "target_of", lambda service: r.url)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


RAW_PATHS = [
    "/files/a%2Fb",
    "/files/a%2fb/%41%20c?x=%41&y=a+b&z=%2F",
    "/a//b/./c/",
    "/%E2%82%AC?q=%E2%82%AC",
]


@pytest.mark.parametrize("raw", RAW_PATHS)
def test_both_proxies_forward_the_raw_path_and_query(app, api_as, setup, replica, raw):
    api = api_as(setup.maintainer)
    svc = _service(api, setup.project, name="raw", auth="public")
    seen = replica()
    assert api.get(f"/api/v1/services/{svc['id']}/proxy{raw}").status_code == 200
    resp = app.test_client().get(raw, base_url=f"http://{_host(app, svc['id'])}")
    assert resp.status_code == 200
    assert seen.requests == [f"GET {raw} HTTP/1.1".encode()] * 2


def test_the_proxy_root_forwards_to_the_services_root(app, api_as, setup, replica):
    api = api_as(setup.maintainer)
    svc = _service(api, setup.project, name="root", auth="public")
    seen = replica()
    api.get(f"/api/v1/services/{svc['id']}/proxy")
    api.get(f"/api/v1/services/{svc['id']}/proxy/?a=1")
    # The prefix itself percent-encoded still routes, and is still taken off.
    api.get(f"/api/v1/services/{svc['id']}/%70roxy/x%2Fy")
    assert seen.requests == [b"GET / HTTP/1.1", b"GET /?a=1 HTTP/1.1", b"GET /x%2Fy HTTP/1.1"]


FRAMINGS = {
    "chunked": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
        [b"6\r\nfirst\n\r\n", b"7\r\nsecond\n\r\n0\r\n\r\n"],
    ),
    "until-close": (
        b"HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n",
        [b"first\n", b"second\n"],
    ),
    "length": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n",
        [b"first\n", b"second\n"],
    ),
}


@pytest.mark.parametrize("framing", sorted(FRAMINGS))
@pytest.mark.parametrize("way", ["api", "origin"])
def test_answers_are_passed_on_as_the_replica_writes_them(
    app, api_as, setup, replica, framing, way
):
    api = api_as(setup.maintainer)
    svc = _service(api, setup.project, name="stream", auth="public")
    head, pieces = FRAMINGS[framing]
    upstream = replica(head, pieces)
    if way == "api":
        resp = api.get(f"/api/v1/services/{svc['id']}/proxy/events", buffered=False)
    else:
        resp = app.test_client().get(
            "/events", base_url=f"http://{_host(app, svc['id'])}", buffered=False
        )
    assert resp.status_code == 200
    body = iter(resp.response)
    got = b""
    while b"first\n" not in got:
        got += next(body)
    # The first piece arrived before the replica wrote the second one.
    assert b"second" not in got
    upstream.read.set()
    got += b"".join(body)
    resp.close()
    assert got == b"first\nsecond\n"
