"""Several machines on one: Linux network namespaces joined by veth pairs, so that a test can
run the service's roles on hosts of their own and cut one host's link.

The layout is a star around a "services" host (PostgreSQL, Redis, the sweeper): this
machine (where the test and the API run) has one link to it, and so has each worker host.
Each link is its own small subnet, so no host forwards anything and no firewall or NAT
rule is involved. A host's processes run under their own host name (a UTS namespace too),
as on separate machines.

Every namespace is named ``rthost-<pid>-<random>-<host>`` and this machine's end of the
link ``rth-<pid>-<random>`` (``pid``: the test process), so runs never collide, and one
that crashed is cleaned up by the next (``remove_leftovers``: its namespaces, the
processes still in them, and its link).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import secrets
import signal
import subprocess
from dataclasses import dataclass, field

NETNS_PREFIX = "rthost-"
LINK_PREFIX = "rth-"
_OWNER = re.compile(r"^(?:rthost|rth)-(\d+)-")


class NetnsNotPermitted(Exception):
    """This machine does not let the test make network namespaces (not root, a container
    without CAP_SYS_ADMIN, no iproute2)."""


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=30)


@dataclass
class Host:
    name: str  # its host name, e.g. host-a
    netns: str
    address: str  # where the services host is reached from it ("" for the services host)
    uplink: str = ""  # the services host's end of its link: set down to cut the host off

    def wrapper(self) -> tuple[str, ...]:
        """The command prefix that runs a program on this host, under its host name."""
        return (
            "ip",
            "netns",
            "exec",
            self.netns,
            "unshare",
            "--uts",
            "sh",
            "-c",
            'hostname "$0" && exec "$@"',
            self.name,
        )


@dataclass
class Network:
    """``services`` plus ``workers`` worker hosts; ``address``: the services host's address
    as this machine reaches it."""

    workers: int = 2
    run: str = field(default_factory=lambda: f"{os.getpid()}-{secrets.token_hex(2)}")
    services: Host | None = None
    hosts: list[Host] = field(default_factory=list)
    address: str = ""

    @property
    def link(self) -> str:
        return f"{LINK_PREFIX}{self.run}"

    def create(self) -> None:
        services = Host("services", f"{NETNS_PREFIX}{self.run}-services", address="")
        self.services = services
        try:
            remove_leftovers()
            self._add_netns(services)
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", "") or exc
            raise NetnsNotPermitted(f"`ip netns add` failed: {detail}".strip()) from exc
        self.address = self._uplink_from_here(services)
        for index in range(self.workers):
            letter = chr(ord("a") + index)
            host = Host(f"host-{letter}", f"{NETNS_PREFIX}{self.run}-{letter}", address="")
            self._add_netns(host)
            self.hosts.append(host)  # removed with the others from now on
            # A subnet per link, 10.0.<n>.0/24: it exists only inside the two namespaces.
            host.uplink = f"to-{letter}"
            host.address = f"10.0.{index + 1}.1"
            ip(
                "-n",
                services.netns,
                "link",
                "add",
                host.uplink,
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                host.netns,
            )
            ip("-n", services.netns, "addr", "add", f"{host.address}/24", "dev", host.uplink)
            ip("-n", host.netns, "addr", "add", f"10.0.{index + 1}.2/24", "dev", "eth0")
            ip("-n", services.netns, "link", "set", host.uplink, "up")
            ip("-n", host.netns, "link", "set", "eth0", "up")

    def _add_netns(self, host: Host) -> None:
        ip("netns", "add", host.netns)
        ip("-n", host.netns, "link", "set", "lo", "up")

    def _uplink_from_here(self, services: Host) -> str:
        """This machine's link to the services host: a random /30 in 10.213.0.0/16 that no
        address here already uses (its routes exist on this machine)."""
        taken = ip("-o", "-4", "addr").stdout
        while True:
            block = random.randrange(0, 1 << 14) * 4
            here = f"10.213.{block >> 8}.{(block & 0xFF) + 1}"
            there = f"10.213.{block >> 8}.{(block & 0xFF) + 2}"
            if f" {here}/" not in taken and f" {there}/" not in taken:
                break
        ip(
            "link",
            "add",
            self.link,
            "type",
            "veth",
            "peer",
            "name",
            "uplink",
            "netns",
            services.netns,
        )
        ip("addr", "add", f"{here}/30", "dev", self.link)
        ip("-n", services.netns, "addr", "add", f"{there}/30", "dev", "uplink")
        ip("link", "set", self.link, "up")
        ip("-n", services.netns, "link", "set", "uplink", "up")
        return there

    def cut(self, host: Host) -> None:
        """Pull the host's cable: its end of the link loses its carrier; nothing it sends
        arrives, nothing reaches it, and its open connections are not told."""
        assert self.services is not None
        ip("-n", self.services.netns, "link", "set", host.uplink, "down")

    def restore(self, host: Host) -> None:
        assert self.services is not None
        ip("-n", self.services.netns, "link", "set", host.uplink, "up")

    def remove(self) -> None:
        """Every namespace of this run (and any process left in one), and the link here."""
        if self.services is None:
            return
        with contextlib.suppress(OSError):  # no `ip` at all: nothing was made
            for host in (self.services, *self.hosts):
                _remove_netns(host.netns)
            ip("link", "delete", self.link, check=False)


def _remove_netns(name: str) -> None:
    pids = ip("netns", "pids", name, check=False).stdout.split()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)
    ip("netns", "delete", name, check=False)


def remove_leftovers() -> None:
    """Namespaces and links of earlier runs whose test process is gone (a crash, a kill -9
    of pytest): those of runs still going are theirs."""
    for line in ip("netns", "list", check=False).stdout.splitlines():
        name = line.split(" ", 1)[0]
        if name.startswith(NETNS_PREFIX) and not _owner_alive(name):
            _remove_netns(name)
    for line in ip("-o", "link", check=False).stdout.splitlines():
        name = line.split(":", 2)[1].strip().split("@", 1)[0]
        if name.startswith(LINK_PREFIX) and not _owner_alive(name):
            ip("link", "delete", name, check=False)


def _owner_alive(name: str) -> bool:
    found = _OWNER.match(name)
    return found is not None and os.path.exists(f"/proc/{found[1]}")
