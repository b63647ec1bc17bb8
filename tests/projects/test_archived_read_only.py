"""An archived project is read-only until restored, through the API and the pages; adding an
existing member changes the role and answers 200 (issue 11)."""

from __future__ import annotations


def _archived(api, factory, org):
    pid = api.post("/api/v1/projects", json={"name": "old"}).get_json()["id"]
    assert api.delete(f"/api/v1/projects/{pid}").status_code == 200
    return pid


def test_writes_to_an_archived_project_are_409_until_restored(api_as, factory, login_as):
    org = factory.org()
    admin_id = factory.user(org, roles=["admin"])
    dev = factory.user(org, roles=["developer"])
    api = api_as(admin_id)
    pid = _archived(api, factory, org)
    for method, url, body in [
        ("patch", f"/api/v1/projects/{pid}", {"description": "changed"}),
        ("patch", f"/api/v1/projects/{pid}", {"name": "renamed", "status": "active"}),
        ("post", f"/api/v1/projects/{pid}/members", {"userId": dev, "role": "viewer"}),
        ("delete", f"/api/v1/projects/{pid}/members/{admin_id}", None),
    ]:
        r = getattr(api, method)(url, **({"json": body} if body is not None else {}))
        assert r.status_code == 409, (method, url, r.get_json())
        assert r.get_json()["details"]["reason"] == "archived"
    project = api.get(f"/api/v1/projects/{pid}").get_json()
    assert project["description"] in ("", None) and len(project["members"]) == 1

    page = login_as(admin_id)
    html = page.get(f"/projects/{pid}").text
    assert 'id="archived-note"' in html and 'id="member-add"' not in html
    r = page.post(f"/projects/{pid}/members", data={"user_id": dev, "role": "viewer"})
    assert r.status_code == 409
    # Restored: writable again.
    assert api.patch(f"/api/v1/projects/{pid}", json={"status": "active"}).status_code == 200
    assert api.patch(f"/api/v1/projects/{pid}", json={"description": "ok"}).status_code == 200


def test_adding_an_existing_member_is_200(api_as, factory):
    org = factory.org()
    api = api_as(factory.user(org, roles=["admin"]))
    dev = factory.user(org, roles=["developer"])
    pid = api.post("/api/v1/projects", json={"name": "p"}).get_json()["id"]
    first = api.post(f"/api/v1/projects/{pid}/members", json={"userId": dev, "role": "viewer"})
    again = api.post(f"/api/v1/projects/{pid}/members", json={"userId": dev, "role": "contributor"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["role"] == "contributor"
