"""Fixtures: an emulated cluster on 127.0.0.1 (see `emulator.py`) and an app whose runtime is
`kubernetes`, reaching it through a kubeconfig file, as a user's installation would."""

from __future__ import annotations

import os

import pytest

from tests.conftest import make_app
from tests.kubernetes.emulator import Cluster


@pytest.fixture
def cluster():
    c = Cluster()
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def kubeconfig(cluster, tmp_path) -> str:
    return cluster.kubeconfig(str(tmp_path / "kubeconfig"))


@pytest.fixture
def k8s_app(app, database_url, redis_url, kubeconfig):
    """The app on the Kubernetes runtime (the session's `app` keeps the tables clean)."""
    k8s = make_app(
        database_url,
        redis_url,
        SPARKI_RUNTIME="kubernetes",
        KUBECONFIG=kubeconfig,
        SPARKI_K8S_TIMEOUT=10.0,
        DEPLOY_READY_TIMEOUT=30.0,
    )
    yield k8s
    from blueprints.core.extensions import limiter

    limiter.init_app(app)  # the one Limiter keeps the storage of the app bound last


@pytest.fixture
def k8s_api(k8s_app, factory):
    from tests.conftest import ApiClient

    admin = factory.user(roles=["admin"])
    client = ApiClient(k8s_app.test_client(), {"Authorization": f"Bearer {factory.token(admin)}"})
    client.user_id = admin
    return client


@pytest.fixture
def k8s_jobs(k8s_app):
    """Run every queued job in-process on the Kubernetes app (burst)."""
    from blueprints.core.extensions import get_redis
    from blueprints.core.jobs import SparkiSimpleWorker, get_queue

    def run() -> None:
        with k8s_app.app_context():
            conn = get_redis()
            queues = [get_queue(q, conn) for q in k8s_app.config["RQ_QUEUES"]]
            SparkiSimpleWorker(queues, connection=conn, app=k8s_app).work(
                burst=True, with_scheduler=False
            )

    return run


def real_kubeconfig() -> str | None:
    return os.environ.get("SPARKI_TEST_KUBECONFIG") or None
