"""A real node reporter sampling this host into the test Redis, at a fast rate."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from blueprints.core.extensions import get_redis
from blueprints.services.runtime.local_node import start_node_reporter
from tests.support.waiting import PATIENCE, wait_until

NODE = "test-node"
SAMPLE_SECONDS = 0.5


def wait_for(check: Callable[[], object], timeout: float = PATIENCE, every: float = 0.1):
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    return wait_until(check, timeout=timeout, interval=every)


@pytest.fixture
def fast_sampling(app, monkeypatch):
    monkeypatch.setitem(app.config, "NODE_SAMPLE_SECONDS", SAMPLE_SECONDS)
    return SAMPLE_SECONDS


class Reporter:
    def __init__(self, app) -> None:
        self.app = app
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, name: str = NODE, replicas: int = 0) -> Reporter:
        with self.app.app_context():
            redis = get_redis()
        self.thread = start_node_reporter(
            redis,
            self.stop,
            node_name=name,
            replica_count=lambda: replicas,
            interval=SAMPLE_SECONDS,
        )
        return self

    def halt(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(5)


@pytest.fixture
def reporter(app, fast_sampling) -> Iterator[Reporter]:
    """The reporter the runtime agent runs, started in a thread for one test."""
    rep = Reporter(app).start()
    yield rep
    rep.halt()


@pytest.fixture
def node_ready(reporter, api_as, factory):
    """Wait until the node has a reading; returns an API client of a viewer."""
    viewer = factory.user(roles=["viewer"])
    client = api_as(viewer)
    wait_for(lambda: client.get("/api/v1/infrastructure/metrics").json["nodes"])
    return client
