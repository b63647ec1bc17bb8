"""Headless Chromium (Debian's package) driven by Playwright against the live server."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = pytest.mark.e2e


def pytest_collection_modifyitems(config, items):
    if CHROMIUM:
        return
    skip = pytest.mark.skip(reason="no chromium binary (make test installs Debian's package)")
    for item in items:
        if "/e2e/" in str(item.fspath):
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


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1366, "height": 860}}


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
