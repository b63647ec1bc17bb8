"""A person turns the CRM module on, creates a customer, places the seed's example order on
the New order page (lines added and removed in place, the subtotal priced by the server),
moves it to delivered and pays it in two payments; then filters the Orders list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import choose_filter, screenshot

pytestmark = pytest.mark.e2e


def test_customer_order_moves_and_payments(page, log_in, factory, live_server):
    org = factory.org("Diesel Parts Co")
    factory.user(org, roles=["admin"], email="carla@example.com")
    log_in("carla@example.com")
    expect(page.locator("nav")).not_to_contain_text("Orders")

    page.goto(f"{live_server.url}/crm/orders")
    expect(page.locator("h1")).to_have_text("The CRM module is off")
    page.click("#enable-crm")
    expect(page.locator("h1")).to_have_text("Orders")
    expect(page.locator("nav")).to_contain_text("Customers")

    page.click("nav >> text=Customers")
    page.fill("#customer-create input[name=name]", "Ada Diesel")
    page.fill("#customer-create input[name=email]", "ada@example.com")
    page.fill("#customer-create input[name=company]", "Diesel Works")
    page.click("#create-customer")
    expect(page.locator("h1")).to_have_text("Ada Diesel")
    expect(page.locator("#customer-totals")).to_contain_text("No orders yet.")

    page.click("#new-order-for-customer")
    expect(page.locator("h1")).to_have_text("New order")
    page.fill("input[name=items-0-sku]", "INJ-6.7-CR")
    page.fill("input[name=items-0-name]", "6.7L Common-Rail Injector")
    page.fill("input[name=items-0-quantity]", "8")
    page.fill("input[name=items-0-unit_price]", "289.50")
    expect(page.locator("#subtotal")).to_have_text("2,316.00 USD")

    page.click("#add-line")
    expect(page.locator("#lines tr.line")).to_have_count(2)
    page.fill("input[name=items-1-sku]", "BOLT")
    page.fill("input[name=items-1-name]", "Bolt")
    page.fill("input[name=items-1-quantity]", "4")
    page.fill("input[name=items-1-unit_price]", "0.125")
    expect(page.locator("#quote")).to_contain_text("Unit price: at most 2 decimals for USD")
    page.fill("input[name=items-1-unit_price]", "0.25")
    expect(page.locator("#subtotal")).to_have_text("2,317.00 USD")
    screenshot(page, "crm-new-order")
    page.locator("#line-1 .remove-line").click()
    expect(page.locator("#lines tr.line")).to_have_count(1)
    expect(page.locator("#subtotal")).to_have_text("2,316.00 USD")
    page.click("#place-order")

    expect(page.locator("h1")).to_have_text("Order #1001")
    expect(page.locator("#order-total")).to_have_text("2,316.00 USD")
    expect(page.locator("#order-moves button")).to_have_count(2)  # fulfilled, cancelled
    expect(page.locator("#move-delivered")).to_have_count(0)
    page.click("#move-fulfilled")
    expect(page.locator("#order-status")).to_have_text("fulfilled")
    page.click("#move-delivered")
    expect(page.locator("#order-status")).to_have_text("delivered")
    expect(page.locator("#order-moves button")).to_have_count(1)  # refunded only

    page.fill("#payment-form input[name=amount]", "1000")
    page.fill("#payment-form input[name=method]", "wire")
    page.click("#record-payment")
    expect(page.locator("#payment-status")).to_have_text("partially paid")
    expect(page.locator("#order-balance")).to_have_text("1,316.00 USD")
    expect(page.locator("#payment-form input[name=amount]")).to_have_value("1316.00")
    page.click("#record-payment")
    expect(page.locator("#payment-status")).to_have_text("paid")
    expect(page.locator("#payment-form")).to_have_count(0)
    expect(page.locator("#order-history tbody tr")).to_have_count(5)
    expect(page.locator("#order-history")).to_contain_text("partially paid → paid")
    screenshot(page, "crm-order")

    page.click("nav >> text=Orders")
    choose_filter(page, "#paymentStatus-filter", "unpaid")
    expect(page.locator("#orders")).to_contain_text("No orders.")
    choose_filter(page, "#paymentStatus-filter", "paid")
    expect(page.locator("#orders")).to_contain_text("#1001")
    screenshot(page, "crm-orders")

    page.click("nav >> text=Customers")
    page.fill("#customer-search", "diesel")
    expect(page.locator("#customers")).to_contain_text("Ada Diesel")
    page.locator("#customers a", has_text="Ada Diesel").click()
    expect(page.locator("#customer-totals")).to_contain_text("2,316.00 USD")
    screenshot(page, "crm-customer")

    page.goto(f"{live_server.url}/")
    expect(page.locator("#orders-card")).to_contain_text("1 order placed today")
    expect(page.locator("#orders-card")).to_contain_text("nothing owed")


def test_phone_width_lines_readable_and_tables_reachable(page, log_in, factory, live_server):
    """At 390 px the New order line fields were squeezed to a character or two (now they stack,
    labelled); the order page's wide tables keep their right-hand columns reachable."""
    page.set_viewport_size({"width": 390, "height": 800})
    page.on("dialog", lambda dialog: dialog.accept())
    org = factory.org("Phone Parts Co", crm=True)
    factory.user(org, roles=["admin"], email="pia@example.com")
    log_in("pia@example.com")
    page.goto(f"{live_server.url}/crm/customers")
    page.fill("#customer-create input[name=name]", "Ada Diesel")
    page.fill("#customer-create input[name=email]", "ada@example.com")
    page.click("#create-customer")
    expect(page.locator("h1")).to_have_text("Ada Diesel")
    page.click("#new-order-for-customer")
    expect(page.locator("h1")).to_have_text("New order")
    for name in ("sku", "name", "quantity", "unit_price"):
        box = page.locator(f"input[name=items-0-{name}]").bounding_box()
        assert box and box["width"] >= 120 and box["x"] + box["width"] <= 390, (name, box)
    page.fill("input[name=items-0-sku]", "INJ-6.7-CR")
    page.fill("input[name=items-0-name]", "6.7L Common-Rail Injector")
    page.fill("input[name=items-0-quantity]", "8")
    page.fill("input[name=items-0-unit_price]", "289.50")
    expect(page.locator("#subtotal")).to_have_text("2,316.00 USD")
    page.click("#place-order")
    expect(page.locator("h1")).to_have_text("Order #1001")
    page.fill("#payment-form input[name=amount]", "1000")
    page.click("#record-payment")
    expect(page.locator("#payment-status")).to_have_text("partially paid")
    screenshot(page, "crm-order-phone")
    # The page itself does not scroll sideways (a wide table scrolls in its own box).
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for cell in (
        page.locator("#order-items th", has_text="Amount"),
        page.locator("#order-history th", has_text="Change"),
        page.locator("#order-history td", has_text="unpaid → partially paid"),
    ):
        cell.scroll_into_view_if_needed()
        box = cell.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    page.goto(f"{live_server.url}/crm/orders")
    total = page.locator("#orders th", has_text="Total")
    total.scroll_into_view_if_needed()
    box = total.bounding_box()
    assert box and box["x"] + box["width"] <= 390, box
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
