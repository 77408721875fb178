"""ProfilePoller against the in-process simulator and net-snmp snmpd (real SNMP over UDP)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import pytest

from provnet.pollers.engine import ProfilePoller
from provnet.pollers.scheduler import PollLoop
from provnet.pollers.snmp import PysnmpTransport
from provnet.pollers.types import IfRates, PollResult, SnmpTarget, V3Credentials
from provnet.simulator.example import C1, C3, example_plan
from provnet.simulator.plan import plan_from_dict
from provnet.simulator.runner import Simulator
from tests.support.sim_fixtures import free_udp_port
from tests.support.snmp_agents import start_snmpd

pytestmark = pytest.mark.integration

NET = "127.79"


def target(device: int, address: str, port: int, **kw: Any) -> SnmpTarget:
    return SnmpTarget(device, f"d{device}", address, port, timeout_s=0.5, retries=1, **kw)


Scenario = Callable[[Simulator, dict[int, SnmpTarget]], Awaitable[None]]


def with_sim(scenario: Scenario) -> None:
    port = free_udp_port(f"{NET}.0.1")
    plan = plan_from_dict(example_plan(port=port, net=NET))

    async def main() -> None:
        async with Simulator(plan) as sim:
            targets = {d.id: target(d.id, d.address, port) for d in plan.devices}
            await scenario(sim, targets)

    asyncio.run(main())


def test_discovery_then_cheap_gets_then_rates() -> None:
    async def scenario(sim: Simulator, targets: dict[int, SnmpTarget]) -> None:
        t = targets[C3]  # two uplinks + Vlanif10
        async with ProfilePoller() as poller:
            first = await poller.poll(t)
            assert first.ok, first.error
            assert first.discovered == "first contact"
            assert first.requests == 2  # GET scalars, one GETBULK of the table
            assert sorted(first.interfaces) == [1, 2, 10]
            up = first.interfaces[1]
            assert up.name == "GigabitEthernet0/0/1" and up.high_speed_mbps == 1000
            assert up.alias and up.alias.startswith("link 5 to")
            assert up.in_octets and up.counter_bits == 64 and up.discontinuity_ticks == 0
            await asyncio.sleep(1.0)
            second = await poller.poll(t)
            assert second.ok and second.discovered is None
            assert second.requests == 1
            assert second.varbinds == 2 + 3 * 9  # scalars + 9 columns per known interface
            assert second.interfaces[1].name == up.name  # metadata kept from discovery
            assert second.interfaces[1].in_octets >= up.in_octets

    with_sim(scenario)


def test_counter_discontinuity_and_reboot_are_gaps_not_spikes() -> None:
    async def scenario(sim: Simulator, targets: dict[int, SnmpTarget]) -> None:
        results: list[tuple[PollResult, dict[int, IfRates]]] = []
        async with ProfilePoller() as poller:
            loop = PollLoop(poller, lambda r, rates: results.append((r, rates)))
            for step in range(4):
                if step == 2:
                    sim.network.reset_counters(C1, 1, asyncio.get_running_loop().time())
                if step == 3:
                    sim.network.reboot(C1, asyncio.get_running_loop().time())
                await loop.run_cycle([targets[C1]])
                await asyncio.sleep(0.6)
        (r0, _), (r1, rates1), (_, rates2), (r3, rates3) = results
        assert r0.discovered == "first contact" and r1.discovered is None
        assert rates1[1].in_bps is not None and not rates1[1].reset
        assert 2e6 < rates1[1].in_bps < 40e6  # example plan: 8 Mbit/s mean on C1's uplink
        assert rates2[1].reset and rates2[1].in_bps is None  # discontinuity time moved
        assert not rates2[10].reset and rates2[10].in_bps is not None
        assert r3.discovered == "reboot"
        assert all(r.reset for r in rates3.values())

    with_sim(scenario)


def test_get_and_bulk_methods_read_the_same_rows() -> None:
    async def scenario(sim: Simulator, targets: dict[int, SnmpTarget]) -> None:
        t = targets[C3]
        async with ProfilePoller() as by_get, ProfilePoller(method="bulk") as by_bulk:
            await by_get.poll(t)
            await by_bulk.poll(t)
            a, b = await by_get.poll(t), await by_bulk.poll(t)
        assert a.ok and b.ok and b.discovered is None
        assert sorted(a.interfaces) == sorted(b.interfaces)
        for idx, sa in a.interfaces.items():
            sb = b.interfaces[idx]
            assert (sa.name, sa.oper_status, sa.high_speed_mbps) == \
                (sb.name, sb.oper_status, sb.high_speed_mbps)
            assert sa.in_octets is not None and sb.in_octets is not None

    with_sim(scenario)


def test_dead_device_is_a_timeout_result_others_fine() -> None:
    async def scenario(sim: Simulator, targets: dict[int, SnmpTarget]) -> None:
        sim.network.device_down(C1, asyncio.get_running_loop().time())
        async with ProfilePoller() as poller:
            dead, alive = await asyncio.gather(poller.poll(targets[C1]), poller.poll(targets[C3]))
        assert not dead.ok and dead.error_kind == "timeout"
        assert alive.ok

    with_sim(scenario)


def test_v3_wrong_key_is_a_clear_auth_error() -> None:
    agent = start_snmpd(extra_config=["createUser pv SHA right-auth-key AES right-priv-key",
                                      "rouser pv priv"])
    try:
        def v3(auth_key: str) -> SnmpTarget:
            return target(7, agent.host, agent.port, version="3", v3=V3Credentials(
                "pv", auth_key=auth_key, priv_key="right-priv-key"))

        async def main() -> tuple[PollResult, PollResult]:
            async with ProfilePoller() as poller:
                return await poller.poll(v3("right-auth-key")), await poller.poll(v3("bad-key-1"))

        good, bad = asyncio.run(main())
        assert good.ok and good.interfaces, good.error
        assert bad.error_kind == "auth" and "auth" in (bad.error or "")
        assert "bad-key-1" not in repr(bad) and "right-priv-key" not in repr(good)
    finally:
        agent.stop()


def test_pysnmp_and_fast_transport_give_the_same_samples() -> None:
    async def scenario(sim: Simulator, targets: dict[int, SnmpTarget]) -> None:
        t = targets[C3]
        async with ProfilePoller() as fast, \
                ProfilePoller(transport_factory=lambda _v: PysnmpTransport()) as slow:
            a, b = await fast.poll(t), await slow.poll(t)
        assert a.ok and b.ok
        assert {i: (s.name, s.alias, s.if_type) for i, s in a.interfaces.items()} == \
            {i: (s.name, s.alias, s.if_type) for i, s in b.interfaces.items()}

    with_sim(scenario)


def test_v3_credentials_from_a_profile_file_with_env_refs(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """Profile file -> poll plan -> engine -> snmpd v3 user; keys only in the environment."""
    from provnet.inventory.queries import DeviceRecord
    from provnet.pollers.groups import load_groups
    from provnet.pollers.plan import build_poll_plan
    from provnet.pollers.profiles import DEFAULT_GROUPS_DIR, parse_profiles

    agent = start_snmpd(extra_config=["createUser olt SHA env-auth-key AES env-priv-key",
                                      "rouser olt priv"])
    try:
        monkeypatch.setenv("T_OLT_AUTH", "env-auth-key")
        monkeypatch.setenv("T_OLT_PRIV", "env-priv-key")
        doc = {"credentials": {"olt-v3": {
                   "version": "3", "user": "olt", "auth_key": "${T_OLT_AUTH}",
                   "priv_key": "${T_OLT_PRIV}", "port": agent.port, "timeout_s": 1.0}},
               "classes": {"olt": {"match": {"role": ["olt"]}, "credentials": "olt-v3",
                                   "groups": ["health_host", "health_ucd"]}}}
        profiles = parse_profiles(doc, load_groups(DEFAULT_GROUPS_DIR))
        dev = DeviceRecord(9, "ag-olt-01", "olt", "Linux", "net-snmp", agent.host, "none",
                           "OLT-1", "fibre_point", None, None)
        plan = build_poll_plan([dev], [], {}, profiles)
        assert [t.version for t in plan.targets] == ["3"]
        assert "env-auth-key" not in repr(plan.targets[0])

        async def main() -> PollResult:
            async with ProfilePoller(plan.profile_for) as poller:
                return await poller.poll(plan.targets[0])

        r = asyncio.run(main())
        assert r.ok and r.interfaces, r.error
        assert any(x.__class__.__name__ == "HealthReading" for x in r.readings)
    finally:
        agent.stop()


@pytest.mark.parametrize("method", ["get", "bulk"])
def test_big_device_steady_state_reads_every_row(method: Literal["get", "bulk"]) -> None:
    """300 interfaces: more than one GET chunk / GETBULK response, no rediscovery loop."""
    from provnet.simulator.example import CORE

    port = free_udp_port(f"{NET}.0.1")
    raw = example_plan(port=port, net=NET)
    next(d for d in raw["devices"] if d["id"] == CORE)["interfaces"].append(
        {"ifindex": 3, "name": "GE0/0/3", "speed_mbps": 10000, "in_bps": 1e6, "out_bps": 1e6,
         "link": 8})
    raw["devices"].append({"id": 50, "site": "BIG", "address": f"{NET}.30.1",
                           "sys_name": "ag-big", "interfaces": [
                               {"ifindex": i, "name": f"p{i}", "speed_mbps": 1000,
                                "in_bps": 1e5, "out_bps": 1e5, **({"link": 8} if i == 1 else {})}
                               for i in range(1, 301)]})
    raw["links"].append({"id": 8, "a_device": 50, "a_ifindex": 1, "z_device": CORE,
                         "z_ifindex": 3})
    plan = plan_from_dict(raw)

    async def main() -> list[PollResult]:
        async with Simulator(plan), ProfilePoller(method=method) as poller:
            t = target(50, f"{NET}.30.1", port)
            return [await poller.poll(t) for _ in range(3)]

    first, second, third = asyncio.run(main())
    assert first.discovered == "first contact" and len(first.interfaces) == 300
    for r in (second, third):
        assert r.ok and r.discovered is None, (r.error, r.discovered)
        assert len(r.interfaces) == 300
        assert all(s.in_octets is not None for s in r.interfaces.values())
    assert second.requests > 2


def test_too_big_get_is_split_and_the_size_remembered() -> None:
    """An agent with a small maximum message answers tooBig: the engine halves its GETs."""
    port = free_udp_port(f"{NET}.0.1")
    # 484 bytes: the smallest maximum message an SNMP agent may have
    plan = plan_from_dict(example_plan(port=port, net=NET, max_message_bytes=484))

    async def main() -> list[PollResult]:
        async with Simulator(plan), ProfilePoller() as poller:
            t = target(C3, f"{NET}.10.3", port)
            return [await poller.poll(t) for _ in range(3)]

    first, second, third = asyncio.run(main())
    assert first.ok and len(first.interfaces) == 3, first.error
    for r in (second, third):
        assert r.ok and r.discovered is None, r.error
        assert all(s.in_octets is not None for s in r.interfaces.values())
    assert second.requests == 3  # tooBig, then two halves (the smaller size is kept)
