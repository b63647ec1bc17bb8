"""A person creates a project and a service from the pages, deploys it with two replicas,
watches the progress reach ready and a log line appear live, reaches it through the proxy,
deploys a broken command that fails while the old replicas keep serving, and rolls back.

Real processes throughout: a `sparki agent` and a `sparki worker` run beside the server."""

from __future__ import annotations

import re
import signal
import tempfile

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.services.conftest import AgentProcess, WorkerProcess, kill_replicas, replica_processes

pytestmark = pytest.mark.e2e


@pytest.fixture
def runtime(live_server):
    data_dir = tempfile.mkdtemp(prefix="sparki-e2e-agent-")
    agent = AgentProcess(live_server, data_dir)
    agent.start()
    worker = WorkerProcess(live_server)
    try:
        yield agent
    finally:
        worker.kill(signal.SIGTERM)
        agent.kill(signal.SIGTERM)
        kill_replicas(data_dir)
        assert not replica_processes(data_dir)


def test_deploy_watch_logs_fail_and_roll_back_from_the_pages(
    page, log_in, factory, live_server, runtime
):
    org = factory.org("Acme Services")
    mae = factory.user(org, roles=["maintainer"], email="mae@example.com")
    log_in("mae@example.com")
    key = {"X-API-Key": factory.api_key(mae)}  # the API proxy takes no dashboard session

    # A project from the projects page, then a service from the services page.
    page.goto(f"{live_server.url}/projects")
    page.fill("#project-create input[name=name]", "storefront")
    page.click("#project-create button[type=submit]")
    page.wait_for_url(re.compile(r"/projects/proj-"))
    page.click("nav >> text=Services")
    form = page.locator("#service-create")
    form.locator("select[name=project_id]").select_option(label="storefront")
    form.locator("input[name=name]").fill("Web Shop")
    form.locator("button[type=submit]").click()
    expect(page.locator("#service-create .field-error")).to_contain_text("lowercase")
    form = page.locator("#service-create")
    form.locator("input[name=name]").fill("web")
    form.locator("input[name=replicas]").fill("2")
    form.locator("[data-env-add]").click()  # the environment editor: a row per variable
    form.locator(".env-row input[name=env-key]").last.fill("GREETING")
    form.locator(".env-row textarea[name=env-value]").last.fill("hello")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/services/svc-"))
    service_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#service-status")).to_have_text("stopped")

    # Deploy two replicas and watch the progress reach ready.
    page.fill("#deploy-form input[name=replicas]", "2")
    page.click("#deploy-button")
    progress = page.locator(".deploy-progress").first
    expect(progress).to_contain_text("in-progress")
    expect(progress.locator("[data-status]")).to_have_text("success", timeout=120_000)
    expect(progress.locator(".p-ready")).to_have_text("2")
    expect(page.locator("#service-status")).to_have_text("running", timeout=60_000)
    expect(page.locator("#replicas tbody tr")).to_have_count(2, timeout=60_000)
    expect(page.locator("#logs")).to_contain_text("is ready", timeout=60_000)

    # Through the proxy, and the access line shows up in the live log without a reload.
    answer = page.request.get(
        f"{live_server.url}/api/v1/services/{service_id}/proxy/?from=e2e", headers=key
    )
    assert answer.status == 200 and "Directory listing" in answer.text()
    expect(page.locator("#logs")).to_contain_text("GET /?from=e2e", timeout=60_000)
    page.click("#check-health")
    expect(page.locator("#check-outcome")).to_contain_text("healthy")
    screenshot(page, "service-detail")

    # A second revision deploys with a rolling update.
    page.fill("#deploy-form input[name=image]", "app:v2")
    page.click("#deploy-button")
    progress = page.locator(".deploy-progress").first
    expect(progress.locator("[data-status]")).to_have_text("success", timeout=120_000)
    expect(page.locator("#current-revision")).to_have_text("2", timeout=60_000)

    # A broken command: the deploy fails, the old replicas keep serving.
    page.fill("#deploy-form input[name=image]", "app:broken")
    page.fill("#deploy-form textarea[name=command]", "echo 'cannot start' >&2; exit 1")
    page.click("#deploy-button")
    progress = page.locator(".deploy-progress").first
    expect(progress.locator("[data-status]")).to_have_text("failed", timeout=120_000)
    expect(progress).to_contain_text("crash-looping")
    expect(page.locator("#logs")).to_contain_text("cannot start")
    still = page.request.get(f"{live_server.url}/api/v1/services/{service_id}/proxy/", headers=key)
    assert still.status == 200
    expect(page.locator("#deployments")).to_contain_text("failed", timeout=60_000)
    expect(page.locator("#current-image")).to_have_text("app:v2")
    screenshot(page, "service-deploy-failed")

    # Roll back to revision 1 (app:v1) from the deployments table: it becomes revision 4.
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("#deployments tr", has_text="app:v1").locator("button.rollback").click()
    expect(page.locator("#action-message")).to_contain_text("Rolling back to app:v1")
    expect(page.locator("#action-result [data-status]")).to_have_text("success", timeout=120_000)
    expect(page.locator("#current-revision")).to_have_text("4", timeout=60_000)
    expect(page.locator("#deployments tbody tr").first).to_contain_text("rollback")
    screenshot(page, "service-rollback")

    page.click("nav >> text=Services")
    expect(page.locator("#services")).to_contain_text("web")
    expect(page.locator("#services")).to_contain_text("running")
    screenshot(page, "services")
