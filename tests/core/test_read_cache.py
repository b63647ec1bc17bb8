"""The read cache (core.readcache): a cached list answers without SQL, and any commit to a
table it reads - from this process, a bulk statement, text SQL or another process - is in the
next answer; authentication and the rate limit are asked before it (issue 16)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import text, update

from blueprints.core.extensions import db
from tests.support.services import process_env

ROOT = Path(__file__).resolve().parents[2]


def _names(resp) -> list[str]:
    assert resp.status_code == 200, resp.get_json()
    return [p["name"] for p in resp.get_json()["data"]]


def test_a_repeated_list_runs_no_sql_and_keeps_per_request_headers(app, admin, api_as, statements):
    api = api_as(admin, key=True)
    api.post("/api/v1/projects", json={"name": "alpha"})
    first = api.get("/api/v1/projects?limit=5")
    statements.clear()
    second = api.get("/api/v1/projects?limit=5")
    assert statements == []
    assert second.get_json() == first.get_json()
    assert second.headers["Content-Type"] == "application/json"
    assert int(second.headers["X-RateLimit-Remaining"]) == (
        int(first.headers["X-RateLimit-Remaining"]) - 1
    )
    assert second.headers["X-Request-ID"] != first.headers["X-Request-ID"]


def test_off_with_zero_seconds(app, admin, api_as, statements, monkeypatch):
    monkeypatch.setitem(app.config, "READ_CACHE_SECONDS", 0)
    api = api_as(admin, key=True)
    api.get("/api/v1/projects")
    statements.clear()
    api.get("/api/v1/projects")
    assert statements


def test_writes_through_the_api_the_session_and_text_sql_show_at_once(app, admin, api_as):
    api = api_as(admin, key=True)
    project = api.post("/api/v1/projects", json={"name": "alpha"}).get_json()
    assert _names(api.get("/api/v1/projects")) == ["alpha"]

    api.patch(f"/api/v1/projects/{project['id']}", json={"name": "beta"})
    assert _names(api.get("/api/v1/projects")) == ["beta"]

    from blueprints.projects.models import Project

    with app.app_context():  # a bulk UPDATE (no object flushed)
        db.session.execute(update(Project).where(Project.id == project["id"]).values(name="gamma"))
        db.session.commit()
    assert _names(api.get("/api/v1/projects")) == ["gamma"]

    with app.app_context():  # text SQL: the session cannot say which table, so all of them
        db.session.execute(
            text("UPDATE projects SET name = 'delta' WHERE id = :id"), {"id": project["id"]}
        )
        db.session.commit()
    assert _names(api.get("/api/v1/projects")) == ["delta"]

    with app.app_context():  # rolled back: nothing to see, and the answer is right
        db.session.execute(update(Project).values(name="never"))
        db.session.rollback()
    assert _names(api.get("/api/v1/projects")) == ["delta"]


def test_a_related_table_written_shows_at_once(app, factory, api_as):
    """The project list names its owner: renaming the user is in the next answer."""
    from blueprints.users.models import User

    org = factory.org()
    owner = factory.user(org, roles=["admin"])
    api = api_as(owner, key=True)
    api.post("/api/v1/projects", json={"name": "alpha"})
    assert api.get("/api/v1/projects").get_json()["data"][0]["owner"]["name"] != "Renamed"
    with app.app_context():
        db.session.get(User, owner).name = "Renamed"
        db.session.commit()
    assert api.get("/api/v1/projects").get_json()["data"][0]["owner"]["name"] == "Renamed"


def test_another_process_commit_shows_at_once(app, admin, api_as):
    """A worker (here a separate Python process on the same database and Redis) renames a
    project; the web process's next list has the new name."""
    api = api_as(admin, key=True)
    project = api.post("/api/v1/projects", json={"name": "alpha"}).get_json()
    assert _names(api.get("/api/v1/projects")) == ["alpha"]
    script = (
        "from app import create_app\n"
        "from blueprints.core.extensions import db\n"
        "from blueprints.projects.models import Project\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        f"    db.session.get(Project, {project['id']!r}).name = 'renamed elsewhere'\n"
        "    db.session.commit()\n"
    )
    subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=process_env(app), check=True, timeout=300
    )
    assert _names(api.get("/api/v1/projects")) == ["renamed elsewhere"]


def test_callers_do_not_share_answers(app, factory, api_as):
    one, other = factory.org(), factory.org()
    api_one = api_as(factory.user(one, roles=["admin"]), key=True)
    api_other = api_as(factory.user(other, roles=["admin"]), key=True)
    api_one.post("/api/v1/projects", json={"name": "mine"})
    assert _names(api_one.get("/api/v1/projects")) == ["mine"]
    assert _names(api_other.get("/api/v1/projects")) == []


def test_a_revoked_key_is_refused_though_its_answer_is_kept(app, admin, api_as):
    api = api_as(admin, key=True)
    assert api.get("/api/v1/projects").status_code == 200
    key_id = api.get("/api/v1/api-keys").get_json()["data"][0]["id"]
    assert api_as(admin).delete(f"/api/v1/api-keys/{key_id}").status_code in (200, 204)
    resp = api.get("/api/v1/projects")
    assert resp.status_code == 401, resp.get_json()


def test_a_deactivated_user_is_refused_though_an_answer_is_kept(app, admin, api_as):
    """The delivery log, cached, then its reader deactivated: 401, not the answer."""
    from blueprints.users.models import User

    api = api_as(admin, key=True)
    hook = api.post(
        "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/in", "events": ["*"]}
    ).get_json()
    url = f"/api/v1/webhooks/{hook['id']}/deliveries"
    assert api.get(url).get_json()["data"] == []
    api.post(f"/api/v1/webhooks/{hook['id']}/ping")
    assert len(api.get(url).get_json()["data"]) == 1  # the new delivery row is in
    with app.app_context():
        db.session.get(User, admin).active = False
        db.session.commit()
    assert api.get(url).status_code == 401


def test_a_hit_costs_one_redis_command_with_the_rate_limit(app, admin, api_as):
    """The rate limit's script also looks the answer up: a kept answer costs one Redis
    command in all (core.extensions.OneTripFixedWindow)."""
    from blueprints.core.extensions import get_redis

    api = api_as(admin, key=True)
    api.get("/api/v1/projects")
    api.get("/api/v1/projects")  # the key's owner is in this process's key cache now
    with app.app_context():
        redis = get_redis()

        def calls() -> dict[str, int]:
            stats = redis.info("commandstats")
            return {name: v["calls"] for name, v in stats.items() if name != "cmdstat_info"}

        before = calls()
        resp = api.get("/api/v1/projects")
        after = calls()
    assert resp.status_code == 200
    spent = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
    # Redis counts the script's own commands too: INCRBY and PTTL (the count), one GET per
    # table counter and one for the body.
    assert spent.pop("cmdstat_evalsha") == 1, spent
    assert set(spent) <= {"cmdstat_incrby", "cmdstat_pttl", "cmdstat_get"}, spent


def test_forget_all_after_a_migration(app, admin, api_as, statements):
    """migrations/env.py forgets every kept answer: a data migration's rows are not seen by
    the session."""
    from blueprints.core.readcache import forget_all

    api = api_as(admin, key=True)
    api.get("/api/v1/projects")
    with app.app_context():
        forget_all()
    statements.clear()
    api.get("/api/v1/projects")
    assert statements


def test_rows_loaded_before_the_counters_are_not_kept(app, factory, api_as):
    """The caller owns the project, and its user comes from this process's key cache (read
    before a rename that leaves that cache alone: a bulk statement). The answer is made of
    the rows read after the counters, so it has the new name, and so do the kept answers
    after the key cache is gone (found attacking the read cache: they kept the old name)."""
    from blueprints.core import auth
    from blueprints.users.models import User

    owner = factory.user(factory.org(), roles=["admin"])
    api = api_as(owner, key=True)
    api.post("/api/v1/projects", json={"name": "alpha"})
    api.get("/api/v1/api-keys")
    api.get("/api/v1/api-keys")  # the key and its owner are in this process's key cache
    with app.app_context():
        db.session.execute(update(User).where(User.id == owner).values(name="Renamed"))
        db.session.commit()
    owners = lambda: [p["owner"]["name"] for p in api.get("/api/v1/projects").get_json()["data"]]  # noqa: E731
    assert owners() == ["Renamed"]
    app.extensions.pop(auth._KEY_CACHE, None)  # as when AUTH_CACHE_SECONDS has passed
    assert owners() == ["Renamed"]


def test_a_process_with_the_cache_off_still_bumps(app, admin, api_as, monkeypatch):
    """Another process's answers read the rows this one writes, whatever its own setting."""
    from blueprints.core.extensions import get_redis
    from blueprints.core.readcache import GENERATION_PREFIX
    from blueprints.projects.models import Project

    api = api_as(admin, key=True)
    api.post("/api/v1/projects", json={"name": "alpha"})
    monkeypatch.setitem(app.config, "READ_CACHE_SECONDS", 0)
    with app.app_context():
        redis = get_redis()
        before = int(redis.get(GENERATION_PREFIX + Project.__table__.name) or 0)
        db.session.execute(update(Project).values(name="beta"))
        db.session.commit()
        assert int(redis.get(GENERATION_PREFIX + Project.__table__.name)) == before + 1


def test_without_the_rate_limit_the_cache_asks_redis_itself(
    app, admin, api_as, statements, monkeypatch
):
    """With the rate limit off, the view's own script looks the answer up."""
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", False)
    api = api_as(admin, key=True)
    api.post("/api/v1/projects", json={"name": "alpha"})
    first = api.get("/api/v1/projects")
    statements.clear()
    assert api.get("/api/v1/projects").get_json() == first.get_json()
    assert statements == []
    api.post("/api/v1/projects", json={"name": "beta"})
    assert _names(api.get("/api/v1/projects")) == ["beta", "alpha"]
