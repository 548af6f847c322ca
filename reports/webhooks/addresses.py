"""Callback URLs: which are accepted, and the checked addresses a delivery may connect to."""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from reports.webhooks.urls import CallbackUrl, normalise

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = tuple[int, Any]  # (socket family, sockaddr), as getaddrinfo gives them

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class ForbiddenAddress(ValueError):
    """The host is, or resolves to, an address in a range the service never calls."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # ASCII (IDNA), lower case; an IPv6 literal without brackets
    port: int
    path: str  # path and query, at least "/"
    allowed: bool  # named in REPORT_WEBHOOK_ALLOW_HOSTS: no address check


def target_of(url: CallbackUrl) -> Target:
    default_port = 443 if url.scheme == "https" else 80
    return Target(
        scheme=url.scheme,
        host=url.host,
        port=default_port if url.port is None else url.port,
        path=url.path,
        allowed=url.host in settings.REPORT_WEBHOOK_ALLOW_HOSTS,
    )


def parse(url: str) -> Target:
    """The URL as the sender uses it, normalised first (``urls.normalise``, which raises
    ``BadCallbackUrl``): a URL stored before submit normalised them is still sendable."""
    return target_of(normalise(url))


def _blocks(*blocks: tuple[str, str]) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(block), name) for block, name in blocks)


# Every block of IANA's IPv4 and IPv6 Special-Purpose Address Registries (2025), with the
# multicast ranges, is refused: also the few IANA marks "globally reachable" (anycast
# services such as AS112, PCP or TURN: no webhook receiver lives there). A table rather
# than ipaddress's is_global alone: on Python 3.11 that says "global" for 192.0.0.0/24
# but its /29 and .170/.171, for the AS112 and AMT blocks, 192.88.99.0/24, multicast, and
# on IPv6 for ::/96, 64:ff9b:1::/48, 100:0:0:1::/64, 2002::/16, 2620:4f:8000::/48,
# 3fff::/20, 5f00::/16, fec0::/10 and ff00::/8. is_global still has the last word.
SPECIAL_V4 = _blocks(
    ("0.0.0.0/8", "this network"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "shared address space"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation"),
    ("192.31.196.0/24", "AS112"),
    ("192.52.193.0/24", "AMT"),
    ("192.88.99.0/24", "6to4 relay anycast"),
    ("192.168.0.0/16", "private"),
    ("192.175.48.0/24", "AS112"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("255.255.255.255/32", "limited broadcast"),
    ("240.0.0.0/4", "reserved"),
)
SPECIAL_V6 = _blocks(
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("64:ff9b:1::/48", "local-use NAT64"),  # where the IPv4 address sits is local: refused
    ("100::/64", "discard-only"),
    ("100:0:0:1::/64", "dummy prefix"),
    ("2001::/23", "IETF protocol assignments"),  # Teredo, benchmarking, ORCHID, AMT, ...
    ("2001:db8::/32", "documentation"),
    ("2002::/16", "6to4"),  # deprecated (RFC 7526): refused whatever IPv4 address it carries
    ("2620:4f:8000::/48", "AS112"),
    ("3fff::/20", "documentation"),
    ("5f00::/16", "segment routing"),
    ("fc00::/7", "unique local"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
)
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")  # the only IPv6 space IANA allocates
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why the service must not connect to this address; None for a public one. An IPv4
    address mapped into IPv6 (::ffff:a.b.c.d) or behind the NAT64 prefix (64:ff9b::/96,
    which DNS64 answers with on IPv6-only networks) is judged by that IPv4 address."""
    if isinstance(ip, ipaddress.IPv6Address) and (ip in _MAPPED or ip in _NAT64):
        embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        reason = forbidden_reason(embedded)
        return f"{ip} carries an IPv4 address that is refused: {reason}" if reason else None
    blocks = SPECIAL_V4 if isinstance(ip, ipaddress.IPv4Address) else SPECIAL_V6
    for block, name in blocks:
        if ip in block:
            return f"{ip} is in {block} ({name})"
    if isinstance(ip, ipaddress.IPv6Address) and ip not in _GLOBAL_UNICAST:
        return f"{ip} is outside 2000::/3, the global unicast space"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """getaddrinfo has no timeout of its own: it runs in a thread that we stop waiting
    for. One small pool per process (a forked child makes its own)."""
    pid = os.getpid()
    with _pools_lock:
        if pid not in _pools:
            _pools.clear()
            _pools[pid] = ThreadPoolExecutor(4, thread_name_prefix="webhook-dns")
        return _pools[pid]


def resolve(target: Target, *, timeout: float) -> list[Address]:
    """Every address of the target's host, each checked (unless the host is allowed by
    name). Raises ForbiddenAddress if any is forbidden, OSError if none can be found."""
    try:
        literal: IPAddress | None = ipaddress.ip_address(target.host)
    except ValueError:
        literal = None
    if literal is not None:
        infos: list[Any] = [
            (
                socket.AF_INET6 if literal.version == 6 else socket.AF_INET,
                (str(literal), target.port),
            )
        ]
    else:
        future = _pool().submit(socket.getaddrinfo, target.host, target.port, 0, socket.SOCK_STREAM)
        try:
            found = future.result(timeout=max(0.01, timeout))
        except FutureTimeout:
            raise OSError(f"resolving {target.host} took longer than {timeout:.0f} s") from None
        except socket.gaierror as exc:
            raise OSError(f"{target.host} could not be resolved ({exc.strerror})") from None
        infos = [(family, sockaddr) for family, _, _, _, sockaddr in found]
    if not infos:
        raise OSError(f"{target.host} has no address")
    if not target.allowed:
        for _, sockaddr in infos:
            ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if reason := forbidden_reason(ip):
                raise ForbiddenAddress(f"{target.host} resolves to a forbidden address: {reason}.")
    unique: list[Address] = []
    for info in infos:
        if info not in unique:
            unique.append(info)
    return unique
