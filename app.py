"""The application factory. It only wires: no network or database I/O happens here."""

from __future__ import annotations

import importlib
import logging
import re
import secrets
from typing import Any

from apiflask import APIFlask
from flask import g, request
from flask_cors import CORS

from blueprints import FEATURES
from blueprints.core import errors
from blueprints.core.api import exempt_api_from_form_csrf, make_api_blueprint, register_openapi
from blueprints.core.audit import record_request_outcome
from blueprints.core.cli import make_cli
from blueprints.core.cli import register_cli as register_kernel_commands
from blueprints.core.config import INSTANCE, Config
from blueprints.core.extensions import csrf, db, htmx, limiter, login_manager, migrate
from blueprints.core.htmx import register_partial_caching, register_template_helpers
from blueprints.core.inputs import refuse_oversized_and_deep_bodies, refuse_unsafe_url_text
from blueprints.core.lifecycle import close_connections_while_stopping
from blueprints.core.logs import configure as configure_log_lines
from blueprints.core.metrics import register_metrics
from blueprints.core.sessions import CookieSessions

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class SparkiFlask(APIFlask):
    """APIFlask, asking once per function (not on every request) whether a view or hook is a
    coroutine: Flask's `ensure_sync` inspects each of the ~20 hooks a request runs, every time
    (about 4 % of an authenticated API read, issue 16)."""

    _sync: dict[Any, Any]

    def ensure_sync(self, func):  # noqa: ANN001, ANN201 (Flask's signature)
        sync = self.__dict__.setdefault("_sync", {})
        try:
            return sync[func]
        except KeyError:
            made = super().ensure_sync(func)
            if len(sync) < 4096:  # hooks and views are few; a caller's fresh closures are not
                sync[func] = made
            return made
        except TypeError:  # an unhashable callable: asked every time, as Flask does
            return super().ensure_sync(func)


def create_app(config: dict[str, Any] | None = None) -> APIFlask:
    app = SparkiFlask(
        __name__,
        title="Sparki API",
        version="1.0.0",
        spec_path="/api/v1/openapi.json",
        docs_path=None,  # the docs page is ours (templates/docs.html) and loads local assets
        json_errors=False,
        instance_path=str(INSTANCE),
        instance_relative_config=False,
    )
    configure(app, config)
    app.session_interface = CookieSessions()
    configure_logging(app)
    # Request ids first: the rate limiter's before-request hook may already answer (401, 429).
    register_request_hooks(app)
    register_metrics(app)  # timing starts before the rate limiter may answer
    register_extensions(app)
    register_blueprints(app)
    register_openapi(app)
    register_template_helpers(app)
    register_partial_caching(app)
    errors.register_error_handlers(app)
    register_cli(app)
    return app


# The `sparki` console script ([project.scripts] in pyproject.toml): Flask's CLI over this
# factory; the kernel builds the group without importing this module.
cli = make_cli(create_app)


def configure(app: APIFlask, overrides: dict[str, Any] | None) -> None:
    overrides = overrides or {}
    app.config.update(Config.from_env(secret_key=overrides.get("SECRET_KEY")).as_flask())
    app.config.update(overrides)
    app.json.sort_keys = False  # JSON keys in the order schemas declare them
    app.config.update(
        # A database server may drop a pooled connection (a restart, an idle timeout): test
        # each one as it leaves the pool. A SQLite file has no server, and the test cost one
        # statement per request (~5 % of a list, issue 16).
        SQLALCHEMY_ENGINE_OPTIONS={
            "pool_pre_ping": not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite")
        },
        RATELIMIT_STORAGE_URI=app.config["REDIS_URL"],
        RATELIMIT_HEADERS_ENABLED=True,
        # Flask-Limiter sets its retry header on every response; Retry-After proper is sent
        # only with a 429 (core.errors), so the always-on one gets a name of its own.
        RATELIMIT_HEADER_RETRY_AFTER="X-RateLimit-Reset-After",
        RATELIMIT_KEY_PREFIX="sparki-rl",
        RATELIMIT_STRATEGY="fixed-window-one-trip",  # core.extensions.OneTripFixedWindow
        RATELIMIT_SWALLOW_ERRORS=False,
        VALIDATION_ERROR_STATUS_CODE=400,
        AUTO_404_RESPONSE=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,
        SPEC_FORMAT="json",
        INFO={"description": "Sparki's JSON API. Authenticate with `X-API-Key` or a bearer token."},
    )


def configure_logging(app: APIFlask) -> None:
    """Text lines, or JSON lines with LOG_FORMAT=json (core.logs); request ids on both."""
    configure_log_lines(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])


def register_extensions(app: APIFlask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "users.login"
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    # Sparki sets no default, meta or blueprint limits in Flask-Limiter: the API's budget is
    # core.api's hook, and the login's limits are route decorators, which check themselves
    # when their view runs. The app-wide before-request Flask-Limiter adds would resolve an
    # empty set of limits on every request (~8 % of an API read, issue 16), so it goes; its
    # header and teardown hooks stay for the decorated routes.
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    origins = [o.strip() for o in app.config["CORS_ORIGINS"].split(",") if o.strip()]
    CORS(
        app,
        resources={r"/api/*": {"origins": origins or "*"}},
        expose_headers=[
            "X-Request-Id",
            "X-RateLimit-Limit",
            "X-RateLimit-Remaining",
            "X-RateLimit-Reset",
            "Retry-After",
            "Idempotent-Replayed",
        ],
        allow_headers=[
            "Content-Type",
            "Authorization",
            "X-API-Key",
            "Idempotency-Key",
            "X-Request-Id",
            "Last-Event-ID",
        ],
    )


def register_request_hooks(app: APIFlask) -> None:
    @app.before_request
    def assign_request_id() -> None:
        given = request.environ.get("HTTP_X_REQUEST_ID", "")
        g.request_id = given if _REQUEST_ID.match(given) else f"req-{secrets.token_hex(8)}"

    app.before_request(refuse_unsafe_url_text)
    app.before_request(refuse_oversized_and_deep_bodies)

    # Writes that committed no recorded change (refusals, failures, logouts) are audited here.
    app.after_request(record_request_outcome)
    app.after_request(close_connections_while_stopping)

    @app.after_request
    def add_request_id(response):
        response.headers["X-Request-Id"] = g.get("request_id", "")
        _log_access(response)
        return response


_access_log = logging.getLogger("sparki.access")


def _log_access(response) -> None:
    """One line per request: at INFO what an operator needs (changes and failures), at DEBUG
    the reads that succeed, most of them the pages' own polling (every 2-5 s a panel) and
    health probes, which at INFO grew the run log by ~170 lines a minute doing nothing."""
    quiet = request.method in ("GET", "HEAD", "OPTIONS") and response.status_code < 400
    level = logging.DEBUG if quiet else logging.INFO
    if _access_log.isEnabledFor(level):
        _access_log.log(
            level,
            "%s %s %s %s",
            request.method,
            request.full_path.rstrip("?"),
            response.status_code,
            request.remote_addr or "-",
        )


def register_blueprints(app: APIFlask) -> None:
    api = make_api_blueprint()
    for name in FEATURES:
        importlib.import_module(name).register(app, api)
    app.register_blueprint(api)
    exempt_api_from_form_csrf(app)


def register_cli(app: APIFlask) -> None:
    """The kernel's commands; each feature adds its own from its `register(app, api)`."""
    register_kernel_commands(app)
