"""A POST whose answer is lost on the way back (the server did the work, then the connection
dropped): the SDK retries it with the same Idempotency-Key and the real server replays the
first answer, so the order and the payment exist once."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sparki import Client

from tests.sdk.conftest import FAST


class DroppingProxy:
    """A TCP relay to the live server that, for the next `drops` POSTs, lets the server answer
    in full and then closes the client's connection without passing the answer on."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.drops = 0
        self.dropped = 0
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(60)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            length = next(
                (
                    int(v)
                    for k, _, v in (x.partition(b":") for x in lines[1:])
                    if k.strip().lower() == b"content-length"
                ),
                0,
            )
            while len(body) < length:
                body += conn.recv(65536)
            kept = [x for x in lines[1:] if not x.lower().startswith(b"connection:")]
            request = b"\r\n".join([lines[0], *kept, b"Connection: close"]) + b"\r\n\r\n" + body
            with socket.create_connection(("127.0.0.1", self.upstream_port), timeout=60) as up:
                up.sendall(request)
                answer = b""
                while chunk := up.recv(65536):  # the server closes after its full answer
                    answer += chunk
            with self.lock:
                drop = lines[0].startswith(b"POST ") and self.drops > 0
                if drop:
                    self.drops -= 1
                    self.dropped += 1
            if not drop:
                conn.sendall(answer)

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def proxy(live_server) -> Iterator[DroppingProxy]:
    relay = DroppingProxy(int(live_server.url.rsplit(":", 1)[1]))
    yield relay
    relay.close()


def test_a_post_whose_answer_was_lost_is_replayed_not_done_twice(proxy, factory, live_server):
    org = factory.org("Lossy Parts Co", crm=True)
    key = factory.api_key(factory.user(org, roles=["admin"]))
    direct = Client(api_key=key, base_url=live_server.url, **FAST)
    client = Client(api_key=key, base_url=f"http://127.0.0.1:{proxy.port}", **FAST)
    try:
        customer = client.customers.create(name="Ada", email="ada@example.com")
        item = {"sku": "INJ-6.7-CR", "name": "Injector", "quantity": 8, "unit_price": "289.50"}

        proxy.drops = 1
        order = client.orders.create(customer_id=customer.id, currency="USD", items=[item])
        assert proxy.dropped == 1
        assert [o.id for o in direct.orders.list()] == [order.id]
        assert order.order_number == "1001" and order.total == Decimal("2316.00")

        proxy.drops = 1
        payment = client.orders.pay(order.id, amount=Decimal("1000.00"))
        assert proxy.dropped == 2
        detail = direct.orders.get(order.id)
        assert [p.id for p in detail.payments] == [payment.id]
        assert detail.amount_paid == Decimal("1000.00")
    finally:
        client.close()
        direct.close()
