"""Redis restarted (without persistence) under a pending retry: nothing stored in the
database is lost, and the sweep makes the pending delivery happen."""

from __future__ import annotations

import subprocess
import tempfile

import pytest
from redis import Redis
from sqlalchemy import select

from blueprints.core.cli import redis_server_command
from blueprints.core.extensions import db, get_redis
from blueprints.core.jobs import SparkiSimpleWorker, get_queue
from blueprints.webhooks.models import Delivery
from tests.support.services import free_port, wait_port
from tests.support.waiting import wait_past, wait_until
from tests.webhooks.conftest import Reply

pytestmark = pytest.mark.slow  # a real Redis, restarted


def _redis(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        redis_server_command(port, tempfile.mkdtemp(prefix="sparki-redis-"), persist=False),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(port)
    return proc


def _work(app) -> None:
    with app.app_context():
        conn = get_redis()
        worker = SparkiSimpleWorker([get_queue("default", conn)], connection=conn)
        worker.flask_app = app
        worker.work(burst=True, with_scheduler=True)
        db.session.remove()


def _due(app, webhook_id) -> float:
    """When the last attempt is scheduled (epoch seconds)."""
    with app.app_context():
        last = (
            db.session.execute(
                select(Delivery).where(Delivery.webhook_id == webhook_id).order_by(Delivery.attempt)
            )
            .scalars()
            .all()[-1]
        )
        return last.scheduled_at.timestamp()


def _statuses(app, webhook_id):
    with app.app_context():
        return [
            d.status
            for d in db.session.execute(
                select(Delivery).where(Delivery.webhook_id == webhook_id).order_by(Delivery.attempt)
            ).scalars()
        ]


def test_pending_retry_survives_a_redis_restart(app, factory, receiver, monkeypatch):
    from blueprints.users.domain import _new_user
    from blueprints.users.models import Organization, User
    from blueprints.webhooks.domain import create_webhook
    from blueprints.webhooks.jobs import sweep

    port = free_port()
    redis = _redis(port)
    # The app's queue connection goes to a Redis of this test's own, which it restarts (the
    # rate limiter keeps the session's Redis: a second app would rebind the shared limiter).
    monkeypatch.setitem(
        app.extensions,
        "sparki_redis",
        Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_timeout=10),
    )
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_SCHEDULE", [0, 1])
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_JITTER", 0.0)
    own = app
    try:
        org_id = factory.org()
        admin_id = factory.user(org_id, roles=["admin"])
        receiver.queue(Reply(503, b"maintenance"))
        with own.app_context():
            org = db.session.get(Organization, org_id)
            webhook, _ = create_webhook(
                org, db.session.get(User, admin_id), url=receiver.url, events=["user.created"]
            )
            webhook_id = webhook.id
            wait_past(webhook.created_at.timestamp())  # the event comes after the endpoint
            _new_user(
                org,
                email="late@example.com",
                name="Late",
                password="long-password",
                roles=["viewer"],
            )
            db.session.commit()  # the dispatcher queues the relay in this Redis

        def attempt_2_pending():
            _work(own)
            return _statuses(own, webhook_id) == ["failed", "pending"]

        wait_until(attempt_2_pending, interval=0.05, what="attempt 2 to be scheduled")
        # attempt 2 now waits in RQ's scheduled registry; Redis restarts and forgets it
        redis.terminate()
        redis.wait(10)
        redis = _redis(port)
        wait_past(_due(own, webhook_id))  # attempt 2 falls due
        _work(own)  # the new Redis has nothing to run
        assert _statuses(own, webhook_id) == ["failed", "pending"]
        with own.app_context():
            assert sweep()["enqueued"] == 1  # the periodic sweep, as the scheduler runs it
        _work(own)
        assert _statuses(own, webhook_id) == ["failed", "succeeded"]
        assert len(receiver.requests) == 2
        assert (
            receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
        )
    finally:
        redis.terminate()
        redis.wait(10)
