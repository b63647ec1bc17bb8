"""/metrics: who may scrape it, what it counts, and correct sums under two gunicorn workers."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from blueprints.core.jobs import enqueue
from tests.conftest import make_app
from tests.support.services import free_port, process_env
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
HEALTH = "api.health_api.health"


def samples(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def test_metrics_follow_the_bind_the_switch_and_the_token(database_url, redis_url):
    def status(headers=None, **config):
        app = make_app(database_url, redis_url, **config)
        return app.test_client().get("/metrics", headers=headers or {}).status_code

    assert status() == 200  # loopback bind (the default): on
    assert status(SPARKI_BIND="0.0.0.0") == 404  # open bind: off unless asked
    assert status(SPARKI_BIND="0.0.0.0", METRICS="on") == 200
    assert status(METRICS="off") == 404
    assert status(METRICS_TOKEN="s3cret") == 401
    assert status({"Authorization": "Bearer wrong"}, METRICS_TOKEN="s3cret") == 401
    assert status({"Authorization": "Bearer s3cret"}, METRICS_TOKEN="s3cret") == 200


def test_requests_refusals_jobs_and_queues_are_counted(app, api_as, factory, run_jobs):
    client = app.test_client()

    def scrape() -> str:
        r = client.get("/metrics")
        assert r.status_code == 200 and r.content_type.startswith("text/plain")
        return r.get_data(as_text=True)

    before = scrape()
    for _ in range(3):
        assert client.get("/api/v1/health").status_code == 200
    after = scrape()
    name = "sparki_http_requests_total"
    labels = {"endpoint": HEALTH, "status": "200", "method": "GET"}
    assert samples(after, name, **labels) - samples(before, name, **labels) == 3
    assert samples(after, "sparki_http_request_duration_seconds_count", **labels) >= 3

    limited = make_app(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"], RATE_LIMIT_PER_USER="1/hour"
    )
    token = factory.token(factory.user(roles=["viewer"]))
    lc = limited.test_client()
    refused_before = samples(scrape(), "sparki_rate_limit_refusals_total", channel="api")
    codes = [
        lc.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}).status_code
        for _ in range(2)
    ]
    assert codes == [200, 429]
    assert samples(scrape(), "sparki_rate_limit_refusals_total", channel="api") == (
        refused_before + 1
    )

    queued = samples(scrape(), "sparki_rq_jobs", queue="default", state="queued")
    with app.app_context():
        enqueue("blueprints.audit.jobs.prune")
    text = scrape()
    assert samples(text, "sparki_rq_jobs", queue="default", state="queued") == queued + 1
    jobs_before = samples(
        text,
        "sparki_job_duration_seconds_count",
        function="blueprints.audit.jobs.prune",
        outcome="succeeded",
    )
    run_jobs()
    text = scrape()
    assert samples(text, "sparki_rq_jobs", queue="default", state="queued") == 0
    assert (
        samples(
            text,
            "sparki_job_duration_seconds_count",
            function="blueprints.audit.jobs.prune",
            outcome="succeeded",
        )
        == jobs_before + 1
    )


def test_logins_are_counted_by_outcome_unknown_emails_included(app, factory):
    """A failed login for an email no organization has reaches no admin's audit trail; the
    operators' scrape counts it."""
    from blueprints.core.extensions import db
    from blueprints.users.models import User
    from tests.conftest import PASSWORD

    factory.user(roles=["admin"], email="known@example.com")
    gone = factory.user(roles=["viewer"], email="gone@example.com")
    with app.app_context():
        db.session.get(User, gone).active = False
        db.session.commit()
    client = app.test_client()
    before = client.get("/metrics").get_data(as_text=True)
    attempts = [
        ("who@nowhere.test", "x", 401),
        ("known@example.com", "wrong password", 401),
        ("gone@example.com", "wrong password", 401),  # a guess, whatever the account's state
        ("gone@example.com", PASSWORD, 401),
        ("known@example.com", PASSWORD, 200),
    ]
    for email, password, status in attempts:
        r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert r.status_code == status, r.get_json()
    after = client.get("/metrics").get_data(as_text=True)
    counted = {"unknown_email": 1, "wrong_password": 2, "inactive": 1, "success": 1}
    for outcome, count in counted.items():
        got = samples(after, "sparki_logins_total", outcome=outcome)
        assert got - samples(before, "sparki_logins_total", outcome=outcome) == count, outcome


@pytest.mark.slow
def test_two_gunicorn_workers_are_summed_in_one_scrape(app, tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    port = free_port()
    env = process_env(app, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.Popen(
        [
            gunicorn,
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "app:create_app()",
        ],
        cwd=str(ROOT),
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        workers = wait_until(
            lambda: (
                [c.pid for c in psutil.Process(proc.pid).children()]
                if len(psutil.Process(proc.pid).children()) == 2
                else None
            ),
            what="two gunicorn workers",
        )

        def up() -> bool:
            try:
                return requests.get(f"{base}/api/v1/health", timeout=30).status_code == 200
            except requests.RequestException:
                return False

        wait_until(up, what="gunicorn to serve")
        sent = 1
        lock = threading.Lock()

        def burst() -> bool:
            """Eight requests at once (both workers accept), until both have counted some."""
            nonlocal sent

            def one() -> None:
                nonlocal sent
                assert requests.get(f"{base}/api/v1/health", timeout=30).status_code == 200
                with lock:
                    sent += 1

            threads = [threading.Thread(target=one) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            counted = {
                int(m.group(1))
                for f in metrics_dir.iterdir()
                if (m := re.fullmatch(r"counter_(\d+)\.db", f.name))
            }
            return set(workers) <= counted

        wait_until(burst, what="both workers to serve a request")
        text = requests.get(f"{base}/metrics", timeout=10).text
        assert samples(text, "sparki_http_requests_total", endpoint=HEALTH, status="200") == sent
        assert samples(text, "sparki_http_request_duration_seconds_count", endpoint=HEALTH) == sent
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
