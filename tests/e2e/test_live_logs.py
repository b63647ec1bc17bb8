"""The service page's live logs survive an outage without showing a line twice.

A proxy in front of the live server cuts every connection and answers 502 for a while (as a
reverse proxy does while the app restarts). The browser's EventSource gives up on a 502, and
htmx's SSE extension opens a new one, which sends no Last-Event-ID: the page must still
resume after the last line it shows."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


class CuttingProxy:
    """A TCP proxy to `port`; `down()` cuts every open connection and answers 502 to new ones
    (counting them) until `up()`."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.is_down = False
        self.refused: list[str] = []
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        if self.is_down:
            with contextlib.suppress(OSError), client:
                head = client.recv(65536).split(b"\r\n", 1)[0].decode("latin-1")
                self.refused.append(head)
                client.sendall(
                    b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.port))
        except OSError:
            client.close()
            return
        with self.lock:
            self.open |= {client, upstream}
        threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()
        self._pipe(client, upstream)

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
                with self.lock:
                    self.open.discard(s)

    def down(self) -> None:
        self.is_down = True
        with self.lock:
            cut = list(self.open)
        for s in cut:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def up(self) -> None:
        self.is_down = False

    def close(self) -> None:
        self.sock.close()
        self.down()


@pytest.fixture
def proxy(live_server):
    front = CuttingProxy(int(live_server.url.rsplit(":", 1)[1]))
    yield front
    front.close()


def _service(live_server, factory):
    from blueprints.core.extensions import db
    from blueprints.projects.domain import create_project
    from blueprints.services.domain import create_service
    from blueprints.users.models import User

    org = factory.org("Logs")
    uid = factory.user(org, roles=["admin"], email="logs@example.com")
    with live_server.app_context():
        user = db.session.get(User, uid)
        project = create_project(user.organization, user, name="shop")
        service = create_service(
            user.organization, user, project_id=project.id, name="api", image="a:1", command="x"
        )
        sid = service.id
        db.session.remove()
    return sid


def _say(live_server, sid: str, *messages: str) -> None:
    from blueprints.core.extensions import get_redis
    from blueprints.services.runtime import logs

    with live_server.app_context():
        entries = [(time.time(), "info", m, "api-r1-abc") for m in messages]
        logs.append(get_redis(), sid, entries, maxlen=1000)


def test_the_page_resumes_after_an_outage_without_showing_a_line_twice(
    page, live_server, factory, proxy
):
    sid = _service(live_server, factory)
    _say(live_server, sid, "line one", "line two", "line three")
    page.goto(f"{proxy.url}/login")
    page.fill("input[name=email]", "logs@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{proxy.url}/")
    page.goto(f"{proxy.url}/services/{sid}")
    lines = page.locator("#logs .log-line")
    expect(lines).to_have_count(3)

    proxy.down()
    # The browser's own reconnect meets the 502 and gives up; htmx then opens a new stream,
    # which meets the 502 too: both happened before the proxy is back.
    wait_until(
        lambda: sum("/logs?" in r for r in proxy.refused) >= 2,
        timeout=60,
        what="the page to try the stream again during the outage",
    )
    _say(live_server, sid, "line four")
    proxy.up()
    _say(live_server, sid, "line five")

    expect(lines.filter(has_text="line five")).to_have_count(1)
    expect(lines).to_have_count(5)
    texts = [t.split(" info ", 1)[-1] for t in lines.all_inner_texts()]
    assert texts == ["line one", "line two", "line three", "line four", "line five"], texts
