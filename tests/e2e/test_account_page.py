"""The Account page in Chromium: see and end sessions, change the password, log out everywhere,
and a session cookie copied before logout opening nothing afterwards."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "a-brand-new-passphrase"
ANDROID_FIREFOX = "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0"


def _log_in(page, url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("#login-submit")
    page.wait_for_url(f"{url}/")


def _expect_logged_out(browser, url: str, cookies: list) -> None:
    """A fresh browser holding only `cookies` (a copy taken earlier) gets the login page, and
    the API answers 401."""
    thief = browser.new_context()
    try:
        thief.add_cookies(cookies)
        page = thief.new_page()
        page.goto(f"{url}/users")
        expect(page).to_have_url(re.compile(r"/login"))
        assert thief.request.get(f"{url}/api/v1/users/me").status == 401
    finally:
        thief.close()


def test_account_page_ends_sessions_and_changes_the_password(
    page, context, browser, factory, live_server
):
    url = live_server.url
    factory.user(roles=["viewer"], email="ann@example.com")
    _log_in(page, url, "ann@example.com")

    phone = browser.new_context(user_agent=ANDROID_FIREFOX)
    try:
        phone_page = phone.new_page()
        _log_in(phone_page, url, "ann@example.com")

        # The Account page lists both sessions, this one marked; end the phone's.
        page.click("nav >> text=Account")
        expect(page.locator("h1")).to_have_text("Account")
        rows = page.locator("#sessions tbody tr")
        expect(rows).to_have_count(2)
        expect(page.locator("#sessions tr", has_text="this session")).to_have_count(1)
        screenshot(page, "account")
        _check_layout(page)
        page.locator("#sessions tr", has_text="Firefox on Android").locator(".end-session").click()
        expect(page.locator("#sessions tbody tr")).to_have_count(1)
        phone_page.goto(f"{url}/users")
        expect(phone_page).to_have_url(re.compile(r"/login"))

        # A password change needs the current password; it keeps this session, ends the others.
        _log_in(phone_page, url, "ann@example.com")
        page.reload()
        expect(page.locator("#sessions tbody tr")).to_have_count(2)
        page.fill("#password-form input[name=current_password]", "not-my-password")
        page.fill("#password-form input[name=new_password]", NEW_PASSWORD)
        page.fill("#password-form input[name=confirm]", NEW_PASSWORD)
        page.click("#change-password")
        expect(page.locator("#password-form")).to_contain_text("current password is wrong")
        page.fill("#password-form input[name=current_password]", PASSWORD)
        page.fill("#password-form input[name=new_password]", NEW_PASSWORD)
        page.fill("#password-form input[name=confirm]", NEW_PASSWORD)
        page.click("#change-password")
        expect(page.locator("#password-form")).to_contain_text("Password changed")
        expect(page.locator("#sessions tbody tr")).to_have_count(1)
        phone_page.goto(f"{url}/users")
        expect(phone_page).to_have_url(re.compile(r"/login"))
        page.goto(f"{url}/users")
        expect(page).to_have_url(f"{url}/users")

        # Log out everywhere: this browser and the phone (logged in again) both end.
        _log_in(phone_page, url, "ann@example.com", NEW_PASSWORD)
        phone_cookies = phone.cookies()
        page.goto(f"{url}/account")
        saved = context.cookies()
        # It asks first: dismissing the question ends nothing.
        page.once("dialog", lambda dialog: dialog.dismiss())
        page.click("#logout-everywhere")
        expect(page.locator("#sessions tbody tr")).to_have_count(2)
        assert context.request.get(f"{url}/api/v1/users/me").status == 200
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#logout-everywhere")
        expect(page).to_have_url(re.compile(r"/login"))
        _expect_logged_out(browser, url, saved)
        _expect_logged_out(browser, url, phone_cookies)
    finally:
        phone.close()


def _check_layout(page) -> None:
    """At 1280x800: short client labels (the full agent in a tooltip), one-line buttons and
    dates, and password inputs a password manager understands."""
    page.set_viewport_size({"width": 1280, "height": 800})
    phone_row = page.locator("#sessions tr", has_text="Firefox on Android")
    expect(phone_row.locator(".client-label")).to_have_attribute("title", ANDROID_FIREFOX)
    expect(page.locator("#sessions tr", has_text="this session")).to_contain_text(
        re.compile(r"(Headless )?Chrom(e|ium) on Linux")
    )
    expect(page.locator("#sessions .end-session", has_text="End (this one)")).to_have_count(1)
    for cell in page.locator("#sessions .end-session, #sessions time").all():
        box = cell.bounding_box()
        line = float(cell.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 24"))
        assert box is not None and box["height"] < 2 * line, cell.inner_text()
    for name, hint in (
        ("current_password", "current-password"),
        ("new_password", "new-password"),
        ("confirm", "new-password"),
    ):
        expect(page.locator(f"#password-form input[name={name}]")).to_have_attribute(
            "autocomplete", hint
        )
    screenshot(page, "account-1280")


def test_session_cookie_copied_before_logout_opens_nothing_after(
    page, context, browser, factory, live_server
):
    url = live_server.url
    factory.user(roles=["admin"], email="bob@example.com")
    _log_in(page, url, "bob@example.com")
    saved = context.cookies()
    assert context.request.get(f"{url}/api/v1/users/me").status == 200
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login"))
    _expect_logged_out(browser, url, saved)
