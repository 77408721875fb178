"""Profile groups end to end: default profiles, the simulator's Huawei/Cisco MIBs, readings."""

from __future__ import annotations

import asyncio

import pytest

from provnet.pollers.engine import ProfilePoller
from provnet.pollers.profiles import load_profiles
from provnet.pollers.readings import HealthReading, OpticReading
from provnet.pollers.samples import result_points
from provnet.pollers.types import PollResult, SnmpTarget
from provnet.simulator.example import POP_A, POP_B, example_plan
from provnet.simulator.plan import plan_from_dict
from provnet.simulator.runner import Simulator
from provnet.simulator.vendor import NO_LIGHT_DBM
from tests.support.sim_fixtures import free_udp_port

pytestmark = pytest.mark.integration
NET = "127.87"


def test_default_profiles_read_health_and_optics_and_see_loss_of_light() -> None:
    profiles = load_profiles()
    port = free_udp_port(f"{NET}.0.1")
    plan = plan_from_dict(example_plan(port=port, net=NET))
    devs = {d.id: d for d in plan.devices}
    vendor = {POP_A: "Huawei", POP_B: "Cisco"}

    async def main() -> dict[str, PollResult]:
        out: dict[str, PollResult] = {}
        async with Simulator(plan) as sim, ProfilePoller(
                lambda d: profiles.device_profile("pop_router", vendor[d])) as poller:
            for dev in (POP_A, POP_B):
                d = devs[dev]
                t = SnmpTarget(d.id, d.sys_name, d.address, port, timeout_s=1.0)
                out[f"{dev}-before"] = await poller.poll(t)
            sim.network.link_down(3, asyncio.get_running_loop().time())  # C1 <-> POP-A port 2
            d = devs[POP_A]
            out["after"] = await poller.poll(SnmpTarget(d.id, d.sys_name, d.address, port))
        return out

    got = asyncio.run(main())
    for dev in (POP_A, POP_B):
        r = got[f"{dev}-before"]
        assert r.ok and not r.warnings, (r.error, r.warnings)
        health = [x for x in r.readings if isinstance(x, HealthReading)]
        assert len(health) == 1 and health[0].cpu_pct and 0 < health[0].cpu_pct < 100
        assert health[0].mem_used_pct and health[0].uptime_s
        optics = {x.ifindex: x for x in r.readings if isinstance(x, OpticReading)}
        links = {f.ifindex for f in devs[dev].interfaces if f.link is not None}
        assert set(optics) == links  # every optical port mapped to its ifIndex
        for o in optics.values():
            assert o.rx_dbm is not None and -19.5 < o.rx_dbm < -5.5
            assert o.rx_low_dbm == -20.0 and o.tx_dbm is not None
        names = {p.measurement for p in result_points(r, {}, {"device": "x"}, {})}
        assert {"optics", "device_health", "ifstats", "snmp_poll"} <= names
    after = {x.ifindex: x for x in got["after"].readings if isinstance(x, OpticReading)}
    assert after[2].rx_dbm == NO_LIGHT_DBM  # C1's uplink lands on POP-A port 2
    assert after[2].rx_low_dbm is not None and after[2].rx_dbm < after[2].rx_low_dbm
    assert after[1].rx_dbm is not None and after[1].rx_dbm > -20
