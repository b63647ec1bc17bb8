"""gunicorn's settings for the `web` process (the Procfile passes `-c gunicorn.conf.py`; the
binds and the worker count stay on the Procfile line, from SPARKI_BIND, API_PORT,
SPARKI_PROXY_PORT and WEB_CONCURRENCY).

Streams (followed logs, the service page's live log) are held open for minutes: the gevent
worker serves each connection in a greenlet, so they cost no thread (see
blueprints/core/server.py and `bench/streams.py`).
"""

import os
import shutil
import tempfile

# Prometheus: every worker writes its figures to files in one directory and /metrics sums
# them (prometheus_client's multiprocess mode). `sparki up` shares its directory with the RQ
# workers; gunicorn started alone gets a fresh one of its own, removed on exit.
_OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="sparki-metrics-")


def child_exit(server, worker):
    """A worker that exits leaves its counters (still counted) but not its live gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


# gevent greenlets, with gunicorn's own errors answered in the JSON error envelope.
worker_class = "blueprints.core.server.SparkiGeventWorker"
# Connections one worker serves at once (streams included); beyond, new ones wait in the
# listen backlog.
worker_connections = 1000
# A worker whose event loop is blocked this long is killed and replaced (the loop notifies the
# master itself; an open stream is no block).
timeout = 30
# On a restart, open streams get this long before their connections are cut; EventSource
# clients reconnect and resume from the last id they saw.
graceful_timeout = 10
keepalive = 5

# What gunicorn reads before Flask sees a request (each over the limit is answered by the
# worker in the error envelope): the request line (method, path and query) at most
# `limit_request_line` bytes (414), at most `limit_request_fields` header fields and each
# field at most `limit_request_field_size` bytes (431).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# No gunicorn access log: the app logs each request itself (app.py), at INFO for changes and
# failures and at DEBUG for the pages' own polling reads, so the run log stays readable.
accesslog = None
control_socket_disable = True

# LOG_FORMAT=json: gunicorn's own lines in the app's JSON shape too (blueprints/core/logs.py).
if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    from blueprints.core.logs import gunicorn_logconfig

    logconfig_dict = gunicorn_logconfig()


def post_worker_init(worker):
    """The app is loaded: move everything alive now (modules, the app, SQLAlchemy's mappers
    and caches, the schemas) out of the garbage collector's reach, so its collections walk
    only what requests allocate (gc.freeze; measured with bench/api.py, issue 16)."""
    import gc

    gc.collect()
    gc.freeze()
