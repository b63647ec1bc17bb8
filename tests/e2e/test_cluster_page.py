"""The Cluster page refreshes itself (htmx polling, no reload), plots the figures, marks a
node over a threshold and shows the alert, and notices when the node stops reporting."""

from __future__ import annotations

import subprocess
import sys
import threading

import psutil
import pytest
from playwright.sync_api import expect
from redis import Redis

from blueprints.services.runtime.local_node import start_node_reporter
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e

NODE = "e2e-node"


def _saving_thresholds(response) -> bool:
    return response.request.method == "POST" and "/thresholds" in response.url


def test_cluster_page_updates_itself_and_draws_the_plot(
    page, log_in, factory, live_server, redis_url
):
    org = factory.org("Cluster Ops")
    factory.user(org, roles=["admin"], email="ops@example.com")
    stop = threading.Event()
    reporter = start_node_reporter(
        Redis.from_url(redis_url), stop, node_name=NODE, replica_count=lambda: 0, interval=1.0
    )
    try:
        log_in("ops@example.com")
        expect(page.locator("#home-cluster")).to_be_visible()
        page.click("nav >> text=Cluster")
        page.wait_for_selector(f'.node-card[data-node="{NODE}"]')
        page.evaluate("window.__sameDocument = true")

        # The live partial polls: the heartbeat time changes while the document stays.
        stamp = page.locator("#last-health-check").inner_text()
        expect(page.locator("#last-health-check")).not_to_have_text(stamp, timeout=60_000)
        cpu_line = page.locator('#chart-utilization polyline[data-series="cpu"]')
        expect(cpu_line.first).to_be_attached(timeout=60_000)
        expect(
            page.locator('#chart-network polyline[data-series="ingress"]').first
        ).to_be_attached()

        # Busy cores: the CPU figure in the plot's legend rises within seconds.
        spinners = [
            subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(psutil.cpu_count() or 1)
        ]
        try:
            page.wait_for_function(
                """() => {
                  const el = document.querySelector('#chart-utilization .s-cpu .latest');
                  return el && parseFloat(el.textContent) >= 80;
                }""",
                timeout=60_000,
            )
        finally:
            for proc in spinners:
                proc.kill()
                proc.wait()

        # Another window swaps only the plot.
        page.select_option("#window-select", "5m")
        expect(page.locator("#plot")).to_have_attribute("data-window", "5m")

        # An admin lowers the disk threshold: the node is marked, the evaluation raises an alert.
        form = page.locator("#thresholds-form")
        form.locator("input[name=disk_percent]").fill("1")
        form.locator("input[name=hysteresis_percent]").fill("0")
        form.locator("input[name=for_seconds]").fill("0")  # fire at once (default: 300 s over)
        with page.expect_response(_saving_thresholds):
            form.locator("#save-thresholds").click()
        expect(page.locator("#thresholds-saved")).to_be_visible()
        expect(page.locator(f'.node-card[data-node="{NODE}"]')).to_have_class(
            "card node-card over-threshold", timeout=60_000
        )
        with live_server.app_context():
            from blueprints.infrastructure.domain import evaluate_alerts

            evaluate_alerts()
        expect(page.locator("#alerts tr.alert-firing", has_text="disk")).to_be_visible(
            timeout=60_000
        )
        screenshot(page, "cluster")

        # Raised again: the alert resolves on the next evaluation.
        form = page.locator("#thresholds-form")
        form.locator("input[name=disk_percent]").fill("100")
        # Wait for this save itself: the first save's "saved" note is still on the page, so
        # waiting for it alone let the evaluation below run against the old threshold.
        with page.expect_response(_saving_thresholds):
            form.locator("#save-thresholds").click()
        expect(page.locator("#thresholds-saved")).to_be_visible()
        with live_server.app_context():
            from blueprints.infrastructure.domain import evaluate_alerts

            evaluate_alerts()
        expect(page.locator("#alerts tr.alert-resolved", has_text="disk")).to_be_visible(
            timeout=60_000
        )

        # The agent stops reporting: the node turns NotReady on the page by itself.
        stop.set()
        reporter.join(5)
        expect(page.locator(f'.node-card[data-node="{NODE}"] .node-status')).to_have_text(
            "NotReady", timeout=60_000
        )
        assert page.evaluate("window.__sameDocument") is True  # never reloaded
    finally:
        stop.set()
        reporter.join(5)
