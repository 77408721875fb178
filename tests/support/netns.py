"""Network namespaces for the scale-out tests: one bridge on the host (the hub's side of the
"WAN") and one namespace per poller node joined to it by a veth pair. Cutting a node's WAN is
taking its host-side veth down. Everything is removed at the end."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from tests.support.nats import IP


def ip(*args: str, ns: str | None = None, check: bool = True) -> str:
    """Run ``ip ...`` (in ``ns``); its stdout."""
    cmd = [IP, "netns", "exec", ns, IP, *args] if ns else [IP, *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=15)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {done.stderr.strip()}")
    return done.stdout


@dataclass(frozen=True)
class Site:
    """A node's namespace and its veth pair (host side ``host_if``)."""

    ns: str
    host_if: str
    address: str

    def wan(self, up: bool) -> None:
        """Bring the node's WAN link up or down (the host side of its veth)."""
        ip("link", "set", self.host_if, "up" if up else "down")


@dataclass(frozen=True)
class Wan:
    """The bridge (``hub_address`` on it) and the sites."""

    bridge: str
    hub_address: str
    sites: dict[str, Site]


def _free_prefix() -> str:
    routes = ip("route") + ip("addr")
    for third in range(os.getpid() % 200, 256):
        prefix = f"10.217.{third}."
        if prefix not in routes:
            return prefix
    pytest.skip("no free 10.217.x.0/24 for the test bridge")


@contextmanager
def wan(nodes: Sequence[str]) -> Iterator[Wan]:
    """A bridge on the host and one namespace per node; skips where namespaces cannot be made."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    tag = f"{os.getpid() % 100000}"
    bridge = f"pvbr{tag}"
    made: list[str] = []
    try:
        try:
            ip("link", "add", bridge, "type", "bridge")
        except RuntimeError as exc:
            pytest.skip(f"cannot create a bridge here: {exc}")
        prefix = _free_prefix()
        ip("addr", "add", f"{prefix}1/24", "dev", bridge)
        ip("link", "set", bridge, "up")
        sites = {}
        for i, node in enumerate(nodes):
            ns, host_if, ns_if = f"pv-{node}-{tag}", f"pvh{i}{tag}", f"pvn{i}{tag}"
            ip("netns", "add", ns)
            made.append(ns)
            ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if)
            ip("link", "set", ns_if, "netns", ns)
            ip("link", "set", host_if, "master", bridge)
            ip("link", "set", host_if, "up")
            address = f"{prefix}{10 + i}"
            ip("addr", "add", f"{address}/24", "dev", ns_if, ns=ns)
            ip("link", "set", ns_if, "up", ns=ns)
            ip("link", "set", "lo", "up", ns=ns)
            sites[node] = Site(ns, host_if, address)
        yield Wan(bridge, f"{prefix}1", sites)
    finally:
        for ns in made:
            ip("netns", "del", ns, check=False)  # removes the veth pairs too
        ip("link", "del", bridge, check=False)
