"""The e2e harness itself: the wait every action makes for htmx must be able to wait."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_every_context_marks_when_htmx_has_bound_the_page(page, browser, live_server):
    """The init script behind the wait is in the fixture's context and in a test's own context;
    without it the wait passes at once (a lost init script once let CI submit a form natively)."""
    other = browser.new_context()
    try:
        for each in (page, other.new_page()):
            each.goto(f"{live_server.url}/login")
            each.fill("input[name=email]", "someone@example.com")
            assert each.evaluate("window.__e2eMarksReady === true")
            assert each.evaluate("document.documentElement.classList.contains('e2e-ready')")
            assert each.evaluate("typeof window.htmx === 'object'")
    finally:
        other.close()
