"""The dashboard home shows each organization's webhook endpoints and recent attempts."""

from __future__ import annotations

from tests.support.services import free_port


def test_home_card_counts_endpoints_and_attempts(api_as, login_as, factory, run_jobs):
    org = factory.org("Hooks")
    admin = factory.user(org, roles=["admin"])
    api = api_as(admin)
    hook = api.post(
        "/api/v1/webhooks", json={"url": f"http://127.0.0.1:{free_port()}/nobody", "events": ["*"]}
    ).get_json()
    assert api.post(f"/api/v1/webhooks/{hook['id']}/ping").status_code in (200, 201, 202)
    run_jobs()
    page = login_as(admin).get("/").get_data(as_text=True)
    assert 'id="webhooks-card"' in page
    assert "<strong>1</strong> of 1 endpoint active" in page
    assert "1 failed" in page

    other = login_as(factory.user(factory.org("Other"), roles=["admin"])).get("/")
    assert "<strong>0</strong> of 0 endpoints active" in other.get_data(as_text=True)
