"""The forwarding engine shared by both ways into a service: the API route on the dashboard's
origin (`/api/v1/services/<id>/proxy/...`) and the service's own origin (`proxy_site`).

It decides nothing about who may call: the callers authenticate and authorize, then hand
over one request. Here live the header rules (what goes to the replica, what comes back)
and the sandbox that keeps whatever a service serves out of the dashboard's origin.
"""

from __future__ import annotations

import http.client
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from flask import Response

from blueprints.core.auth import Principal
from blueprints.core.errors import NotFound, ServiceUnavailable
from blueprints.core.extensions import db
from blueprints.projects.domain import require_deploy_rights

from .models import HTTP_SERVICE_TYPES, Service
from .runtime import get_runtime
from .runtime.base import ProxyRoute

PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
# Sparki's own credentials and what the forwarder recomputes never reach the replica.
NOT_FORWARDED = HOP_BY_HOP | {"host", "authorization", "x-api-key", "content-length", "x-csrftoken"}
# A page served on the dashboard's origin runs sandboxed: its scripts (if any) get an opaque
# origin, so they can neither read the dashboard nor send its cookies. No allow-same-origin.
SANDBOX_CSP = "sandbox allow-scripts allow-forms allow-popups allow-downloads"
UPSTREAM_TIMEOUT = (5, 120)  # seconds: connect, then between bytes
READ_SIZE = 64 * 1024  # at most this much per piece passed on; a piece goes as soon as it comes
# What an HTTP/1.1 server may send (RFC 9110 field names are tokens; values printable, with
# tabs): a replica's header outside these would make the server refuse the whole answer.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_HEADER_VALUE = re.compile(r"^[\t\x20-\x7e\xa0-\xff]*$")
# The attribute names of a Set-Cookie, after the first `name=value` pair.
_COOKIE_ATTRIBUTE = re.compile(r";\s*([^=;]*?)\s*(?==|;|$)")

log = logging.getLogger("sparki.services.proxy")


@dataclass
class Forward:
    """One request to pass to a replica, as the caller received it.

    `prefix` is where the service's root appears to the browser ("" on its own origin);
    `drop_cookies` are cookie names removed from the `Cookie` header (Sparki's own);
    `sandbox` adds the CSP sandbox and drops every `Set-Cookie` (dashboard origin).
    """

    method: str
    path: str
    query: bytes = b""
    headers: Sequence[tuple[str, str]] = ()
    body: bytes | None = None
    remote_addr: str = ""
    host: str = ""
    scheme: str = "http"
    prefix: str = ""
    drop_cookies: frozenset[str] = field(default_factory=frozenset)
    sandbox: bool = True

    @classmethod
    def of_request(cls, req: Any, *, prefix: str, **options: Any) -> Forward:
        """The Forward for Flask request `req`: its path below `prefix` (the service's root)
        and its query exactly as the client sent them (see `raw_target`)."""
        path, query = raw_target(req.environ, prefix)
        return cls(
            method=req.method,
            path=path,
            query=query,
            headers=list(req.headers.items()),
            body=req.get_data() if req.method not in ("GET", "HEAD") else None,
            remote_addr=req.remote_addr or "",
            host=req.host,
            scheme=req.scheme,
            prefix=prefix,
            **options,
        )


def raw_target(environ: Mapping[str, Any], prefix: str) -> tuple[str, bytes]:
    """The path below `prefix` and the query of a request, as the client wrote them.

    The server decodes the path it routes on (`a%2Fb` becomes `a/b`); the service must get
    what the client sent, so this reads the raw request target (`RAW_URI` / `REQUEST_URI`,
    which gunicorn and Werkzeug set) and drops the segments that spell `prefix` (however they
    were encoded). Without a raw target, the decoded path is encoded again."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    if raw and not raw.startswith("/"):  # absolute form: http://host/path?query
        parts = urlsplit(raw)
        raw = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not raw.startswith("/"):
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
        raw = quote(path, safe="/;=,:@!$&'()*+~") + "?" + environ.get("QUERY_STRING", "")
    path, _, query = raw.partition("?")
    want = [part for part in prefix.split("/") if part]
    segments = path.split("/")  # ["", "api", "v1", ...]
    head = segments[1 : 1 + len(want)]
    below = path
    if [unquote(segment) for segment in head] == want:
        below = "/" + "/".join(segments[1 + len(want) :])
    return below, query.encode("latin-1", "replace")


def require_write_rights(service: Service, principal: Principal | None, method: str) -> None:
    """Writes through a private service's proxy need a role that may deploy in its project
    (viewers and non-member developers read only). Public services take anyone's writes, as
    anyone may send them. Raises PermissionDenied."""
    if method.upper() in SAFE_METHODS or service.url_auth == "public" or principal is None:
        return
    require_deploy_rights(service.project, principal.user, "send writes to this service")


class NoReadyReplica(ServiceUnavailable):
    """A web service with no replica ready to answer (stopped, starting, or failing)."""


def target_of(service: Service) -> ProxyRoute:
    """Where to reach a ready replica of an HTTP service (`HTTP_SERVICE_TYPES`: web, backend,
    frontend, api): a base URL (`http://127.0.0.1:<port>` on the local runtime, the API
    server's service proxy on Kubernetes) with the runtime's headers and TLS context.

    Raises NotFound for a worker service, NoReadyReplica when no replica is ready."""
    if service.type not in HTTP_SERVICE_TYPES:
        raise NotFound(
            f"Service '{service.name}' is a worker and answers no HTTP", details={"id": service.id}
        )
    target = get_runtime().proxy_route(service.id)
    if target is None:
        raise NoReadyReplica(
            f"Service '{service.name}' has no ready replica", details={"status": service.status}
        )
    return target


def strip_cookies(header: str, names: frozenset[str]) -> str:
    """The `Cookie` header without the cookies named in `names` (case-sensitive, as sent)."""
    if not header or not names:
        return header
    kept = []
    for part in header.split(";"):
        name = part.split("=", 1)[0].strip()
        if name and name not in names:
            kept.append(part.strip())
    return "; ".join(kept)


def request_headers(fwd: Forward) -> dict[str, str]:
    """What the replica receives: the caller's headers minus Sparki's credentials, hop-by-hop
    headers and Sparki's cookies, plus the X-Forwarded-* set."""
    out = {k: v for k, v in fwd.headers if k.lower() not in NOT_FORWARDED | {"cookie"}}
    cookies = "; ".join(v for k, v in fwd.headers if k.lower() == "cookie")
    cookies = strip_cookies(cookies, fwd.drop_cookies)
    if cookies and not fwd.sandbox:  # the dashboard origin forwards no cookie at all
        out["Cookie"] = cookies
    out.update(
        {
            "X-Forwarded-For": fwd.remote_addr,
            "X-Forwarded-Host": fwd.host,
            "X-Forwarded-Proto": fwd.scheme,
            "X-Forwarded-Prefix": fwd.prefix,
        }
    )
    return out


def _host_only(set_cookie: str) -> bool:
    """True when a Set-Cookie surely names no Domain: a service may set cookies on its own host
    only, never on a parent domain shared with other services or the dashboard.

    Fails closed: a header with a `Domain` attribute in any spelling, or one that does not
    parse as a single cookie (unknown flags, spaces, unmatched quotes, non-ASCII), is not
    host-only."""
    if not set_cookie.isascii() or not set_cookie.isprintable():
        return False
    attributes = {name.lower() for name in _COOKIE_ATTRIBUTE.findall(set_cookie)} - {""}
    if "domain" in attributes:
        return False
    try:
        parsed = SimpleCookie()
        parsed.load(set_cookie)
    except CookieError:
        return False
    if len(parsed) != 1:  # nothing understood, or more than the one cookie a header sets
        return False
    (morsel,) = parsed.values()
    # SimpleCookie skips what it does not understand: it must have read the whole header.
    return not morsel["domain"] and _rebuilt_attributes(morsel) == attributes


def _rebuilt_attributes(morsel: Any) -> set[str]:
    """The attribute names SimpleCookie understood in `morsel`, spelled as in the header."""
    return {key for key, value in morsel.items() if value not in ("", False)}


def cookie_name(set_cookie: str) -> str:
    """The name a Set-Cookie header sets (as a browser reads it: before `=`, trimmed)."""
    return set_cookie.split(";", 1)[0].split("=", 1)[0].strip()


def sendable(key: str, value: str) -> bool:
    """True when a server can send this header as it is: the name a token, the value
    Latin-1 printable (no control characters, no line breaks)."""
    return bool(_HEADER_NAME.match(key)) and bool(_HEADER_VALUE.match(value))


def _keep_set_cookie(value: str, fwd: Forward) -> bool:
    """Set-Cookie passes on a service's own origin only: host-only, and not named like one
    of Sparki's cookies (the session, remember and access cookies)."""
    if fwd.sandbox or not _host_only(value):
        return False
    name = cookie_name(value).lower()
    return all(name != own.lower() for own in fwd.drop_cookies)


def response_headers(raw: Mapping[str, str] | Iterable[tuple[str, str]], fwd: Forward):
    """The replica's headers as the browser gets them: no hop-by-hop headers, redirects kept
    under `prefix`, cookies kept off the dashboard's origin, the sandbox added there. A header
    the server could not send (control characters, bad names) is dropped, so one odd header
    does not turn the whole answer into a server error."""
    items = raw.items() if isinstance(raw, Mapping) else raw
    out: list[tuple[str, str]] = []
    for key, value in items:
        lower = key.lower()
        if lower in HOP_BY_HOP:
            continue
        if not sendable(key, value):
            log.info("dropped a header the replica sent that cannot be sent on: %r", key)
            continue
        if lower == "set-cookie" and not _keep_set_cookie(value, fwd):
            continue
        if lower == "location" and value.startswith("/") and not value.startswith("//"):
            value = fwd.prefix + value
        out.append((key, value))
    if fwd.sandbox:
        out.append(("Content-Security-Policy", SANDBOX_CSP))
    return out


def forward(service: Service, fwd: Forward) -> Response:
    """Send `fwd` to a ready replica of `service` and stream its answer back.

    The path and query go as they are (no decoding, no re-encoding); the answer is passed on
    piece by piece as the replica writes it, whatever its framing (chunked, a length, or
    until the connection closes). The database session is closed before the upstream call
    (a slow replica must not hold a connection). Raises NotFound (worker service) and
    ServiceUnavailable (no ready replica, or the replica did not answer)."""
    route = target_of(service)
    if isinstance(route, str):  # a bare base URL is a route without headers
        route = ProxyRoute(route)
    target = urlsplit(route.url)
    path = fwd.path if fwd.path.startswith("/") else "/" + fwd.path
    path = target.path.rstrip("/") + path
    if fwd.query:
        path += "?" + fwd.query.decode("latin-1")
    body = fwd.body if fwd.method not in ("GET", "HEAD") else None
    headers = {**request_headers(fwd), **route.headers}
    db.session.close()
    connect, between = UPSTREAM_TIMEOUT
    if target.scheme == "https":
        conn = http.client.HTTPSConnection(
            target.hostname, target.port, timeout=connect, context=route.ssl_context
        )
    else:
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=connect)
    try:
        conn.connect()
        conn.sock.settimeout(between)
        conn.request(fwd.method, path, body=body, headers=headers)
        upstream = conn.getresponse()
    except (OSError, http.client.HTTPException, ValueError) as exc:
        conn.close()
        raise ServiceUnavailable(f"The replica did not answer ({type(exc).__name__})") from exc

    def body_iter() -> Iterator[bytes]:
        try:
            while piece := upstream.read1(READ_SIZE):
                yield piece
        except (OSError, http.client.HTTPException):
            return  # the replica broke off: end the answer where it stopped
        finally:
            conn.close()

    return Response(
        body_iter(),
        status=upstream.status,
        headers=response_headers(upstream.getheaders(), fwd),
        direct_passthrough=True,
    )
