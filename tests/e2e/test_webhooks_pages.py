"""A person registers a local receiver, sees the secret once, pings it, watches the delivery
log (a failure, then a redelivery that succeeds) and finds the events on the Events page.
A real `sparki worker` subprocess delivers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from blueprints.webhooks.signing import verify
from tests.e2e.conftest import choose_filter, screenshot
from tests.webhooks.conftest import Receiver, Reply

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(live_server, database_url, redis_url, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": live_server.config["SECRET_KEY"],
        "WEBHOOK_ALLOW_PRIVATE": "1",
        "LOG_LEVEL": "WARNING",
    }
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "sparki"), "worker"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield proc
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(15)
    log.close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_register_ping_see_log_and_redeliver(page, log_in, factory, live_server, worker, receiver):
    org = factory.org("Webhook Co")
    factory.user(org, roles=["admin"], email="wanda@example.com")
    receiver.queue(Reply(500, b"receiver not ready"))

    log_in("wanda@example.com")
    page.click("nav >> text=Webhooks")
    expect(page.locator("#webhooks")).to_contain_text("No webhook endpoints yet")
    page.fill("#webhook-create input[name=url]", receiver.url)
    page.fill("#webhook-create input[name=description]", "local receiver")
    page.locator("#webhook-create input[value='*']").check()
    page.click("#create-webhook")
    secret = page.locator("#new-secret-value").inner_text().strip()
    assert secret.startswith("whsec_")
    expect(page.locator("#webhooks")).to_contain_text(receiver.url)
    screenshot(page, "webhooks")

    page.locator("#webhooks a", has_text=receiver.url).click()
    expect(page.locator("h1")).to_have_text("Webhook")
    expect(page.locator("#new-secret-value")).to_have_count(0)  # shown once only
    page.click("#send-ping")
    expect(page.locator("#notice")).to_contain_text("Ping queued")
    row = page.locator("#delivery-log tr.delivery").first
    expect(row).to_contain_text("failed", timeout=60_000)
    expect(row.locator(".status-code")).to_have_text("500")
    expect(row).to_contain_text("HTTP 500")

    row.locator("button.redeliver").click()
    expect(page.locator("#notice")).to_contain_text("attempt 2")
    expect(page.locator("#delivery-log tr.delivery")).to_have_count(2, timeout=60_000)
    newest = page.locator("#delivery-log tr.delivery").first
    expect(newest).to_contain_text("succeeded", timeout=60_000)
    expect(newest.locator(".status-code")).to_have_text("200")
    expect(newest).to_contain_text("(manual)")
    screenshot(page, "webhook-detail")

    # what arrived is signed with the secret the page showed
    assert len(receiver.requests) == 2
    for req in receiver.requests:
        assert verify(secret, req.body, req.headers)
        assert req.headers["X-Sparki-Event"] == "ping"

    page.click("#toggle-active")
    expect(page.locator("#webhook-status")).to_have_text("disabled")
    expect(page.locator("#disabled-reason")).to_contain_text("Disabled by wanda@example.com")
    page.click("#toggle-active")
    expect(page.locator("#webhook-status")).to_have_text("active")

    page.click("nav >> text=Events")
    choose_filter(page, "#type-filter", "ping")
    expect(page.locator("#events")).to_contain_text("ping")
    expect(page.locator("#events")).not_to_contain_text("user.created")
    screenshot(page, "events")
