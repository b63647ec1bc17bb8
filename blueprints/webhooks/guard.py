"""The SSRF guard for webhook URLs: checked when an endpoint is saved and before each send.

A URL must be http(s) and every address its host resolves to must be public. Loopback,
private, link-local, multicast, reserved and unspecified addresses are refused unless
`WEBHOOK_ALLOW_PRIVATE` is on; link-local addresses (169.254.0.0/16 and fe80::/10, where
cloud metadata services live) and fd00:ec2::254 are refused always. Deliveries connect to
the address checked here, so a DNS answer that changes between check and connect cannot
slip through.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_ALWAYS_REFUSED = (
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fe80::/10"),
    ipaddress.ip_network("fd00:ec2::254/128"),
)


class UnsafeURL(ValueError):
    """The URL may not receive webhooks; `reason` says why in a few words."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`address`) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    address: str  # the vetted IP the connection must go to


def parse(url: str) -> tuple[str, str, int, str]:
    """Scheme, host, port and path-with-query of an http(s) URL, else UnsafeURL."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"The URL is malformed: {exc}", "malformed") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL("Webhook URLs must use http or https", "scheme")
    if not parts.hostname:
        raise UnsafeURL("The URL has no host", "no host")
    if parts.username or parts.password:
        raise UnsafeURL("Credentials in the URL are not supported", "credentials")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def _refusal(ip: IPAddress, allow_private: bool) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in net for net in _ALWAYS_REFUSED):
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if allow_private:
        return None
    for label in ("unspecified", "loopback", "private", "reserved"):
        if getattr(ip, f"is_{label}"):
            return label
    if not ip.is_global:
        return "not public"
    return None


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"The host '{host}' does not resolve", "unresolvable") from exc
    seen: list[str] = []
    for info in infos:
        addr = str(info[4][0]).split("%")[0]
        if addr not in seen:
            seen.append(addr)
    return seen


def check(url: str, *, allow_private: bool) -> Target:
    """Parse and resolve `url`; refuse it when any address it resolves to is not allowed."""
    scheme, host, port, path = parse(url)
    addresses = resolve(host, port)
    for addr in addresses:
        reason = _refusal(ipaddress.ip_address(addr), allow_private)
        if reason:
            raise UnsafeURL(
                f"The host '{host}' resolves to {addr}, a {reason} address: webhooks may "
                "only be sent to public addresses",
                reason,
            )
    if not addresses:
        raise UnsafeURL(f"The host '{host}' does not resolve", "unresolvable")
    return Target(scheme, host, port, path, addresses[0])
