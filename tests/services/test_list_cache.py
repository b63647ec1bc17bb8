"""The services list through the read cache (issue 16): it is kept under the tables it reads
and the local runtime's observation counter, which the agent bumps with every change to its
replica records; a runtime without such a counter is read afresh every time."""

from __future__ import annotations

from blueprints.core.extensions import db, get_redis
from blueprints.core.readcache import generation_key
from blueprints.services.runtime.agent import Agent
from blueprints.services.runtime.local import REPLICAS_GENERATION, LocalRuntime
from blueprints.services.runtime.reconcile import ReplicaRecord
from tests.services.conftest import HTTP_SERVER


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
    agent.records = _records(app, service, ready=ready)
    agent.persist()


def service_org(app, service: dict) -> str:
    from blueprints.services.models import Service

    with app.app_context():
        return db.session.get(Service, service["id"]).org_id


def _records(app, service: dict, *, ready: bool) -> dict[str, ReplicaRecord]:
    return {
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


def _counter(app) -> bytes | None:
    with app.app_context():
        return get_redis().get(generation_key(REPLICAS_GENERATION))


def test_the_list_is_kept_until_the_agent_records_a_change(app, api_as, setup, statements):
    api = api_as(setup.maintainer, key=True)
    service = _service(api, setup.project)
    agent = Agent(app, node_name="node-test")
    _run_one_replica(app, service, agent, ready=False)
    assert _health(api)["status"] == "unhealthy"

    statements.clear()
    assert _health(api)["status"] == "unhealthy"
    assert statements == []  # kept: no SQL

    before = _counter(app)
    agent.persist()  # the same records again (a heartbeat): nothing to forget
    assert _counter(app) == before
    statements.clear()
    _health(api)
    assert statements == []

    _run_one_replica(app, service, agent, ready=True)  # the probe passed: the next answer says so
    assert _counter(app) != before
    health = _health(api)
    assert health["status"] == "healthy" and health["reason"] == "1 of 1 replicas ready"


def test_a_lost_counter_never_comes_back_to_an_old_value(app, api_as, setup):
    """The counter alone is lost (deleted, evicted) while answers kept under its earlier
    values live on: the agent's next write gives it a value never used, not one of those.
    (An INCR from nothing came back to 1, the key of an answer kept from older records.)"""
    api = api_as(setup.maintainer, key=True)
    service = _service(api, setup.project)
    agent = Agent(app, node_name="node-test")
    with app.app_context():
        get_redis().delete(generation_key(REPLICAS_GENERATION))
    _run_one_replica(app, service, agent, ready=False)
    assert _health(api)["status"] == "unhealthy"  # kept under the first value
    agent.records = _records(app, service, ready=True)
    agent.persist()
    assert _health(api)["status"] == "healthy"
    with app.app_context():
        get_redis().delete(generation_key(REPLICAS_GENERATION))
    agent.persist()
    assert _counter(app) is not None
    assert _health(api)["status"] == "healthy"


def test_a_redis_restored_from_an_older_snapshot_is_not_believed(app, api_as, setup):
    """Redis restarts from a snapshot: the counter, the records and the answers kept then come
    back at their older values. The live agent's next write finds the counter is not the value
    it gave it last, so it gives a new one with its newer records."""
    api = api_as(setup.maintainer, key=True)
    service = _service(api, setup.project)
    agent = Agent(app, node_name="node-test")
    _run_one_replica(app, service, agent, ready=False)
    assert _health(api)["status"] == "unhealthy"
    with app.app_context():
        redis = get_redis()
        snapshot = {k: (redis.dump(k), max(redis.pttl(k), 0)) for k in redis.keys("*")}
    agent.records = _records(app, service, ready=True)
    agent.persist()
    assert _health(api)["status"] == "healthy"
    with app.app_context():  # the restart from the snapshot
        redis = get_redis()
        redis.flushdb()
        for key, (value, ttl) in snapshot.items():
            redis.restore(key, ttl, value, replace=True)
    agent.persist()
    assert _health(api)["status"] == "healthy"


def test_an_agent_writing_over_another_changes_the_counter(app, api_as, setup):
    """Two agents' writes in turn (one that lost its lock while paused): each finds the counter
    is not its own last value, so neither write is hidden behind a kept answer."""
    api = api_as(setup.maintainer, key=True)
    service = _service(api, setup.project)
    first = Agent(app, node_name="node-test")
    _run_one_replica(app, service, first, ready=False)
    second = Agent(app, node_name="node-test")
    second.records = _records(app, service, ready=True)
    second.persist()
    assert _health(api)["status"] == "healthy"
    first.persist()  # its own records again, over the second's
    assert _health(api)["status"] == "unhealthy"
    second.persist()
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
