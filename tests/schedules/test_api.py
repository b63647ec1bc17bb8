"""The API: sources against fake LangFlow/Hive, workflows, runs, schedules, tasks."""

from __future__ import annotations

from sqlalchemy import text

from blueprints.core.extensions import db
from tests.core.helpers import assert_error

from .fakes import KEY


def test_source_creation_contacts_the_source_and_hides_the_key(app, setup, langflow, api_as):
    api = setup["api"]
    src = api.get(f"/api/v1/sources/{setup['source']}").get_json()
    assert src["status"] == "active" and src["version"] == "1.4.2" and src["lastCheckedAt"]
    assert "apiKey" not in src and KEY not in str(src)
    with app.app_context():
        stored = db.session.execute(text("SELECT api_key FROM workflow_sources")).scalar_one()
    assert KEY not in stored  # encrypted at rest
    # Same URL again → 409; a refused key → 400 naming apiKey; nothing listening → 400 url.
    body = {"name": "again", "sourceType": "langflow", "url": langflow.url, "apiKey": KEY}
    assert_error(api.post("/api/v1/sources", json=body), 409, "conflict")
    langflow.key = "other"
    bad = assert_error(
        api.post("/api/v1/sources", json={**body, "url": langflow.url + "/"}), 409, "conflict"
    )
    assert bad["details"]["field"] == "url"
    r = api.post(
        "/api/v1/sources", json={**body, "url": langflow.url.replace("127.0.0.1", "localhost")}
    )
    err = assert_error(r, 400, "invalid_request")
    assert err["details"]["field"] == "apiKey" and "refused" in err["details"]["reason"]
    r = api.post("/api/v1/sources", json={**body, "url": "http://127.0.0.1:1"})
    assert assert_error(r, 400, "invalid_request")["details"]["field"] == "url"
    r = api.post("/api/v1/sources", json={**body, "sourceType": "zapier"})
    assert assert_error(r, 400, "invalid_request")["details"]["field"] == "sourceType"
    r = api.post("/api/v1/sources", json={**body, "url": "http://169.254.169.254/"})
    assert assert_error(r, 400, "invalid_request")["details"]["field"] == "url"


def test_sync_upserts_and_marks_gone(setup, langflow):
    api = setup["api"]
    wf = api.get(f"/api/v1/workflows/{setup['wf']}").get_json()
    assert wf["inputComponent"].startswith("ChatInput") and wf["outputComponent"].startswith(
        "ChatOutput"
    )
    langflow.flows = langflow.flows[:1]
    r = api.post(f"/api/v1/sources/{setup['source']}/sync").get_json()
    assert (r["created"], r["updated"], r["gone"]) == (0, 1, 1)
    assert api.get(f"/api/v1/workflows/{setup['wf2']}").get_json()["status"] == "gone"
    assert_error(api.post(f"/api/v1/workflows/{setup['wf2']}/run", json={}), 409, "conflict")
    found = api.get("/api/v1/workflows?search=summ").get_json()["data"]
    assert [w["id"] for w in found] == [setup["wf"]]


def test_run_a_langflow_workflow(setup, langflow, run_jobs):
    api = setup["api"]
    r = api.post(f"/api/v1/workflows/{setup['wf']}/run", json={"input": "hello"})
    assert r.status_code == 202 and r.get_json()["status"] == "pending"
    task_id = r.get_json()["id"]
    run_jobs()
    task = api.get(f"/api/v1/tasks/{task_id}").get_json()
    assert task["status"] == "completed", task
    assert task["outputText"] == "echo: hello" and task["output"]["session_id"] == "s-1"
    assert task["tries"] == 1 and task["durationMs"] is not None and task["trigger"] == "api"
    assert langflow.runs[0]["body"] == {
        "input_value": "hello",
        "input_type": "chat",
        "output_type": "chat",
        "tweaks": {},
    }
    assert langflow.runs[0]["stream"] == ["false"]
    detail = api.get(f"/api/v1/workflows/{setup['wf']}").get_json()
    assert detail["lastTask"]["id"] == task_id and detail["counts"]["completed"] == 1
    events = api.get("/api/v1/events?type=task.completed").get_json()["data"]
    assert events[0]["data"]["taskId"] == task_id


def test_hive_source_sync_and_run(factory, api_as, hive, run_jobs):
    api = api_as(factory.user(roles=["admin"]))
    body = {"name": "hive", "sourceType": "hive", "url": hive.url, "apiKey": "nope"}
    assert (
        assert_error(api.post("/api/v1/sources", json=body), 400, "invalid_request")["details"][
            "field"
        ]
        == "apiKey"
    )
    src = api.post("/api/v1/sources", json={**body, "apiKey": KEY}).get_json()
    api.post(f"/api/v1/sources/{src['id']}/sync")
    kinds = {w["kind"]: w["id"] for w in api.get("/api/v1/workflows").get_json()["data"]}
    assert set(kinds) == {"agent", "team", "workflow"}
    task = api.post(f"/api/v1/workflows/{kinds['agent']}/run", json={"input": "hi"}).get_json()
    run_jobs()
    done = api.get(f"/api/v1/tasks/{task['id']}").get_json()
    assert done["status"] == "completed" and done["outputText"] == "agent says: hi"
    assert hive.runs[0]["path"] == "/agents/support-agent/runs"
    assert hive.runs[0]["form"] == {"message": ["hi"], "stream": ["false"]}


def test_5xx_is_retried_with_backoff_up_to_max_retries(setup, langflow, run_jobs):
    api = setup["api"]
    api.patch(f"/api/v1/workflows/{setup['wf']}", json={"maxRetries": 2})
    langflow.fail_runs = [502, 503]
    task_id = api.post(f"/api/v1/workflows/{setup['wf']}/run", json={"input": "x"}).get_json()["id"]
    run_jobs()
    task = api.get(f"/api/v1/tasks/{task_id}").get_json()
    assert task["status"] == "completed" and task["tries"] == 3
    assert sum("retrying" in line["message"] for line in task["logs"]) == 2
    # Exhausted retries → failed, with task.failed emitted.
    langflow.fail_runs = [500, 500, 500]
    task_id = api.post(f"/api/v1/workflows/{setup['wf']}/run", json={"input": "x"}).get_json()["id"]
    run_jobs()
    task = api.get(f"/api/v1/tasks/{task_id}").get_json()
    assert task["status"] == "failed" and task["tries"] == 3 and "HTTP 500" in task["error"]
    assert (
        api.get("/api/v1/events?type=task.failed").get_json()["data"][0]["data"]["taskId"]
        == task_id
    )
    # A refused key (4xx) is not retried.
    langflow.key = "rotated"
    task_id = api.post(f"/api/v1/workflows/{setup['wf']}/run", json={}).get_json()["id"]
    run_jobs()
    task = api.get(f"/api/v1/tasks/{task_id}").get_json()
    assert task["status"] == "failed" and task["tries"] == 1 and "refused" in task["error"]
    # Retry makes a new linked task.
    langflow.key = KEY
    retry = api.post(f"/api/v1/tasks/{task_id}/retry")
    assert retry.status_code == 202 and retry.get_json()["retryOf"] == task_id
    run_jobs()
    assert api.get(f"/api/v1/tasks/{retry.get_json()['id']}").get_json()["status"] == "completed"


def test_cancel_a_pending_task_means_it_never_runs(setup, langflow, run_jobs):
    api = setup["api"]
    task_id = api.post(f"/api/v1/workflows/{setup['wf']}/run", json={}).get_json()["id"]
    r = api.post(f"/api/v1/tasks/{task_id}/cancel")
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
    run_jobs()
    assert api.get(f"/api/v1/tasks/{task_id}").get_json()["status"] == "cancelled"
    assert langflow.runs == []
    assert_error(api.post(f"/api/v1/tasks/{task_id}/cancel"), 409, "conflict")


def test_schedule_validation_names_the_field(setup):
    api = setup["api"]
    base = {"workflowId": setup["wf"], "scheduleType": "cron", "expression": "0 9 * * 1-5"}
    cases = [
        ({"expression": "0 0 9 * * 1"}, "expression", "expected 5 fields"),
        ({"expression": "0 25 * * *"}, "expression", "Bad hour"),
        ({"scheduleType": "interval", "expression": "2s"}, "expression", "at least 5"),
        ({"scheduleType": "once", "expression": "2001-01-01T00:00:00"}, "expression", "future"),
        ({"timezone": "Europe/Nowhere"}, "timezone", "unknown time zone"),
        ({"missedRunPolicy": "replay"}, "missedRunPolicy", ""),
        ({"workflowId": "wf-nope"}, "workflowId", ""),
        ({"scheduleType": "hourly"}, "scheduleType", ""),
        ({"expression": "0 9 * * *\u0000"}, "expression", ""),
        ({"extra": 1}, "extra", ""),
    ]
    for change, field, reason in cases:
        r = api.post("/api/v1/schedules", json={**base, **change})
        assert r.status_code in (400, 404), (change, r.get_json())
        details = r.get_json()["details"]
        assert details["field"] == field and reason in details.get("reason", ""), (change, details)
    r = api.post("/api/v1/schedules", json={**base, "timezone": "Europe/Berlin"})
    assert r.status_code == 201
    s = r.get_json()
    assert s["nextRunAt"] and len(s["nextRuns"]) == 5 and s["target"]["type"] == "workflow"


def test_schedule_pause_resume_patch_run_now_delete(setup, run_jobs):
    api = setup["api"]
    s = api.post(
        "/api/v1/schedules",
        json={
            "workflowId": setup["wf"],
            "scheduleType": "interval",
            "expression": "1h",
            "input": "i",
        },
    ).get_json()
    paused = api.post(f"/api/v1/schedules/{s['id']}/pause").get_json()
    assert paused["active"] is False and paused["nextRunAt"] is None and paused["nextRuns"] == []
    resumed = api.post(f"/api/v1/schedules/{s['id']}/resume").get_json()
    assert resumed["active"] and resumed["nextRunAt"]
    patched = api.patch(
        f"/api/v1/schedules/{s['id']}", json={"scheduleType": "cron", "expression": "0 3 * * *"}
    ).get_json()
    assert patched["nextRunAt"].endswith("T03:00:00.000Z")
    task = api.post(f"/api/v1/schedules/{s['id']}/run-now")
    assert task.status_code == 202 and task.get_json()["trigger"] == "run_now"
    run_jobs()
    listed = api.get(f"/api/v1/tasks?scheduleId={s['id']}&status=completed").get_json()
    assert listed["pagination"]["total"] == 1 and listed["data"][0]["input"] == "i"
    preview = api.post(
        "/api/v1/schedules/preview",
        json={"scheduleType": "cron", "expression": "0 12 * * *", "timezone": "Asia/Tokyo"},
    ).get_json()
    assert len(preview["nextRuns"]) == 5 and preview["nextRuns"][0].endswith("T03:00:00.000Z")
    # Deleting the source refuses while a schedule uses it, unless forced.
    assert_error(api.delete(f"/api/v1/sources/{setup['source']}"), 409, "conflict")
    assert api.delete(f"/api/v1/sources/{setup['source']}?force=true").status_code == 200
    assert_error(api.get(f"/api/v1/schedules/{s['id']}"), 404, "not_found")
    assert api.get("/api/v1/tasks").get_json()["pagination"]["total"] == 1  # history kept


def test_roles_tenancy_and_module(setup, factory, api_as):
    viewer, dev = api_as(setup["viewer"]), api_as(setup["dev"])
    s = (
        setup["api"]
        .post(
            "/api/v1/schedules",
            json={"workflowId": setup["wf"], "scheduleType": "interval", "expression": "1h"},
        )
        .get_json()
    )
    assert viewer.get("/api/v1/schedules").status_code == 200
    for call in (
        lambda c: c.post(f"/api/v1/workflows/{setup['wf']}/run", json={}),
        lambda c: c.post(f"/api/v1/schedules/{s['id']}/pause"),
        lambda c: c.post(f"/api/v1/sources/{setup['source']}/sync"),
    ):
        assert_error(call(viewer), 403, "insufficient_permissions")
    assert dev.post(f"/api/v1/workflows/{setup['wf']}/run", json={}).status_code == 202
    assert_error(dev.post(f"/api/v1/schedules/{s['id']}/pause"), 403, "insufficient_permissions")
    assert_error(
        dev.post(
            "/api/v1/schedules",
            json={"workflowId": setup["wf"], "scheduleType": "interval", "expression": "1h"},
        ),
        403,
        "insufficient_permissions",
    )
    # Another organization sees none of it: every id answers 404.
    other = api_as(factory.user(roles=["admin"]))
    task_id = setup["api"].get("/api/v1/tasks").get_json()["data"][0]["id"]
    for method, url in [
        ("get", f"/api/v1/sources/{setup['source']}"),
        ("patch", f"/api/v1/sources/{setup['source']}"),
        ("delete", f"/api/v1/sources/{setup['source']}"),
        ("post", f"/api/v1/sources/{setup['source']}/sync"),
        ("get", f"/api/v1/workflows/{setup['wf']}"),
        ("post", f"/api/v1/workflows/{setup['wf']}/run"),
        ("get", f"/api/v1/schedules/{s['id']}"),
        ("patch", f"/api/v1/schedules/{s['id']}"),
        ("post", f"/api/v1/schedules/{s['id']}/run-now"),
        ("post", f"/api/v1/schedules/{s['id']}/pause"),
        ("delete", f"/api/v1/schedules/{s['id']}"),
        ("get", f"/api/v1/tasks/{task_id}"),
        ("post", f"/api/v1/tasks/{task_id}/retry"),
        ("post", f"/api/v1/tasks/{task_id}/cancel"),
    ]:
        kwargs = {"json": {}} if method in ("post", "patch") else {}
        assert_error(getattr(other, method)(url, **kwargs), 404, "not_found")
    r = other.post(
        "/api/v1/schedules",
        json={"workflowId": setup["wf"], "scheduleType": "interval", "expression": "1h"},
    )
    assert assert_error(r, 404, "not_found")["details"]["field"] == "workflowId"
    assert other.get("/api/v1/tasks").get_json()["pagination"]["total"] == 0
    # The module off: 403 module_disabled everywhere.
    setup["api"].patch("/api/v1/organization", json={"modules": {"schedules": False}})
    for url in ("/api/v1/sources", "/api/v1/workflows", "/api/v1/schedules", "/api/v1/tasks"):
        assert_error(viewer.get(url), 403, "module_disabled")


def test_bad_input_is_400_not_500(setup):
    api = setup["api"]
    r = api.post("/api/v1/sources", data="{nope", headers={"Content-Type": "application/json"})
    assert_error(r, 400, "invalid_request")
    r = api.patch(f"/api/v1/workflows/{setup['wf']}", json={"maxRetries": 10**20})
    assert assert_error(r, 400, "invalid_request")["details"]["field"] == "maxRetries"
    r = api.patch(f"/api/v1/workflows/{setup['wf']}", json={"timeoutSeconds": "5"})
    assert assert_error(r, 400, "invalid_request")["details"]["field"] == "timeoutSeconds"
    r = api.get("/api/v1/tasks?status=exploded")
    assert assert_error(r, 400, "invalid_request")["details"]["field"] == "status"
    r = api.get("/api/v1/tasks?since=yesterday")
    assert assert_error(r, 400, "invalid_request")["details"]["field"] == "since"
    r = api.post(f"/api/v1/workflows/{setup['wf']}/run", json={"input": 5})
    assert assert_error(r, 400, "invalid_request")["details"]["field"] == "input"
    r = api.post(
        "/api/v1/schedules",
        json={
            "target": {"type": "service", "serviceId": "svc-x", "action": "restart"},
            "scheduleType": "interval",
            "expression": "1h",
        },
    )
    assert assert_error(r, 404, "not_found")["details"]["field"] == "target.serviceId"
    r = api.post("/api/v1/schedules", json=[1])
    assert_error(r, 400, "invalid_request")


def test_a_refused_connection_is_not_called_a_timeout(setup):
    """Nothing listens on the port: the source answers at once that it cannot connect, not
    that it "timed out after 10 s" (urllib3 files a refusal under connect timeouts)."""
    import socket

    with socket.socket() as s:  # a port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = setup["api"].post(
        "/api/v1/sources",
        json={"name": "gone", "sourceType": "langflow", "url": f"http://127.0.0.1:{port}"}
        | {"apiKey": "k"},
    )
    body = assert_error(r, 400, "invalid_request")
    assert body["details"] == {"field": "url", "reason": "could not connect"}, body


def test_a_schedule_saved_under_laxer_rules_still_pauses(setup, app):
    """Rules tightened later ('*/90' minutes, the 'localtime' zone) must not trap a row
    saved before them: pausing it needs no valid timing (resuming does)."""
    from blueprints.schedules.models import Schedule

    api = setup["api"]
    s = api.post(
        "/api/v1/schedules",
        json={"workflowId": setup["wf"], "scheduleType": "cron", "expression": "0 9 * * *"},
    ).get_json()["id"]
    with app.app_context():
        row = db.session.get(Schedule, s)
        row.expression, row.timezone = "*/90 * * * *", "localtime"
        db.session.commit()
    r = api.post(f"/api/v1/schedules/{s}/pause")
    assert r.status_code == 200 and r.get_json()["active"] is False, r.get_json()
    assert r.get_json()["nextRunAt"] is None
    assert_error(api.post(f"/api/v1/schedules/{s}/resume"), 400, "invalid_request")
