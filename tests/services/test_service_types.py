"""Issue 10, "the seeds' own examples": a service's `type` takes the seed's vocabulary, and the
runtime decides what a service must give (local: a command; Kubernetes: an image)."""

from __future__ import annotations

import pytest

from tests.core.helpers import assert_error


@pytest.fixture
def api(api_as, admin):
    return api_as(admin)


@pytest.fixture
def project_id(api):
    r = api.post("/api/v1/projects", json={"name": "shop"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


@pytest.mark.parametrize("kind", ["backend", "frontend", "api", "web", "worker"])
def test_the_seeds_service_types_are_accepted_and_kept(api, project_id, kind):
    r = api.post(
        "/api/v1/services",
        json={"projectId": project_id, "name": f"svc-{kind}", "type": kind, "command": "true"},
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["type"] == kind
    assert api.get(f"/api/v1/services/{r.get_json()['id']}").get_json()["type"] == kind


def test_an_unknown_type_is_400_listing_the_vocabulary(api, project_id):
    r = api.post(
        "/api/v1/services",
        json={"projectId": project_id, "name": "x", "type": "database", "command": "true"},
    )
    body = assert_error(r, 400, "invalid_request", field="type")
    assert "backend" in body["message"]


def test_a_local_service_needs_a_command_not_an_image(api, project_id):
    # The README's "Try it" service, as written: a command, no image.
    r = api.post(
        "/api/v1/services",
        json={
            "projectId": project_id,
            "name": "site",
            "command": "python3 -m http.server $PORT",
            "replicas": 2,
            "healthCheckPath": "/",
        },
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["image"] == "site:local"
    r = api.post("/api/v1/services", json={"projectId": project_id, "name": "noop"})
    assert_error(r, 400, "invalid_request", field="command")
    r = api.post(
        "/api/v1/services", json={"projectId": project_id, "name": "noop", "image": "app:v1"}
    )
    assert_error(r, 400, "invalid_request", field="command")


def test_on_kubernetes_the_image_is_what_is_required(app, api, project_id):
    app.config["SPARKI_RUNTIME"] = "kubernetes"
    try:
        r = api.post(
            "/api/v1/services", json={"projectId": project_id, "name": "k", "command": "true"}
        )
        assert_error(r, 400, "invalid_request", field="image")
        r = api.post(
            "/api/v1/services", json={"projectId": project_id, "name": "k", "image": "app:v1"}
        )
        assert r.status_code == 201, r.get_json()
        assert r.get_json()["command"] == ""
    finally:
        app.config["SPARKI_RUNTIME"] = "local"


def test_the_page_form_creates_a_service_without_an_image(app, login_as, admin, project_id):
    client = login_as(admin)
    r = client.post(
        "/services",
        data={
            "project_id": project_id,
            "name": "page-made",
            "type": "backend",
            "image": "",
            "command": "true",
            "replicas": "1",
            "health_check_path": "/",
            "url_auth": "private",
        },
    )
    assert r.status_code in (200, 302, 303), r.status_code
    from blueprints.core.extensions import db
    from blueprints.services.models import Service

    with app.app_context():
        service = db.session.query(Service).filter_by(name="page-made").one()
        assert (service.type, service.image) == ("backend", "page-made:local")
