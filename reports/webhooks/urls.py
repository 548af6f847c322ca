"""A callback URL in one canonical ASCII form: what is stored at submit and what is sent.

A URL that cannot be written so is refused (``BadCallbackUrl``) rather than guessed at:
the service must never store a URL that every delivery would then fail on.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass

MAX_URL_LENGTH = 2048  # of the URL as given, and again once encoded
MAX_HOST_LENGTH = 253  # a DNS name's, without its final dot

# Unicode categories refused anywhere in the URL: control (C0, DEL, C1), format (invisible:
# zero-width and bidirectional marks, which make a URL read as another), surrogates (no
# UTF-8 form), and every kind of space. Python's urlsplit silently drops tabs and newlines
# and strips leading controls, so they are looked for in the text as given, before it.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"})
# A host name once IDNA-encoded: letters, digits, "-" and "_" in dot-separated labels.
_HOST_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?")
# RFC 3986: what stands as itself in a path (pchar and "/"), and in a query (also "?");
# everything else is percent-encoded as UTF-8. A "%" stays only before two hex digits.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


class BadCallbackUrl(ValueError):
    """The URL cannot be a callback: not http(s), no host, credentials in it, too long,
    a character that has no place in a URL, or a host name that is not valid."""


@dataclass(frozen=True)
class CallbackUrl:
    scheme: str  # http or https
    host: str  # ASCII (IDNA), lower case; an IPv6 literal without brackets
    port: int | None  # as written; None: the scheme's default
    path: str  # path and query, percent-encoded, at least "/"

    @property
    def text(self) -> str:
        netloc = f"[{self.host}]" if ":" in self.host else self.host
        if self.port is not None:
            netloc = f"{netloc}:{self.port}"
        return f"{self.scheme}://{netloc}{self.path}"


def normalise(url: str) -> CallbackUrl:
    """The URL's canonical form: the host IDNA-encoded, path and query percent-encoded,
    the fragment (never sent to a server) dropped. ``BadCallbackUrl`` if it has none.
    Normalising a normalised URL changes nothing."""
    if len(url) > MAX_URL_LENGTH:
        raise BadCallbackUrl(f"Longer than {MAX_URL_LENGTH} characters.")
    for char in url:
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise BadCallbackUrl(
                "The URL contains a control, invisible or whitespace character "
                f"(U+{ord(char):04X}); percent-encode it if it belongs in the URL."
            )
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadCallbackUrl(f"Not a valid URL: {exc}.") from None
    if parts.scheme not in ("http", "https"):
        raise BadCallbackUrl("Only http and https URLs are accepted.")
    if not parts.hostname:
        raise BadCallbackUrl("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise BadCallbackUrl("The URL must not contain credentials.")
    if port == 0:  # "or default" would quietly make it 80 or 443
        raise BadCallbackUrl("Port 0 is not a port a receiver can listen on.")
    bracketed = parts.netloc.rpartition("@")[2].startswith("[")
    path = _encode(parts.path or "/", _PATH_SAFE)
    if parts.query:
        path = f"{path}?{_encode(parts.query, _QUERY_SAFE)}"
    normal = CallbackUrl(parts.scheme, _host(parts.hostname, bracketed=bracketed), port, path)
    if len(normal.text) > MAX_URL_LENGTH:
        raise BadCallbackUrl(f"Longer than {MAX_URL_LENGTH} characters once percent-encoded.")
    return normal


def _encode(text: str, safe: str) -> str:
    return urllib.parse.quote(_STRAY_PERCENT.sub("%25", text), safe=safe)


def _host(hostname: str, *, bracketed: bool) -> str:
    """The host in ASCII: an IP address in its canonical form, or a name IDNA-encoded."""
    if bracketed or ":" in hostname:
        try:
            address = ipaddress.IPv6Address(hostname)
        except ValueError:
            address = None
        # A zone ("%eth0") names an interface of this machine: never a receiver's.
        if address is None or address.scope_id is not None:
            raise BadCallbackUrl("The host is not a valid IPv6 address.")
        return str(address)
    try:
        return str(ipaddress.IPv4Address(hostname))
    except ValueError:
        pass
    try:
        name = hostname.encode("idna").decode("ascii")
        # Python's codec is IDNA 2003, which maps some names to others ("faß" to "fass",
        # where IDNA 2008 and browsers keep the ß): such a name is refused, not changed.
        mapped = not hostname.isascii() and name.encode("ascii").decode("idna") != hostname
    except UnicodeError:
        raise BadCallbackUrl("The host name is not valid.") from None
    if mapped:
        raise BadCallbackUrl("The host name is not valid as written: give its xn-- form.")
    if len(name.rstrip(".")) > MAX_HOST_LENGTH or not _HOST_NAME.fullmatch(name):
        raise BadCallbackUrl("The host name is not valid.")
    return name
