"""Modules: an endpoint of a module that is off answers 403 module_disabled."""

from __future__ import annotations

import pytest

from blueprints.core.api import auth_required, current_principal
from tests.conftest import make_app
from tests.core.helpers import assert_error


@pytest.fixture(scope="module")
def module_app(database_url, redis_url, app):
    """A separate app with one endpoint per module, added before its first request."""
    a = make_app(database_url, redis_url)

    @a.get("/api/v1/probe/crm")
    @auth_required(module="crm")
    def crm_probe():
        return {"org": current_principal().org.id}

    @a.get("/api/v1/probe/schedules")
    @auth_required(module="schedules")
    def schedules_probe():
        return {"org": current_principal().org.id}

    return a


def _bearer(factory, uid):
    return {"Authorization": f"Bearer {factory.token(uid)}"}


def test_new_org_has_schedules_on_and_crm_off(module_app, factory):
    uid = factory.user(roles=["viewer"])
    c = module_app.test_client()
    assert c.get("/api/v1/probe/schedules", headers=_bearer(factory, uid)).status_code == 200
    body = assert_error(
        c.get("/api/v1/probe/crm", headers=_bearer(factory, uid)), 403, "module_disabled"
    )
    assert body["details"]["module"] == "crm"


def test_turning_a_module_on_and_off(module_app, api_as, factory):
    org = factory.org()
    admin = factory.user(org, roles=["admin"])
    viewer = factory.user(org, roles=["viewer"])
    c = module_app.test_client()
    assert (
        api_as(admin).patch("/api/v1/organization", json={"modules": {"crm": True}}).status_code
        == 200
    )
    assert c.get("/api/v1/probe/crm", headers=_bearer(factory, viewer)).status_code == 200
    api_as(admin).patch(
        "/api/v1/organization", json={"modules": {"crm": False, "schedules": False}}
    )
    assert_error(
        c.get("/api/v1/probe/crm", headers=_bearer(factory, viewer)), 403, "module_disabled"
    )
    assert_error(
        c.get("/api/v1/probe/schedules", headers=_bearer(factory, viewer)), 403, "module_disabled"
    )


def test_module_switch_is_per_organization(module_app, api_as, factory):
    mine, theirs = factory.org(), factory.org()
    my_admin = factory.user(mine, roles=["admin"])
    their_user = factory.user(theirs, roles=["admin"])
    api_as(my_admin).patch("/api/v1/organization", json={"modules": {"crm": True}})
    c = module_app.test_client()
    assert c.get("/api/v1/probe/crm", headers=_bearer(factory, my_admin)).status_code == 200
    assert_error(
        c.get("/api/v1/probe/crm", headers=_bearer(factory, their_user)), 403, "module_disabled"
    )


def test_auth_comes_before_the_module_check(module_app):
    assert_error(module_app.test_client().get("/api/v1/probe/crm"), 401, "authentication_failed")
