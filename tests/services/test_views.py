"""The services pages: list (and the table partial the project page embeds), create, detail,
deploy, progress, settings and delete, through a logged-in browser session."""

from __future__ import annotations

from tests.services.conftest import HTTP_SERVER

HX = {"HX-Request": "true"}


def _create(page, project, name="web"):
    return page.post(
        "/services",
        data={
            "project_id": project,
            "name": name,
            "type": "web",
            "image": "app:v1",
            "command": HTTP_SERVER,
            "env-rows": "1",
            "env-key": "GREETING",
            "env-value": "hi",
            "replicas": "2",
            "health_check_path": "/",
            "url_auth": "private",
        },
        headers=HX,
    )


def test_list_create_and_the_embedded_table(login_as, setup):
    page = login_as(setup.maintainer)
    html = page.get("/services").get_data(as_text=True)
    assert "<h1>Services</h1>" in html and 'id="service-create"' in html and "shop" in html
    resp = _create(page, setup.project)
    assert resp.status_code == 204 and resp.headers["HX-Redirect"].startswith("/services/svc-")
    dup = _create(page, setup.project)
    assert dup.status_code == 409 and "already exists" in dup.get_data(as_text=True)
    bad = _create(page, setup.project, name="Not OK")
    assert bad.status_code == 400 and "lowercase letters" in bad.get_data(as_text=True)
    # What the project page loads with htmx: the table partial, filtered by project.
    partial = page.get(f"/services?project={setup.project}", headers=HX).get_data(as_text=True)
    assert '<div class="services-list">' in partial and ">web</a>" in partial
    assert "<html" not in partial
    empty = page.get("/services?project=proj-other", headers=HX).get_data(as_text=True)
    assert "No services in this project yet." in empty  # not "match": nothing is filtered
    filtered = page.get("/services?status=failed", headers=HX).get_data(as_text=True)
    assert "No services match this filter." in filtered
    viewer = login_as(setup.viewer).get("/services").get_data(as_text=True)
    assert 'id="service-create"' not in viewer
    home = page.get("/").get_data(as_text=True)
    assert 'id="services-card"' in home and "<strong>1</strong> service ·" in home


def test_detail_deploy_progress_settings_and_delete(login_as, setup, app):
    page = login_as(setup.maintainer)
    sid = _create(page, setup.project).headers["HX-Redirect"].rsplit("/", 1)[1]
    html = page.get(f"/services/{sid}").get_data(as_text=True)
    assert 'sse-connect="/api/v1/services/' in html and 'id="deploy-form"' in html
    # A maintainer sees (and edits) the environment values: a row per variable.
    assert 'name="env-key" value="GREETING"' in html and "\nhi</textarea>" in html

    resp = page.post(
        f"/services/{sid}/deploy",
        data={
            "image": "app:v2",
            "command": HTTP_SERVER,
            "replicas": "1",
            "strategy": "rolling-update",
        },
        headers=HX,
    )
    assert resp.status_code == 200 and resp.headers["HX-Trigger"] == "service-changed"
    body = resp.get_data(as_text=True)
    assert "Deployment of revision 1" in body and 'hx-trigger="load delay:1s"' in body
    again = page.post(f"/services/{sid}/deploy", data={"strategy": "recreate"}, headers=HX)
    assert again.status_code == 409 and "already in progress" in again.get_data(as_text=True)
    did = body.split('id="progress-')[1].split('"')[0]
    progress = page.get(f"/deployments/{did}/progress", headers=HX)
    assert progress.status_code == 200 and "in-progress" in progress.get_data(as_text=True)
    assert "app:v2" in page.get(f"/services/{sid}/deployments", headers=HX).get_data(as_text=True)

    settings = page.post(
        f"/services/{sid}/settings",
        data={
            "url_auth": "public",
            "health_check_path": "/healthz",
            **{"env-rows": "1", "env-key": "A", "env-value": "1"},
        },
        headers=HX,
    )
    assert settings.status_code == 200 and "Settings saved" in settings.get_data(as_text=True)
    bad = page.post(
        f"/services/{sid}/settings",
        data={
            "url_auth": "public",
            "health_check_path": "/",
            **{"env-rows": "1", "env-key": "PORT", "env-value": "1"},
        },
        headers=HX,
    )
    assert bad.status_code == 400 and "assigned by the runtime" in bad.get_data(as_text=True)

    busy = page.delete(f"/services/{sid}", headers=HX)
    assert busy.status_code == 409 and "in progress" in busy.get_data(as_text=True)
    from blueprints.core.extensions import db
    from blueprints.services.models import Service

    with app.app_context():  # as if the rollout had ended
        db.session.get(Service, sid).active_deployment_id = None
        db.session.commit()
    gone = page.delete(f"/services/{sid}", headers=HX)
    assert gone.status_code == 204 and gone.headers["HX-Redirect"] == "/services"
    assert page.get(f"/services/{sid}").status_code == 404


def test_viewer_sees_names_not_values_and_no_buttons(login_as, api_as, setup):
    api = api_as(setup.maintainer)
    sid = api.post(
        "/api/v1/services",
        json={
            "projectId": setup.project,
            "name": "web",
            "image": "app:v1",
            "command": HTTP_SERVER,
            "env": {"TOKEN": "abc123"},
        },
    ).get_json()["id"]
    html = login_as(setup.viewer).get(f"/services/{sid}").get_data(as_text=True)
    assert "abc123" not in html and "TOKEN=********" in html
    assert 'id="deploy-form"' not in html and 'id="stop-service"' not in html
    stranger = login_as(setup.stranger)
    assert stranger.get(f"/services/{sid}").status_code == 404
    assert stranger.post(f"/services/{sid}/stop", headers=HX).status_code == 404
