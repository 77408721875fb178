"""The agent's other collectors over real nats-server processes: ICMP and traps at the node.

1. A node in its own network namespace (leaf server, simulated devices, ``provnet agent``
   pinging them every 0.5 s) joined to the hub by a veth pair; its WAN is cut for 60 sweeps.
   The readings taken during the cut reach the centre afterwards: every sweep once, each
   device's readings in event-time order in the live state, the TSDB points and the alerts'
   event-time entry. (That the centre pings none of a node's devices:
   ``tests/unit/test_cluster_collect.py``.)
2. On loopback: a link goes down on a simulated device, which sends linkDown traps to the
   agent's receiver; the agent confirms them with its own poll and publishes them; they reach
   the centre's alerting once each, also when the agent is killed after the leaf stored them
   but before it cleared its outbox (the restarted agent re-publishes; the leaf drops the
   duplicates by ``Nats-Msg-Id``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from provnet.pollers.cluster.collect import IcmpSweep, TrapNote
from provnet.pollers.cluster.planner import DeviceSpec
from provnet.pollers.readings import IcmpReading
from provnet.pollers.traps import TrapEvent
from provnet.simulator.example import example_plan
from provnet.simulator.plan import plan_from_dict
from provnet.simulator.runner import Simulator
from tests.support.cluster_fixtures import (
    AgentProc,
    InProcessCentre,
    read_stream,
    start_simulator,
    until_async,
    write_agent_config,
)
from tests.support.helpers import free_port, stop_process
from tests.support.nats import Hub, leaf
from tests.support.netns import wan

pytestmark = [pytest.mark.integration, pytest.mark.scaleout]
INTERVAL = 0.5
CUT_SWEEPS = 60
COMMUNITY = "sim-comm"


class Alerting:
    """Records what the centre hands the alerts' event-time entry (``NodeFeed``)."""

    def __init__(self) -> None:
        self.nodes = self
        self.icmp: list[tuple[str, float, list[tuple[int, IcmpReading, float]]]] = []
        self.traps: list[tuple[str, TrapEvent, int]] = []

    def accept_icmp(self, node: str, event_time: float,
                    readings: Iterable[tuple[int, IcmpReading, float]]) -> bool:
        self.icmp.append((node, event_time, list(readings)))
        return True

    def accept_trap(self, node: str, event: TrapEvent, device_id: int) -> bool:
        self.traps.append((node, event, device_id))
        return True


def _devices(plan: dict[str, Any], port: int) -> list[DeviceSpec]:
    return [DeviceSpec(d["id"], d["sys_name"], d["address"], port) for d in plan["devices"]]


def test_icmp_readings_taken_during_a_wan_cut_reach_the_centre_after_it(
        tmp_path: Path) -> None:
    sim_port = free_port(kind=socket.SOCK_DGRAM)
    plan = example_plan(port=sim_port, community=COMMUNITY)
    devices = _devices(plan, sim_port)
    with wan(["pop1"]) as net:
        site = net.sites["pop1"]
        hub = Hub(tmp_path, leaf_host=net.hub_address).start()
        pop1 = leaf(tmp_path, "pop1", hub.leaf_urls, 4222, site.ns).start()
        sim = start_simulator(plan, tmp_path, "pop1", site.ns)
        cfg = write_agent_config(tmp_path / "pop1.json", "pop1", "nats://127.0.0.1:4222",
                                 community=COMMUNITY, icmp={
                                     "interval_s": INTERVAL, "count": 1, "timeout_s": 0.3,
                                     "packet_interval_s": 0.0})
        agent = AgentProc("pop1", cfg, tmp_path / "state", tmp_path / "agent.log", site.ns)
        centre = InProcessCentre(hub.urls, devices, Alerting(), INTERVAL)

        def sweeps() -> int:
            return centre.feed.counts.sweeps

        def newest() -> float:
            return max((t for _, _, items in centre.alerts.icmp for _, _, t in items),
                       default=0.0)

        async def scenario() -> tuple[float, float]:
            await centre.start()
            try:
                agent.start()
                await until_async("the first sweeps at the centre", lambda: sweeps() >= 4, 90)
                cut_at = time.time()
                site.wan(False)
                await asyncio.sleep(3)
                during = sweeps()
                await asyncio.sleep(CUT_SWEEPS * INTERVAL - 3)
                assert sweeps() <= during + 1, "the WAN is cut: nothing reaches the centre"
                site.wan(True)
                back_at = time.time()
                await until_async("the readings of the cut",
                                  lambda: newest() > back_at + 1, 120)
                agent.stop()
                await asyncio.sleep(3)
                return cut_at, back_at
            finally:
                await centre.close()

        try:
            cut_at, back_at = asyncio.run(scenario())
            hub_msgs = asyncio.run(read_stream(hub.urls, "ALL"))
        finally:
            agent.kill()
            stop_process(sim)
            pop1.stop()
            hub.stop()
    stream = [m for _, _, m in hub_msgs if isinstance(m, IcmpSweep)]
    ids = [m.msg_id for m in stream]
    assert len(ids) == len(set(ids)), "each sweep once in the hub stream"
    # every sweep the node stored reached the alerts once, in the stream's order
    got = [(node, t) for node, t, _ in centre.alerts.icmp]
    assert got == [("pop1", m.started) for m in stream]
    assert [t for _, t in got] == sorted(t for _, t in got), "event-time order"
    during = [m for m in stream if cut_at + 1 < m.started < back_at - 1]
    assert len(during) >= (back_at - cut_at - 2) / INTERVAL * 0.5, (len(during), len(stream))
    # each device: every reading of the node once, in event-time order, in the TSDB points
    per_device: dict[str, list[int]] = defaultdict(list)
    for p in centre.points:
        if p.measurement == "icmp":
            per_device[p.tags["device"]].append(p.time_ns)
    assert set(per_device) == {d.name for d in devices}
    for name, times in per_device.items():
        assert times == sorted(times) and len(set(times)) == len(times), name
        assert sum(1 for t in times if cut_at + 1 < t / 1e9 < back_at - 1) >= len(during) - 2
    want = Counter(i.device_id for m in stream for i in m.readings)
    assert sum(want.values()) == centre.feed.counts.readings
    # the live state holds each device's newest reading (the loopback of the node answers)
    for d in devices:
        state = centre.live.device(d.device_id)
        assert state is not None and state.icmp is not None and state.icmp.received == 1
    print(f"\n{len(stream)} sweeps, {len(during)} during the {back_at - cut_at:.0f} s cut")


def test_link_trap_at_the_agent_reaches_alerting_once(tmp_path: Path) -> None:
    sim_port = free_port(kind=socket.SOCK_DGRAM)
    trap_port = free_port(kind=socket.SOCK_DGRAM)
    raw = example_plan(port=sim_port, community=COMMUNITY)
    devices = _devices(raw, sim_port)
    hub = Hub(tmp_path).start()
    leaf_port = free_port()
    pop1 = leaf(tmp_path, "pop1", hub.leaf_urls, leaf_port).start()
    cfg = write_agent_config(tmp_path / "pop1.json", "pop1", f"nats://127.0.0.1:{leaf_port}",
                             community=COMMUNITY, traps={"port": trap_port,
                                                         "communities": [COMMUNITY]})
    agent = AgentProc("pop1", cfg, tmp_path / "state", tmp_path / "agent.log")
    outbox = agent.state / "outbox"
    centre = InProcessCentre(hub.urls, devices, Alerting(), INTERVAL)
    kept = tmp_path / "kept"
    kept.mkdir()

    def traps_left() -> list[Path]:
        return sorted(outbox.glob("*-trap-*.json"))

    async def scenario() -> None:
        await centre.start()
        try:
            async with Simulator(plan_from_dict(raw), trap_to=("127.0.0.1", trap_port)) as sim:
                agent.start()
                await until_async("batches at the centre", lambda: centre.stats.batches >= 6,
                                  90)
                await until_async("the agent's receiver", lambda: "trap receiver listening"
                                  in agent.text(), 30)
                # the leaf frozen: what the agent stores stays in its outbox for a while
                assert pop1.proc is not None
                os.kill(pop1.proc.pid, signal.SIGSTOP)
                try:
                    # link 5: C3 ifIndex 1 <-> POP-A ifIndex 4: two linkDown traps (C3 is
                    # dual-homed: it still answers the agent's confirming poll)
                    sim.command({"link": 5, "action": "link-down"})
                    await until_async("both traps confirmed and in the outbox",
                                      lambda: len(traps_left()) == 2, 30)
                    for path in traps_left():  # what an agent killed before its unlink leaves
                        shutil.copy(path, kept / path.name)
                finally:
                    os.kill(pop1.proc.pid, signal.SIGCONT)
                await until_async("both traps at the centre's alerting",
                                  lambda: len(centre.alerts.traps) >= 2, 60)
                await until_async("the outbox cleared", lambda: not traps_left(), 30)
                agent.kill()  # killed after the leaf stored them, before clearing the outbox
                for path in kept.iterdir():
                    shutil.copy(path, outbox / path.name)
                agent.start()
                await until_async("the outbox re-published as duplicates",
                                  lambda: agent.text().count("duplicate dropped") >= 2
                                  and not traps_left(), 60)
                await asyncio.sleep(3)
                agent.stop()
        finally:
            await centre.close()

    try:
        asyncio.run(scenario())
        hub_msgs = asyncio.run(read_stream(hub.urls, "ALL"))
    finally:
        agent.kill()
        pop1.stop()
        hub.stop()
    notes = [(msg_id, m) for _, msg_id, m in hub_msgs if isinstance(m, TrapNote)]
    assert len(notes) == 2 and len({i for i, _ in notes}) == 2, notes
    assert {(m.device_id, m.event.ifindex, m.event.kind, m.verdict) for _, m in notes} == {
        (13, 1, "link-down", "confirmed"), (2, 4, "link-down", "confirmed")}
    # once each at the alerting, confirmed by the node's own poll
    assert sorted((d, e.ifindex, e.oper_up) for _, e, d in centre.alerts.traps) == [
        (2, 4, False), (13, 1, False)]
    assert centre.feed.counts.traps == 2 and centre.feed.counts.redelivered == 0
    trap_points = [p for p in centre.points if p.measurement == "snmp_trap"]
    assert len(trap_points) == 2
    assert all(p.fields["confirmed"] is True and p.fields["node"] == "pop1"
               for p in trap_points)
    assert "re-publishing" in agent.text()
