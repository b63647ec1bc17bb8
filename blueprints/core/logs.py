"""Log lines: readable text by default, one JSON object a line with `LOG_FORMAT=json`.

Every line names its time (ISO-8601 UTC), level, logger and message; in a web process the
request id, in a worker the job id and function. JSON lines come from python-json-logger;
gunicorn's own lines use the same formatter (gunicorn.conf.py) so a shipper reads one format.

Nothing here logs a request body, a header or a form: secrets (passwords, API keys, webhook
secrets) never reach a log line from the kernel, and features log ids, not values.

This module is imported by gunicorn's master (gunicorn.conf.py): it imports nothing of the
app at module level.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class ContextFilter(logging.Filter):
    """Adds `request_id` (web), `job_id` and `function` (a worker's current job) to a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id()
        job = _current_job()
        if job is not None:
            record.job_id = job.id
            record.function = job.func_name
        return True


def _request_id() -> str:
    try:
        from flask import g, has_request_context

        return g.get("request_id", "-") if has_request_context() else "-"
    except Exception:  # noqa: BLE001 (a log line never fails for want of context)
        return "-"


def _current_job() -> Any:
    try:
        from rq import get_current_job

        return get_current_job()
    except Exception:  # noqa: BLE001
        return None


class JsonLineFormatter(JsonFormatter):
    """`{"time", "level", "logger", "message", "requestId"?, "jobId"?, "function"?, ...}`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", "%(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = (
            datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )
        super().add_fields(log_data, record, message_dict)
        request_id = log_data.pop("request_id", None)
        if request_id and request_id != "-":
            log_data["requestId"] = request_id
        if "job_id" in log_data:
            log_data["jobId"] = log_data.pop("job_id")


def make_handler(log_format: str) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler._sparki = True  # type: ignore[attr-defined]
    handler.addFilter(ContextFilter())
    if log_format.strip().lower() == "json":
        handler.setFormatter(JsonLineFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    return handler


def configure(log_format: str, level: str) -> None:
    """Sparki's handler, once per process: on the `sparki` logger for text; for JSON on the
    root logger, so RQ's lines (which then skip their own handler) are JSON too."""
    json_lines = log_format.strip().lower() == "json"
    target = logging.getLogger() if json_lines else logging.getLogger("sparki")
    if not any(getattr(h, "_sparki", False) for h in target.handlers):
        target.addHandler(make_handler(log_format))
    logging.getLogger("sparki").setLevel(level)


def gunicorn_logconfig(level: str = "INFO") -> dict[str, Any]:
    """gunicorn's `logconfig_dict` for JSON lines (its error and access loggers)."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "blueprints.core.logs.JsonLineFormatter"}},
        "handlers": {"console": handler},
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": level, "propagate": False},
        },
    }
