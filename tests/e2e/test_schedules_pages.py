"""Against a fake LangFlow, a person adds a source (a refused key shown inline first), syncs,
runs a workflow and watches the task update itself until its output is in, previews and
creates a cron and an interval schedule, pauses and resumes, runs one now, watches the
interval's tasks appear on the self-refreshing Tasks page, cancels a running task and
retries a failed one.

Real processes beside the live server: a `sparki scheduler` (the tick fires the schedules)
and a `sparki worker` (runs the tasks; stopping a running one kills its work horse). Every
wait is on something the page shows, with limits for a loaded machine."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot as take_screenshot
from tests.schedules.fakes import KEY, FakeSource

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
LONG_NAME = "Local LangFlow of the platform team with a name far too long for its column"
SLOW = 60_000  # ms: a limit only a failure reaches (work in other processes, a busy machine)


def _start(command, live_server, database_url, redis_url, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": live_server.config["SECRET_KEY"],
        "SOURCE_ALLOW_PRIVATE": "1",
        "TASK_RETRY_BASE_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }
    log = open(tmp_path / f"{command}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "sparki"), command],
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
        _start(c, live_server, database_url, redis_url, tmp_path) for c in ("worker", "scheduler")
    ]
    yield
    for proc, _ in started:
        os.killpg(proc.pid, signal.SIGTERM)
    for proc, log in started:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()


@pytest.fixture
def langflow():
    server = FakeSource("langflow")
    yield server
    server.close()


def test_sources_workflows_schedules_tasks(page, log_in, factory, live_server, processes, langflow):
    org = factory.org("Flow Co")
    factory.user(org, roles=["admin"], email="sam@example.com")
    log_in("sam@example.com")

    # Sources: a refused key is shown beside its field; then the source is added and synced.
    page.click("nav >> text=Sources")
    form = page.locator("#source-create")
    form.locator("input[name=name]").fill(LONG_NAME)
    form.locator("input[name=url]").fill(langflow.url)
    form.locator("input[name=api_key]").fill("wrong-key")
    page.click("#add-source")
    expect(page.locator("#source-form .field-error")).to_contain_text("API key was refused")
    page.locator("#source-create input[name=api_key]").fill(KEY)
    page.click("#add-source")
    expect(page.locator("#source-form")).to_contain_text("added (1.4.2)")
    name = page.locator("#sources a.truncate")
    expect(name).to_have_attribute("title", LONG_NAME)
    page.locator("#sources button", has_text="Sync").click()
    expect(page.locator("#notice")).to_contain_text("2 new")
    expect(page.locator("#sources")).to_contain_text("active")
    screenshot(page, "sources")
    _fits(page)

    # Workflows: run one and watch its task box update itself until the output is in.
    page.click("nav >> text=Workflows")
    expect(page.locator("#workflows")).to_contain_text("Translator")
    screenshot(page, "workflows")
    page.locator("#workflows a", has_text="Summarizer").click()
    page.fill("#run-form textarea[name=input]", "hello browser")
    page.click("#run-workflow")
    expect(page.locator("#task-live")).to_contain_text("completed", timeout=SLOW)
    expect(page.locator("#task-live #task-output")).to_have_text("echo: hello browser")

    # Schedules: the preview follows the typing, errors included; a cron and an interval.
    page.click("nav >> text=Schedules")
    expect(page.locator("#preview")).to_contain_text("Type an expression")  # htmx is bound
    page.select_option("#target", label=f"Summarizer ({LONG_NAME})")
    page.locator("#expression").press_sequentially("0 9 * * 1-5 *")
    expect(page.locator("#preview-error")).to_contain_text("exactly 5 fields")
    page.fill("#expression", "0 9 * * 1-5")
    page.fill("#timezone", "Europe/Berlin")
    expect(page.locator("#preview-runs li")).to_have_count(5)
    expect(page.locator("#preview-error")).to_have_count(0)
    page.click("#create-schedule")
    expect(page.locator("#schedule-form")).to_contain_text("created")
    cron_row = page.locator("#schedules tbody tr", has_text="0 9 * * 1-5")
    expect(cron_row).to_contain_text("Europe/Berlin")

    page.select_option("#target", label=f"Summarizer ({LONG_NAME})")
    page.select_option("#schedule_type", "interval")
    page.fill("#expression", "5s")
    expect(page.locator("#preview-runs li")).to_have_count(5)
    page.fill("#schedule-create textarea[name=input]", "tick")
    page.click("#create-schedule")
    expect(page.locator("#schedule-form")).to_contain_text("created")
    row = page.locator("#schedules tbody tr", has_text="5s")
    expect(row.locator("time")).to_have_count(1)  # its next run, in the viewer's zone
    screenshot(page, "schedules")
    _fits(page)

    row.locator("button", has_text="Pause").click()
    expect(row).to_contain_text("paused")
    row.locator("button", has_text="Resume").click()
    expect(row.locator("button", has_text="Pause")).to_be_visible()
    cron_row.locator("button", has_text="Run now").click()
    expect(page.locator("#notice")).to_contain_text("queued")

    # Edit in place: the row becomes its form, previews, keeps an error beside its field.
    cron_row.locator("button", has_text="Edit").click()
    edit = page.locator("#schedules tr.edit-row")
    expect(edit.locator("ol li")).to_have_count(5)  # the next 5 firings, as it stands
    expect(edit.locator(".replicas-field")).to_be_hidden()  # a workflow, not a scale
    edit.locator("input[name=expression]").fill("30 8 * * 1-5 *")
    edit.locator("button", has_text="Save").click()
    expect(edit.locator(".field-error")).to_contain_text("exactly 5 fields")
    edit.locator("input[name=expression]").fill("30 8 * * 1-5")
    expect(edit.locator(".form-error")).to_have_count(0)  # the preview has caught up
    edit.locator("button", has_text="Save").click()
    expect(page.locator("#schedules tr.edit-row")).to_have_count(0)
    expect(page.locator("#schedules tbody tr", has_text="30 8 * * 1-5")).to_contain_text(
        "Europe/Berlin"
    )

    # Tasks: the interval's firings appear by themselves, run by the worker.
    page.click("nav >> text=Tasks")
    tasks = page.locator("#tasks")
    # The newest "run now": the cron schedule's (the workflow page's run is one too).
    run_now = tasks.locator("tr", has_text="run_now").first
    expect(run_now).to_contain_text("completed", timeout=SLOW)
    fired = tasks.locator("tr", has_text="echo: tick").first
    expect(fired).to_contain_text("schedule", timeout=SLOW)
    expect(fired).to_contain_text("completed")
    screenshot(page, "tasks")
    _fits(page)
    # Filtered to the interval's schedule, kept in the URL: Back restores the same list.
    page.select_option("#scheduleId-filter", label="Summarizer · 5s")
    expect(page).to_have_url(re.compile(r"scheduleId=sched-"))
    expect(tasks.locator("tbody tr").first).to_contain_text("echo: tick")
    expect(tasks.locator("tbody tr", has_text="run_now")).to_have_count(0)
    tasks.locator("tbody tr a.truncate").first.click()
    expect(page.locator("#task-detail")).to_contain_text("echo: tick")
    page.go_back()
    expect(page.locator("#scheduleId-filter")).to_have_value(re.compile(r"^sched-"))
    expect(page.locator("#tasks tbody tr", has_text="run_now")).to_have_count(0)
    expect(page.locator("#tasks tbody tr").first).to_contain_text("echo: tick")
    page.click("nav >> text=Schedules")
    page.locator("#schedules tbody tr", has_text="5s").locator("button", has_text="Pause").click()
    expect(page.locator("#schedules tbody tr", has_text="5s")).to_contain_text("paused")

    # Cancel a running task: the source holds this run until released.
    langflow.hold_input, langflow.release = "slow one", threading.Event()
    page.click("nav >> text=Workflows")
    page.locator("#workflows a", has_text="Translator").click()
    page.fill("#run-form textarea[name=input]", "slow one")
    page.click("#run-workflow")
    expect(page.locator("#task-live")).to_contain_text("running", timeout=SLOW)
    page.locator("#task-live header a").click()
    page.click("#cancel-task")
    expect(page.locator("#task-detail")).to_contain_text("cancelled")
    expect(page.locator("#task-log")).to_contain_text("cancelled by sam@example.com")
    langflow.release.set()

    # Retry a failed task: the source refuses the key, then takes it again.
    langflow.key = "rotated-meanwhile"
    page.click("nav >> text=Workflows")
    page.locator("#workflows a", has_text="Summarizer").click()
    page.fill("#run-form textarea[name=input]", "try again")
    page.click("#run-workflow")
    expect(page.locator("#task-live")).to_contain_text("failed", timeout=SLOW)
    expect(page.locator("#task-live #task-error")).to_contain_text("refused")
    page.locator("#task-live header a").click()
    langflow.key = KEY
    page.click("#retry-task")
    expect(page.locator("#task-detail")).to_contain_text("retry of", timeout=SLOW)
    expect(page.locator("#task-output")).to_have_text("echo: try again", timeout=SLOW)
    screenshot(page, "task-detail")


def screenshot(page, name: str) -> None:
    """Once every time is shown in the viewer's zone (localtime.js has run), take it."""
    expect(page.locator("time[data-local]")).to_have_count(0)
    take_screenshot(page, name)


def _fits(page) -> None:
    """Nothing runs past 1280 px, and the table column ends before the form column starts."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, f"the page is {width} px wide"
    columns = page.locator(".grid-2 > section")
    if columns.count() == 2:
        left, right = columns.nth(0).bounding_box(), columns.nth(1).bounding_box()
        assert left["x"] + left["width"] <= right["x"], (left, right)
        # The table fits its column: it neither scrolls inside it nor runs under the form.
        overflow = columns.nth(0).evaluate("el => el.scrollWidth - el.clientWidth")
        assert overflow <= 1, f"the table is {overflow} px wider than its column"
