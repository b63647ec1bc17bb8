"""The services list through the read cache (issue 16): it is kept under the tables it reads
and the local runtime's observation counter, which the agent bumps with every change to its
replica records; a runtime without such a counter is read afresh every time."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from blueprints.core.extensions import db, get_redis
from blueprints.core.readcache import generation_key
from blueprints.services.runtime.agent import Agent
from blueprints.services.runtime.local import REPLICAS_GENERATION, LocalRuntime
from blueprints.services.runtime.reconcile import ReplicaRecord
from tests.services.conftest import HTTP_SERVER


@pytest.fixture
def statements(app):
    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda conn, cursor, statement, *args: seen.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    yield seen
    event.remove(engine, "before_cursor_execute", listener)


def _service(api, project) -> dict:
    body = {"projectId": project, "name": "web", "image": "app:v1", "command": HTTP_SERVER}
    resp = api.post("/api/v1/services", json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _health(api) -> dict:
    resp = api.get("/api/v1/services?limit=20")
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["data"][0]["health"]


def _run_one_replica(app, service: dict, agent: Agent, *, ready: bool) -> None:
    """The service asks for one replica (its desired state, committed) and the agent's
    records hold one, `ready` or not, written by the agent's own `persist()`."""
    from blueprints.services.models import Service
    from blueprints.services.runtime.base import DesiredState, ReplicaSetSpec

    with app.app_context():
        if LocalRuntime().desired(service["id"]) is None:
            db.session.get(Service, service["id"]).status = "running"  # as a deploy leaves it
            LocalRuntime().apply(
                DesiredState(
                    service_id=service["id"],
                    org_id=service_org(app, service),
                    name=service["name"],
                    health_check_path="/",
                    port=None,
                    sets=[
                        ReplicaSetSpec(
                            key="set-1",
                            revision=1,
                            image="app:v1",
                            command="true",
                            env={},
                            replicas=1,
                        )
                    ],
                )
            )
            db.session.commit()
    agent.records = {
        "web-r1-a": ReplicaRecord(
            pod="web-r1-a",
            service_id=service["id"],
            org_id=service_org(app, service),
            set_key="set-1",
            revision=1,
            port=45999,
            state="running",
            ready=ready,
        )
    }
    agent.persist()


def service_org(app, service: dict) -> str:
    from blueprints.services.models import Service

    with app.app_context():
        return db.session.get(Service, service["id"]).org_id


def test_the_list_is_kept_until_the_agent_records_a_change(app, api_as, setup, statements):
    api = api_as(setup.maintainer, key=True)
    service = _service(api, setup.project)
    agent = Agent(app, node_name="node-test")
    _run_one_replica(app, service, agent, ready=False)
    assert _health(api)["status"] == "unhealthy"

    statements.clear()
    assert _health(api)["status"] == "unhealthy"
    assert statements == []  # kept: no SQL

    counter = generation_key(REPLICAS_GENERATION)
    with app.app_context():
        before = int(get_redis().get(counter))
    agent.persist()  # the same records again (a heartbeat): nothing to forget
    with app.app_context():
        assert int(get_redis().get(counter)) == before
    statements.clear()
    _health(api)
    assert statements == []

    _run_one_replica(app, service, agent, ready=True)  # the probe passed: the next answer says so
    health = _health(api)
    assert health["status"] == "healthy" and health["reason"] == "1 of 1 replicas ready"


def test_a_lost_counter_is_bumped_again(app, api_as, setup):
    """A Redis that restarted empty lost the counter; the agent's next write bumps it even
    though its records did not change, so an answer kept meanwhile is asked for no more."""
    api = api_as(setup.maintainer, key=True)
    service = _service(api, setup.project)
    agent = Agent(app, node_name="node-test")
    _run_one_replica(app, service, agent, ready=True)
    counter = generation_key(REPLICAS_GENERATION)
    with app.app_context():
        get_redis().delete(counter)
    agent.persist()
    with app.app_context():
        assert int(get_redis().get(counter)) == 1
    assert _health(api)["status"] == "healthy"


def test_a_runtime_without_a_counter_is_read_every_time(
    app, api_as, setup, statements, monkeypatch
):
    """Kubernetes has no observation counter (`observation_sources()` is None): the list asks
    the runtime on every request and keeps nothing."""
    from blueprints.services.runtime.kubernetes import KubernetesRuntime

    assert KubernetesRuntime.observation_sources(object.__new__(KubernetesRuntime)) is None
    monkeypatch.setattr(LocalRuntime, "observation_sources", lambda self: None)
    api = api_as(setup.maintainer, key=True)
    _service(api, setup.project)
    _health(api)
    statements.clear()
    _health(api)
    assert statements
    with app.app_context():
        assert not list(get_redis().scan_iter("sparki:read:*"))
