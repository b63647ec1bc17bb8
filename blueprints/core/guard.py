"""The SSRF guard for every URL Sparki calls out to (webhook endpoints, workflow sources):
checked when the URL is saved and again before each request.

A URL must be http(s) and every address its host resolves to must be public. Loopback,
private, link-local, multicast, reserved and unspecified addresses are refused unless the
caller allows private ones (`WEBHOOK_ALLOW_PRIVATE`, `SOURCE_ALLOW_PRIVATE`). Link-local
addresses (169.254.0.0/16 and fe80::/10, where most cloud metadata services live) and the
metadata addresses of the major clouds (`METADATA_ADDRESSES`) are refused always. An IPv6
address that embeds an IPv4 one (IPv4-mapped, -compatible and -translated, NAT64, 6to4,
Teredo) is judged by the IPv4 address it carries as well as by itself, so no spelling of a
refused address slips through.

Requests connect to the address checked here (`outbound.request` with the returned
`Target`), so a DNS answer that changes between check and connect (DNS rebinding) cannot
slip through.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_LINK_LOCAL = (
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fe80::/10"),
)

# Instance metadata and host services of the major clouds outside the link-local ranges, each
# from the provider's own documentation:
METADATA_ADDRESSES = tuple(
    ipaddress.ip_network(net)
    for net in (
        # AWS EC2 instance metadata service over IPv6 ("Use IMDSv2", EC2 User Guide).
        "fd00:ec2::254/128",
        # AWS EC2 DNS resolver and time sync over IPv6 ("Amazon Route 53 Resolver",
        # "Set the time for your instance"): fd00:ec2::253, fd00:ec2::123.
        "fd00:ec2::253/128",
        "fd00:ec2::123/128",
        # Azure WireServer / host agent ("What is IP address 168.63.129.16?", Azure docs).
        "168.63.129.16/32",
        # Alibaba Cloud ECS instance metadata ("Instance metadata", ECS docs).
        "100.100.100.200/32",
        # Oracle Cloud legacy metadata endpoint ("Getting Instance Metadata", OCI docs).
        "192.0.0.192/32",
    )
)
# 169.254.169.254 (AWS, GCP, Azure IMDS, OCI, DigitalOcean, Hetzner, OpenStack), AWS ECS's
# 169.254.170.2 and Tencent's 169.254.0.23 are inside 169.254.0.0/16, refused as link-local.

# IPv6 prefixes that carry an IPv4 address in their last 32 bits.
_EMBEDS_IPV4_LOW32 = (
    ipaddress.ip_network("::ffff:0:0/96"),  # IPv4-mapped (RFC 4291 2.5.5.2)
    ipaddress.ip_network("::/96"),  # IPv4-compatible, deprecated (RFC 4291 2.5.5.1)
    ipaddress.ip_network("::ffff:0:0:0/96"),  # IPv4-translated (RFC 2765 / SIIT)
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64 well-known prefix (RFC 6052 2.1)
)
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # local-use NAT64 (RFC 8215)


class UnsafeURL(ValueError):
    """The URL may not be called; `reason` says why in a few words."""

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
        raise UnsafeURL("The URL must use http or https", "scheme")
    if not parts.hostname:
        raise UnsafeURL("The URL has no host", "no host")
    if parts.username or parts.password:
        raise UnsafeURL("Credentials in the URL are not supported", "credentials")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, translated, NAT64,
    6to4 or Teredo client), else None. An IPv4 address carries none."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    value = int(ip)
    if any(ip in net for net in _EMBEDS_IPV4_LOW32):
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if ip in _NAT64_LOCAL:
        # RFC 6052 2.2, /48 prefix: IPv4 bits in 48..63 and 72..87 (bits 64..71 are "u").
        high = (value >> 64) & 0xFFFF
        low = (value >> 40) & 0xFFFF
        return ipaddress.IPv4Address((high << 16) | low)
    if ip.sixtofour is not None:  # 2002::/16 (RFC 3056)
        return ip.sixtofour
    if ip.teredo is not None:  # 2001::/32 (RFC 4380): (server, client)
        return ip.teredo[1]
    return None


def _refusal(ip: IPAddress, allow_private: bool) -> str | None:
    """Why `ip` may not be called (a few words), else None."""
    inner = embedded_ipv4(ip)
    if inner is not None and not (ip.is_loopback or ip.is_unspecified):
        # The IPv6 spelling is only a route to `inner`: judge the address it reaches.
        return _own_refusal(inner, allow_private)
    return _own_refusal(ip, allow_private)


def _own_refusal(ip: IPAddress, allow_private: bool) -> str | None:
    if any(ip in net for net in _LINK_LOCAL):
        return "link-local"
    if any(ip in net for net in METADATA_ADDRESSES):
        return "metadata"
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
                f"The host '{host}' resolves to {addr}, a {reason} address: only public "
                "addresses may be called",
                reason,
            )
    if not addresses:
        raise UnsafeURL(f"The host '{host}' does not resolve", "unresolvable")
    return Target(scheme, host, port, path, addresses[0])
