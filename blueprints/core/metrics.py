"""Prometheus metrics: the kernel's own (requests, jobs, queues, rate-limit refusals) and
`/metrics`, which serves them with every feature's.

Metrics are prometheus_client objects in the default registry; a feature declares its own
beside the code that observes them (webhooks: deliveries; services: deploys; schedules: fire
lag). Several processes (gunicorn's workers, RQ's work horses) each count their share: with
`PROMETHEUS_MULTIPROC_DIR` set in every process's environment (`sparki up` and
gunicorn.conf.py set it), prometheus_client's multiprocess mode writes each process's figures
to files there and a scrape sums them. Without it (one process, e.g. `flask run`, the tests)
the default registry is served as it is.

`/metrics` is outside the API's auth. Whether it answers is `METRICS`: `on`, `off`, or `auto`
(the default: on only when the web process binds to loopback, SPARKI_BIND). With
`METRICS_TOKEN` set, a scrape must send `Authorization: Bearer <token>` (Prometheus's
`authorization` / `bearer_token` settings).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from typing import Any

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Counter(
    "sparki_http_requests_total",
    "HTTP requests answered, by method, endpoint (Flask's name) and status code",
    ["method", "endpoint", "status"],
)
REQUEST_SECONDS = Histogram(
    "sparki_http_request_duration_seconds",
    "Time to produce a response (a stream: until its first byte), by method, endpoint, status",
    ["method", "endpoint", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
JOB_SECONDS = Histogram(
    "sparki_job_duration_seconds",
    "RQ job run time, by function and outcome (succeeded|failed)",
    ["function", "outcome"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
RATE_LIMIT_REFUSALS = Counter(
    "sparki_rate_limit_refusals_total",
    "Requests refused with 429 by a rate limit, by where (api|page)",
    ["channel"],
)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def enabled(app: Flask) -> bool:
    mode = str(app.config.get("METRICS", "auto")).strip().lower()
    if mode in ("on", "1", "true", "yes"):
        return True
    if mode in ("off", "0", "false", "no"):
        return False
    bind = str(app.config.get("SPARKI_BIND", "127.0.0.1"))
    if bind == "localhost":
        return True
    try:
        return ipaddress.ip_address(bind).is_loopback
    except ValueError:
        return False


class QueueCollector:
    """RQ queue depths, read from Redis at scrape time (a gauge no process has to keep)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Any:
        from rq import Queue
        from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

        from .extensions import get_redis

        family = GaugeMetricFamily(
            "sparki_rq_jobs",
            "RQ jobs per queue and state (queued, started, scheduled, failed)",
            labels=["queue", "state"],
        )
        with self.app.app_context():
            conn = get_redis()
            for name in self.app.config["RQ_QUEUES"]:
                queue = Queue(name, connection=conn)
                family.add_metric([name, "queued"], queue.count)
                for state, registry in (
                    ("started", StartedJobRegistry),
                    ("scheduled", ScheduledJobRegistry),
                    ("failed", FailedJobRegistry),
                ):
                    family.add_metric([name, state], registry(queue=queue).count)
        yield family


def _scrape_registry(app: Flask) -> CollectorRegistry:
    if multiprocess_dir():
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Default())
    registry.register(QueueCollector(app))
    return registry


class _Default:
    """The default registry's metrics, inside a scrape registry of their own."""

    def collect(self) -> Any:
        yield from REGISTRY.collect()


def _authorized(app: Flask) -> bool:
    token = app.config.get("METRICS_TOKEN") or ""
    if not token:
        return True
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip(), token)


def metrics_view() -> Response:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not enabled(app):
        abort(404)
    if not _authorized(app):
        return Response(
            "A bearer token is required (METRICS_TOKEN)\n",
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            mimetype="text/plain",
        )
    return Response(generate_latest(_scrape_registry(app)), mimetype=CONTENT_TYPE_LATEST)


def _start_timer() -> None:
    g.sparki_started = time.perf_counter()


# (method, endpoint, status) → its request counter and histogram (bounded: endpoints are the
# app's routes, unknown URLs share one label).
_request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _observe(response: Any) -> Any:
    started = g.pop("sparki_started", None)
    endpoint = request.endpoint or "unknown"  # unknown URLs share one label: no explosion
    if started is None or endpoint == "metrics":
        return response
    labels = (request.method, endpoint, response.status_code)
    children = _request_children.get(labels)
    if children is None:  # labels() validates and locks: once per (method, endpoint, status)
        named = (labels[0], labels[1], str(labels[2]))
        children = _request_children[labels] = (
            REQUESTS.labels(*named),
            REQUEST_SECONDS.labels(*named),
        )
    children[0].inc()
    children[1].observe(time.perf_counter() - started)
    if response.status_code == 429:
        RATE_LIMIT_REFUSALS.labels("api" if request.path.startswith("/api/") else "page").inc()
    return response


def register_metrics(app: Flask) -> None:
    """`/metrics` and the request hooks that count every response."""
    app.before_request(_start_timer)
    app.after_request(_observe)
    # Prometheus's text format, not part of the JSON API's OpenAPI document.
    view = app.doc(hide=True)(metrics_view) if hasattr(app, "doc") else metrics_view
    app.add_url_rule("/metrics", "metrics", view, methods=["GET"])


def observe_job(function: str, succeeded: bool, seconds: float) -> None:
    JOB_SECONDS.labels(function, "succeeded" if succeeded else "failed").observe(seconds)
