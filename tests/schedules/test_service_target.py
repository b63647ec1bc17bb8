"""Schedules of a service action (restart, deploy, scale): created through the API and the
CLI, fired by the same tick, recorded as tasks and run as the schedule's creator, with the
roles of the action itself."""

from __future__ import annotations

import json

from sqlalchemy import select

from blueprints.core.extensions import db
from blueprints.schedules import engine
from tests.core.helpers import assert_error

DENIED = (403, "insufficient_permissions")


def _tick(app, clock):
    with app.app_context():
        return engine.tick(clock(), name="s1")


def _org(factory, app, api_as):
    from blueprints.projects.domain import add_member, create_project
    from blueprints.users.models import User

    org = factory.org("Ops Co")
    ids = {
        "org": org,
        "admin": factory.user(org, roles=["admin"]),
        "maintainer": factory.user(org, roles=["maintainer"]),
        "member_dev": factory.user(org, roles=["developer"]),
        "outsider_dev": factory.user(org, roles=["developer"]),
        "viewer": factory.user(org, roles=["viewer"]),
    }
    with app.app_context():
        admin = db.session.get(User, ids["admin"])
        project = create_project(admin.organization, admin, name="shop")
        add_member(
            admin.organization, admin, project.id, user_id=ids["member_dev"], role="contributor"
        )
        ids["project"] = project.id
    api = api_as(ids["admin"])
    svc = api.post(
        "/api/v1/services",
        json={"projectId": ids["project"], "name": "web", "command": "sleep 60", "replicas": 1},
    )
    assert svc.status_code == 201, svc.get_json()
    ids["service"] = svc.get_json()["id"]
    return ids


def test_a_scale_schedule_fires_as_a_task_that_deploys(app, factory, api_as, clock, run_jobs):
    ids = _org(factory, app, api_as)
    api = api_as(ids["maintainer"])
    target = {"type": "service", "serviceId": ids["service"], "action": "scale", "replicas": 3}
    body = {"target": target, "scheduleType": "cron", "expression": "0 22 * * *"}
    r = api.post("/api/v1/schedules", json=body)
    assert r.status_code == 201, r.get_json()
    s = r.get_json()
    assert s["target"] == target and s["workflowId"] is None
    assert s["nextRunAt"] == "2026-01-05T22:00:00.000Z"

    clock.set(clock().replace(hour=22, second=1))
    assert _tick(app, clock)["fired"] == 1
    [task] = api.get(f"/api/v1/tasks?scheduleId={s['id']}").get_json()["data"]
    assert (task["serviceId"], task["action"], task["replicas"]) == (ids["service"], "scale", 3)
    assert task["status"] == "pending" and task["trigger"] == "schedule"
    run_jobs(("default",))  # the task; the rollout it starts waits on the deploys queue
    done = api.get(f"/api/v1/tasks/{task['id']}").get_json()
    assert done["status"] == "completed", done
    deployment = done["output"]["deploymentId"]
    shown = api.get(f"/api/v1/deployments/{deployment}").get_json()
    assert shown["serviceId"] == ids["service"]
    # Run as the schedule's creator: the deployment names the maintainer.
    from blueprints.services.models import Deployment, Service

    with app.app_context():
        assert db.session.get(Service, ids["service"]).replicas == 3
        started_by = db.session.execute(
            select(Deployment.created_by_id).where(Deployment.service_id == ids["service"])
        ).scalars()
        assert list(started_by) == [ids["maintainer"]]


def test_a_refused_action_is_a_failed_task_not_a_retry(app, factory, api_as, clock, run_jobs):
    ids = _org(factory, app, api_as)
    api = api_as(ids["admin"])
    target = {"type": "service", "serviceId": ids["service"], "action": "restart"}
    s = api.post(
        "/api/v1/schedules",
        json={"target": target, "scheduleType": "interval", "expression": "1h"},
    ).get_json()
    clock.advance(hours=1)
    assert _tick(app, clock)["fired"] == 1
    run_jobs(("default",))
    [task] = api.get(f"/api/v1/tasks?scheduleId={s['id']}").get_json()["data"]
    # A never-deployed service cannot restart: the services domain's Conflict is the error.
    assert task["status"] == "failed" and task["tries"] == 1, task
    assert "running" in task["error"] or "deploy" in task["error"], task["error"]
    events = api.get("/api/v1/events?type=task.failed").get_json()["data"]
    assert events[0]["data"]["serviceId"] == ids["service"]


def test_roles_for_service_targets(app, factory, api_as):
    ids = _org(factory, app, api_as)
    target = {"type": "service", "serviceId": ids["service"], "action": "deploy"}
    body = {"target": target, "scheduleType": "interval", "expression": "1h"}
    # Managing schedules needs maintainer or admin, whoever may deploy the service.
    for who in ("member_dev", "outsider_dev", "viewer"):
        assert_error(api_as(ids[who]).post("/api/v1/schedules", json=body), *DENIED)
    s = api_as(ids["maintainer"]).post("/api/v1/schedules", json=body).get_json()
    # Running it now or retrying its task needs the right to deploy that service.
    assert api_as(ids["member_dev"]).post(f"/api/v1/schedules/{s['id']}/run-now").status_code == 202
    r = api_as(ids["outsider_dev"]).post(f"/api/v1/schedules/{s['id']}/run-now")
    assert_error(r, *DENIED)
    assert_error(api_as(ids["viewer"]).post(f"/api/v1/schedules/{s['id']}/run-now"), *DENIED)
    # Bad targets name the field.
    api = api_as(ids["admin"])
    cases = [
        ({**target, "action": "scale"}, "target.replicas"),
        ({**target, "action": "explode"}, "target.action"),
        ({**target, "serviceId": "svc-nope"}, "target.serviceId"),
    ]
    for bad, field in cases:
        r = api.post("/api/v1/schedules", json={**body, "target": bad})
        assert r.status_code in (400, 404) and r.get_json()["details"]["field"] == field, (
            bad,
            r.get_json(),
        )
    # Another organization's service is unknown.
    other = api_as(factory.user(roles=["admin"]))
    r = other.post("/api/v1/schedules", json=body)
    assert assert_error(r, 404, "not_found")["details"]["field"] == "target.serviceId"


def test_cli_creates_a_service_schedule(app, factory, api_as):
    ids = _org(factory, app, api_as)
    from blueprints.users.models import Organization

    with app.app_context():
        slug = db.session.get(Organization, ids["org"]).slug
    result = app.test_cli_runner().invoke(
        args=[
            "schedules",
            "create",
            "--service",
            ids["service"],
            "--action",
            "scale",
            "--replicas",
            "0",
            "--type",
            "cron",
            "--expression",
            "0 22 * * *",
            "--timezone",
            "Europe/Berlin",
            "--org",
            slug,
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["target"] == {
        "type": "service",
        "serviceId": ids["service"],
        "action": "scale",
        "replicas": 0,
    }


def test_the_page_form_schedules_a_service_action(app, factory, api_as, login_as):
    ids = _org(factory, app, api_as)
    page = login_as(ids["maintainer"])
    form = page.get("/schedules").get_data(as_text=True)
    value = f"service:{ids['service']}:scale"
    assert f'value="{value}"' in form and "Scale service web" in form
    # An outsider developer may not deploy the service: its actions are not offered (and
    # a developer cannot create schedules anyway).
    assert value not in login_as(ids["outsider_dev"]).get("/schedules").get_data(as_text=True)
    data = {
        "target": value,
        "schedule_type": "cron",
        "expression": "0 7 * * 1-5",
        "timezone": "Europe/Berlin",
        "missed_run_policy": "skip",
        "concurrency_policy": "forbid",
        "active": "y",
    }
    r = page.post("/schedules", data=data, headers={"HX-Request": "true"})
    assert r.status_code == 400 and "replicas must be 0 to" in r.get_data(as_text=True)
    r = page.post("/schedules", data={**data, "replicas": "2"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "created" in r.get_data(as_text=True), r.get_data(as_text=True)
    listing = page.get("/schedules", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Scale web to 2" in listing  # the service's name, not its id
    tasks = page.get("/tasks").get_data(as_text=True)
    assert "Scale web to 2 · 0 7 * * 1-5" in tasks  # the schedule filter's label
    [s] = api_as(ids["maintainer"]).get("/api/v1/schedules").get_json()["data"]
    assert s["target"] == {
        "type": "service",
        "serviceId": ids["service"],
        "action": "scale",
        "replicas": 2,
    }


def test_cancelling_a_service_action_needs_the_right_to_deploy_it(app, factory, api_as, login_as):
    """Cancelling a pending restart stops that service's action: a developer outside the
    service's project may no more cancel it than run it (API and page), and is told why."""
    ids = _org(factory, app, api_as)
    admin = api_as(ids["admin"])
    target = {"type": "service", "serviceId": ids["service"], "action": "restart"}
    s = admin.post(
        "/api/v1/schedules",
        json={"target": target, "scheduleType": "cron", "expression": "0 3 * * *"},
    ).get_json()
    task = admin.post(f"/api/v1/schedules/{s['id']}/run-now").get_json()["id"]

    r = api_as(ids["outsider_dev"]).post(f"/api/v1/tasks/{task}/cancel")
    body = assert_error(r, *DENIED)
    assert "members of the project" in body["message"]  # not "it needs admin"
    page = login_as(ids["outsider_dev"])
    assert page.post(f"/tasks/{task}/cancel", headers={"HX-Request": "true"}).status_code == 403
    assert admin.get(f"/api/v1/tasks/{task}").get_json()["status"] == "pending"
    r = api_as(ids["outsider_dev"]).post(f"/api/v1/schedules/{s['id']}/run-now")
    assert "members of the project" in assert_error(r, *DENIED)["message"]

    r = api_as(ids["member_dev"]).post(f"/api/v1/tasks/{task}/cancel")
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
