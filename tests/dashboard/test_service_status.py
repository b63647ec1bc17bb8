"""Service status and health come from one snapshot; a normal start raises no alert (issue 11)."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from blueprints.services.health import Observation, assess
from tests.services.test_health import _events, _service, replica


@pytest.mark.parametrize(
    ("status", "desired", "replicas", "expected"),
    [
        ("running", 2, [], "starting"),  # just started: nothing observed yet
        ("running", 2, [replica(ready=False, state="starting")] * 2, "starting"),
        ("running", 2, [replica(ready=False, state="crashed", message="exit 3")], "unhealthy"),
        # restarted after a crash: an outage (CrashLoopBackOff), not a start
        ("running", 1, [replace(replica(ready=False, state="starting"), restarts=1)], "unhealthy"),
        ("stopped", 0, [replica(), replica()], "hibernated"),  # stopping: replicas linger
        ("stopped", 2, [replica()], "hibernated"),  # the row says stopped: never "healthy"
    ],
)
def test_one_rule_for_status_and_health(status, desired, replicas, expected):
    got, reason = assess(SimpleNamespace(status=status), Observation(desired, replicas))
    assert got == expected, reason
    if status == "stopped" and replicas:
        assert "shutting down" in reason


def test_a_normal_start_and_restart_raise_no_alert(app, factory):
    from blueprints.core.extensions import db
    from blueprints.services.health import record_observations

    with app.app_context():
        _, service = _service(app, factory)
        record_observations({})  # stopped: hibernated
        service.status = "running"  # Start
        db.session.commit()
        starting = replica(ready=False, state="starting")
        for seen in ([], [starting, starting], [replica(), starting], [replica(), replica()]):
            record_observations({service.id: Observation(2, seen)})
        record_observations({service.id: Observation(2, [starting, starting])})  # a restart
        record_observations({service.id: Observation(2, [replica(), replica()])})
        changes = [(e["from"], e["to"]) for e in _events("service.health_changed")]
        assert changes == [
            ("hibernated", "starting"),
            ("starting", "healthy"),
            ("healthy", "starting"),
            ("starting", "healthy"),
        ]
        assert _events("alert.triggered") == [] and _events("alert.resolved") == []
        # A start that really fails is an outage: alerted once.
        crashed = replica(ready=False, state="crashed", message="exit 3")
        record_observations({service.id: Observation(2, [crashed])})
        assert [e["kind"] for e in _events("alert.triggered")] == ["service.unhealthy"]
        db.session.remove()


def test_the_page_and_api_read_health_from_the_same_snapshot(app, factory, api_as):
    """Stored health lags (the agent writes it every couple of seconds); reads do not."""
    from blueprints.core.extensions import db
    from blueprints.services.models import Service

    with app.app_context():
        user, service = _service(app, factory)
        sid, uid = service.id, user.id
        row = db.session.get(Service, sid)
        row.status, row.health_status = "stopped", "healthy"  # what the agent left before Stop
        db.session.commit()
        db.session.remove()
    body = api_as(uid).get(f"/api/v1/services/{sid}").get_json()
    assert (body["status"], body["health"]["status"]) == ("stopped", "hibernated")
