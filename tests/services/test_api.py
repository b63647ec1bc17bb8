"""The services API without a running agent: validation, uniqueness, limits, roles, tenancy."""

from __future__ import annotations

import pytest

from tests.services.conftest import HTTP_SERVER


def _body(project, name="web", **extra):
    return {"projectId": project, "name": name, "image": "app:v1", "command": HTTP_SERVER, **extra}


def _svc(api, project, name="web", **extra):
    resp = api.post("/api/v1/services", json=_body(project, name, **extra))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_create_validates_and_names_are_unique_per_project(api_as, setup, app):
    api = api_as(setup.maintainer)
    svc = _svc(api, setup.project, env={"A": "1"}, urlSettings={"auth": "public"}, replicas=3)
    assert svc["id"].startswith("svc-") and svc["urlSettings"] == {"auth": "public"}
    assert svc["env"] == {"A": "1"} and svc["health"]["status"] == "hibernated"
    assert svc["endpoints"][0]["kind"] == "proxy"
    dup = api.post("/api/v1/services", json=_body(setup.project))
    assert dup.status_code == 409 and dup.get_json()["details"]["field"] == "name"
    for bad, field in [
        ({"name": "Bad Name!"}, "name"),
        ({"replicas": 0}, "replicas"),
        ({"env": {"PORT": "1"}}, "env.PORT"),
        ({"env": {"1X": "a"}}, "env.1X"),
        ({"healthCheckPath": "health"}, "healthCheckPath"),
        ({"urlSettings": {"auth": "open"}}, "urlSettings.auth"),
        ({"type": "cron"}, "type"),
        ({"surprise": 1}, "surprise"),
    ]:
        resp = api.post("/api/v1/services", json={**_body(setup.project, "other"), **bad})
        assert resp.status_code == 400, (bad, resp.get_json())
        assert resp.get_json()["details"]["field"].startswith(field.split(".")[0]), bad
    missing = api.post("/api/v1/services", json=_body("proj-nope"))
    assert missing.status_code == 404


def test_org_limits_answer_409_with_a_clear_message(api_as, setup, app):
    admin = api_as(setup.admin)
    assert (
        admin.patch(
            "/api/v1/organization", json={"limits": {"maxServices": 2, "activeServiceLimit": 1}}
        ).status_code
        == 200
    )
    a = _svc(admin, setup.project, "a")
    b = _svc(admin, setup.project, "b")
    over = admin.post("/api/v1/services", json=_body(setup.project, "c"))
    assert over.status_code == 409 and "maxServices" in over.get_json()["message"]
    assert admin.post(f"/api/v1/services/{a['id']}/deploy", json={}).status_code == 202
    busy = admin.post(f"/api/v1/services/{a['id']}/deploy", json={})
    assert busy.status_code == 409 and "in progress" in busy.get_json()["message"]
    second = admin.post(f"/api/v1/services/{b['id']}/deploy", json={})
    assert second.status_code == 409 and "activeServiceLimit" in second.get_json()["message"]


def test_roles_decide_who_creates_deploys_and_reads(api_as, setup):
    svc = _svc(api_as(setup.maintainer), setup.project, env={"SECRET": "s3cr3t"})
    sid = svc["id"]
    viewer = api_as(setup.viewer)
    assert viewer.post("/api/v1/services", json=_body(setup.project, "v")).status_code == 403
    read = viewer.get(f"/api/v1/services/{sid}")
    assert read.status_code == 200 and read.get_json()["env"] == {"SECRET": "********"}
    assert viewer.post(f"/api/v1/services/{sid}/deploy", json={}).status_code == 403
    assert viewer.delete(f"/api/v1/services/{sid}").status_code == 403
    outsider = api_as(setup.outsider_dev)
    denied = outsider.post(f"/api/v1/services/{sid}/deploy", json={})
    assert denied.status_code == 403 and denied.get_json()["error"] == "insufficient_permissions"
    member = api_as(setup.developer)
    assert member.patch(f"/api/v1/services/{sid}", json={"replicas": 2}).status_code == 403
    resp = member.post(f"/api/v1/services/{sid}/deploy", json={"image": "app:v2"})
    assert resp.status_code == 202 and resp.get_json()["createdBy"]["id"] == setup.developer
    assert resp.get_json()["revision"] == 1 and resp.get_json()["image"] == "app:v2"


def test_lists_filter_by_project_and_status(api_as, setup, app):
    from blueprints.core.extensions import db
    from blueprints.projects.domain import create_project
    from blueprints.users.models import User

    api = api_as(setup.maintainer)
    with app.app_context():
        admin = db.session.get(User, setup.admin)
        other = create_project(admin.organization, admin, name="billing").id
    _svc(api, setup.project, "web")
    _svc(api, other, "web")
    assert api.get("/api/v1/services").get_json()["pagination"]["total"] == 2
    only = api.get(f"/api/v1/services?project={other}").get_json()
    assert [s["projectId"] for s in only["data"]] == [other]
    assert api.get("/api/v1/services?status=running").get_json()["data"] == []
    assert len(api.get("/api/v1/services?status=stopped").get_json()["data"]) == 2
    bad = api.get("/api/v1/services?status=sleeping")
    assert bad.status_code == 400 and bad.get_json()["details"]["field"] == "status"
    assert api.patch(
        "/api/v1/services/" + only["data"][0]["id"], json={"urlSettings": {"auth": "public"}}
    ).get_json()["urlSettings"] == {"auth": "public"}


ENDPOINTS = [
    ("get", "/api/v1/services/{sid}"),
    ("patch", "/api/v1/services/{sid}"),
    ("delete", "/api/v1/services/{sid}"),
    ("post", "/api/v1/services/{sid}/deploy"),
    ("post", "/api/v1/services/{sid}/rollback"),
    ("get", "/api/v1/services/{sid}/deployments"),
    ("get", "/api/v1/deployments/{did}"),
    ("post", "/api/v1/services/{sid}/start"),
    ("post", "/api/v1/services/{sid}/stop"),
    ("post", "/api/v1/services/{sid}/restart"),
    ("get", "/api/v1/services/{sid}/logs"),
    ("get", "/api/v1/services/{sid}/logs?follow=true"),
    ("get", "/api/v1/services/{sid}/check"),
    ("get", "/api/v1/services/{sid}/proxy/"),
    ("post", "/api/v1/services/{sid}/proxy/x"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_another_organizations_service_is_404_everywhere(api_as, setup, method, path):
    api = api_as(setup.maintainer)
    sid = _svc(api, setup.project)["id"]
    did = api.post(f"/api/v1/services/{sid}/deploy", json={}).get_json()["id"]
    stranger = api_as(setup.stranger)
    bodies = {"rollback": {"revision": 1}, "deploy": {}, "x": {"any": "body"}}
    kwargs = (
        {"json": next((b for k, b in bodies.items() if path.endswith(k)), None)}
        if method == "post"
        else ({"json": {"replicas": 1}} if method == "patch" else {})
    )
    resp = getattr(stranger, method)(path.format(sid=sid, did=did), **kwargs)
    assert resp.status_code == 404, resp.get_data(as_text=True)
    assert resp.get_json()["error"] == "not_found"


def test_proxy_needs_credentials_for_private_services(client, api_as, setup):
    api = api_as(setup.maintainer)
    private = _svc(api, setup.project, "private")
    public = _svc(api, setup.project, "public", urlSettings={"auth": "public"})
    resp = client.get(f"/api/v1/services/{private['id']}/proxy/")
    assert resp.status_code == 401 and resp.get_json()["error"] == "authentication_failed"
    assert client.get("/api/v1/services/svc-unknown/proxy/").status_code == 401
    # A public service passes the auth check without credentials; nothing runs yet: 503.
    resp = client.get(f"/api/v1/services/{public['id']}/proxy/")
    assert resp.status_code == 503 and "no ready replica" in resp.get_json()["message"]
    bad = client.get(f"/api/v1/services/{public['id']}/proxy/", headers={"X-API-Key": "sk_x"})
    assert bad.status_code == 401


def test_rollback_and_start_need_history(api_as, setup):
    api = api_as(setup.maintainer)
    sid = _svc(api, setup.project)["id"]
    assert api.post(f"/api/v1/services/{sid}/start").status_code == 409
    assert api.post(f"/api/v1/services/{sid}/restart").status_code == 409
    resp = api.post(f"/api/v1/services/{sid}/rollback", json={"revision": "v9"})
    assert resp.status_code == 404 and resp.get_json()["details"]["field"] == "revision"
    assert api.post(f"/api/v1/services/{sid}/rollback", json={"revision": True}).status_code == 400
    assert (
        api.post(f"/api/v1/services/{sid}/deploy", json={"strategy": "blue-green"}).status_code
        == 400
    )
    stopped = api.post(f"/api/v1/services/{sid}/check").status_code
    assert stopped == 405
    assert api.get(f"/api/v1/services/{sid}/check").get_json()["status"] == "hibernated"


def test_openapi_documents_the_services_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/services",
        "/api/v1/services/{service_id}/deploy",
        "/api/v1/services/{service_id}/rollback",
        "/api/v1/services/{service_id}/logs",
        "/api/v1/deployments/{deployment_id}",
        "/api/v1/services/{service_id}/check",
    ):
        assert path in spec["paths"], path
