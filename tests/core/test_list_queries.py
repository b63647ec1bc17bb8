"""Every list endpoint costs the same number of SQL statements whatever its page size (issue 16).

A list that loads a relationship or asks the runtime row by row (an N+1) costs more statements
for 100 items than for 1. Three of everything are made, then each list of the OpenAPI document
is read with `limit=1` and `limit=100` and the statements counted. A list added to the API
without a seed here fails `test_every_list_is_counted`.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from blueprints.core.extensions import db
from blueprints.core.models import utcnow

N = 3


def _seed(app, factory, api_as) -> dict[str, str]:
    """Three of each listed thing in one organization; returns the ids the paths need."""
    from blueprints.infrastructure.models import NodeAlert
    from blueprints.schedules.models import Schedule, Source, Task, Workflow
    from blueprints.users.models import User
    from blueprints.webhooks import domain as webhooks

    org_id = factory.org("Counted", crm=True)
    admin = factory.user(org_id, roles=["admin"])
    api = api_as(admin)
    for i in range(N):
        factory.user(org_id, roles=["viewer"])
        assert api.post("/api/v1/api-keys", json={"name": f"k{i}"}).status_code == 201
        project = api.post("/api/v1/projects", json={"name": f"p{i}"}).get_json()
        customer = api.post(
            "/api/v1/crm/customers", json={"name": f"C{i}", "email": f"c{i}@example.com"}
        ).get_json()
        item = {"sku": "S", "name": "s", "quantity": 1, "unitPrice": 1}
        order = {"customerId": customer["id"], "currency": "USD", "items": [item]}
        assert api.post("/api/v1/crm/orders", json=order).status_code == 201
    svc = {"projectId": project["id"], "type": "web", "command": "true", "image": "app:v1"}
    services = [
        api.post("/api/v1/services", json={**svc, "name": f"s{i}"}).get_json() for i in range(N)
    ]
    with app.app_context():
        user = db.session.get(User, admin)
        org = user.organization
        service_id = services[0]["id"]
        from blueprints.services.models import Deployment

        for i in range(N):
            hook, _ = webhooks.create_webhook(
                org, user, url=f"http://127.0.0.1:9/in/{i}", events=["*"]
            )
        for _ in range(N):
            webhooks.ping(org, user, hook.id)
        now = utcnow()
        sources = [
            Source(
                org_id=org.id,
                name=f"lf{i}",
                source_type="langflow",
                url=f"https://lf{i}.example.com",
                api_key="k",
            )
            for i in range(N)
        ]
        db.session.add_all(sources)
        db.session.flush()
        for i in range(N):
            flow = Workflow(
                org_id=org.id, source_id=sources[i].id, remote_id=f"f{i}", kind="flow", name=f"f{i}"
            )
            db.session.add(flow)
            db.session.flush()
            sched = Schedule(
                org_id=org.id,
                workflow_id=flow.id,
                schedule_type="interval",
                expression="5m",
                anchor_at=now,
                next_run_at=now + timedelta(minutes=5),
            )
            db.session.add(sched)
            db.session.flush()
            db.session.add(Task(org_id=org.id, workflow_id=flow.id, schedule_id=sched.id))
            db.session.add(
                NodeAlert(
                    org_id=org.id,
                    node=f"n{i}",
                    resource="cpu",
                    threshold_percent=90.0,
                    value_percent=95.0,
                    peak_percent=96.0,
                    triggered_at=now,
                )
            )
        for s in services:
            for r in range(N):
                db.session.add(  # deployment rows as a deploy job leaves them
                    Deployment(
                        org_id=org.id,
                        service_id=s["id"],
                        revision=r + 1,
                        image="app:v1",
                        replicas=1,
                        status="success",
                    )
                )
        db.session.commit()
        ids = {"webhook_id": hook.id, "service_id": service_id, "admin": admin}
        db.session.remove()
    return ids


def _lists(app) -> list[str]:
    """Paths of the GET operations that answer a page (`{data, pagination}`)."""
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    out = []
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        if not get:
            continue
        content = get["responses"].get("200", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema", {})
        name = schema.get("$ref", "").rsplit("/", 1)[-1]
        props = schemas.get(name, {}).get("properties", {}) if name else schema.get("properties")
        if "pagination" in (props or {}):
            out.append(path)
    return out


def test_every_list_is_counted(app):
    assert set(_lists(app)) == set(COUNTED), "seed the new list in _seed and add it to COUNTED"


COUNTED = [
    "/api/v1/users",
    "/api/v1/api-keys",
    "/api/v1/projects",
    "/api/v1/services",
    "/api/v1/services/{service_id}/deployments",
    "/api/v1/webhooks",
    "/api/v1/webhooks/{webhook_id}/deliveries",
    "/api/v1/events",
    "/api/v1/infrastructure/alerts",
    "/api/v1/sources",
    "/api/v1/workflows",
    "/api/v1/schedules",
    "/api/v1/tasks",
    "/api/v1/crm/customers",
    "/api/v1/crm/orders",
    "/api/v1/audit-log",  # the API writes of the seed are its entries
]


def test_lists_cost_the_same_statements_for_1_and_100_items(app, factory, api_as, monkeypatch):
    # The statements behind each list: the read cache (core.readcache) would answer the
    # second call of a pair with none.
    monkeypatch.setitem(app.config, "READ_CACHE_SECONDS", 0)
    ids = _seed(app, factory, api_as)
    api = api_as(ids["admin"])
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        costs = {}
        for path in COUNTED:
            url = path.format(**ids)
            per_size = []
            for limit in (1, 100):
                api.get(f"{url}?limit={limit}")  # warm: caches and lazy setup out of the count
                statements.clear()
                resp = api.get(f"{url}?limit={limit}")
                assert resp.status_code == 200, (url, resp.get_json())
                body = resp.get_json()
                assert len(body["data"]) == min(limit, body["pagination"]["total"]), url
                if limit == 100:
                    assert len(body["data"]) >= 2, f"{url}: seed at least two items"
                per_size.append(len(statements))
            costs[path] = per_size
    finally:
        event.remove(engine, "before_cursor_execute", count)
    grows = {path: cost for path, cost in costs.items() if cost[0] != cost[1]}
    assert not grows, f"statements at limit 1 vs 100: {grows}"


@pytest.mark.parametrize("path", ["/api/v1/projects", "/api/v1/services"])
def test_lists_run_few_statements(app, factory, api_as, path, monkeypatch):
    """Authentication, the count and the page, and at most two relationship loads."""
    monkeypatch.setitem(app.config, "READ_CACHE_SECONDS", 0)
    ids = _seed(app, factory, api_as)
    api = api_as(ids["admin"])
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        api.get(f"{path}?limit=20")
        statements.clear()
        assert api.get(f"{path}?limit=20").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) <= 6, statements
