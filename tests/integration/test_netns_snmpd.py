"""What issue 3 must show, on a real net-snmp ``snmpd`` inside a network namespace we create.

Layout: a management veth pair (host side in our namespace, 169.254.R.1/30; agent side in
the test namespace, 169.254.R.2/30) and a data veth pair with both ends inside the test
namespace — the "link" we take down. snmpd reports on every interface of its namespace and
sends linkDown/linkUp (DisMan event ``monitor`` every second) and coldStart to our trap
receiver on the host side. PollLoop polls over the management veth with the production engine
(ProfilePoller on FastV2cTransport) and with the spine's SnmpPoller (pysnmp).

Checks: taking the data veth down is reported by trap within 5 s and by polling within one
interval (plus snmpd's own ifTable cache, up to 3 s); a restarted snmpd (sysUpTime goes back)
gives a flagged gap, never a spike. Skipped only when network namespaces are not permitted.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from provnet.config.traps import TrapSettings
from provnet.pollers.engine import ProfilePoller
from provnet.pollers.scheduler import PollLoop
from provnet.pollers.traps import TrapEvent, TrapReceiver
from provnet.pollers.types import IfRates, PollResult, SnmpTarget
from tests.support.helpers import stop_process
from tests.support.snmp_agents import NO_MIBS_ENV, SNMPD
from tests.support.walk_poller import SnmpPoller

IP = shutil.which("ip") or "/usr/sbin/ip"
INTERVAL_S = 4.0
SNMPD_IF_CACHE_S = 3.0  # net-snmp serves ifTable from a cache refreshed at most this often
TRAP_DEADLINE_S = 5.0
COMMUNITY = "provnet-ns"
IF_ENTRY = ".1.3.6.1.2.1.2.2.1"


@dataclass
class Netns:
    """A namespace we created, its veths and addresses."""

    name: str
    host_if: str
    ns_if: str
    data_a: str
    data_b: str
    host_addr: str
    ns_addr: str

    def run(self, *args: str) -> None:
        """Run ``ip ...`` inside the namespace (raises on failure)."""
        subprocess.run([IP, "netns", "exec", self.name, IP, *args], check=True,
                       capture_output=True, timeout=10)


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([IP, *args], capture_output=True, text=True, timeout=10, check=False)


@pytest.fixture()
def netns() -> Iterator[Netns]:
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    tag = f"{os.getpid() % 10000:04d}{random.randrange(100):02d}"
    octet = random.randrange(16, 250)
    ns = Netns(f"provnet-{tag}", f"pvh{tag}", f"pvn{tag}", f"pvd{tag}", f"pve{tag}",
               f"169.254.{octet}.1", f"169.254.{octet}.2")
    made = _ip("netns", "add", ns.name)
    if made.returncode != 0:
        pytest.skip(f"ip netns add not permitted here: {made.stderr.strip()}")
    try:
        for args in (("link", "add", ns.host_if, "type", "veth", "peer", "name", ns.ns_if,
                      "netns", ns.name),
                     ("addr", "add", f"{ns.host_addr}/30", "dev", ns.host_if),
                     ("link", "set", ns.host_if, "up")):
            done = _ip(*args)
            assert done.returncode == 0, f"ip {' '.join(args)}: {done.stderr}"
        ns.run("addr", "add", f"{ns.ns_addr}/30", "dev", ns.ns_if)
        ns.run("link", "set", ns.ns_if, "up")
        ns.run("link", "set", "lo", "up")
        ns.run("link", "add", ns.data_a, "type", "veth", "peer", "name", ns.data_b)
        ns.run("link", "set", ns.data_a, "up")
        ns.run("link", "set", ns.data_b, "up")
        yield ns
    finally:
        _ip("netns", "del", ns.name)  # destroys the veths inside, and so their peers
        _ip("link", "del", ns.host_if)


def snmpd_config(ns: Netns, trap_to: tuple[str, int]) -> str:
    """snmpd.conf: v2c read access from the host side, traps to our receiver."""
    link_vars = f"{IF_ENTRY}.1 {IF_ENTRY}.7 {IF_ENTRY}.8"
    return "\n".join([
        f"agentAddress udp:{ns.ns_addr}:161",
        f"rocommunity {COMMUNITY} {ns.host_addr}",
        # DisMan event monitors query the agent as this internal SNMPv3 user
        "createUser provnetInternal",
        "rouser provnetInternal noauth",
        "iquerySecName provnetInternal",
        "agentSecName provnetInternal",
        f"trap2sink {trap_to[0]}:{trap_to[1]} {COMMUNITY}",
        f"notificationEvent provnetLinkUp .1.3.6.1.6.3.1.1.5.4 {link_vars}",
        f"notificationEvent provnetLinkDown .1.3.6.1.6.3.1.1.5.3 {link_vars}",
        f'monitor -r 1 -S -e provnetLinkUp "link up" {IF_ENTRY}.8 != 2',
        f'monitor -r 1 -S -e provnetLinkDown "link down" {IF_ENTRY}.8 == 2',
        "",
    ])


def start_ns_snmpd(ns: Netns, trap_to: tuple[str, int], workdir: Path
                   ) -> subprocess.Popen[bytes]:
    """``ip netns exec NS snmpd -f`` (ip execs snmpd: the PID is snmpd's)."""
    conf = workdir / "snmpd.conf"
    conf.write_text(snmpd_config(ns, trap_to))
    env = {**os.environ, **NO_MIBS_ENV, "SNMP_PERSISTENT_DIR": str(workdir / "persist")}
    return subprocess.Popen(
        [IP, "netns", "exec", ns.name, SNMPD, "-f", "-Lf", str(workdir / "snmpd.log"), "-C",
         "-c", str(conf), "-p", str(workdir / "snmpd.pid")],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def wait_for(check: Callable[[], object], timeout_s: float, what: str) -> object:
    """Poll ``check`` every 50 ms until it returns something truthy."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")


POLLERS: dict[str, Callable[[], ProfilePoller | SnmpPoller]] = {
    "engine-fastv2c": ProfilePoller,
    "spine-pysnmp": SnmpPoller,
}


@pytest.mark.parametrize("poller_name", list(POLLERS))
def test_link_down_by_trap_and_poll_and_restart_is_a_gap(netns: Netns, poller_name: str) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="provnet-netns-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        asyncio.run(_scenario(netns, workdir, procs, POLLERS[poller_name]()))
    finally:
        for proc in procs:
            stop_process(proc)
        shutil.rmtree(workdir, ignore_errors=True)


async def _scenario(ns: Netns, workdir: Path, procs: list[subprocess.Popen[bytes]],
                    poller: ProfilePoller | SnmpPoller) -> None:
    events: list[TrapEvent] = []
    results: list[Polled] = []
    receiver = TrapReceiver(TrapSettings(host=ns.host_addr, port=0,
                                         communities=[SecretStr(COMMUNITY)]), events.append)
    await receiver.start()
    stop = asyncio.Event()
    task: asyncio.Task[None] | None = None
    try:
        procs.append(start_ns_snmpd(ns, receiver.address, workdir))
        await wait_for(lambda: _kinds(events, "cold-start"), 15, "snmpd's coldStart trap")
        target = SnmpTarget(1, "ns-snmpd", ns.ns_addr, 161, community=COMMUNITY,
                            timeout_s=0.5, retries=1)
        loop = PollLoop(poller, on_result=lambda r, rates: results.append((r, rates)))
        task = asyncio.create_task(loop.run_forever(lambda: [target], INTERVAL_S, None, stop))
        found = await wait_for(lambda: _ok(results), 10, "a first successful poll")
        assert isinstance(found, list)
        first = found[0]
        by_name = {s.name: i for i, s in first[0].interfaces.items()}
        data_if = by_name[ns.data_a]
        assert first[0].interfaces[data_if].oper_status == 1
        await asyncio.sleep(2.5)  # snmpd's monitors take their first samples (-S: no alarm)

        # 1. link down: trap within 5 s, poll within one interval (+ snmpd's ifTable cache)
        t_down = time.time()
        ns.run("link", "set", ns.data_a, "down")
        trap = await wait_for(
            lambda: [e for e in events if e.kind == "link-down" and e.ifindex == data_if],
            TRAP_DEADLINE_S + 2, "the linkDown trap")
        assert isinstance(trap, list)
        assert trap[0].time - t_down <= TRAP_DEADLINE_S
        assert trap[0].oper_up is False and trap[0].source == ns.ns_addr
        polled = await wait_for(
            lambda: [r for r, _ in results if r.ok and r.started > t_down
                     and r.interfaces[data_if].oper_status == 2],
            INTERVAL_S + SNMPD_IF_CACHE_S + 3, "a poll showing the link down")
        assert isinstance(polled, list)
        seen = polled[0].started + polled[0].duration_s
        assert seen - t_down <= INTERVAL_S + SNMPD_IF_CACHE_S
        print(f"link down seen by trap after {trap[0].time - t_down:.2f} s, "
              f"by polling after {seen - t_down:.2f} s (interval {INTERVAL_S:g} s)")

        # 2. restart snmpd: sysUpTime goes back while the kernel counters go on
        before = len(results)
        cold_before = len(_kinds(events, "cold-start"))
        stop_process(procs.pop())
        await asyncio.sleep(0.5)
        procs.append(start_ns_snmpd(ns, receiver.address, workdir))
        await wait_for(lambda: len(_kinds(events, "cold-start")) > cold_before, 15,
                       "the coldStart trap after the restart")
        after = await wait_for(lambda: _ok(results[before:], 2), 4 * INTERVAL_S,
                               "two polls after the restart")
        assert isinstance(after, list)
        (restart, restart_rates), (steady, steady_rates) = after[0], after[1]
        assert restart.sys_uptime_ticks is not None and steady.sys_uptime_ticks is not None
        assert all(r.reset and r.in_bps is None and r.out_bps is None
                   for r in restart_rates.values()), restart_rates
        mgmt = steady_rates[by_name[ns.ns_if]]
        assert not mgmt.reset and mgmt.in_bps is not None and mgmt.out_bps is not None
        assert 0 <= mgmt.in_bps < 10e6 and 0 <= mgmt.out_bps < 10e6  # only SNMP flows here
    finally:
        stop.set()
        if task is not None:
            await asyncio.wait_for(task, timeout=10)
        poller.close()
        receiver.close()


def _kinds(events: list[TrapEvent], kind: str) -> list[TrapEvent]:
    return [e for e in events if e.kind == kind]


Polled = tuple[PollResult, dict[int, IfRates]]


def _ok(results: list[Polled], n: int = 1) -> list[Polled]:
    """The first ``n`` successful polls, or [] while there are fewer."""
    ok = [item for item in results if item[0].ok]
    return ok[:n] if len(ok) >= n else []
