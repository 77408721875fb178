"""Real ICMP: 127.0.0.1 answers; an address in a network namespace we create answers only
while its veth end is up. Skips (with the reason) where namespaces cannot be made."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from provnet.config.icmp import IcmpSettings
from provnet.pollers.icmp import (
    SNMP_NOT_ANSWERING,
    UNREACHABLE,
    UP,
    IcmplibPinger,
    device_status,
    probe_all,
)
from provnet.pollers.live import LiveState
from provnet.pollers.readings import IcmpReading

pytestmark = pytest.mark.integration

IP = shutil.which("ip") or "/usr/sbin/ip"


def _ip(*args: str, ns: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [IP, "netns", "exec", ns, IP, *args] if ns else [IP, *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=10)


@dataclass
class Netns:
    """A namespace holding one end of a veth pair; the other end is on the host."""

    name: str
    host_if: str
    ns_if: str
    address: str

    def set_peer(self, up: bool) -> None:
        _ip("link", "set", self.ns_if, "up" if up else "down", ns=self.name)


def _free_subnet() -> str:
    routes = _ip("route").stdout
    for third in range(os.getpid() % 200, 256):
        prefix = f"10.203.{third}."
        if prefix not in routes:
            return prefix
    pytest.skip("no free 10.203.x.0/30 for the test veth")


@pytest.fixture(scope="module")
def netns() -> Iterator[Netns]:
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    if not os.path.exists(IP):
        pytest.skip("iproute2 'ip' not installed")
    tag = f"{os.getpid() % 100000}"
    ns = Netns(f"provnet-h3c-{tag}", f"h3ch{tag}", f"h3cn{tag}", "")
    made = _ip("netns", "add", ns.name)
    if made.returncode != 0:
        pytest.skip(f"cannot create a network namespace here: {made.stderr.strip()}")
    try:
        prefix = _free_subnet()
        steps = [
            _ip("link", "add", ns.host_if, "type", "veth", "peer", "name", ns.ns_if),
            _ip("link", "set", ns.ns_if, "netns", ns.name),
            _ip("addr", "add", f"{prefix}1/30", "dev", ns.host_if),
            _ip("link", "set", ns.host_if, "up"),
            _ip("addr", "add", f"{prefix}2/30", "dev", ns.ns_if, ns=ns.name),
            _ip("link", "set", "lo", "up", ns=ns.name),
        ]
        failed = [s for s in steps if s.returncode != 0]
        if failed:
            pytest.skip(f"cannot set up the test veth: {failed[0].stderr.strip()}")
        ns.address = f"{prefix}2"
        yield ns
    finally:
        _ip("link", "del", ns.host_if)
        _ip("netns", "del", ns.name)


def _probe(addresses: list[str], count: int = 3) -> dict[int, IcmpReading]:
    settings = IcmpSettings(count=count, packet_interval_s=0.05, timeout_s=0.5)
    out: dict[int, IcmpReading] = {}
    targets = list(enumerate(addresses))
    asyncio.run(probe_all(IcmplibPinger(), targets, settings, out.__setitem__))
    return out


def test_loopback_answers_every_packet() -> None:
    (r,) = _probe(["127.0.0.1"], count=4).values()
    assert (r.sent, r.received, r.loss_pct) == (4, 4, 0.0)
    assert r.rtt_min_ms is not None and r.rtt_max_ms is not None and r.rtt_avg_ms is not None
    assert 0 <= r.rtt_min_ms <= r.rtt_avg_ms <= r.rtt_max_ms < 100


def test_one_sweep_matches_replies_of_many_addresses() -> None:
    """300 loopback addresses (the kernel answers all of 127/8) in one sweep, one socket."""
    addresses = [f"127.{64 + i // 250}.{i % 250}.1" for i in range(300)]
    readings = _probe(addresses, count=2)
    assert len(readings) == 300
    assert {r.address for r in readings.values()} == set(addresses)
    assert all((r.sent, r.received) == (2, 2) for r in readings.values())


def test_peer_down_does_not_answer_and_peer_up_does(netns: Netns) -> None:
    netns.set_peer(False)
    down = _probe([netns.address, "127.0.0.1"])
    assert (down[0].received, down[0].loss_pct) == (0, 100.0)
    assert down[1].received == 3

    netns.set_peer(True)
    up: dict[int, IcmpReading] = {}
    for _ in range(10):  # the veth needs a moment to get carrier and answer ARP
        up = _probe([netns.address])
        if up[0].received:
            break
    assert up[0].received >= 2, up

    # the status a device gets from these probes when its SNMP agent fails or answers
    state = LiveState()
    state.update_icmp(1, down[1], 0.0)
    state.update_icmp(2, down[0], 0.0)
    e1, e2 = state.device(1), state.device(2)
    assert e1 is not None and e2 is not None and e1.icmp and e2.icmp
    assert device_status(e1.icmp, snmp_ok=False) == SNMP_NOT_ANSWERING
    assert device_status(e2.icmp, snmp_ok=False) == UNREACHABLE
    assert device_status(up[0], snmp_ok=True) == UP
