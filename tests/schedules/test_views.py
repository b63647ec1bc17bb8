"""The four pages through the Flask test client: what each role sees and may do, another
organization's ids, the preview partial, the home card and the module switched off."""

from __future__ import annotations

HX = {"HX-Request": "true"}


def test_pages_roles_tenancy_preview_card_and_module(setup, login_as, factory, run_jobs):
    api, wf, src = setup["api"], setup["wf"], setup["source"]
    s = api.post(
        "/api/v1/schedules",
        json={"workflowId": wf, "scheduleType": "interval", "expression": "1h"},
    ).get_json()["id"]
    t = api.post(f"/api/v1/workflows/{wf}/run", json={"input": "x"}).get_json()["id"]
    run_jobs()
    admin, dev, viewer = (login_as(setup[who]) for who in ("admin", "dev", "viewer"))
    pages = ("/sources", "/workflows", f"/workflows/{wf}", "/schedules", "/tasks", f"/tasks/{t}")
    for path in pages:
        assert viewer.get(path).status_code == 200, path
    assert b"add-source" in admin.get("/sources").data
    assert b"add-source" not in viewer.get("/sources").data
    page = viewer.get("/schedules").data
    assert b"pause-" not in page and b"run-now-" not in page and b"create-schedule" not in page
    assert b"run-now-" in dev.get("/schedules").data
    assert b"echo: x" in viewer.get(f"/tasks/{t}").data

    posts = (
        f"/sources/{src}/sync",
        f"/schedules/{s}/pause",
        f"/schedules/{s}/run-now",
        f"/tasks/{t}/retry",
        f"/workflows/{wf}/run",
    )
    for url in posts:
        assert viewer.post(url, headers=HX).status_code == 403, url
    assert dev.post(f"/schedules/{s}/pause", headers=HX).status_code == 403
    assert dev.post(f"/sources/{src}/sync", headers=HX).status_code == 403
    r = dev.post(f"/schedules/{s}/run-now", headers=HX)
    assert r.status_code == 200 and b"queued" in r.data
    assert admin.post(f"/schedules/{s}/pause", headers=HX).status_code == 200
    assert b"paused" in admin.get("/schedules", headers=HX).data

    other = login_as(factory.user(roles=["admin"]))
    for path in (f"/workflows/{wf}", f"/tasks/{t}", f"/tasks/{t}/live"):
        assert other.get(path).status_code == 404, path
    for url in posts:
        assert other.post(url, headers=HX).status_code == 404, url
    assert b"Summarizer" not in other.get("/workflows").data

    preview = {"schedule_type": "cron", "expression": "0 9 * * 1-5", "timezone": "Europe/Berlin"}
    r = admin.post("/schedules/preview", data=preview, headers=HX)
    assert r.status_code == 200 and r.data.count(b"<li>") == 5
    r = admin.post("/schedules/preview", data={**preview, "expression": "0 9 * * 1-5 *"})
    assert b"exactly 5 fields" in r.data and b"<li>" not in r.data
    r = admin.post("/schedules/preview", data={**preview, "timezone": "Mars/Olympus"})
    assert b"Unknown time zone" in r.data

    home = admin.get("/").data
    assert b"schedules-card" in home and b"No active schedule" in home  # the one is paused

    api.patch("/api/v1/organization", json={"modules": {"schedules": False}})
    for path in pages:
        assert viewer.get(path).status_code == 403, path
    assert b"schedules-card" not in admin.get("/").data
