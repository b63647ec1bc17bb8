"""The SDK against a real Sparki served over HTTP: credentials, typed results, pages, errors
and idempotency, one resource after another."""

from __future__ import annotations

import itertools
import threading
from datetime import datetime
from decimal import Decimal

import pytest
import sparki
from sparki import Client
from sparki.models import Project, ServiceListItem, User

from tests.conftest import PASSWORD
from tests.sdk.conftest import FAST


def test_credentials_come_from_the_environment(live_server, factory, admin_id, monkeypatch):
    monkeypatch.setenv("SPARKI_API_KEY", factory.api_key(admin_id))
    monkeypatch.setenv("SPARKI_BASE_URL", live_server.url)
    with Client() as client:
        assert client.base_url == live_server.url
        assert client.users.me().id == admin_id


def test_the_default_base_url_is_make_runs(monkeypatch):
    monkeypatch.delenv("SPARKI_BASE_URL", raising=False)
    assert Client(api_key="sk_x").base_url == "http://localhost:8883"


def test_a_base_url_with_the_api_path_works_too(live_server, factory, admin_id):
    """API.md names the API by its base path: `SPARKI_BASE_URL=http://host:8883/api/v1` sent
    requests to /api/v1/api/v1/… (404 on every call)."""
    key = factory.api_key(admin_id)
    with Client(api_key=key, base_url=f"{live_server.url}/api/v1/") as client:
        assert client.base_url == live_server.url
        assert client.users.me().id == admin_id


def test_no_credentials_is_an_authentication_error(monkeypatch):
    monkeypatch.delenv("SPARKI_API_KEY", raising=False)
    with pytest.raises(sparki.AuthenticationError):
        Client()


def test_login_gives_a_bearer_token_client_that_refreshes_and_logs_out(live_server, admin_id):
    client = Client.login("admin@acme.test", PASSWORD, base_url=live_server.url, **FAST)
    first = client.token
    assert first and client.users.me().email == "admin@acme.test"
    refreshed = client.auth.refresh()
    assert refreshed.expires_in == 3600 and client.token == refreshed.token != first
    with pytest.raises(sparki.InvalidRequestError):
        client.auth.logout()  # a session's logout; a token ends everywhere or by expiry
    assert client.auth.logout_everywhere().success
    with pytest.raises(sparki.AuthenticationError) as caught:
        client.users.me()
    assert caught.value.status == 401 and caught.value.code == "authentication_failed"
    with pytest.raises(sparki.AuthenticationError):
        Client.login("admin@acme.test", "wrong password", base_url=live_server.url, **FAST)


def test_results_are_typed_with_the_raw_json_kept(sdk):
    project = sdk.projects.create(
        name="shop", description="the shop", repository={"url": "https://git.example/shop"}
    )
    assert isinstance(project, Project)
    assert project.id.startswith("proj-") and project.name == "shop"
    assert isinstance(project.created_at, datetime) and project.created_at.tzinfo is not None
    raw = project.to_dict()
    assert raw["createdAt"].endswith("Z") and raw["id"] == project.id
    assert project["createdAt"] == raw["createdAt"]
    assert project.owner.email == "admin@acme.test"  # a nested model
    assert project.repository["url"] == "https://git.example/shop"
    again = sdk.projects.get(project.id)
    assert again == project


def test_a_page_iterates_across_every_page_by_cursor(sdk):
    made = {sdk.projects.create(name=f"p{n:02d}").id for n in range(23)}
    first = sdk.projects.list(limit=10)
    assert len(first.data) == 10 and first.total == 23 and first.total_pages == 3
    assert first.has_more and first.next_cursor
    walked = [p.id for p in first]  # three requests, lazily
    assert len(walked) == 23 and set(walked) == made
    second = first.next_page()
    assert [p.id for p in second.data] == walked[10:20]
    assert second.next_page().has_more is False
    active = sdk.projects.list(status="active", limit=50)
    assert len(active.data) == 23 and not active.has_more


def test_each_error_code_raises_its_exception_with_the_request_id(sdk, sdk_client, factory, org):
    with pytest.raises(sparki.NotFoundError) as caught:
        sdk.projects.get("proj-missing")
    error = caught.value
    assert (error.status, error.code) == (404, "not_found")
    assert error.request_id.startswith("req-") and error.message
    assert error.request_id in str(error)

    with pytest.raises(sparki.ValidationError) as caught:
        sdk.projects.create(name="")
    assert caught.value.status == 400 and caught.value.field == "name" and caught.value.reason
    assert isinstance(caught.value, sparki.InvalidRequestError)

    sdk.projects.create(name="dup")
    with pytest.raises(sparki.ConflictError) as caught:
        sdk.projects.create(name="dup")
    assert caught.value.status == 409

    viewer = sdk_client(factory.user(org, roles=["viewer"]))
    with pytest.raises(sparki.PermissionError) as caught:
        viewer.projects.create(name="nope")
    assert caught.value.code == "insufficient_permissions"

    with pytest.raises(sparki.ModuleDisabledError) as caught:
        sdk.customers.list()
    assert caught.value.status == 403 and isinstance(caught.value, sparki.PermissionError)

    stranger = Client(api_key="sk_not_a_key", base_url=sdk.base_url)
    with pytest.raises(sparki.AuthenticationError):
        stranger.projects.list()
    for cls in (sparki.NotFoundError, sparki.RateLimitError, sparki.ServiceUnavailableError):
        assert issubclass(cls, sparki.SparkiError)


def test_every_post_carries_an_idempotency_key_and_a_given_one_replays(sdk):
    first = sdk.projects.create(name="once", idempotency_key="create-once")
    again = sdk.projects.create(name="once", idempotency_key="create-once")
    assert again.id == first.id
    assert len(sdk.projects.list().data) == 1
    # Without a key of the caller's, each call gets a fresh one: two creates are two tries.
    sdk.projects.create(name="twice")
    with pytest.raises(sparki.ConflictError):
        sdk.projects.create(name="twice")


def test_users_api_keys_and_the_organization(sdk, live_server):
    me = sdk.users.me()
    assert isinstance(me, User) and me.roles == ["admin"]
    dev = sdk.users.create(
        email="dev@acme.test", name="Dev", password=PASSWORD, roles=["developer"]
    )
    assert sdk.users.get(dev.id).name == "Dev"
    assert sdk.users.update(dev.id, name="Developer").name == "Developer"
    assert {u.id for u in sdk.users.list(role="developer")} == {dev.id}
    key = sdk.api_keys.create(name="ci", user_id=dev.id)
    assert key.key.startswith("sk_") and sdk.api_keys.get(key.id).prefix == key.prefix
    assert key.id in {k.id for k in sdk.api_keys.list(all=True)}
    dev_client = Client(api_key=key.key, base_url=live_server.url)
    assert dev_client.users.me().id == dev.id
    assert sdk.api_keys.delete(key.id).success is True
    with pytest.raises(sparki.AuthenticationError):
        dev_client.users.me()
    assert sdk.users.delete(dev.id).success

    organization = sdk.organization.get()
    assert organization.modules["schedules"] is True and organization.modules["crm"] is False
    limits = {"maxServices": 7, "activeServiceLimit": 5}  # nested: camelCase, as sent
    updated = sdk.organization.update(modules={"crm": True}, limits=limits)
    assert updated.modules["crm"] is True and updated.limits["maxServices"] == 7
    assert isinstance(sdk.users.sessions().data, list)
    assert sdk.health().status in {"ok", "healthy", "degraded"}


def test_projects_members_and_services_crud(sdk, factory, org):
    member = factory.user(org, roles=["developer"])
    project = sdk.projects.create(name="shop")
    added = sdk.projects.add_member(project.id, user_id=member, role="contributor")
    assert added.user_id == member and added.role == "contributor"
    assert member in {m.user_id for m in sdk.projects.get(project.id).members}
    assert sdk.projects.update(project.id, description="new").description == "new"
    assert sdk.projects.remove_member(project.id, member).success

    service = sdk.services.create(
        project_id=project.id,
        name="api",
        type="web",
        image="app:v1",
        command="python3 -m http.server $PORT",
        env={"LOG_LEVEL": "debug"},  # nested keys are sent as given
    )
    assert service.status == "stopped" and service.env == {"LOG_LEVEL": "debug"}
    assert service.replicas.desired == 0 and service.health.status
    listed = sdk.services.list(project=project.id)
    assert [type(s) for s in listed.data] == [ServiceListItem] and listed.data[0].id == service.id
    assert sdk.services.update(service.id, image="app:v2").image == "app:v2"
    assert sdk.services.logs(service.id, lines=10) == []
    assert list(sdk.services.deployments(service.id)) == []
    assert sdk.services.delete(service.id).success
    assert sdk.projects.delete(project.id).success
    assert sdk.projects.get(project.id).status == "archived"


def test_webhooks_and_events(sdk, sdk_client, factory, org):
    hook = sdk.webhooks.create(url="http://127.0.0.1:9/sparki", events=["user.*"])
    assert hook.secret.startswith("whsec_") and hook.active is True
    assert sdk.webhooks.get(hook.id).url == hook.url
    assert sdk.webhooks.update(hook.id, description="ci").description == "ci"
    rotated = sdk.webhooks.rotate_secret(hook.id)
    assert rotated.secret != hook.secret and rotated.previous_secret_expires_at
    ping = sdk.webhooks.ping(hook.id)
    assert ping.event == "ping" and ping.webhook_id == hook.id
    assert sdk.webhooks.delivery(hook.id, ping.id).id == ping.id
    assert ping.id in {d.id for d in sdk.webhooks.deliveries(hook.id)}
    assert sdk.webhooks.redeliver(hook.id, ping.id).event == "ping"
    recovered = sdk.webhooks.recover(hook.id, since="2020-01-01T00:00:00Z")
    assert recovered.count >= 0
    assert hook.id in {w.id for w in sdk.webhooks.list()}

    sdk.users.create(email="new@acme.test", name="New", password=PASSWORD)
    events = sdk.events.list(type="user.created")
    assert {e.type for e in events} == {"user.created"}  # newest first
    event = sdk.events.get(events.data[0].id)
    assert event.data["email"] == "new@acme.test" and isinstance(event.timestamp, datetime)
    assert sdk.webhooks.delete(hook.id).success


def test_infrastructure_thresholds_and_alerts(sdk):
    thresholds = sdk.infrastructure.update_thresholds(cpu_percent=91, for_seconds=120)
    assert thresholds.cpu_percent == 91 and thresholds.for_seconds == 120
    assert sdk.infrastructure.thresholds().cpu_percent == 91
    assert list(sdk.infrastructure.alerts(status="resolved")) == []


def test_customers_and_orders_with_exact_money(sdk):
    sdk.organization.update(modules={"crm": True})
    customer = sdk.customers.create(name="Ada", email="ada@example.com", company="AE")
    assert sdk.customers.get(customer.id).name == "Ada"
    assert sdk.customers.update(customer.id, phone="+1 555").phone == "+1 555"
    order = sdk.orders.create(
        customer_id=customer.id,
        currency="EUR",
        items=[
            {"sku": "A", "name": "Widget", "quantity": 3, "unit_price": Decimal("19.99")},
            {"sku": "B", "name": "Gadget", "quantity": 1, "unitPrice": "0.03"},
        ],
    )
    assert order.total == Decimal("60.00") and isinstance(order.total, Decimal)
    assert str(order.total) == "60.00"  # the currency's decimals, as the server sent them
    assert order.status == "placed" and order.payment_status == "unpaid"
    assert order.items[0].unit_price == Decimal("19.99")
    payment = sdk.orders.pay(order.id, amount=Decimal("10.01"))
    assert payment.amount == Decimal("10.01")
    detail = sdk.orders.get(order.id)
    assert detail.payment_status == "partially_paid" and detail.open_balance == Decimal("49.99")
    assert str(detail.amount_refunded) == "0.00" and str(detail.subtotal) == "60.00"
    assert sdk.orders.update(order.id, status="fulfilled").status == "fulfilled"
    refund = sdk.orders.refund(order.id, amount="5.00")
    assert refund.kind == "refund"
    assert [o.id for o in sdk.orders.list(customer=customer.id)] == [order.id]
    assert customer.id in {c.id for c in sdk.customers.list(q="Ada")}
    other = sdk.customers.create(name="Bob", email="bob@example.com")
    assert sdk.customers.delete(other.id).success


def test_schedules_tasks_sources_and_workflows(sdk):
    preview = sdk.schedules.preview(schedule_type="interval", expression="5m")
    assert len(preview.next_runs) >= 2
    with pytest.raises(sparki.ValidationError) as caught:
        sdk.schedules.preview(schedule_type="cron", expression="not cron")
    assert caught.value.field == "expression"
    assert list(sdk.sources.list()) == [] and list(sdk.workflows.list()) == []
    assert list(sdk.tasks.list(status="failed")) == [] and list(sdk.schedules.list()) == []
    with pytest.raises(sparki.NotFoundError):
        sdk.tasks.get("task-missing")


def test_many_pages_walk_lazily(sdk):
    for n in range(5):
        sdk.projects.create(name=f"lazy{n}")
    pages = sdk.projects.list(limit=2)
    assert [p.name for p in itertools.islice(pages, 3)] == ["lazy4", "lazy3", "lazy2"]


def test_the_seeds_python_example(sdk):
    """The seed's example as written (with ids of this organization's)."""
    service_id = sdk.services.create(
        project_id=sdk.projects.create(name="shop").id, name="api", image="a:1", command="x"
    ).id
    client = sdk

    # List projects
    projects = client.projects.list(status="active", limit=50)
    # Get service logs
    logs = client.services.logs(service_id, lines=100)
    # Check cluster status
    status = client.infrastructure.cluster_status()

    assert [p.name for p in projects] == ["shop"] and logs == []
    assert status.name and status.status and status.nodes.total is not None


@pytest.fixture
def limited_server(database_url, redis_url, app):
    """A second real Sparki on the same database, allowing an API key 2 requests a minute."""
    from werkzeug.serving import make_server

    from tests.conftest import make_app
    from tests.support.services import free_port

    limited = make_app(database_url, redis_url, TESTING=False, RATE_LIMIT_PER_KEY="2/minute")
    server = make_server("127.0.0.1", free_port(), limited, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_a_real_429_is_retried_after_retry_after_then_raised(limited_server, factory, admin_id):
    client = Client(api_key=factory.api_key(admin_id), base_url=limited_server, max_retries=2)
    waits: list[float] = []
    client._transport.sleep = waits.append  # record the waits instead of sleeping them
    client.users.me()
    client.users.me()
    with pytest.raises(sparki.RateLimitError) as caught:
        client.users.me()
    error = caught.value
    assert error.status == 429 and error.code == "rate_limit_exceeded"
    assert 0 < error.retry_after <= 60 and error.request_id.startswith("req-")
    assert len(waits) == 2 and all(0 < w <= 60 for w in waits)  # what Retry-After said


def test_the_audit_log_and_readiness(sdk):
    """`audit_log` reads who did what (admins), `health_ready` the answering process."""
    project = sdk.projects.create(name="Audited")
    entries = list(sdk.audit_log.list(target=project.id))
    assert entries and all(e.target and e.target.get("id") == project.id for e in entries[:1])
    assert sdk.audit_log.get(entries[0].id).entry.id == entries[0].id
    assert sdk.health_ready().status == "ok"
