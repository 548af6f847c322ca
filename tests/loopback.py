"""Tests send traffic only to loopback and to the network hosts they build themselves: any
other address is refused before a connection is attempted, in every test process.

``tests/hosts.py`` links this machine to its namespaces through 10.213.0.0/16 (and the
namespaces among themselves through 10.0.0.0/16, inside them only); everything else that a
test reaches is on 127.0.0.0/8 or ::1. Unix sockets are local by nature.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

# tests/hosts.py's links: the root's /30s into the services host, the hosts' own /24s.
TEST_NETWORKS = (ipaddress.ip_network("10.213.0.0/16"), ipaddress.ip_network("10.0.0.0/16"))


class NotLoopback(ConnectionRefusedError):
    """A test tried to connect outside loopback and its own network hosts."""


def allowed(address: Any) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths (and abstract names)
        return True
    try:
        ip = ipaddress.ip_address(str(address[0]).split("%", 1)[0])
    except ValueError:  # a name: resolved by the caller before connecting, never here
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or any(ip in network for network in TEST_NETWORKS)


def install() -> None:
    """Wrap socket.connect and connect_ex (what http.client, urllib, redis-py, kombu and
    the test receivers use) with the check; idempotent."""
    if getattr(socket.socket.connect, "_loopback_only", False):
        return
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def checked_connect(self: socket.socket, address: Any) -> None:
        if not allowed(address):
            raise NotLoopback(f"tests may not connect to {address!r}: loopback only")
        connect(self, address)

    def checked_connect_ex(self: socket.socket, address: Any) -> int:
        if not allowed(address):
            raise NotLoopback(f"tests may not connect to {address!r}: loopback only")
        return connect_ex(self, address)

    checked_connect._loopback_only = True  # type: ignore[attr-defined]  # a marker
    socket.socket.connect = checked_connect  # type: ignore[method-assign,assignment]  # the guard
    socket.socket.connect_ex = checked_connect_ex  # type: ignore[method-assign,assignment]  # the guard
