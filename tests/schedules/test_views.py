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


def test_edit_in_place_recomputes_the_next_run_and_keeps_errors_beside_fields(
    setup, login_as, factory, clock
):
    api, wf, wf2 = setup["api"], setup["wf"], setup["wf2"]
    s = api.post(
        "/api/v1/schedules",
        json={"workflowId": wf, "scheduleType": "cron", "expression": "0 9 * * *"},
    ).get_json()
    assert s["nextRunAt"].startswith("2026-01-06T09:00")
    admin, dev, viewer = (login_as(setup[who]) for who in ("admin", "dev", "viewer"))
    assert f'id="edit-{s["id"]}"'.encode() in admin.get("/schedules").data
    assert b'id="edit-' not in viewer.get("/schedules").data

    form = admin.get(f"/schedules/{s['id']}/edit", headers=HX)
    assert form.status_code == 200 and b'class="edit-row"' in form.data
    assert f'selected value="workflow:{wf}"'.encode() in form.data
    assert f'id="edit-{s["id"]}-expression"'.encode() in form.data  # no clash with create's
    assert b'value="0 9 * * *"' in form.data

    fields = {
        "target": f"workflow:{wf2}",
        "schedule_type": "cron",
        "expression": "30 13 * * *",
        "timezone": "Europe/Berlin",
        "input": "edited",
        "missed_run_policy": "skip",
        "concurrency_policy": "forbid",
        "active": "y",
    }
    bad = admin.post(f"/schedules/{s['id']}/edit", data={**fields, "expression": "* * * * * *"})
    assert bad.status_code == 400
    assert f'id="edit-{s["id"]}-expression-error"'.encode() in bad.data
    assert b"exactly 5 fields" in bad.data and b'class="edit-row"' in bad.data
    assert api.get(f"/api/v1/schedules/{s['id']}").get_json()["expression"] == "0 9 * * *"

    r = admin.post(f"/schedules/{s['id']}/edit", data=fields, headers=HX)
    assert r.status_code == 200 and b"edit-row" not in r.data and b"30 13 * * *" in r.data
    assert r.headers["HX-Trigger"] == "schedules-changed"
    got = api.get(f"/api/v1/schedules/{s['id']}").get_json()
    assert got["workflowId"] == wf2 and got["input"] == "edited"
    assert got["concurrencyPolicy"] == "forbid" and got["timezone"] == "Europe/Berlin"
    assert got["nextRunAt"] == "2026-01-05T12:30:00.000Z"  # 13:30 in Berlin, winter: today
    assert len(got["nextRuns"]) == 5

    # Changing only the input leaves the next run alone (an interval keeps its phase).
    clock.advance(minutes=1)
    r = admin.post(f"/schedules/{s['id']}/edit", data={**fields, "input": "again"})
    assert r.status_code == 200
    assert api.get(f"/api/v1/schedules/{s['id']}").get_json()["nextRunAt"] == got["nextRunAt"]

    # Unchecked "Active" pauses; Cancel gives the row back as it was.
    r = admin.post(
        f"/schedules/{s['id']}/edit", data={k: v for k, v in fields.items() if k != "active"}
    )
    assert b"paused" in r.data
    assert b"paused" in admin.get(f"/schedules/{s['id']}/row", headers=HX).data

    for who in (dev, viewer):
        assert who.get(f"/schedules/{s['id']}/edit", headers=HX).status_code == 403
        assert who.post(f"/schedules/{s['id']}/edit", data=fields, headers=HX).status_code == 403
    other = login_as(factory.user(roles=["admin"]))
    assert other.get(f"/schedules/{s['id']}/edit", headers=HX).status_code == 404
    assert other.post(f"/schedules/{s['id']}/edit", data=fields, headers=HX).status_code == 404
    assert other.get(f"/schedules/{s['id']}/row", headers=HX).status_code == 404


def test_edit_preview_has_its_own_ids(setup, login_as):
    admin = login_as(setup["admin"])
    data = {"schedule_type": "interval", "expression": "5m", "preview_for": "abc"}
    r = admin.post("/schedules/preview", data=data, headers=HX)
    assert b'id="preview-runs-abc"' in r.data and r.data.count(b"<li>") == 5
    r = admin.post("/schedules/preview", data={**data, "expression": "2s"}, headers=HX)
    assert b'id="preview-error-abc"' in r.data


def test_replicas_shown_only_for_a_scale_target(setup, login_as):
    admin = login_as(setup["admin"])
    page = admin.get("/schedules").data.decode()
    box = page[page.index('class="replicas-field"') :][:40]
    assert "hidden" in box  # the first choice is a workflow
    r = admin.post(
        "/schedules",
        data={"target": f"workflow:{setup['wf']}", "schedule_type": "cron", "expression": "bad"},
        headers=HX,
    )
    assert r.status_code == 400
    assert 'class="replicas-field" hidden' in r.data.decode()


def test_tasks_page_filters_by_workflow_schedule_and_dates(setup, login_as, app):
    from datetime import UTC, datetime

    from blueprints.core.extensions import db
    from blueprints.schedules.models import Task

    api, wf, wf2 = setup["api"], setup["wf"], setup["wf2"]
    s = api.post(
        "/api/v1/schedules",
        json={"workflowId": wf2, "scheduleType": "interval", "expression": "1h", "input": "s"},
    ).get_json()["id"]
    first = api.post(f"/api/v1/workflows/{wf}/run", json={"input": "first-day"}).get_json()
    api.post(f"/api/v1/workflows/{wf}/run", json={"input": "third-day"})
    api.post(f"/api/v1/schedules/{s}/run-now")
    with app.app_context():  # created on 5 January, the others on the 7th
        for task in db.session.execute(db.select(Task)).scalars():
            day = 5 if task.id == first["id"] else 7
            task.created_at = datetime(2026, 1, day, 23, 30, tzinfo=UTC)
        db.session.commit()
    viewer = login_as(setup["viewer"])

    def ids(query):
        r = viewer.get(f"/tasks?{query}", headers=HX)
        assert r.status_code == 200, r.data
        return r.data.count(b'<tr id="row-')

    assert ids("") == 3
    assert ids(f"workflowId={wf}") == 2
    assert ids(f"workflowId={wf2}") == 1
    assert ids(f"scheduleId={s}") == 1
    assert ids("since=2026-01-07") == 2
    assert ids("until=2026-01-05") == 1  # the whole day is included
    assert ids("since=2026-01-05&until=2026-01-05") == 1
    assert ids(f"since=2026-01-07&workflowId={wf}") == 1

    # The full page (as after Back) shows the filters chosen, and keeps them while refreshing.
    page = viewer.get(f"/tasks?workflowId={wf}&since=2026-01-07&status=pending").data.decode()
    assert f'<option value="{wf}" selected' in page
    assert 'name="since" id="since-filter" value="2026-01-07"' in page
    assert f"workflowId={wf}" in page[page.index('id="tasks-live"') :][:300]
    assert viewer.get("/tasks?since=yesterday").status_code == 400


def test_a_refused_run_says_why(setup, login_as):
    admin = login_as(setup["admin"])
    r = admin.post(f"/workflows/{setup['wf']}/run", data={"input": "x" * 100_001}, headers=HX)
    assert r.status_code == 400
    assert b"100000" in r.data, r.data  # the limit, not a bare "Invalid input"


def test_a_run_from_the_page_is_recorded_as_run_now(setup, login_as):
    admin = login_as(setup["admin"])
    r = admin.post(f"/workflows/{setup['wf']}/run", data={"input": "by hand"}, headers=HX)
    assert r.status_code == 200
    [task] = setup["api"].get("/api/v1/tasks").get_json()["data"]
    assert task["trigger"] == "run_now"  # a person pressed Run; "api" is for API calls
