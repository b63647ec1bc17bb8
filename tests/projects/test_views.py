"""Projects pages through the test client: htmx partials and inline errors."""

from __future__ import annotations


def test_create_via_page_redirects_with_htmx(login_as, factory):
    org = factory.org()
    client = login_as(factory.user(org, roles=["maintainer"]))
    r = client.post(
        "/projects",
        data={
            "name": "Site",
            "visibility": "public",
            "repository_branch": "main",
            "ci_provider": "",
        },
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 204 and r.headers["HX-Redirect"].startswith("/projects/proj-")
    page = client.get(r.headers["HX-Redirect"])
    assert page.status_code == 200 and b"Site" in page.data


def test_inline_error_for_duplicate(login_as, factory):
    org = factory.org()
    client = login_as(factory.user(org, roles=["admin"]))
    data = {"name": "Site", "visibility": "private", "repository_branch": "main", "ci_provider": ""}
    client.post("/projects", data=data, headers={"HX-Request": "true"})
    r = client.post("/projects", data=data, headers={"HX-Request": "true"})
    assert r.status_code == 409
    assert b"already exists" in r.data and b'id="project-create"' in r.data


def test_viewer_cannot_create_through_page(login_as, factory):
    org = factory.org()
    client = login_as(factory.user(org, roles=["viewer"]))
    r = client.post(
        "/projects",
        data={
            "name": "Nope",
            "visibility": "private",
            "repository_branch": "main",
            "ci_provider": "",
        },
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 403
    assert b"may not create projects" in r.data


def test_other_org_project_page_is_404(login_as, factory, api_as):
    org = factory.org("A")
    api = api_as(factory.user(org, roles=["admin"]))
    pid = api.post("/api/v1/projects", json={"name": "Secret"}).json["id"]
    stranger = login_as(factory.user(factory.org("B"), roles=["admin"]))
    assert stranger.get(f"/projects/{pid}").status_code == 404
    assert b"Secret" not in stranger.get("/projects").data
