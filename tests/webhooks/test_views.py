"""The Webhooks and Events pages: the same domain functions behind forms and buttons."""

from __future__ import annotations

import re

from tests.webhooks.conftest import Reply

HX = {"HX-Request": "true"}


def _create_via_page(client, url, events=("*",)):
    return client.post(
        "/webhooks",
        data={"url": url, "events": list(events), "active": "y", "description": "from the page"},
        headers=HX,
    )


def test_create_shows_secret_once_then_lists(login_as, admin, receiver):
    client = login_as(admin)
    page = client.get("/webhooks")
    assert page.status_code == 200 and b"Add an endpoint" in page.data
    r = _create_via_page(client, receiver.url)
    assert r.status_code == 200 and r.headers["HX-Trigger"] == "webhooks-changed"
    secret = re.search(rb'id="new-secret-value">(whsec_[^<]+)<', r.data).group(1)
    assert r.headers["Cache-Control"] == "no-store"
    listing = client.get("/webhooks").data
    assert receiver.url.encode() in listing and secret not in listing
    bad = _create_via_page(client, "gopher://x")
    assert bad.status_code == 400 and b"http or https" in bad.data
    dup = _create_via_page(client, receiver.url)
    assert dup.status_code == 409 and b"already exists" in dup.data
    none = client.post("/webhooks", data={"url": receiver.url + "/2"}, headers=HX)
    assert none.status_code == 400 and b"Pick at least one event" in none.data


def test_detail_ping_log_redeliver_toggle_rotate_delete(
    app, login_as, admin, receiver, work, api_as
):
    client = login_as(admin)
    hook = api_as(admin).post("/api/v1/webhooks", json={"url": receiver.url, "events": ["*"]}).json
    base = f"/webhooks/{hook['id']}"
    page = client.get(base)
    assert page.status_code == 200 and b"Delivery log" in page.data
    assert b"No deliveries yet" in page.data
    receiver.queue(Reply(500, b"nope"))
    r = client.post(f"{base}/ping", headers=HX)
    assert r.status_code == 200 and r.headers["HX-Trigger"] == "deliveries-changed"
    work()
    log = client.get(f"{base}/deliveries", headers=HX).data.decode()
    assert "ping" in log and "failed" in log and ">500<" in log and "nope" in log
    assert log.lstrip().startswith('<section id="deliveries"') and "<html" not in log
    assert b"<h2>Delivery log</h2>" in client.get(f"{base}/deliveries?page=1").data
    delivery_id = re.search(r'id="delivery-(whd-[0-9a-f]+)"', log).group(1)
    r = client.post(f"{base}/deliveries/{delivery_id}/redeliver", headers=HX)
    assert r.status_code == 200 and b"attempt 2" in r.data
    work()
    log = client.get(f"{base}/deliveries", headers=HX).data.decode()
    assert "succeeded" in log and log.count('class="delivery"') == 2
    r = client.post(f"{base}/active", data={"active": "0"}, headers=HX)
    assert b"disabled" in r.data and b"Enable" in r.data
    r = client.post(f"{base}/active", data={"active": "1"}, headers=HX)
    assert b"Disable" in r.data
    r = client.post(f"{base}/rotate-secret", headers=HX)
    assert b"New signing secret" in r.data and b"whsec_" in r.data
    assert b"whsec_" not in client.get(base).data  # never shown again
    r = client.post(
        f"{base}/edit",
        data={"url": receiver.url, "events": ["user.created"], "description": "edited"},
        headers=HX,
    )
    assert r.status_code == 200 and b"Saved." in r.data
    r = client.post(f"{base}/edit", data={"url": receiver.url, "events": ["bogus"]}, headers=HX)
    assert r.status_code == 400
    r = client.post(f"{base}/recover", data={"since": "2020-01-01T00:00"}, headers=HX)
    assert r.status_code == 200 and b"queued for redelivery" in r.data
    r = client.post(f"{base}/delete", headers=HX)
    assert r.headers["HX-Redirect"] == "/webhooks"
    assert client.get(base).status_code == 404


def test_readers_see_no_management_controls(login_as, factory, api_as):
    org = factory.org()
    boss = factory.user(org, roles=["admin"])
    hook = (
        api_as(boss)
        .post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "events": ["*"]})
        .json
    )
    viewer = login_as(factory.user(org, roles=["viewer"]))
    assert b"Add an endpoint" not in viewer.get("/webhooks").data
    detail = viewer.get(f"/webhooks/{hook['id']}").data
    assert b"send-ping" not in detail and b"Delivery log" in detail
    assert viewer.post(f"/webhooks/{hook['id']}/ping", headers=HX).status_code == 403
    assert _create_via_page(viewer, "http://127.0.0.1:9/y").status_code == 403


def test_other_orgs_webhook_is_404_on_pages(login_as, factory, api_as):
    theirs = factory.user(factory.org("Theirs"), roles=["admin"])
    hook = (
        api_as(theirs)
        .post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "events": ["*"]})
        .json
    )
    ours = login_as(factory.user(factory.org("Ours"), roles=["admin"]))
    base = f"/webhooks/{hook['id']}"
    assert ours.get(base).status_code == 404
    assert ours.get(f"{base}/deliveries").status_code == 404
    for path in ("ping", "rotate-secret", "delete", "active"):
        assert ours.post(f"{base}/{path}", headers=HX).status_code == 404


def test_events_page_filters(login_as, admin, factory):
    client = login_as(admin)
    page = client.get("/events")
    assert page.status_code == 200 and b"user.created" in page.data
    assert b"No events of type ping" in client.get("/events?type=ping", headers=HX).data
    assert client.get("/events?type=bogus").status_code == 400
