"""features.traps.attach on a service-shaped object: a real snmptrap updates live state,
queues a point and reaches the listeners."""

from __future__ import annotations

import asyncio
import subprocess
from dataclasses import dataclass, field
from typing import Any, cast

from pydantic import SecretStr

from provnet.config.traps import TrapSettings
from provnet.features import traps as traps_feature
from provnet.pollers.live import LiveState
from provnet.pollers.plan import PollPlan
from provnet.pollers.types import IfRates, IfSample, PollResult, SnmpTarget
from provnet.tsdb.points import Point
from tests.integration.test_trap_receiver import SNMPTRAP
from tests.support.snmp_agents import tool_env


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


def test_trap_marks_the_interface_down_and_is_written() -> None:
    target = SnmpTarget(7, "ag-c1", "127.0.0.1")
    plan = PollPlan(targets=[target], device_tags={7: {"device": "ag-c1", "site": "UB-1"}})
    settings = TrapSettings(port=0, communities=[SecretStr("svc-comm")])
    service = FakeService(settings=None, plan=plan)
    service.live.update(PollResult(target, 100.0, 0.1, interfaces={
        3: IfSample(3, "ge-0/0/3", oper_status=1, admin_status=1)}), {3: IfRates()})
    heard: list[tuple[str, int]] = []
    receiver = traps_feature.attach(cast(Any, service), [lambda e, d: heard.append((e.kind, d))],
                                    settings)
    assert receiver is not None and [name for name, _ in service.background] == ["traps"]

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(service.background[0][1](stop))
        for _ in range(100):
            if receiver._sock is not None:
                break
            await asyncio.sleep(0.02)
        host, port = receiver.address
        proc = await asyncio.to_thread(
            subprocess.run, [SNMPTRAP, "-v2c", "-c", "svc-comm", f"{host}:{port}", "500",
                             "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.3", "i", "3",
                             "1.3.6.1.2.1.2.2.1.8.3", "i", "2"],
            capture_output=True, env=tool_env(), timeout=10, check=False)
        assert proc.returncode == 0, proc.stderr
        for _ in range(60):
            if service.points:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(run())
    state = service.live.interface(7, 3)
    assert state is not None and state.sample.oper_status == 2
    (point,) = service.points
    assert point.measurement == "snmp_trap"
    assert point.tags == {"device": "ag-c1", "site": "UB-1", "kind": "link-down", "ifindex": "3"}
    assert point.fields["oper_status"] == 2 and point.fields["uptime_ticks"] == 500
    assert heard == [("link-down", 7)]  # the listener (alerting) got it with the device id


def test_disabled_receiver_registers_nothing() -> None:
    service = FakeService(settings=None, plan=PollPlan(targets=[]))
    assert traps_feature.attach(cast(Any, service), settings=TrapSettings(enabled=False)) is None
    assert service.background == []
