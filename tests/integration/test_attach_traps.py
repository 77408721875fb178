"""features.traps.attach on a service-shaped object with a REAL snmpd as the device: a link
trap from the device's management address is polled at once and believed only when the
poll agrees; a trap from another address, or one the poll contradicts, pages nobody."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from pydantic import SecretStr

from provnet.config.settings import Settings
from provnet.config.traps import TrapSettings
from provnet.features import traps as traps_feature
from provnet.pollers.live import LiveState
from provnet.pollers.plan import PollPlan
from provnet.pollers.types import IfRates, IfSample, PollResult, SnmpTarget
from provnet.tsdb.points import Point
from tests.integration.test_trap_receiver import SNMPTRAP
from tests.support.snmp_agents import SnmpdAgent, start_snmpd, tool_env

pytestmark = pytest.mark.integration
LINK_DOWN, LINK_UP = "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.6.3.1.1.5.4"
LO = 1  # snmpd reports the host's interfaces: ifIndex 1 is the loopback, always up


@dataclass
class FakeService:
    """The extension points features.traps.attach uses (the real Service needs a store and
    influxd)."""

    settings: Any
    plan: PollPlan
    live: LiveState = field(default_factory=LiveState)
    background: list[tuple[str, Any]] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)

    def queue_points(self, points: list[Point]) -> None:
        self.points.extend(points)


@pytest.fixture(scope="module")
def agent() -> Iterator[SnmpdAgent]:
    a = start_snmpd(community="dev-comm")
    yield a
    a.stop()


def _trap(host: str, port: int, oid: str, oper: int, source: str = "127.0.0.1") -> None:
    proc = subprocess.run(
        [SNMPTRAP, "-v2c", "-c", "svc-comm", f"--clientaddr={source}", f"{host}:{port}", "500",
         oid, f"1.3.6.1.2.1.2.2.1.1.{LO}", "i", str(LO), f"1.3.6.1.2.1.2.2.1.8.{LO}", "i",
         str(oper)], capture_output=True, env=tool_env(), timeout=10, check=False)
    assert proc.returncode == 0, proc.stderr


def _run(agent: SnmpdAgent, traps: list[tuple[str, int, str]]
         ) -> tuple[FakeService, list[tuple[str, int]], Any]:
    target = SnmpTarget(7, "ag-c1", "127.0.0.1", agent.port, "dev-comm", timeout_s=1.0)
    plan = PollPlan(targets=[target], device_tags={7: {"device": "ag-c1", "site": "UB-1"}})
    service = FakeService(settings=Settings(), plan=plan)
    service.live.update(PollResult(target, 100.0, 0.1, interfaces={
        LO: IfSample(LO, "lo", oper_status=1, admin_status=1)}), {LO: IfRates()})
    heard: list[tuple[str, int]] = []
    receiver = traps_feature.attach(
        cast(Any, service), [lambda e, d: heard.append((e.kind, d))],
        TrapSettings(port=0, communities=[SecretStr("svc-comm")]))
    assert receiver is not None and [name for name, _ in service.background] == ["traps"]

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(service.background[0][1](stop))
        for _ in range(100):
            if receiver._sock is not None:
                break
            await asyncio.sleep(0.02)
        host, port = receiver.address
        for oid, oper, source in traps:
            n = len(service.points)
            await asyncio.to_thread(_trap, host, port, oid, oper, source)
            for _ in range(100):  # the point is written once the verdict is known
                if len(service.points) > n:
                    break
                await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(run())
    return service, heard, receiver


def test_a_trap_the_poll_confirms_reaches_the_listeners(agent: SnmpdAgent) -> None:
    service, heard, _ = _run(agent, [(LINK_UP, 1, "127.0.0.1")])
    assert heard == [("link-up", 7)]  # the listener (alerting) got it with the device id
    (point,) = service.points
    assert point.measurement == "snmp_trap"
    assert point.tags == {"device": "ag-c1", "site": "UB-1", "kind": "link-up",
                          "ifindex": str(LO)}
    assert point.fields["verdict"] == "confirmed" and point.fields["confirmed"] is True
    assert point.fields["uptime_ticks"] == 500


def test_a_spoofed_link_down_pages_nobody(agent: SnmpdAgent) -> None:
    # the right source address and community, but the port is up: a forged trap
    service, heard, _ = _run(agent, [(LINK_DOWN, 2, "127.0.0.1")])
    assert heard == []
    state = service.live.interface(7, LO)
    assert state is not None and state.sample.oper_status == 1  # the map is not painted red
    (point,) = service.points
    assert point.fields["verdict"] == "contradicted" and point.fields["confirmed"] is False


def test_a_trap_from_a_wrong_address_pages_nobody(agent: SnmpdAgent) -> None:
    service, heard, _ = _run(agent, [(LINK_DOWN, 2, "127.0.0.2")])
    assert heard == []
    (point,) = service.points
    assert point.tags["source"] == "127.0.0.2" and "device" not in point.tags


def test_an_unreachable_device_leaves_the_trap_unconfirmed(agent: SnmpdAgent) -> None:
    del agent  # the target points at a port nobody answers on
    from tests.support.snmp_agents import free_udp_port

    class Dead:
        port = free_udp_port()

    service, heard, _ = _run(cast(Any, Dead), [(LINK_DOWN, 2, "127.0.0.1")])
    assert heard == []
    (point,) = service.points
    assert point.fields["verdict"] == "unanswered"


def test_disabled_receiver_registers_nothing() -> None:
    service = FakeService(settings=None, plan=PollPlan(targets=[]))
    assert traps_feature.attach(cast(Any, service), settings=TrapSettings(enabled=False)) is None
    assert service.background == []
