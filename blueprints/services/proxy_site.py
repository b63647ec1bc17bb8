"""Each service on an origin of its own: `<name>-<short id>.<SPARKI_PROXY_DOMAIN>`.

Whatever a service serves must never run with the dashboard's origin and cookies, so browsers
reach services on hosts of their own (as Coolify and Sprites do). `HostDispatch` sits in front
of the dashboard's WSGI app: a request for a service host goes to `ServiceSite` (never to the
dashboard's routes), and a dashboard host on the proxy port is refused.

Private services take a short-lived access cookie scoped to the service host, never the
dashboard's session:
1. the dashboard route `/services/<id>/open` (logged in, the service in the user's
   organization) mints a signed single-use token (60 s) and redirects to
   `<service origin>/.sparki/auth?token=…&next=/path`;
2. the service host checks the token, sets its own signed cookie (host-only, HttpOnly,
   SameSite=Lax, 1 h, carrying the user and the service) and redirects to `next`;
3. each request to the service host is checked against that cookie; writes need a role that
   may deploy in the service's project, and come from the service's own origin: with a
   configured domain every service is the same site, so SameSite=Lax alone would let one
   service's page make the browser post to another with that one's cookie.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Flask, Response, current_app, redirect, request
from flask_login import current_user, login_required
from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from markupsafe import escape
from werkzeug.urls import iri_to_uri

from blueprints.core.auth import Principal
from blueprints.core.errors import AuthenticationFailed, DomainError, NotFound, PermissionDenied
from blueprints.core.extensions import db, get_redis
from blueprints.users.models import User

from . import domain
from .models import Service
from .proxy import (
    PROXY_METHODS,
    SAFE_METHODS,
    Forward,
    NoReadyReplica,
    forward,
    require_write_rights,
)

AUTH_PATH = "/.sparki/auth"
ACCESS_COOKIE = "sparki_access"
ACCESS_COOKIE_SECONDS = 3600
TOKEN_SECONDS = 60
_TOKEN_SALT = "sparki.service-origin.access-token"
_COOKIE_SALT = "sparki.service-origin.access-cookie"
SHORT_ID_LENGTH = 10  # hex digits of the service id in its host name
_LABEL = re.compile(rf"^(?P<name>[a-z0-9-]+)-(?P<short>[0-9a-f]{{{SHORT_ID_LENGTH}}})$")
SITE_METHODS = [*PROXY_METHODS, "OPTIONS"]

bp = Blueprint("service_origin", __name__)
log = logging.getLogger("sparki.services.proxy_site")


# --- names ---------------------------------------------------------------------------------------


def host_label(service: Service) -> str:
    """The DNS label of a service's host: its name (cut to fit 63 characters) and a short id."""
    short = service.id.split("-", 1)[-1][:SHORT_ID_LENGTH]
    return f"{service.name[: 62 - SHORT_ID_LENGTH]}-{short}"


def proxy_domain(config: Any) -> str:
    return str(config["SPARKI_PROXY_DOMAIN"]).strip().strip(".").lower()


def service_host(service: Service, config: Any) -> str:
    """`<label>.<domain>`, with `:<SPARKI_PROXY_PORT>` for the default `localhost` domain (a
    configured domain is expected behind a reverse proxy on the standard ports)."""
    domain_name = proxy_domain(config)
    host = f"{host_label(service)}.{domain_name}"
    if domain_name == "localhost":
        host += f":{config['SPARKI_PROXY_PORT']}"
    return host


def service_url(service: Service, scheme: str = "http") -> str:
    """The service's own browser URL, e.g. `http://web-3f9a0c1d2e.localhost:8884/`."""
    return f"{scheme}://{service_host(service, current_app.config)}/"


def _hostname(environ: dict[str, Any]) -> str:
    host = (environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "").strip().lower()
    if host.startswith("["):  # an IPv6 literal is never a service host
        return host
    return host.rsplit(":", 1)[0].rstrip(".")


def find_service(label: str) -> Service:
    """The service whose host label is `label`. Raises NotFound."""
    match = _LABEL.match(label)
    if match:
        candidates = db.session.execute(
            db.select(Service).where(Service.id.like(f"svc-{match['short']}%"))
        ).scalars()
        for service in candidates:
            if host_label(service) == label:
                return service
    raise NotFound(f"No service answers at '{label}'")


def safe_next(value: str | None) -> str:
    """A same-host path to go to after signing in; anything else (absolute URLs, `//host`,
    backslashes, control characters) becomes `/`."""
    value = value or "/"
    if (
        not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 32 for c in value)
    ):
        return "/"
    return value


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of a URL or Origin value, lower-cased, without the scheme's
    default port; None for anything that is no http(s) origin (`null`, garbage)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").rstrip(".")
    if scheme not in ("http", "https") or not host:
        return None
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host += f":{port}"
    return f"{scheme}://{host}"


def own_origins(req: Any) -> set[str]:
    """The origin the browser saw this service host at: its Host, with the request's scheme
    or the one a reverse proxy in front reports (TLS ends there)."""
    forwarded = req.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    schemes = {req.scheme} | ({forwarded} if forwarded in ("http", "https") else set())
    origins = {origin_of(f"{scheme}://{req.host}") for scheme in schemes}
    return {origin for origin in origins if origin}


def is_cross_origin(req: Any) -> bool:
    """True when the browser says the request comes from another origin: an `Origin` header
    other than the service's own (`null` included) or, without one, a `Referer` from another
    origin. Without either, the request is not a browser's cross-origin write."""
    origin = req.headers.get("Origin")
    if origin is None:
        origin = req.headers.get("Referer") or None
    return origin is not None and origin_of(origin) not in own_origins(req)


# --- tokens and cookies --------------------------------------------------------------------------


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def mint_access_token(service: Service, user: User) -> str:
    """A signed, single-use token (valid TOKEN_SECONDS) letting `user` sign in on the
    service's host; good for that service and host only."""
    host = service_host(service, current_app.config).rsplit(":", 1)[0]
    payload = {
        "u": user.id,
        "s": service.id,
        "h": host,
        "n": secrets.token_hex(12),
        "e": int(user.credentials_epoch or 0),
    }
    return _serializer(_TOKEN_SALT).dumps(payload)


def redeem_access_token(service: Service, token: str, host: str) -> tuple[str, int]:
    """The user id and credentials epoch in a valid token for this service and host,
    spending the token.

    Raises AuthenticationFailed when the token is forged, expired, already used or meant for
    another service or host."""
    try:
        claims = _serializer(_TOKEN_SALT).loads(token, max_age=TOKEN_SECONDS)
    except SignatureExpired as exc:
        raise AuthenticationFailed("The sign-in link has expired; open the service again") from exc
    except BadSignature as exc:
        raise AuthenticationFailed("The sign-in link is not valid") from exc
    if not isinstance(claims, dict) or claims.get("s") != service.id or claims.get("h") != host:
        raise AuthenticationFailed("The sign-in link is for another service")
    if not get_redis().set(f"sparki:service-token:{claims['n']}", "1", nx=True, ex=120):
        raise AuthenticationFailed("The sign-in link was already used; open the service again")
    return str(claims["u"]), claims.get("e")


def _active_member(service: Service, user_id: str, epoch: Any) -> User | None:
    """The user, while active in the service's organization and still in the credentials
    epoch the sign-in began in (a password, role or status change or "log out everywhere"
    ends service sign-ins too)."""
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.org_id != service.org_id:
        return None
    if epoch != int(user.credentials_epoch or 0):
        return None
    return user


def access_cookie_user(service: Service, value: str | None) -> User | None:
    """The user an access cookie was issued to, if it is valid for this service (signed,
    younger than ACCESS_COOKIE_SECONDS, the user still active in the service's organization
    and in the credentials epoch it was issued in)."""
    if not value:
        return None
    try:
        claims = _serializer(_COOKIE_SALT).loads(value, max_age=ACCESS_COOKIE_SECONDS)
    except BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not isinstance(claims, dict) or claims.get("s") != service.id:
        return None
    return _active_member(service, str(claims.get("u", "")), claims.get("e"))


# --- the dashboard's side ------------------------------------------------------------------------


@bp.get("/services/<service_id>/open")
@login_required
def open_service(service_id: str):
    """Send a logged-in user to the service's own URL, signed in there if it is private."""
    user = current_user._get_current_object()
    service = domain.get_service(user.organization, user, service_id)
    next_path = safe_next(request.args.get("next"))
    base = service_url(service, request.scheme).rstrip("/")
    if service.url_auth == "public":
        return redirect(base + next_path)
    query = urlencode({"token": mint_access_token(service, user), "next": next_path})
    return redirect(f"{base}{AUTH_PATH}?{query}")


# --- the service host's side ---------------------------------------------------------------------


def _page(status: int, title: str, text: str, headers: dict[str, str] | None = None) -> Response:
    body = (
        f"<!doctype html><meta charset=utf-8><title>{escape(title)}</title>"
        f"<h1>{escape(title)}</h1><p>{escape(text)}</p>"
    )
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


class ServiceSite:
    """The WSGI app behind every service host: sign-in, access check, forwarding. It runs in
    the dashboard app's context (configuration, database) but none of its routes, hooks or
    session handling."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any):
        with self.app.request_context(environ):
            try:
                response = self.handle(environ)
            except DomainError as exc:
                response = _page(exc.status, "Sparki", exc.message, exc.headers)
            except Exception:  # a bug or a lost Redis: answer, never show the dashboard
                log.exception("service host request failed")
                response = _page(502, "Sparki", "The service could not be reached")
        return response(environ, start_response)

    def handle(self, environ: dict[str, Any]) -> Response:
        host = _hostname(environ)
        service = find_service(host.rsplit("." + proxy_domain(self.app.config), 1)[0])
        if request.path == AUTH_PATH:
            return self.sign_in(service, host)
        if request.path.startswith("/.sparki/"):
            raise NotFound("No such page")
        if request.method not in SITE_METHODS:
            return _page(405, "Method not allowed", f"{request.method} is not forwarded")
        principal = None
        if service.url_auth != "public":
            user = access_cookie_user(service, request.cookies.get(ACCESS_COOKIE))
            if user is None:
                raise AuthenticationFailed(
                    f"Service '{service.name}' is private: open it from the Sparki dashboard"
                )
            if request.method not in SAFE_METHODS and is_cross_origin(request):
                raise PermissionDenied(
                    f"Service '{service.name}' takes writes from its own pages only"
                )
            principal = Principal(user=user, via="service-cookie")
        require_write_rights(service, principal, request.method)
        config = self.app.config
        fwd = Forward.of_request(
            request,
            prefix="",
            drop_cookies=frozenset(
                {
                    ACCESS_COOKIE,
                    config["SESSION_COOKIE_NAME"],
                    # Flask-Login's own setting, read the way Flask-Login reads it.
                    config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE),
                }
            ),
            sandbox=False,
        )
        try:
            return forward(service, fwd)
        except NoReadyReplica:
            return _page(
                503,
                f"Service {service.name} is not running",
                f"Service {service.name} is not running - start it from the dashboard.",
                {"Retry-After": "5"},
            )

    def sign_in(self, service: Service, host: str) -> Response:
        user_id, epoch = redeem_access_token(service, request.args.get("token", ""), host)
        if _active_member(service, user_id, epoch) is None:
            raise AuthenticationFailed("The sign-in link's user is no longer active")
        value = _serializer(_COOKIE_SALT).dumps({"u": user_id, "s": service.id, "e": epoch})
        response = redirect(iri_to_uri(safe_next(request.args.get("next"))))
        response.headers["Cache-Control"] = "no-store"
        response.set_cookie(
            ACCESS_COOKIE,
            value,
            max_age=ACCESS_COOKIE_SECONDS,
            path="/",
            secure=request.scheme == "https",
            httponly=True,
            samesite="Lax",
        )
        return response


class HostDispatch:
    """WSGI middleware: service hosts go to `ServiceSite`, everything else to the dashboard.
    When the two ports differ, each serves its own hosts only: the proxy port no dashboard
    host, the dashboard port no service host. The port is the one the request arrived on
    (`SERVER_PORT`), never a header the client chose."""

    def __init__(self, app: Flask, dashboard: Any) -> None:
        self.app = app
        self.dashboard = dashboard
        self.site = ServiceSite(app)

    def __call__(self, environ: dict[str, Any], start_response: Any):
        config = self.app.config
        proxy_port, api_port = str(config["SPARKI_PROXY_PORT"]), str(config["API_PORT"])
        port = environ.get("SERVER_PORT")
        if _hostname(environ).endswith("." + proxy_domain(config)):
            if port == api_port and api_port != proxy_port:
                refused = _page(404, "Not found", "This port serves the Sparki dashboard only")
                return refused(environ, start_response)
            return self.site(environ, start_response)
        if port == proxy_port and proxy_port != api_port:
            refused = Response(
                "This port serves Sparki services on their own hosts only.\n",
                status=404,
                mimetype="text/plain",
            )
            return refused(environ, start_response)
        return self.dashboard(environ, start_response)


def install(app: Flask) -> None:
    """Add the dashboard's `open` route, the `service_url` template helper, and the host
    dispatch in front of the app."""
    app.register_blueprint(bp)
    app.add_template_global(lambda service: service_url(service, request.scheme), "service_url")
    if not isinstance(app.wsgi_app, HostDispatch):
        app.wsgi_app = HostDispatch(app, app.wsgi_app)  # type: ignore[method-assign]
