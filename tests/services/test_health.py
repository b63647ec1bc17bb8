"""The health rules the services feature applies to what a runtime observes, the driver
registry, and a delete that answers at once while a job finishes the cleanup."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from blueprints.services.health import Observation, assess
from blueprints.services.runtime.base import ReplicaStatus


def replica(ready=True, state="running", message=""):
    return ReplicaStatus(
        pod="web-r1-abc",
        set_key="k1",
        revision=1,
        state=state,
        ready=ready,
        node="local",
        address="127.0.0.1:1",
        pid=1,
        restarts=0,
        started_at=datetime.now(UTC),
        last_probe_at=None,
        message=message,
    )


@pytest.mark.parametrize(
    ("status", "desired", "replicas", "expected"),
    [
        ("running", 2, [replica(), replica(ready=False)], ("healthy", "1 of 2 replicas ready")),
        (
            "running",
            1,
            [replica(ready=False, state="crashed", message="exited with code 3")],
            ("unhealthy", "0 of 1 replicas ready (exited with code 3)"),
        ),
        ("stopped", 0, [], ("hibernated", "the service is stopped")),
        ("failed", 0, [], ("unhealthy", "the last deployment failed and nothing runs")),
    ],
)
def test_assess_decides_status_and_reason_from_observations(status, desired, replicas, expected):
    service = SimpleNamespace(status=status)
    assert assess(service, Observation(desired=desired, replicas=replicas)) == expected


def _service(app, factory):
    from blueprints.core.extensions import db
    from blueprints.projects.domain import create_project
    from blueprints.services import domain
    from blueprints.users.models import User

    uid = factory.user(roles=["admin"])
    user = db.session.get(User, uid)
    project = create_project(user.organization, user, name="p")
    service = domain.create_service(
        user.organization, user, project_id=project.id, name="api", image="app:v1", command="run"
    )
    return user, service


def _events(kind):
    from sqlalchemy import select

    from blueprints.core.events import Event
    from blueprints.core.extensions import db

    rows = db.session.execute(
        select(Event).where(Event.type == kind).order_by(Event.created_at)
    ).scalars()
    return [dict(e.data) for e in rows]


def test_record_observations_emits_health_changes_and_alerts_once(app, factory):
    from blueprints.core.extensions import db
    from blueprints.services.health import record_observations

    with app.app_context():
        _, service = _service(app, factory)
        service.status = "running"
        db.session.commit()
        record_observations({service.id: Observation(1, [replica()])})
        assert (service.health_status, service.health_reason) == (
            "healthy",
            "1 of 1 replicas ready",
        )
        record_observations({service.id: Observation(1, [replica(ready=False)])})
        record_observations({service.id: Observation(1, [replica(ready=False)])})  # no change
        record_observations({service.id: Observation(1, [replica()])})
        changes = [(e["from"], e["to"]) for e in _events("service.health_changed")]
        assert changes == [
            ("unknown", "healthy"),
            ("healthy", "unhealthy"),
            ("unhealthy", "healthy"),
        ]
        assert [e["serviceId"] for e in _events("alert.triggered")] == [service.id]
        assert [e["serviceId"] for e in _events("alert.resolved")] == [service.id]
        record_observations({})  # a service no driver reports runs nothing
        assert service.health_status == "hibernated"
        db.session.remove()


def test_drivers_come_from_a_registry(database_url, redis_url):
    from blueprints.services.runtime import DRIVERS, get_runtime, register_runtime
    from blueprints.services.runtime.local import LocalRuntime
    from tests.conftest import make_app

    class Fake(LocalRuntime):
        name = "fake"

    register_runtime("fake", Fake)
    try:
        with make_app(database_url, redis_url, SPARKI_RUNTIME="fake").app_context():
            assert isinstance(get_runtime(), Fake)
    finally:
        DRIVERS.pop("fake")


def test_delete_answers_at_once_and_a_job_finishes_the_cleanup(app, factory, run_jobs):
    from blueprints.core.errors import NotFound
    from blueprints.core.extensions import db, get_redis
    from blueprints.core.jobs import get_queue
    from blueprints.services import domain
    from blueprints.services.runtime.logs import append, stream_key

    with app.app_context():
        user, service = _service(app, factory)
        sid = service.id
        append(get_redis(), sid, [(0.0, "info", "hello", "web-r1-abc")], maxlen=100)
        domain.delete_service(user.organization, user, sid)
        with pytest.raises(NotFound):
            domain.get_service(user.organization, user, sid)
        assert get_queue().fetch_job(f"delete-{sid}") is not None
        assert not get_redis().exists(stream_key(sid))  # nothing ran: the logs go at once
        append(get_redis(), sid, [(0.0, "info", "late", "web-r1-abc")], maxlen=100)
        db.session.remove()
    run_jobs()
    with app.app_context():
        assert not get_redis().exists(stream_key(sid))  # the job drops late lines too
