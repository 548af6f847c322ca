"""Which addresses a callback may reach: the IANA special-purpose registries (IPv4 and
IPv6) are refused, port 0 too, unless REPORT_WEBHOOK_ALLOW_HOSTS names the host.

Checked on the address check itself, with a resolver stub that answers each name with
the table's address: nothing here connects anywhere (a submit resolves, never connects)."""

from __future__ import annotations

import ipaddress
import json
import socket

import pytest

from reports.errors import InvalidInput
from reports.models import ReportJob
from reports.webhooks import addresses
from reports.webhooks.callback import callback_url_check
from reports.webhooks.urls import BadCallbackUrl
from tests.test_webhooks import SECRET

# The registries' blocks as the issue lists them (the spec, written out independently of
# the module's table): each block's first, a middle and its last address are refused.
REGISTRY = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.31.196.0/24",
    "192.52.193.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "192.175.48.0/24",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "255.255.255.255/32",
    "::/128",
    "::1/128",
    "::/96",  # IPv4-compatible (deprecated)
    "64:ff9b:1::/48",
    "100::/64",
    "100:0:0:1::/64",
    "2001::/23",
    "2001::/32",  # Teredo
    "2001:2::/48",
    "2001:3::/32",
    "2001:4:112::/48",
    "2001:20::/28",
    "2001:30::/28",
    "2001:db8::/32",
    "2002::/16",
    "2620:4f:8000::/48",
    "3fff::/20",
    "5f00::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
]


def samples(block: str) -> list[str]:
    net = ipaddress.ip_network(block)
    return [str(net[0]), str(net[net.num_addresses // 2]), str(net[-1])]


REFUSED = [
    *sorted({address for block in REGISTRY for address in samples(block)}),
    "192.0.0.8",  # IPv4 dummy address: passed before
    "192.0.0.9",  # PCP anycast, "globally reachable" for IANA, still no receiver
    "192.0.0.170",
    "::ffff:127.0.0.1",  # mapped: judged by the IPv4 address it carries
    "::ffff:192.0.0.8",
    "::ffff:10.1.2.3",
    "64:ff9b::a00:1",  # NAT64 around 10.0.0.1
    "64:ff9b::c000:8",  # NAT64 around 192.0.0.8
    "64:ff9b::7f00:1",  # NAT64 around 127.0.0.1
    "2002:808:808::1",  # 6to4, even around a public 8.8.8.8
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo
    "::808:808",  # IPv4-compatible form of 8.8.8.8
    "4000::1",  # unallocated, outside 2000::/3
]

ALLOWED = [
    "1.1.1.1",
    "8.8.8.8",
    "9.255.255.255",  # just below 10/8
    "11.0.0.0",  # just above 10/8
    "100.63.255.255",  # just below 100.64/10
    "100.128.0.0",  # just above it
    "172.15.255.255",
    "172.32.0.0",
    "192.0.1.0",  # between 192.0.0.0/24 and 192.0.2.0/24
    "192.88.98.255",
    "192.167.255.255",
    "192.169.0.0",
    "198.17.255.255",
    "198.20.0.0",
    "223.255.255.255",  # just below multicast
    "2606:4700:4700::1111",
    "2a00:1450:4001:82b::200e",
    "2001:200::1",  # just above 2001::/23
    "2001:db7:ffff::1",
    "2001:db9::1",
    "2003::1",
    "3ffe:ffff::1",  # just below 3fff::/20
    "::ffff:8.8.8.8",  # mapped public IPv4
    "64:ff9b::808:808",  # NAT64 (DNS64) around public 8.8.8.8
]


def reason_of(error: InvalidInput) -> str:
    assert error.errors is not None
    return error.errors["callback_url"][0]


@pytest.fixture
def dns(monkeypatch) -> dict[str, list[str]]:
    """A resolver stub: getaddrinfo answers each name with the addresses given here, and
    fails for any other name; the real resolver is never asked."""
    table: dict[str, list[str]] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (address, port, 0, 0) if ":" in address else (address, port),
            )
            for address in table[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.fixture
def secret(settings):
    settings.REPORT_WEBHOOK_SECRET = SECRET
    settings.REPORT_WEBHOOK_ALLOW_HOSTS = []
    return settings


@pytest.mark.parametrize("address", REFUSED)
def test_special_purpose_addresses_are_refused(secret, dns, address) -> None:
    dns["hooks.example"] = [address]
    with pytest.raises(InvalidInput) as refused:
        callback_url_check("https://hooks.example/hook")
    assert "forbidden address" in reason_of(refused.value)
    assert addresses.forbidden_reason(ipaddress.ip_address(address)) is not None
    # Delivery checks the same way (resolve is what the sender runs before connecting).
    target = addresses.parse("https://hooks.example/hook")
    with pytest.raises(addresses.ForbiddenAddress):
        addresses.resolve(target, timeout=1)


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_accepted(secret, dns, address) -> None:
    dns["hooks.example"] = [address]
    assert callback_url_check("https://hooks.example/hook") == "https://hooks.example/hook"
    assert addresses.forbidden_reason(ipaddress.ip_address(address)) is None


def test_one_forbidden_address_among_public_ones_refuses_the_name(secret, dns) -> None:
    dns["hooks.example"] = ["8.8.8.8", "2606:4700:4700::1111", "192.0.0.8"]
    with pytest.raises(InvalidInput) as refused:
        callback_url_check("http://hooks.example/")
    assert "192.0.0.8 is in 192.0.0.0/24" in reason_of(refused.value)


@pytest.mark.parametrize("address", ["192.0.0.8", "10.0.0.1", "64:ff9b::7f00:1", "fd00::1"])
def test_an_address_literal_is_checked_without_asking_dns(secret, dns, address) -> None:
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(InvalidInput):
        callback_url_check(f"http://{host}/hook")


def test_a_host_named_in_the_allow_list_skips_the_address_check(secret, dns) -> None:
    """How the tests reach their loopback receivers (REPORT_WEBHOOK_ALLOW_HOSTS)."""
    dns["hooks.internal"] = ["10.0.0.7"]
    with pytest.raises(InvalidInput):
        callback_url_check("http://hooks.internal/hook")
    secret.REPORT_WEBHOOK_ALLOW_HOSTS = ["hooks.internal"]
    assert callback_url_check("http://hooks.internal/hook") == "http://hooks.internal/hook"


@pytest.mark.parametrize("url", ["http://1.1.1.1:0/", "https://hooks.example:0/hook"])
def test_port_0_is_refused(secret, dns, url) -> None:
    """Before, port 0 was taken for "no port" and the event went to port 80."""
    dns["hooks.example"] = ["1.1.1.1"]
    with pytest.raises(InvalidInput) as refused:
        callback_url_check(url)
    assert "Port 0" in reason_of(refused.value)
    with pytest.raises(BadCallbackUrl):
        addresses.parse(url)  # nor would a delivery of such a stored URL connect
    secret.REPORT_WEBHOOK_ALLOW_HOSTS = ["1.1.1.1", "hooks.example"]  # not even then
    with pytest.raises(InvalidInput):
        callback_url_check(url)


@pytest.mark.django_db
def test_a_refused_address_is_a_400_at_submit(client, secret, dns, sample) -> None:
    dns["hooks.example"] = ["192.0.0.8"]
    body = {**sample, "callback_url": "http://hooks.example/hook"}
    response = client.post("/assignment/html", json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.content
    assert "192.0.0.8" in response.json()["errors"]["callback_url"][0]
    assert not ReportJob.objects.exists()
