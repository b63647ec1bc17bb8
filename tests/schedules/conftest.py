"""Fixtures: fake sources, a controllable clock, and an org with a synced LangFlow source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from .fakes import KEY, FakeSource


@pytest.fixture
def langflow():
    server = FakeSource("langflow")
    yield server
    server.close()


@pytest.fixture
def hive():
    server = FakeSource("hive")
    yield server
    server.close()


class Clock:
    """A clock tests move by hand: `app.extensions["sparki_clock"]` while in use."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at

    def advance(self, **delta) -> datetime:
        self.at += timedelta(**delta)
        return self.at


@pytest.fixture
def clock(app):
    c = Clock(datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC))
    app.extensions["sparki_clock"] = c
    yield c
    app.extensions.pop("sparki_clock", None)


@pytest.fixture
def setup(factory, api_as, langflow):
    """An org with a maintainer-admin, a developer and a viewer, a synced LangFlow source."""
    org = factory.org()
    admin = factory.user(org, roles=["admin"])
    dev = factory.user(org, roles=["developer"])
    viewer = factory.user(org, roles=["viewer"])
    api = api_as(admin)
    src = api.post(
        "/api/v1/sources",
        json={"name": "lf", "sourceType": "langflow", "url": langflow.url, "apiKey": KEY},
    )
    assert src.status_code == 201, src.get_json()
    assert api.post(f"/api/v1/sources/{src.get_json()['id']}/sync").status_code == 200
    wfs = api.get("/api/v1/workflows").get_json()["data"]
    by_name = {w["name"]: w["id"] for w in wfs}
    return {
        "org": org,
        "admin": admin,
        "dev": dev,
        "viewer": viewer,
        "api": api,
        "source": src.get_json()["id"],
        "wf": by_name["Summarizer"],
        "wf2": by_name["Translator"],
    }
