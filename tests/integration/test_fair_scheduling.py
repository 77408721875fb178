"""Fair scheduling: a slow, huge device (3,000 interfaces, 2 s latency) never delays the rest.

Real SNMP over UDP against the in-process simulator; the slow agent answers every request
2 s late. The fast devices must be polled on their fixed schedule in every cycle, the slow
one must end as a ``deadline exceeded`` result (its time budget), its next slots skipped.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from provnet.pollers.engine import ProfilePoller
from provnet.pollers.scheduler import CycleStats, PollLoop
from provnet.pollers.types import IfRates, PollResult, SnmpTarget
from provnet.simulator.example import CORE, example_plan
from provnet.simulator.plan import plan_from_dict
from provnet.simulator.runner import Simulator
from tests.support.sim_fixtures import free_udp_port

pytestmark = [pytest.mark.integration, pytest.mark.serial]  # measures timing under load: runs alone

NET = "127.83"
SLOW = 99
INTERVAL_S = 2.0
CYCLES = 8  # 16 s: the slow device's budget (3 s timeout -> 10 s) ends within the run


def slow_plan(port: int) -> dict[str, Any]:
    plan = example_plan(port=port, net=NET)
    core = next(d for d in plan["devices"] if d["id"] == CORE)
    core["interfaces"].append({"ifindex": 3, "name": "GE0/0/3", "speed_mbps": 10000,
                               "in_bps": 1e6, "out_bps": 1e6, "link": 8})
    plan["devices"].append({
        "id": SLOW, "site": "OLT-SLOW", "address": f"{NET}.20.1", "sys_name": "ag-olt-slow",
        "latency_s": 2.0, "interfaces": [
            {"ifindex": i, "name": f"gpon0/{i // 128}/{i % 128}", "speed_mbps": 2500,
             "in_bps": 1e5, "out_bps": 1e5, **({"link": 8} if i == 1 else {})}
            for i in range(1, 3001)]})
    plan["links"].append({"id": 8, "a_device": SLOW, "a_ifindex": 1, "z_device": CORE,
                          "z_ifindex": 3})
    return plan


def test_slow_device_never_delays_the_rest() -> None:
    port = free_udp_port(f"{NET}.0.1")
    plan = plan_from_dict(slow_plan(port))
    targets = [SnmpTarget(d.id, d.sys_name, d.address, port,
                          timeout_s=3.0 if d.id == SLOW else 1.0, retries=0 if d.id == SLOW else 1)
               for d in plan.devices]
    results: list[PollResult] = []
    cycles: list[CycleStats] = []

    async def main() -> None:
        stop = asyncio.Event()

        def on_result(r: PollResult, _rates: dict[int, IfRates]) -> None:
            results.append(r)

        def on_cycle(st: CycleStats) -> None:
            cycles.append(st)
            if len(cycles) == CYCLES:
                stop.set()

        async with Simulator(plan), ProfilePoller() as poller:
            loop = PollLoop(poller, on_result, concurrency=4)
            await asyncio.wait_for(loop.run_forever(lambda: targets, INTERVAL_S, on_cycle, stop),
                                   60)

    asyncio.run(main())
    fast_ids = [d.id for d in plan.devices if d.id != SLOW]
    for dev in fast_ids:
        mine = [r for r in results if r.target.device_id == dev]
        assert len(mine) == CYCLES, (dev, len(mine))
        assert all(r.ok and r.duration_s < 1.0 for r in mine), \
            [(r.error, r.duration_s) for r in mine]
        # on its own fixed clock: the i-th poll starts i intervals after the first (a loaded
        # 2-core machine may make one start late, but lateness never accumulates)
        late = [r.started - mine[0].started - i * INTERVAL_S for i, r in enumerate(mine)]
        assert all(abs(x) < 0.8 for x in late), (dev, late)
        assert sorted(abs(x) for x in late)[len(late) // 2] < 0.2, (dev, late)
    slow = [r for r in results if r.target.device_id == SLOW]
    assert slow, "the slow device's poll must end within its budget"
    assert slow[0].error == "deadline exceeded" and slow[0].error_kind == "timeout"
    assert slow[0].duration_s < 12.0
    assert sum(c.skipped for c in cycles) >= 3  # its slots were skipped while it ran
    # cycle statistics: a result ending just after its cycle was reported counts in the next
    assert sum(c.devices_ok for c in cycles) >= len(fast_ids) * (CYCLES - 1)
