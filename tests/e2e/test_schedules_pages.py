"""Against a fake LangFlow, a person adds a source (a refused key shown inline first), syncs,
runs a workflow and watches its output arrive, previews and creates a schedule whose tasks
appear on time (a real `sparki scheduler` and `sparki worker`), pauses and resumes it,
cancels a running task and retries it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.schedules.fakes import KEY, FakeSource

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _process(name, live_server, database_url, redis_url, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": live_server.config["SECRET_KEY"],
        "SOURCE_ALLOW_PRIVATE": "1",
        "TASK_RETRY_BASE_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }
    log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "sparki"), name],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return proc, log


@pytest.fixture
def processes(live_server, database_url, redis_url, tmp_path):
    started = [
        _process(n, live_server, database_url, redis_url, tmp_path) for n in ("worker", "scheduler")
    ]
    yield
    for proc, log in started:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
        log.close()


@pytest.fixture
def langflow():
    server = FakeSource("langflow")
    yield server
    server.close()


def test_sources_workflows_schedules_tasks(page, log_in, factory, live_server, processes, langflow):
    org = factory.org("Flow Co")
    factory.user(org, roles=["admin"], email="sal@example.com")
    log_in("sal@example.com")

    page.click("nav >> text=Sources")
    page.fill("#source-create input[name=name]", "Local LangFlow")
    page.fill("#source-create input[name=url]", langflow.url)
    page.fill("#source-create input[name=api_key]", "wrong-key")
    page.click("#add-source")
    expect(page.locator("#source-form .field-error")).to_contain_text("API key was refused")
    page.fill("#source-create input[name=api_key]", KEY)
    page.click("#add-source")
    expect(page.locator("#source-form")).to_contain_text("Source Local LangFlow added (1.4.2)")
    expect(page.locator("#sources")).to_contain_text("Local LangFlow")
    page.locator("#sources button", has_text="Sync").click()
    expect(page.locator("#notice")).to_contain_text("2 new")
    screenshot(page, "sources")

    page.click("nav >> text=Workflows")
    expect(page.locator("#workflows")).to_contain_text("Translator")
    screenshot(page, "workflows")
    page.locator("#workflows a", has_text="Summarizer").click()
    page.fill("#run-form textarea[name=input]", "hello browser")
    page.click("#run-workflow")
    expect(page.locator("#task-live")).to_contain_text("completed", timeout=60_000)
    expect(page.locator("#task-output")).to_have_text("echo: hello browser")
    screenshot(page, "workflow-run")


def _synced_source(app, email, url):
    """The admin's organization gets a synced source through the domain (the first test
    covers doing it in the browser)."""
    from sqlalchemy import select

    from blueprints.core.extensions import db
    from blueprints.schedules import domain
    from blueprints.users.models import User

    with app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        src = domain.create_source(
            user.organization,
            user,
            name="Local LangFlow",
            source_type="langflow",
            url=url,
            api_key=KEY,
        )
        domain.sync_source(user.organization, user, src.id)


def test_schedules_tasks_cancel_and_retry(page, log_in, factory, live_server, processes, langflow):
    org = factory.org("Cron Co")
    factory.user(org, roles=["admin"], email="sam@example.com")
    _synced_source(live_server, "sam@example.com", langflow.url)
    log_in("sam@example.com")
    page.click("nav >> text=Schedules")
    # htmx has bound the form once its first preview (on load) is in.
    expect(page.locator("#preview")).to_contain_text("Type an expression")
    page.fill("#expression", "0 9 * * 1-5 *")
    expect(page.locator("#preview-error")).to_contain_text("exactly 5 fields")
    page.fill("#expression", "0 9 * * 1-5")
    page.fill("#timezone", "Europe/Berlin")
    expect(page.locator("#preview-runs li")).to_have_count(5)
    page.select_option("#schedule_type", "interval")
    page.fill("#expression", "5s")
    page.fill("#timezone", "UTC")
    expect(page.locator("#preview-runs li")).to_have_count(5)
    page.fill("#schedule-create textarea[name=input]", "tick")
    page.click("#create-schedule")
    expect(page.locator("#schedule-form")).to_contain_text("created")
    row = page.locator("#schedules tbody tr").first
    expect(row).to_contain_text("5s")
    screenshot(page, "schedules")

    page.click("nav >> text=Tasks")
    expect(page.locator("#tasks")).to_contain_text("schedule", timeout=60_000)
    expect(page.locator("#tasks")).to_contain_text("echo: tick", timeout=60_000)
    screenshot(page, "tasks")

    page.click("nav >> text=Schedules")
    page.locator("#schedules button", has_text="Pause").click()
    expect(page.locator("#schedules")).to_contain_text("paused")
    page.locator("#schedules button", has_text="Resume").click()
    expect(page.locator("#schedules button", has_text="Pause")).to_be_visible()
    page.locator("#schedules button", has_text="Pause").click()
    expect(page.locator("#schedules")).to_contain_text("paused")

    # A run that hangs at the source: cancel it while running, then retry it.
    langflow.release = threading.Event()
    page.click("nav >> text=Workflows")
    page.locator("#workflows a", has_text="Translator").click()
    page.fill("#run-form textarea[name=input]", "slow one")
    page.click("#run-workflow")
    expect(page.locator("#task-live")).to_contain_text("running", timeout=60_000)
    page.locator("#task-live header a").click()
    page.click("#cancel-task")
    expect(page.locator("#task-detail")).to_contain_text("cancelled")
    expect(page.locator("#task-log")).to_contain_text("cancelled by sam@example.com")
    langflow.release.set()
    langflow.release = None
    page.click("#retry-task")
    expect(page.locator("#task-detail")).to_contain_text("retry of", timeout=30_000)
    expect(page.locator("#task-output")).to_have_text("echo: slow one", timeout=60_000)
    screenshot(page, "task-detail")
