"""FastV2cTransport against real agents (net-snmp snmpd, our simulator), checked against pysnmp."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from provnet.pollers.fastv2c import FastV2cTransport
from provnet.pollers.ifmib import (
    END_OF_MIB,
    IF_DESCR,
    IF_HC_IN_OCTETS,
    IF_HIGH_SPEED,
    IF_NAME,
    IF_OPER_STATUS,
    SYS_UPTIME,
    SYS_UPTIME_NEXT,
    Oid,
    VarBind,
)
from provnet.pollers.snmp import PysnmpTransport
from provnet.pollers.transport import SnmpResponseError, SnmpTimeout
from provnet.pollers.types import SnmpTarget
from provnet.simulator.example import C1, example_plan
from tests.support.sim_fixtures import SimProcess, start_simulator
from tests.support.snmp_agents import SnmpdAgent, free_udp_port, start_snmpd

SYS_DESCR: Oid = (1, 3, 6, 1, 2, 1, 1, 1, 0)
SYS_OBJECT_ID: Oid = (1, 3, 6, 1, 2, 1, 1, 2, 0)
MISSING: Oid = (1, 3, 6, 1, 2, 1, 1, 99, 0)
LAST: Oid = (1, 3, 6, 1, 6, 3, 99, 99)


@pytest.fixture(scope="module")
def snmpd() -> Iterator[SnmpdAgent]:
    agent = start_snmpd(community="fast-test")
    yield agent
    agent.stop()


def target(host: str, port: int, community: str, timeout_s: float = 1.0,
           retries: int = 1) -> SnmpTarget:
    return SnmpTarget(1, "dut", host, port, community=community, timeout_s=timeout_s,
                      retries=retries)


def both(coro_factory: object) -> tuple[list[VarBind], list[VarBind]]:
    """Run the same request through FastV2cTransport and PysnmpTransport."""

    async def run() -> tuple[list[VarBind], list[VarBind]]:
        fast, ref = FastV2cTransport(), PysnmpTransport()
        try:
            return await coro_factory(fast), await coro_factory(ref)  # type: ignore[operator]
        finally:
            fast.close()
            ref.close()

    return asyncio.run(run())


def without_uptime(varbinds: list[VarBind]) -> list[VarBind]:
    return [(oid, v) for oid, v in varbinds if oid != SYS_UPTIME]


def test_get_matches_pysnmp(snmpd: SnmpdAgent) -> None:
    tgt = target(snmpd.host, snmpd.port, snmpd.community)
    oids = [SYS_UPTIME, SYS_DESCR, SYS_OBJECT_ID, MISSING]
    fast, ref = both(lambda t: t.get(tgt, oids))
    assert [oid for oid, _ in fast] == oids
    assert fast[2][1] == "1.3.6.1.4.1.8072.3.2.10" and fast[3][1] is None
    assert isinstance(fast[0][1], int) and fast[0][1] >= 0
    assert without_uptime(fast)[:2] == without_uptime(ref)[:2]


def test_bulk_walk_of_interface_columns_matches_pysnmp(snmpd: SnmpdAgent) -> None:
    tgt = target(snmpd.host, snmpd.port, snmpd.community)
    columns = [IF_DESCR, IF_OPER_STATUS, IF_NAME, IF_HIGH_SPEED]
    fast, ref = both(lambda t: t.get_bulk(tgt, [SYS_UPTIME_NEXT], columns, 20))
    assert fast[0][0] == SYS_UPTIME
    assert without_uptime(fast) == without_uptime(ref)
    names = [v for oid, v in fast if oid[:-1] == IF_DESCR]
    assert "lo" in names


def test_end_of_mib_view(snmpd: SnmpdAgent) -> None:
    tgt = target(snmpd.host, snmpd.port, snmpd.community)
    fast, _ = both(lambda t: t.get_bulk(tgt, [], [LAST], 2))
    assert fast and all(v is END_OF_MIB for _, v in fast)  # net-snmp stops after the first


def test_many_concurrent_requests_are_matched_to_their_answers(snmpd: SnmpdAgent) -> None:
    tgt = target(snmpd.host, snmpd.port, snmpd.community, timeout_s=2.0, retries=2)
    ifaces = [(*IF_DESCR, 1), (*IF_OPER_STATUS, 1), (*IF_HIGH_SPEED, 1), SYS_DESCR]

    async def run() -> list[list[VarBind]]:
        fast = FastV2cTransport()
        try:
            return await asyncio.gather(*(fast.get(tgt, [ifaces[i % 4]]) for i in range(400)))
        finally:
            fast.close()

    answers = asyncio.run(run())
    assert all(ans[0][0] == ifaces[i % 4] for i, ans in enumerate(answers))


@pytest.mark.parametrize("case", ["nothing listening", "wrong community"])
def test_no_answer_is_a_timeout_after_retries(snmpd: SnmpdAgent, case: str) -> None:
    if case == "nothing listening":
        tgt = target("127.0.0.1", free_udp_port(), "x", timeout_s=0.2, retries=2)
    else:
        tgt = target(snmpd.host, snmpd.port, "not-the-community", timeout_s=0.2, retries=2)

    async def run() -> tuple[float, int]:
        fast = FastV2cTransport()
        start = time.monotonic()
        try:
            with pytest.raises(SnmpTimeout, match="no answer after 3 tries"):
                await fast.get(tgt, [SYS_UPTIME])
            return time.monotonic() - start, fast.sent
        finally:
            fast.close()

    took, sent = asyncio.run(run())
    assert sent == 3 and 0.55 < took < 2.0


def test_cancelled_request_leaves_nothing_pending() -> None:
    tgt = target("127.0.0.1", free_udp_port(), "x", timeout_s=5.0, retries=0)

    async def run() -> int:
        fast = FastV2cTransport()
        task = asyncio.create_task(fast.get(tgt, [SYS_UPTIME]))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        pending = len(fast._pending)
        fast.close()
        return pending

    assert asyncio.run(run()) == 0


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimProcess]:
    proc = start_simulator(tmp_path_factory.mktemp("sim-fast"), example_plan(), control=False)
    yield proc
    proc.stop()


def test_simulator_interfaces_match_pysnmp(sim: SimProcess) -> None:
    address = next(d["address"] for d in example_plan()["devices"] if d["id"] == C1)
    tgt = target(address, sim.port, "public")
    columns = [IF_NAME, IF_OPER_STATUS, IF_HIGH_SPEED, IF_HC_IN_OCTETS]
    fast, ref = both(lambda t: t.get_bulk(tgt, [SYS_UPTIME_NEXT], columns, 4))
    assert [oid for oid, _ in fast] == [oid for oid, _ in ref]
    for (oid, fv), (_, rv) in zip(fast, ref, strict=True):
        if oid[:-1] in (IF_NAME, IF_OPER_STATUS, IF_HIGH_SPEED) or not isinstance(fv, int):
            assert fv == rv
        else:  # sysUpTime, counters (the walk runs on into the next ifXTable columns)
            assert isinstance(rv, int) and fv <= rv
    assert ((*IF_NAME, 10), "Vlanif10") in fast




def test_localhost_resolves_and_ipv6_is_refused(snmpd: SnmpdAgent) -> None:
    async def run() -> list[VarBind]:
        fast = FastV2cTransport()
        try:
            with pytest.raises(SnmpResponseError, match="IPv4 only"):
                await fast.get(target("::1", snmpd.port, snmpd.community), [SYS_UPTIME])
            return await fast.get(target("localhost", snmpd.port, snmpd.community), [SYS_DESCR])
        finally:
            fast.close()

    assert asyncio.run(run())[0][0] == SYS_DESCR
