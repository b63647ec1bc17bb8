"""A person logs in, manages users, API keys and organization settings, and logs out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import choose_filter, screenshot

pytestmark = pytest.mark.e2e


def test_admin_walks_through_users_keys_and_settings(page, log_in, factory, live_server):
    org = factory.org("Acme Platform")
    factory.user(org, roles=["admin"], email="ada@example.com")
    factory.user(org, roles=["viewer"], email="vic@example.com")

    log_in("ada@example.com")
    expect(page.locator("h1")).to_contain_text("Acme Platform")
    screenshot(page, "dashboard")

    # Users: filter, create with an inline validation error, then for real, edit roles, delete.
    page.click("nav >> text=Users")
    expect(page.locator("#users")).to_contain_text("vic@example.com")
    choose_filter(page, "#role-filter", "viewer")
    expect(page.locator("#users")).not_to_contain_text("ada@example.com")
    choose_filter(page, "#role-filter", "")
    expect(page.locator("#users")).to_contain_text("ada@example.com")

    form = page.locator("#user-create")
    form.locator("input[name=email]").fill("ada@example.com")
    form.locator("input[name=name]").fill("Duplicate Ada")
    form.locator("input[name=password]").fill("long-enough-password")
    form.locator("button[type=submit]").click()
    expect(page.locator("#user-create .field-error")).to_contain_text("already exists")

    form = page.locator("#user-create")
    form.locator("input[name=email]").fill("grace@example.com")
    form.locator("input[name=name]").fill("Grace Hopper")
    form.locator("input[name=password]").fill("long-enough-password")
    form.locator("input[value=developer]").check()
    form.locator("button[type=submit]").click()
    expect(page.locator("#user-create")).to_contain_text("Created grace@example.com")
    row = page.locator("tr", has_text="grace@example.com")
    expect(row).to_contain_text("developer")
    screenshot(page, "users")

    row.locator("text=Edit roles").click()
    row = page.locator("tr", has_text="grace@example.com")
    row.locator("input[value=maintainer]").check()
    row.locator("text=Save").click()
    expect(page.locator("tr", has_text="grace@example.com")).to_contain_text("maintainer")

    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("tr", has_text="vic@example.com").locator("text=Delete").click()
    expect(page.locator("#users")).not_to_contain_text("vic@example.com")

    # API keys: the key is shown once, listed by prefix, then revoked.
    page.click("nav >> text=API keys")
    page.fill("#key-form input[name=name]", "deploy bot")
    page.click("#create-key")
    key = page.locator("#new-key-value").inner_text().strip()
    assert key.startswith("sk_")
    expect(page.locator("#keys")).to_contain_text(key[:12])
    screenshot(page, "api-keys")
    page.locator("tr", has_text="deploy bot").locator("text=Revoke").click()
    expect(page.locator("tr", has_text="deploy bot")).to_contain_text("revoked")
    page.reload()
    expect(page.locator("#new-key-value")).to_have_count(0)  # never shown again

    # Organization: switch the CRM module on and a limit, see it saved, survive a reload.
    page.click("nav >> text=Organization")
    page.check("input[name=crm]")
    page.fill("input[name=max_services]", "12")
    page.click("#save-org")
    expect(page.locator("#org-form")).to_contain_text(
        "Active service limit may not exceed Max services"
    )
    page.fill("input[name=active_service_limit]", "10")
    page.click("#save-org")
    expect(page.locator("#org-form")).to_contain_text("Settings saved")
    page.reload()
    expect(page.locator("input[name=crm]")).to_be_checked()
    expect(page.locator("input[name=max_services]")).to_have_value("12")
    screenshot(page, "organization")

    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login"))
    page.goto(f"{live_server.url}/users")
    expect(page).to_have_url(re.compile(r"/login\?next="))
