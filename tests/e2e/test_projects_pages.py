"""A maintainer creates a project, edits it, manages members and archives it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import choose_filter, screenshot

pytestmark = pytest.mark.e2e


def test_maintainer_manages_a_project(page, log_in, factory, live_server):
    org = factory.org("Globex")
    factory.user(org, roles=["maintainer"], email="max@example.com")
    factory.user(org, roles=["developer"], email="dev@example.com")
    log_in("max@example.com")

    page.click("nav >> text=Projects")
    expect(page.locator("#projects")).to_contain_text("No projects yet")
    form = page.locator("#project-create")
    form.locator("input[name=name]").fill("Storefront")
    form.locator("textarea[name=description]").fill("Customer-facing shop")
    form.locator("input[name=repository_url]").fill("ftp://nope")
    form.locator("button[type=submit]").click()
    expect(page.locator("#project-create .field-error")).to_contain_text("repository URL")
    page.locator("#project-create input[name=repository_url]").fill(
        "https://git.example.com/globex/storefront.git"
    )
    page.locator("#project-create select[name=ci_provider]").select_option("github-actions")
    page.locator("#project-create input[name=ci_enabled]").check()
    page.locator("#project-create button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/projects/proj-"))
    expect(page.locator("h1")).to_contain_text("Storefront")
    expect(page.locator("dl.facts")).to_contain_text("github-actions")

    page.select_option("#member-add select[name=user_id]", label="User 3 <dev@example.com>")
    page.select_option("#member-add select[name=role]", "contributor")
    page.click("#member-add button[type=submit]")
    expect(page.locator("#members")).to_contain_text("dev@example.com")

    page.fill("#project-edit input[name=repository_branch]", "release")
    page.click("#project-edit button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Project saved")
    expect(page.locator("dl.facts")).to_contain_text("release")
    screenshot(page, "project")

    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("#members tr", has_text="dev@example.com").locator("text=Remove").click()
    expect(page.locator("#members table")).not_to_contain_text("dev@example.com")

    page.click("#archive-project")
    expect(page.locator("h1")).to_contain_text("archived")
    page.click("nav >> text=Projects")
    choose_filter(page, "#status-filter", "archived")
    expect(page.locator("#projects")).to_contain_text("Storefront")
    screenshot(page, "projects")
