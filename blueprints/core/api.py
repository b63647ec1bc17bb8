"""The /api/v1 parent blueprint and the helpers every endpoint uses.

- `auth_required`: the one auth decorator (key, bearer token or session + CSRF; modules;
  idempotent replay of POSTs that carry an `Idempotency-Key`).
- `paginate`: the one pagination helper (page/limit and cursor).
- `enforce_rate_limit`: the API budget, a before-request hook of the parent blueprint, so
  every child blueprint shares it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache, wraps
from typing import Any

from apiflask import APIBlueprint
from flask import current_app, g, request
from limits import parse_many
from sqlalchemy import Select, func, select, tuple_
from werkzeug.exceptions import TooManyRequests

from .auth import Principal, resolve_principal
from .errors import AuthenticationFailed, Conflict, InvalidRequest, ModuleDisabled
from .extensions import OneTripFixedWindow, csrf, db, get_redis, limiter
from .inputs import canonical_json
from .readcache import request_lookup
from .types import Actor, Org

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

# apispec registers an item schema when it first meets it nested in a page envelope and
# apiflask registers it again by name; the document stays correct, the warning is noise.
warnings.filterwarnings(
    "ignore", message=".*has already been added to the spec", category=UserWarning
)


def add_health_report(app: Any, name: str, report: Callable[[], dict[str, Any]]) -> None:
    """Show `report()` as `name` in `GET /api/v1/health`: a dependency worth knowing about
    whose being down does not make Sparki itself unhealthy (the answer stays 200)."""
    app.extensions.setdefault("sparki_health_reports", {})[name] = report


def health_reports(app: Any) -> dict[str, Callable[[], dict[str, Any]]]:
    return dict(app.extensions.get("sparki_health_reports", {}))


def current_principal() -> Principal:
    """The authenticated principal of this request (set by `auth_required`)."""
    return g.sparki_principal


def api_actor() -> tuple[Org, Actor]:
    """(organization, user) of the authenticated API caller: what domain functions take."""
    principal = current_principal()
    return principal.org, principal.user


def require_module(org: Org, module: str) -> None:
    """Raise ModuleDisabled (403 module_disabled) unless `module` is on for `org`."""
    if not (org.modules or {}).get(module, False):
        raise ModuleDisabled(
            f"The '{module}' module is disabled for this organization", details={"module": module}
        )


def auth_required(*, module: str | None = None) -> Callable:
    """Authenticate, check CSRF for cookie sessions, check the module, replay idempotent POSTs."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            principal = resolve_principal()
            if principal is None:
                raise AuthenticationFailed(
                    "Authentication required: send 'X-API-Key' or 'Authorization: Bearer <token>'"
                )
            if (
                principal.via == "session"
                and request.method not in SAFE_METHODS
                and current_app.config["WTF_CSRF_ENABLED"]
            ):
                csrf.protect()
            if module:
                require_module(principal.user_view.organization, module)
            g.sparki_principal = principal
            key = request.headers.get("Idempotency-Key")
            if request.method == "POST" and key:
                return _idempotent(principal, key, lambda: view(*args, **kwargs))
            return view(*args, **kwargs)

        wrapper._sparki_auth = True  # type: ignore[attr-defined]
        return wrapper

    return decorator


def _idempotent(principal: Principal, key: str, call: Callable[[], Any]):
    """Replay the first response to a POST with this key for 24 h (Stripe's semantics)."""
    if len(key) > 255:
        raise InvalidRequest(
            "Idempotency-Key is longer than 255 characters",
            field="Idempotency-Key",
            reason="too long",
        )
    redis = get_redis()
    digest = hashlib.sha256(f"{principal.user_view.id}:{key}".encode()).hexdigest()
    store_key, lock_key = f"sparki:idem:{digest}", f"sparki:idem-lock:{digest}"
    fingerprint = request_fingerprint()
    stored = redis.get(store_key)
    if stored is not None:
        return _replay(json.loads(stored), fingerprint)
    if not redis.set(lock_key, "1", nx=True, ex=120):
        raise Conflict(
            "A request with this Idempotency-Key is still being processed",
            field="Idempotency-Key",
            reason="in progress",
        )
    try:
        # Read again under the lock: a first try may have stored its answer and released the
        # lock between the read above and taking the lock; it must not run a second time.
        stored = redis.get(store_key)
        if stored is not None:
            return _replay(json.loads(stored), fingerprint)
        response = current_app.make_response(call())
        if response.status_code < 500 and not response.is_streamed:
            record = {
                "fingerprint": fingerprint,
                "status": response.status_code,
                "body": base64.b64encode(response.get_data()).decode(),
                "contentType": response.content_type,
                "location": response.headers.get("Location"),
            }
            redis.set(
                store_key, json.dumps(record), ex=int(current_app.config["IDEMPOTENCY_TTL_SECONDS"])
            )
        return response
    finally:
        redis.delete(lock_key)


def request_fingerprint() -> str:
    """What makes two POSTs "the same request" for an Idempotency-Key: the method, the path
    with its query string, and the body as canonical JSON (key order and whitespace do not
    count; a body that is not JSON counts byte for byte). Hex SHA-256."""
    target = request.full_path if request.query_string else request.path
    parts = [request.method.encode(), target.encode(), canonical_json(request.get_data() or b"")]
    return hashlib.sha256(b"\n".join(parts)).hexdigest()


def _replay(record: dict[str, Any], fingerprint: str):
    if record["fingerprint"] != fingerprint:
        raise Conflict(
            "This Idempotency-Key was used with a different request",
            field="Idempotency-Key",
            reason="reused with different parameters",
        )
    response = current_app.response_class(
        base64.b64decode(record["body"]),
        status=record["status"],
        content_type=record["contentType"],
    )
    if record.get("location"):
        response.headers["Location"] = record["location"]
    response.headers["Idempotent-Replayed"] = "true"
    return response


@dataclass
class Page:
    items: list[Any]
    page: int
    limit: int
    total: int
    next_cursor: str | None

    @property
    def total_pages(self) -> int:
        return (self.total + self.limit - 1) // self.limit if self.total else 0

    def envelope(self) -> dict[str, Any]:
        return {
            "data": self.items,
            "pagination": {
                "page": self.page,
                "limit": self.limit,
                "total": self.total,
                "total_pages": self.total_pages,
                "next_cursor": self.next_cursor,
            },
        }


def _encode_cursor(created_at: datetime, obj_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), obj_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, obj_id = json.loads(raw)
        return datetime.fromisoformat(created), str(obj_id)
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise InvalidRequest(
            "The cursor is not one this API returned", field="cursor", reason="malformed"
        ) from exc


def paginate(stmt: Select, params: dict[str, Any], model: Any = None) -> Page:
    """Run `stmt` one page at a time, newest first.

    `params` is a loaded `PageQuery` (page, limit, cursor). With a cursor, paging is by
    keyset on (created_at, id), stable while rows are added; otherwise by page number.
    """
    model = model or stmt.column_descriptions[0]["entity"]
    page, limit, cursor = params.get("page", 1), params.get("limit", 20), params.get("cursor")
    total = db.session.execute(
        select(func.count()).select_from(stmt.order_by(None).subquery())
    ).scalar_one()
    ordered = stmt.order_by(model.created_at.desc(), model.id.desc())
    if cursor:
        created, obj_id = _decode_cursor(cursor)
        ordered = ordered.where(tuple_(model.created_at, model.id) < tuple_(created, obj_id))
        page = 1
    else:
        ordered = ordered.offset((page - 1) * limit)
    rows = list(db.session.execute(ordered.limit(limit + 1)).scalars())
    more, rows = len(rows) > limit, rows[:limit]
    next_cursor = _encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
    return Page(rows, page, limit, total, next_cursor)


def page_params(args: Any, schema: type | None = None) -> dict[str, Any]:
    """Load page/limit/cursor (and a schema's filters) from a page's query string."""
    from marshmallow import ValidationError

    from .errors import _validation_details
    from .schemas import PageQuery

    try:
        return (schema or PageQuery)().load(args)
    except ValidationError as exc:
        details = _validation_details({"query": exc.messages})
        raise InvalidRequest(
            f"Invalid value for '{details.get('field')}': {details.get('reason')}", details=details
        ) from exc


@dataclass(frozen=True)
class RateWindow:
    """Where a principal stands in its API budget after this request's hit.

    `limit` is the rule (limits' RateLimitItem: amount per window), `remaining` the requests
    left in the window, `reset_at` the epoch second the window resets.
    """

    limit: Any
    remaining: int
    reset_at: int


@lru_cache(maxsize=64)
def _limit_items(text: str) -> tuple[Any, ...]:
    """The parsed rules of a limit setting ("1000/hour", "10/second;1000/hour")."""
    return tuple(parse_many(text))


def _rate_limit_exempt(app: Any, endpoint: str | None, blueprint: str | None) -> bool:
    """`@limiter.exempt` views (health probes) spend nothing; looked up once per endpoint."""
    known = app.extensions.setdefault("sparki_rate_exempt", {})
    if endpoint not in known:
        known[endpoint] = bool(limiter.limit_manager.exemption_scope(app, endpoint, blueprint))
    return known[endpoint]


def enforce_rate_limit() -> None:
    """Count this API request against its principal's budget; before every /api/v1 view.

    The budget is RATE_LIMIT_PER_KEY for an API key, RATE_LIMIT_PER_USER for a person's
    token or session (all of them share it), in fixed windows kept in Redis by Flask-Limiter's
    storage and strategy (core.extensions.OneTripFixedWindow: one round trip). Requests
    without credentials, or with bad ones (the view answers 401), spend nothing. This hook
    stands in for a Flask-Limiter blueprint limit, whose per-request resolution of its rules
    cost more than the count itself (issue 16); the keys in Redis are the same.

    Raises TooManyRequests (429 with Retry-After, core.errors) once the budget is spent.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config["RATELIMIT_ENABLED"]:
        return
    if _rate_limit_exempt(app, request.endpoint, request.blueprint):
        return
    try:
        principal = resolve_principal()
    except AuthenticationFailed:
        return
    if principal is None:
        return
    setting = "RATE_LIMIT_PER_KEY" if principal.api_key is not None else "RATE_LIMIT_PER_USER"
    strategy = limiter.limiter
    who = (app.config["RATELIMIT_KEY_PREFIX"], principal.rate_key, "api")
    read = request_lookup(app, principal) if isinstance(strategy, OneTripFixedWindow) else None
    for item in _limit_items(app.config[setting]):
        allowed = strategy.hit(item, *who, read=read) if read else strategy.hit(item, *who)
        read = None  # one lookup, with the first rule's count
        reset_time, remaining = strategy.get_window_stats(item, *who)
        g.api_rate_window = RateWindow(item, remaining, int(reset_time + 1))
        if not allowed:
            raise TooManyRequests()


def rate_limit_headers(response: Any) -> Any:
    """`X-RateLimit-Limit`, `-Remaining`, `-Reset` (epoch seconds) and `-Reset-After`
    (seconds) on every counted API response, as Flask-Limiter writes them."""
    window = g.get("api_rate_window")
    if window is None:
        return response
    reset_at = window.reset_at
    retry_after = response.headers.get("Retry-After")
    if retry_after is not None and retry_after.isdigit():
        reset_at = max(int(time.time() + int(retry_after)), reset_at)
    response.headers["X-RateLimit-Limit"] = str(window.limit.amount)
    response.headers["X-RateLimit-Remaining"] = str(window.remaining)
    response.headers["X-RateLimit-Reset"] = str(window.reset_at)
    response.headers["X-RateLimit-Reset-After"] = str(int(reset_at - time.time()))
    return response


def make_api_blueprint() -> APIBlueprint:
    """A fresh /api/v1 parent for one app; features register their children on it."""
    bp = APIBlueprint("api", __name__, url_prefix="/api/v1")
    bp.before_request(enforce_rate_limit)
    bp.after_request(rate_limit_headers)
    return bp


def exempt_api_from_form_csrf(app: Any) -> None:
    """API CSRF is checked by `auth_required`, for cookie sessions only; call after registering."""
    for name, blueprint in app.blueprints.items():
        if name == "api" or name.startswith("api."):
            csrf.exempt(blueprint)


SECURITY_SCHEMES = {
    "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "BearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A token from POST /auth/login, or an API key (sk_…).",
    },
}
_HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
# apispec's notes while it names schemas (a nested item added twice; two classes sharing a
# name, which it renames): the document stays valid, so they must not turn into a 500.
_SPEC_NOTES = ".*(has already been added to the spec|Multiple schemas resolved to the name)"


def register_openapi(app: Any) -> None:
    """Document how each operation authenticates, and serve the spec warning-free.

    An operation behind `auth_required` accepts either scheme; any other is open unless its
    `@doc(security=...)` says otherwise (e.g. optional credentials: `[..., {}]`). apispec
    registers an item schema nested in a page envelope before apiflask registers it by
    name, which yields `UserOut1`-style copies: those are folded back into the original.
    """
    import re

    app.config["SECURITY_SCHEMES"] = SECURITY_SCHEMES

    @app.spec_processor
    def _document_security(spec: dict[str, Any]) -> dict[str, Any]:
        secured = [{name: []} for name in SECURITY_SCHEMES]
        for rule in app.url_map.iter_rules():
            view = app.view_functions.get(rule.endpoint)
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            for method in {m.lower() for m in rule.methods or ()} & _HTTP_METHODS:
                operation = spec.get("paths", {}).get(path, {}).get(method)
                if operation is None:
                    continue
                authenticated = getattr(view, "_sparki_auth", False)
                if authenticated:
                    operation["security"] = list(secured)
                elif not getattr(view, "_spec", {}).get("security"):  # else: its own @doc
                    operation["security"] = []
                _document_errors(operation, method, path, authenticated)
        return _fold_duplicate_schemas(spec)

    spec_view = app.view_functions.get("openapi.spec")
    if spec_view is not None:

        @wraps(spec_view)
        def spec_without_duplicate_warnings(*args: Any, **kwargs: Any):
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=_SPEC_NOTES, category=UserWarning)
                return spec_view(*args, **kwargs)

        app.view_functions["openapi.spec"] = spec_without_duplicate_warnings


_GENERIC_ERRORS = {
    400: "The request is invalid: a field (`details.field`), a malformed or too deeply nested "
    "JSON body, or unsafe text in the URL (`invalid_request`)",
    403: "The caller's role may not do this, or the module is off (`insufficient_permissions`, "
    "`module_disabled`)",
    404: "No such resource in the caller's organization (`not_found`)",
    409: "A conflict: a duplicate, a state that forbids the change, or an Idempotency-Key in "
    "use (`conflict`)",
    413: "The body is larger than MAX_CONTENT_LENGTH (`invalid_request`)",
    503: "A dependency (database, Redis, the runtime) is unavailable (`service_unavailable`)",
}


def _document_errors(operation: dict[str, Any], method: str, path: str, secured: bool) -> None:
    """Give every operation the error responses the kernel itself may answer, in the
    envelope, without overriding what a feature documented with `error_responses`."""
    codes = {400, 401, 429, 503}  # 401 and 429: login too (a wrong password, its own limit)
    if secured:
        codes |= {403, 404}  # 404: an id in the path, body or query of another organization
    if "{" in path:
        codes.add(404)
    if method in {"post", "put", "patch", "delete"}:
        codes |= {409, 413}
    if operation.get("requestBody"):
        operation["requestBody"].setdefault("required", True)
    responses = operation.setdefault("responses", {})
    texts = {**_AUTH_ERRORS, **_GENERIC_ERRORS}
    described = {f"e{code}": texts[code] for code in codes}
    for code, response in error_responses(**described).items():
        existing = responses.setdefault(str(code), response)
        schema = existing.get("content", {}).get("application/json", {}).get("schema", {})
        if str(schema.get("$ref", "")).endswith(("/ValidationError", "/HTTPError")):
            existing["content"] = response["content"]  # apiflask's shapes: ours is the envelope


def _fold_duplicate_schemas(spec: dict[str, Any]) -> dict[str, Any]:
    import re

    schemas = spec.get("components", {}).get("schemas", {})
    renames = {}
    for name in list(schemas):
        match = re.fullmatch(r"(.+?)(\d+)", name)
        if match and schemas.get(match.group(1)) == schemas[name]:
            renames[f"#/components/schemas/{name}"] = f"#/components/schemas/{match.group(1)}"
            del schemas[name]
    if not renames:
        return spec

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: (renames.get(v, v) if k == "$ref" and isinstance(v, str) else rewrite(v))
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    return rewrite(spec)


# --- documented errors ------------------------------------------------------------------------

ERROR_ENVELOPE = {
    "type": "object",
    "properties": {
        "error": {"type": "string", "example": "invalid_request"},
        "message": {"type": "string"},
        "details": {
            "type": "object",
            "description": "`field` names the input at fault, `reason` says why.",
        },
        "requestId": {"type": "string", "nullable": True},
    },
    "required": ["error", "message", "details"],
}
_AUTH_ERRORS = {
    401: "No credentials, or they were wrong, expired, or ended (`authentication_failed`)",
    429: "Too many requests; wait `Retry-After` seconds (`rate_limit_exceeded`)",
}


def error_responses(**described: str) -> dict[int, dict]:
    """OpenAPI responses for an operation's errors, each in the error envelope.

    `error_responses(e404="No such service")` -> {401: ..., 404: ..., 429: ...}: keyword
    `eNNN` is status NNN with its description; 401 and 429 are always there (every API
    route authenticates and is rate limited). For `@bp.doc(responses=...)`.
    """
    given = {int(code[1:]): text for code, text in described.items()}
    return {
        code: {
            "description": text,
            "content": {"application/json": {"schema": ERROR_ENVELOPE}},
        }
        for code, text in sorted({**_AUTH_ERRORS, **given}.items())
    }
