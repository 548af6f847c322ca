"""Sending one webhook request: to a checked address, no redirects, bounded in time and size."""

from __future__ import annotations

import email.utils
import functools
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from reports.webhooks.addresses import Address, ForbiddenAddress, Target, parse, resolve
from reports.webhooks.urls import BadCallbackUrl

CONNECT_TIMEOUT = 5.0  # per connection attempt (and for resolving the host)
TOTAL_TIMEOUT = 10.0  # resolving, connecting, sending and reading the answer, together
MAX_RESPONSE_BYTES = 64 * 1024  # of the answer's body; the rest is never read
MAX_RETRY_AFTER = 365 * 24 * 3600.0  # seconds: a longer Retry-After counts as this long
USER_AGENT = "report-task-webhook/1"


@dataclass(frozen=True)
class Outcome:
    status: int | None  # the HTTP status; None when there was no answer
    error: str  # "" when delivered (2xx)
    retry: bool  # worth trying again later: no answer, 5xx or 429
    retry_after: float | None = None  # seconds, from a 429/5xx answer's Retry-After
    received: int = 0  # bytes of the answer's body that were read

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _open(addresses: list[Address], deadline: float) -> socket.socket:
    """A TCP connection to the first checked address that answers, never to a name: the
    host is not resolved again, so DNS cannot swap the address after the check."""
    error: OSError = OSError("no address to connect to")
    for family, sockaddr in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no answer within {TOTAL_TIMEOUT:.0f} s")
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(min(CONNECT_TIMEOUT, remaining))
        try:
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        return sock
    raise error


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, addresses: list[Address], deadline: float) -> None:
        super().__init__(target.host, target.port, timeout=CONNECT_TIMEOUT)
        self._addresses = addresses
        self._deadline = deadline
        # Our own reference: http.client hands the socket to the response and forgets it.
        self.raw_sock: socket.socket | None = None
        self.cut = False  # the watchdog ended the request at the deadline

    def connect(self) -> None:
        self.sock = self.raw_sock = _open(self._addresses, self._deadline)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


@functools.cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


class _PinnedHTTPS(_PinnedHTTP):
    default_port = http.client.HTTPS_PORT

    def connect(self) -> None:
        super().connect()
        # The certificate is checked against the URL's host name, not the address.
        self.sock = self.raw_sock = _tls().wrap_socket(self.sock, server_hostname=self.host)


_TIMED_OUT = Outcome(None, f"timed out (limit {TOTAL_TIMEOUT:.0f} s)", retry=True)


def _retry_after(value: str | None) -> float | None:
    """The answer's Retry-After in seconds (a number or an HTTP date), at most a year: the
    receiver chooses it, and "10^30 seconds" must not overflow the next attempt's time (a
    wait past the retry window fails the delivery either way)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(0.0, when.timestamp() - time.time()), MAX_RETRY_AFTER)


def send_to(
    target: Target, addresses: list[Address], body: bytes, headers: dict[str, str], deadline: float
) -> Outcome:
    """POST ``body`` to the target over one of ``addresses`` (already checked)."""
    connection_class = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = connection_class(target, addresses, deadline)
    # A backstop for answers that trickle in: the socket is cut at the deadline, whatever
    # http.client is reading at that moment.
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _cut, args=(connection,))
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={"User-Agent": USER_AGENT, "Content-Type": "application/json", **headers},
        )
        response = connection.getresponse()
        received = len(response.read(MAX_RESPONSE_BYTES))
        status = response.status
        retry_after = _retry_after(response.getheader("Retry-After"))
    except (OSError, http.client.HTTPException) as exc:
        if connection.cut or isinstance(exc, TimeoutError):
            return _TIMED_OUT
        return Outcome(None, f"connection failed: {exc.__class__.__name__}: {exc}", retry=True)
    finally:
        watchdog.cancel()
        connection.close()
    if connection.cut:  # the answer was cut short: it does not count
        return _TIMED_OUT
    if 200 <= status < 300:
        return Outcome(status, "", retry=False, received=received)
    if status == 429 or status >= 500:
        return Outcome(status, f"HTTP {status}", True, retry_after, received)
    if 300 <= status < 400:
        return Outcome(status, f"HTTP {status}: redirects are not followed", False, None, received)
    return Outcome(status, f"HTTP {status}", retry=False, received=received)


def _cut(connection: _PinnedHTTP) -> None:
    connection.cut = True
    sock = connection.raw_sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """Deliver once: resolve and check the host now (not only at submit time), connect to
    a checked address, send, read at most 64 KB of the answer, all within 10 s."""
    deadline = time.monotonic() + TOTAL_TIMEOUT
    try:
        target = parse(url)
        addresses = resolve(target, timeout=CONNECT_TIMEOUT)
    except (BadCallbackUrl, ForbiddenAddress) as exc:
        return Outcome(None, f"refused: {exc}", retry=False)
    except OSError as exc:
        return Outcome(None, f"could not resolve: {exc}", retry=True)
    return send_to(target, addresses, body, headers, deadline)
