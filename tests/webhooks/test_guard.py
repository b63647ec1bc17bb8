"""The SSRF guard: at creation (API) and again at delivery time."""

from __future__ import annotations

import socket

import pytest

from blueprints.core import guard
from tests.conftest import make_app


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://127.0.0.1/hook", "loopback"),
        ("http://localhost:8080/hook", "loopback"),
        ("http://10.1.2.3/hook", "private"),
        ("http://192.168.0.10/", "private"),
        ("http://172.16.5.4/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]/hook", "loopback"),
        ("http://[fd00:ec2::254]/", "metadata"),  # AWS IMDS over IPv6
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://2130706433/", "loopback"),  # 127.0.0.1 as one decimal number
        ("http://0x7f000001/", "loopback"),  # hexadecimal
        ("http://127.1/", "loopback"),  # shorthand
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://100.64.0.1/", "not public"),  # carrier-grade NAT
    ],
)
def test_private_addresses_are_refused(url, reason):
    with pytest.raises(guard.UnsafeURL) as exc:
        guard.check(url, allow_private=False)
    assert exc.value.reason == reason


@pytest.mark.parametrize(
    "url, reason",
    [
        ("ftp://example.com/", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("gopher://127.0.0.1:6379/", "scheme"),
        ("http:///nohost", "no host"),
        ("http://user:pw@example.com/", "credentials"),
        ("http://example.com:99999/", "malformed"),
        ("http://nonexistent.invalid/", "unresolvable"),
    ],
)
def test_malformed_urls_are_refused(url, reason):
    with pytest.raises(guard.UnsafeURL) as exc:
        guard.check(url, allow_private=True)
    assert exc.value.reason == reason


def test_a_name_resolving_to_loopback_is_refused(monkeypatch):
    real = socket.getaddrinfo

    def fake_dns(host, *args, **kwargs):
        if host == "innocent.example.com":
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    with pytest.raises(guard.UnsafeURL) as exc:
        guard.check("https://innocent.example.com/hook", allow_private=False)
    assert exc.value.reason == "loopback" and "127.0.0.1" in exc.value.message


def test_allow_private_lets_loopback_through_but_never_metadata():
    target = guard.check("http://127.0.0.1:8080/a?b=1", allow_private=True)
    assert (target.address, target.port, target.path) == ("127.0.0.1", 8080, "/a?b=1")
    for url in ("http://169.254.169.254/", "http://[fd00:ec2::254]/"):
        with pytest.raises(guard.UnsafeURL):
            guard.check(url, allow_private=True)


def test_public_addresses_pass():
    target = guard.check("https://93.184.215.14/hook", allow_private=False)
    assert target.address == "93.184.215.14" and target.port == 443


@pytest.fixture
def strict_app(database_url, redis_url, app):
    return make_app(database_url, redis_url, WEBHOOK_ALLOW_PRIVATE=False)


def test_api_refuses_private_urls_when_not_allowed(strict_app, factory):
    user = factory.user(roles=["admin"])
    client = strict_app.test_client()
    headers = {"Authorization": f"Bearer {factory.token(user)}"}
    for url in (
        "http://127.0.0.1:9/",
        "http://10.0.0.1/",
        "http://169.254.169.254/",
        "http://[::1]/",
        "http://2130706433/",
    ):
        r = client.post("/api/v1/webhooks", json={"url": url, "events": ["*"]}, headers=headers)
        assert r.status_code == 400, url
        assert r.json["details"]["field"] == "url"
    r = client.post(
        "/api/v1/webhooks",
        json={"url": "http://169.254.169.254/", "events": ["*"]},
        headers=headers,
    )
    assert r.json["details"]["reason"] == "link-local"


def test_delivery_time_check_catches_dns_that_changed(app, api_as, admin, work, monkeypatch):
    """Saved while private addresses were allowed, sent when they no longer are."""
    from blueprints.core.extensions import db
    from blueprints.webhooks.models import Delivery

    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_SCHEDULE", [0])
    api = api_as(admin)
    hook = api.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "events": ["*"]}).json
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", False)
    api.post(f"/api/v1/webhooks/{hook['id']}/ping")
    work()
    with app.app_context():
        delivery = db.session.query(Delivery).filter_by(webhook_id=hook["id"]).one()
        assert delivery.status == "failed" and delivery.status_code is None
        assert delivery.error.startswith("Refused:") and "loopback" in delivery.error


# 169.254.169.254 spelled in every IPv6 form that embeds an IPv4 address, and the metadata
# addresses of clouds outside 169.254.0.0/16: refused even with WEBHOOK_ALLOW_PRIVATE on.
@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://[64:ff9b::a9fe:a9fe]/", "link-local"),  # NAT64 well-known prefix
        ("http://[64:ff9b::169.254.169.254]/", "link-local"),
        ("http://[64:ff9b:1:a9fe:00a9:fe00::]/", "link-local"),  # local-use NAT64, /48 layout
        ("http://[::ffff:169.254.169.254]/", "link-local"),  # IPv4-mapped
        ("http://[::ffff:a9fe:a9fe]/", "link-local"),
        ("http://[::169.254.169.254]/", "link-local"),  # IPv4-compatible
        ("http://[::ffff:0:a9fe:a9fe]/", "link-local"),  # IPv4-translated (SIIT)
        ("http://[2002:a9fe:a9fe::1]/", "link-local"),  # 6to4
        ("http://[2001:0:4136:e378:8000:63bf:5601:5601]/", "link-local"),  # Teredo client
        ("http://[fd00:ec2::254]/", "metadata"),  # AWS IMDS over IPv6
        ("http://168.63.129.16/", "metadata"),  # Azure WireServer
        ("http://100.100.100.200/", "metadata"),  # Alibaba Cloud
        ("http://192.0.0.192/", "metadata"),  # Oracle Cloud legacy
        ("http://[64:ff9b::6464:64c8]/", "metadata"),  # Alibaba's, through NAT64
        ("http://169.254.170.2/", "link-local"),  # AWS ECS task metadata
    ],
)
def test_metadata_addresses_are_refused_in_every_spelling(url, reason):
    with pytest.raises(guard.UnsafeURL) as exc:
        guard.check(url, allow_private=True)
    assert exc.value.reason == reason


@pytest.mark.parametrize(
    "url",
    ["http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::1]/", "http://[::ffff:0:a00:1]/"],
)
def test_embedded_private_addresses_are_refused_when_private_is_not_allowed(url):
    with pytest.raises(guard.UnsafeURL):
        guard.check(url, allow_private=False)


def test_nat64_of_a_public_address_passes():
    target = guard.check("http://[64:ff9b::5db8:d70e]/", allow_private=False)
    assert target.address == "64:ff9b::5db8:d70e"
