"""Device health read from a real net-snmp snmpd over UDP through PysnmpTransport.

The same group read with net-snmp's own ``snmpbulkwalk`` (parsed as a recorded walk) and
the kernel's /proc files are the references.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from provnet.pollers.groups import Group, group_data, load_groups, parse_group
from provnet.pollers.ifmib import Oid, VarBind, walk_step
from provnet.pollers.readings import GroupData, HealthReading
from provnet.pollers.snmp import PysnmpTransport
from provnet.pollers.types import SnmpTarget
from tests.support.snmp_agents import SNMPD, SnmpdAgent, bulkwalk, start_snmpd
from tests.support.snmpwalk import parse_walk

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which(SNMPD) is None and not Path(SNMPD).exists(),
                       reason="net-snmp snmpd not installed (apt: snmpd)"),
]

ROOT = Path(__file__).resolve().parents[2]
GROUPS = load_groups(ROOT / "config" / "profiles" / "groups")


@pytest.fixture(scope="module")
def agent() -> Iterator[SnmpdAgent]:
    snmpd = start_snmpd(community="health-test")
    try:
        yield snmpd
    finally:
        snmpd.stop()


async def _read(transport: PysnmpTransport, target: SnmpTarget, group: Group) -> list[VarBind]:
    """GET the group's scalars, GETBULK-walk its columns (what the poll engine does)."""
    scalars, columns = group.oids()
    out: list[VarBind] = list(await transport.get(target, scalars)) if scalars else []
    request: dict[Oid, Oid] = {col: col for col in columns}
    for _ in range(200):
        if not request:
            break
        step = walk_step(request, await transport.get_bulk(target, [], list(request.values()), 10))
        out.extend(step.rows)
        assert step.progressed
        request = step.pending
    return out


def _read_with_pysnmp(agent: SnmpdAgent, group: Group) -> GroupData:
    target = SnmpTarget(device_id=1, name="snmpd", address=agent.host, port=agent.port,
                        community=agent.community, timeout_s=2.0, retries=1)

    async def run() -> list[VarBind]:
        transport = PysnmpTransport()
        try:
            return await _read(transport, target, group)
        finally:
            transport.close()

    return group_data(group, asyncio.run(run()))


def _read_with_netsnmp(agent: SnmpdAgent, group: Group) -> GroupData:
    lines: list[str] = []
    for oid in [*group.scalars.values(), *group.columns.values()]:
        dotted = ".".join(map(str, oid))
        walked = bulkwalk(agent, dotted)
        lines += [f".{name} = {value}" for name, value in walked.items()]
    return group_data(group, parse_walk("\n".join(lines), "snmpbulkwalk"))


def _meminfo_kb(key: str) -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name == key:
            return int(rest.split()[0])
    raise KeyError(key)


def _health(data: GroupData, group: Group) -> HealthReading:
    (reading,) = parse_group(group, data)
    assert isinstance(reading, HealthReading)
    return reading


@pytest.mark.parametrize("name", ["health_host", "health_ucd"])
def test_health_from_snmpd_matches_netsnmp_and_proc(agent: SnmpdAgent, name: str) -> None:
    group = GROUPS[name]
    ours = _health(_read_with_pysnmp(agent, group), group)
    ref = _health(_read_with_netsnmp(agent, group), group)

    mem_total = _meminfo_kb("MemTotal") * 1024
    assert ours.mem_total_bytes == ref.mem_total_bytes
    # hrStorage rounds to allocation units; UCD reports MemTotal exactly
    assert ours.mem_total_bytes is not None
    assert abs(ours.mem_total_bytes - mem_total) <= 4096
    assert ours.mem_used_pct is not None and ref.mem_used_pct is not None
    assert 0.0 < ours.mem_used_pct < 100.0
    assert abs(ours.mem_used_pct - ref.mem_used_pct) < 5.0  # read moments apart
    # a fresh snmpd has no CPU figure until it has sampled /proc/stat for a while: the
    # parsers must say "unknown", never a made-up 0 %
    assert ours.cpu_pct is None or 0.0 <= ours.cpu_pct <= 100.0
    assert ours.uptime_s is not None and ref.uptime_s is not None
    assert 0 <= ref.uptime_s - ours.uptime_s < 30
    if name == "health_host":  # hrSystemUptime is the host's uptime (/proc/uptime)
        host_uptime = float(Path("/proc/uptime").read_text().split()[0])
        assert abs(ours.uptime_s - host_uptime) < 30
    else:  # sysUpTime is the agent's: it was started just now
        assert ours.uptime_s < 600


def test_cpu_appears_once_snmpd_has_sampled(agent: SnmpdAgent) -> None:
    """hrProcessorLoad and ssCpuIdle show up after the agent's first samples (<= ~60 s)."""
    deadline = time.monotonic() + 90
    cpu: dict[str, float | None] = {"health_host": None, "health_ucd": None}
    while time.monotonic() < deadline and None in cpu.values():
        for name in cpu:
            if cpu[name] is None:
                cpu[name] = _health(_read_with_pysnmp(agent, GROUPS[name]), GROUPS[name]).cpu_pct
        time.sleep(2)
    assert all(v is not None and 0.0 <= v <= 100.0 for v in cpu.values()), cpu


@pytest.mark.parametrize("transport", ["default", "pysnmp"])
def test_profile_poller_returns_health_readings(agent: SnmpdAgent, transport: str) -> None:
    """The poll engine with a profile holding both health groups (FastV2c or pysnmp)."""
    from provnet.pollers.engine import ProfilePoller, default_transport
    from provnet.pollers.profiles import DeviceProfile

    profile = DeviceProfile("linux", groups=(GROUPS["health_host"], GROUPS["health_ucd"]))
    factory = default_transport if transport == "default" else (lambda _v: PysnmpTransport())
    target = SnmpTarget(device_id=7, name="snmpd", address=agent.host, port=agent.port,
                        community=agent.community, timeout_s=2.0, retries=1)

    async def run() -> list[HealthReading]:
        async with ProfilePoller(lambda _id: profile, transport_factory=factory) as poller:
            result = await poller.poll(target)
        assert result.ok, result.error
        return [r for r in result.readings if isinstance(r, HealthReading)]

    host, ucd = asyncio.run(run())
    mem_total = _meminfo_kb("MemTotal") * 1024
    for reading in (host, ucd):
        assert reading.mem_total_bytes is not None
        assert abs(reading.mem_total_bytes - mem_total) <= 4096
        assert reading.mem_used_pct is not None and 0 < reading.mem_used_pct < 100
        assert reading.uptime_s is not None and reading.uptime_s > 0
