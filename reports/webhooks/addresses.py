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


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why the service must not connect to this address; None for a public one. IPv6
    addresses that carry an IPv4 address (mapped, 6to4, Teredo, NAT64) are judged by it."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and (reason := forbidden_reason(embedded)):
            return reason
    for check, reason in (
        ("is_unspecified", "unspecified"),
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_private", "private"),
        ("is_reserved", "reserved"),
        ("is_site_local", "site-local"),
    ):
        if getattr(ip, check, False):
            return f"{ip} is a {reason} address"
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
