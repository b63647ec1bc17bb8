"""Headless Chromium (Debian's package) driven by Playwright against the live server."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# Each test module carries `pytestmark = pytest.mark.e2e` itself: a conftest's pytestmark
# marks nothing, so `-m "not e2e"` would select these tests anyway.


def pytest_collection_modifyitems(config, items):
    if CHROMIUM:
        return
    skip = pytest.mark.skip(reason="no chromium binary (make test installs Debian's package)")
    for item in items:
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ],
    }


# Limits for a busy machine (CI, or both database passes at once): a passing test returns as
# soon as its condition holds, so only a real failure ever waits this long.
expect.set_options(timeout=30_000)


# No action before htmx has bound the page. Playwright's click returns once a navigation
# commits, so the next action could come before htmx (a deferred script) had processed the
# new page: a click on an hx-post button did nothing (a task never cancelled, an order never
# paid) and typing raised no hx-trigger (a quote never asked), on a loaded CI machine. The
# init script marks <html> once htmx fires `htmx:load` on <body> (after its first pass over
# the page) or, on a page without htmx, at `load`; every Page and Locator action below waits
# for the mark first, as a person waits for a page to finish loading.
MARK_READY = """
(() => {
  window.__e2eMarksReady = true;
  const ready = () => document.documentElement.classList.add("e2e-ready");
  document.addEventListener("htmx:load", (event) => {
    if (event.target === document.body) ready();
  }, true);
  window.addEventListener("load", () => { if (!window.htmx) ready(); });
})();
"""
READY = (
    "!window.__e2eMarksReady"
    " || (document.documentElement !== null"
    " && document.documentElement.classList.contains('e2e-ready'))"
)
ACTIONS = (
    "check",
    "clear",
    "click",
    "dblclick",
    "fill",
    "press",
    "press_sequentially",
    "select_option",
    "set_checked",
    "set_input_files",
    "tap",
    "type",
    "uncheck",
)


def _after_htmx(cls: type, page_of) -> None:
    for name in ACTIONS:
        original = getattr(cls, name, None)
        if original is None or getattr(original, "_waits_for_htmx", False):
            continue

        def action(self, *args, __original=original, **kwargs):
            page_of(self).wait_for_function(READY)
            return __original(self, *args, **kwargs)

        action._waits_for_htmx = True
        setattr(cls, name, action)


_after_htmx(Page, lambda page: page)
_after_htmx(Locator, lambda locator: locator.page)
_new_context = Browser.new_context


def _marked_context(self, *args, **kwargs):  # a test's own contexts (a thief's, a phone's)
    context = _new_context(self, *args, **kwargs)
    context.add_init_script(MARK_READY)
    return context


Browser.new_context = _marked_context


@pytest.fixture
def context(context):
    context.set_default_timeout(60_000)
    context.set_default_navigation_timeout(60_000)
    return context


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Laptop width: the README tour is taken at 1280 px, the width issue 11 was found at.
    return {**browser_context_args, "viewport": {"width": 1280, "height": 800}}


@pytest.fixture(scope="session")
def base_url(live_server):  # pytest-playwright's page.goto() resolves paths against this
    return live_server.url


@pytest.fixture
def log_in(page, live_server):
    """Log in through the login form as a person would."""
    from tests.conftest import PASSWORD

    def do(email: str, password: str = PASSWORD):
        page.goto(f"{live_server.url}/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.click("#login-submit")
        page.wait_for_url(f"{live_server.url}/")
        return page

    return do


def screenshot(page, name: str) -> None:
    """Take a full-page screenshot. With SPARKI_SCREENSHOTS=1 it replaces the README's copy
    under docs/screenshots/; otherwise it goes to a temporary folder (the tree stays clean)."""
    import os
    import tempfile

    folder = (
        SCREENSHOTS
        if os.environ.get("SPARKI_SCREENSHOTS") == "1"
        else Path(tempfile.gettempdir()) / "sparki-screenshots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def choose_filter(page, selector: str, value: str) -> None:
    """Pick a list page's filter and wait for the table it swaps in (select_option, like
    every action here, first waits for htmx to have bound the page)."""
    with page.expect_response(
        lambda r: r.request.method == "GET" and r.request.headers.get("hx-request") == "true"
    ):
        page.select_option(selector, value)
