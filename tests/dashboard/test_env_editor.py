"""The service Settings form's environment editor keeps every value byte-exact (issue 11)."""

from __future__ import annotations

import json

PEM = (
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"
    "BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----\n"
)
ENV = {
    "T_CERT": "line-one\nT_OTHER=line-two",
    "T_PAD": "value  ",
    "T_PEM": PEM,
    "T_JSON": json.dumps({"a": [1, 2], "b": "c d"}, indent=2),
    "T_LEAD": "\nstarts with a newline",
    "T_CR": "api-set\r\nwith CRLF",
}


def _service(api, **extra):
    project = api.post("/api/v1/projects", json={"name": "envs"}).get_json()["id"]
    body = {"projectId": project, "name": "web", "image": "app:v1", "command": "true", **extra}
    r = api.post("/api/v1/services", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def _rows(env: dict[str, str]):
    return {
        "env-rows": "1",
        "env-key": list(env),
        # What a browser submits: a textarea's line breaks as CRLF.
        "env-value": [v.replace("\r\n", "\n").replace("\n", "\r\n") for v in env.values()],
    }


def _settings(extra):
    return {"url_auth": "private", "health_check_path": "/", **extra}


def test_rows_round_trip_byte_exact(api_as, factory, login_as):
    org = factory.org()
    admin = factory.user(org, roles=["admin"])
    api, page = api_as(admin), login_as(admin)
    sid = _service(api, env=ENV)
    r = page.post(
        f"/services/{sid}/settings", data=_settings(_rows(ENV)), headers={"HX-Request": "true"}
    )
    assert r.status_code == 200, r.text
    assert api.get(f"/api/v1/services/{sid}").get_json()["env"] == ENV
    # The page renders each value in a textarea, after the newline the HTML parser drops.
    html = page.get(f"/services/{sid}").text
    assert 'name="env-key" value="T_PEM"' in html and "\n-----BEGIN PRIVATE KEY-----" in html
    assert "masked" in html  # T_PEM and T_CERT are masked until shown

    # Rows removed and added; an empty added row is ignored; the last row removed means none.
    changed = {"T_PAD": "value  ", "NEW": "  x  ", "": ""}
    page.post(f"/services/{sid}/settings", data=_settings(_rows(changed)))
    assert api.get(f"/api/v1/services/{sid}").get_json()["env"] == {
        "T_PAD": "value  ",
        "NEW": "  x  ",
    }
    page.post(f"/services/{sid}/settings", data=_settings({"env-rows": "1"}))
    assert api.get(f"/api/v1/services/{sid}").get_json()["env"] == {}


def test_bad_rows_are_errors_on_the_editor(api_as, factory, login_as):
    org = factory.org()
    admin = factory.user(org, roles=["admin"])
    api, page = api_as(admin), login_as(admin)
    sid = _service(api, env={"KEEP": "1"})
    for rows, message in [
        ({"env-rows": "1", "env-key": ["", "A"], "env-value": ["orphan", "1"]}, "no name"),
        ({"env-rows": "1", "env-key": ["A", "A"], "env-value": ["1", "2"]}, "set twice"),
        ({"env-rows": "1", "env-key": ["bad name"], "env-value": ["1"]}, "not a valid"),
        ({"env-rows": "1", "env-key": ["PORT"], "env-value": ["1"]}, "assigned by the runtime"),
    ]:
        r = page.post(f"/services/{sid}/settings", data=_settings(rows))
        assert r.status_code == 400 and message in r.text, (rows, r.text)
    assert api.get(f"/api/v1/services/{sid}").get_json()["env"] == {"KEEP": "1"}


def test_the_create_form_takes_rows(api_as, factory, login_as):
    org = factory.org()
    admin = factory.user(org, roles=["admin"])
    api, page = api_as(admin), login_as(admin)
    project = api.post("/api/v1/projects", json={"name": "p"}).get_json()["id"]
    form = {
        "project_id": project,
        "name": "api",
        "type": "web",
        "image": "app:v1",
        "command": "true",
        "replicas": "1",
        "health_check_path": "/",
        "url_auth": "private",
        **_rows({"T_PEM": PEM, "T_PAD": "v  "}),
    }
    r = page.post("/services", data=form)
    assert r.status_code == 303, r.text
    sid = r.headers["Location"].rsplit("/", 1)[-1]
    assert api.get(f"/api/v1/services/{sid}").get_json()["env"] == {"T_PEM": PEM, "T_PAD": "v  "}
