"""Issue 10: the OpenAPI document describes what the server does. Schemathesis generates
requests from `/api/v1/openapi.json` for every operation (a few examples each, derandomized so
a run is repeatable) and checks each answer: never a 5xx, every status, header and content
type documented, every body matching its documented schema, `Allow` matching the routes on 405,
and authentication really required where the document says so.

The organization has every module on (an operation of a module that is off answers 403
module_disabled to anything, so the CRM went unchecked), and the CRM operations must be
reached.

One check is left out: `positive_data_acceptance` (a request valid by the schema is accepted).
Sparki refuses schema-valid requests for reasons no schema can state: ids of rows that do not
exist (404), a webhook host that does not resolve or is private (SSRF guard), a wrong current
password, cross-field rules (hysteresis below every threshold), a cursor the API never issued.
Each of those is a documented 4xx, which the other checks verify.

The proxy operations (`/services/{id}/proxy/...`) are left out: what they answer is whatever
the service behind them answers, which no document of Sparki's can describe.
"""

from __future__ import annotations

import ipaddress
import os
import socket

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis.checks import positive_data_acceptance  # noqa: E402

pytestmark = [
    pytest.mark.slow,  # the full suite runs it, test-fast not
    # The API layer is the same on both databases, so one pass runs it (the SQLite one).
    pytest.mark.skipif(
        os.environ.get("SPARKI_TEST_DB", "sqlite") != "sqlite",
        reason="the API's shape does not depend on the database: the SQLite pass runs it",
    ),
]

EXAMPLES_PER_OPERATION = 2


@pytest.fixture
def no_name_resolution(monkeypatch):
    """Generated webhook and source URLs name hosts like `a.com`; this machine has no network,
    and each failed lookup costs its resolver's full timeout (about 7 s here). Names fail at
    once instead, as they would on a resolver that answers NXDOMAIN; IP literals and localhost
    still resolve, so the SSRF guard's address rules are what the run exercises."""
    real = socket.getaddrinfo

    def fail_fast(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host or "")
        try:
            ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            if name not in ("localhost", ""):
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fail_fast)


def test_schemathesis_finds_nothing(app, factory, no_name_resolution, monkeypatch):
    # The suite lets sources live on loopback (its fake LangFlow does); generated source URLs
    # would then be tried on private addresses and wait out their timeouts. Here they are
    # refused by the guard, as in production.
    monkeypatch.setitem(app.config, "SOURCE_ALLOW_PRIVATE", False)
    # Every module on: an operation of a module that is off answers 403 module_disabled to
    # every request, and the run would check nothing behind it (the CRM's, issue 13).
    from blueprints.users.models import DEFAULT_MODULES

    user = factory.user(factory.org(**dict.fromkeys(DEFAULT_MODULES, True)), roles=["admin"])
    headers = {"Authorization": f"Bearer {factory.token(user)}", "X-API-Key": factory.api_key(user)}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures, operations = [], 0
    reached: set[str] = set()  # operations that answered something but 403 module_disabled
    for result in schema.get_all_operations():
        operation = result.ok()
        if "/proxy" in operation.path:
            continue
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            response = case.call_and_validate(
                headers=headers, excluded_checks=[positive_data_acceptance]
            )
            if response.status_code != 403 or b"module_disabled" not in response.content:
                reached.add(case.operation.path)

        try:
            check()
        except Exception as exc:  # one operation's findings; go on to the next
            failures.append(f"{operation.label}: {exc}")
        except BaseExceptionGroup as group:  # schemathesis reports findings as a group
            failures.append(f"{operation.label}: {group}")
    assert operations > 40
    crm = {"/api/v1/crm/customers", "/api/v1/crm/orders", "/api/v1/crm/orders/{order_id}"}
    assert crm <= reached, f"CRM operations not reached: {sorted(crm - reached)}"
    assert not failures, "\n\n".join(failures)


SCHEDULES_EXAMPLES = 25
SCHEDULES_PATHS = ("/sources", "/workflows", "/schedules", "/tasks")


def test_schemathesis_on_the_schedules_operations_with_real_ids(
    app, factory, api_as, no_name_resolution, monkeypatch
):
    """Issue 12's operations again, with more examples and path ids that exist (a synced
    fake LangFlow, a schedule, a task): the pass above mostly meets 404s for made-up ids.
    Deletes keep their generated ids so the rows stay for the other operations."""
    from tests.schedules.fakes import KEY, FakeSource

    langflow = FakeSource("langflow")
    try:
        org = factory.org()
        admin = factory.user(org, roles=["admin"])
        api = api_as(admin)
        src = api.post(
            "/api/v1/sources",
            json={"name": "lf", "sourceType": "langflow", "url": langflow.url, "apiKey": KEY},
        ).get_json()["id"]
        assert api.post(f"/api/v1/sources/{src}/sync").status_code == 200
        wf = api.get("/api/v1/workflows").get_json()["data"][0]["id"]
        sched = api.post(
            "/api/v1/schedules",
            json={"workflowId": wf, "scheduleType": "interval", "expression": "1h"},
        ).get_json()["id"]
        task = api.post(f"/api/v1/workflows/{wf}/run", json={"input": "x"}).get_json()["id"]
        ids = {"source_id": src, "workflow_id": wf, "schedule_id": sched, "task_id": task}
        # From here generated source URLs are refused by the guard, as in production.
        monkeypatch.setitem(app.config, "SOURCE_ALLOW_PRIVATE", False)
        headers = {
            "Authorization": f"Bearer {factory.token(admin)}",
            "X-API-Key": factory.api_key(admin),
        }
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        failures, operations = [], 0
        for result in schema.get_all_operations():
            operation = result.ok()
            if not any(p in operation.path for p in SCHEDULES_PATHS):
                continue
            operations += 1
            real = {} if operation.method.upper() == "DELETE" else ids
            check = _check_with_ids(operation, real, headers)
            try:
                check()
            except Exception as exc:
                failures.append(f"{operation.label}: {exc}")
            except BaseExceptionGroup as group:
                failures.append(f"{operation.label}: {group}")
        assert operations >= 20
        assert not failures, "\n\n".join(failures)
    finally:
        langflow.close()


def _check_with_ids(operation, real: dict, headers: dict):
    @given(case=operation.as_strategy())
    @settings(
        max_examples=SCHEDULES_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        for name in list(case.path_parameters or {}):
            if name in real:
                case.path_parameters[name] = real[name]
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    return check
