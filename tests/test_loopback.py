"""The guard every test process runs under (tests/loopback.py): public and private
addresses are refused before any packet leaves; loopback and the test hosts' links pass."""

from __future__ import annotations

import socket

import pytest

from tests.loopback import NotLoopback, allowed


@pytest.mark.parametrize(
    "address",
    [("1.1.1.1", 80), ("8.8.8.8", 443), ("192.0.0.8", 80), ("10.1.2.3", 80),
     ("2606:4700:4700::1111", 443, 0, 0), ("::ffff:8.8.8.8", 80, 0, 0), ("example.com", 80)],
)  # fmt: skip
def test_a_test_cannot_connect_outside_loopback(address) -> None:
    assert getattr(socket.socket.connect, "_loopback_only", False)  # else: no connect below
    assert not allowed(address)
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock, pytest.raises(NotLoopback):
        sock.connect(address)  # refused by the guard: the real connect is never called
    with socket.socket(family, socket.SOCK_STREAM) as sock, pytest.raises(NotLoopback):
        sock.connect_ex(address)


@pytest.mark.parametrize(
    "address",
    [("127.0.0.1", 5432), ("127.8.9.10", 1), ("::1", 6379, 0, 0), ("::ffff:127.0.0.1", 1, 0, 0),
     ("10.213.4.2", 5432), ("10.0.1.2", 80), "/tmp/some.sock"],
)  # fmt: skip
def test_loopback_and_the_test_hosts_links_pass(address) -> None:
    assert allowed(address)
