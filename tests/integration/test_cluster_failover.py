"""Failover inside a node group, over real nats-servers on loopback: two agents (pop-a, pop-b)
share one PoP's devices; pop-a is stopped; after ``failover_delay_s`` the centre's planner
moves its devices to pop-b (a new plan version in the PLAN bucket, mirrored to pop-b's leaf),
pop-b polls them, and every device keeps one result per tick from one node at a time. Then
pop-b is stopped too: the whole group is silent and nothing moves."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import pytest

from provnet.config.cluster import ClusterSettings, NodeGroup
from provnet.pollers.cluster.centre import Centre, FeedStats, ResultFeed
from provnet.pollers.cluster.natslink import HubLink, connect
from provnet.pollers.cluster.planner import DeviceSpec
from provnet.pollers.types import IfRates, PollResult
from provnet.simulator.example import example_plan
from tests.support.cluster_fixtures import (
    AgentProc,
    start_simulator,
    until_async,
    write_agent_config,
)
from tests.support.helpers import free_port, stop_process
from tests.support.nats import Hub, leaf

pytestmark = [pytest.mark.integration, pytest.mark.scaleout]
INTERVAL = 0.5
DELAY = 3.0


def test_failover_within_a_group_never_when_all_silent(tmp_path: Path) -> None:
    sim_port = free_port(kind=socket.SOCK_DGRAM)
    plan = example_plan(port=sim_port, net="127.78")
    devices = [DeviceSpec(d["id"], d["sys_name"], d["address"], sim_port)
               for d in plan["devices"]]
    hub = Hub(tmp_path).start()
    servers, agents = list(hub.servers), []
    sim = start_simulator(plan, tmp_path, "pop")
    settings = ClusterSettings(
        enabled=True, hub_urls=hub.urls, interval_s=INTERVAL, plan_every_s=0.5,
        failover_delay_s=DELAY,
        groups=[NodeGroup(name="pop", nodes=["pop-a", "pop-b"],
                          devices=[d.device_id for d in devices])])
    by_node: dict[str, set[int]] = {"pop-a": set(), "pop-b": set()}
    polled: list[tuple[float, int]] = []

    def on_result(result: PollResult, rates: dict[int, IfRates]) -> None:
        polled.append((result.started, result.target.device_id))

    stats = FeedStats()

    class Who:
        def accept(self, batch) -> None:  # type: ignore[no-untyped-def]
            for r in batch.results:
                by_node[batch.node].add(r.device_id)

        def heartbeat(self, hb) -> None:  # type: ignore[no-untyped-def]
            return None

    async def commit() -> None:
        return None

    async def scenario() -> None:
        stop = asyncio.Event()
        nc = await connect(hub.urls, "test-centre", stop)
        centre = Centre(HubLink(nc), settings, [ResultFeed(on_result, stats), Who()], commit,
                        lambda: devices, INTERVAL, stats)
        task = asyncio.create_task(centre.run(stop))
        try:
            for node in ("pop-a", "pop-b"):
                port = free_port()
                servers.append(leaf(tmp_path, node, hub.leaf_urls, port).start())
                cfg = write_agent_config(tmp_path / f"{node}.json", node,
                                         f"nats://127.0.0.1:{port}")
                agents.append(AgentProc(node, cfg, tmp_path / f"{node}-state",
                                        tmp_path / f"{node}.log").start())
            await until_async("both nodes polling", lambda: all(by_node.values()), 90)
            home = dict(centre.assignment)
            assert set(home.values()) == {"pop-a", "pop-b"}  # spread over the group
            a_devices = {d for d, n in home.items() if n == "pop-a"}
            versions = {n: p.version for n, p in centre.plans.items()}
            agents[0].stop()
            await until_async("pop-a's devices moved to pop-b",
                         lambda: all(centre.assignment[d] == "pop-b" for d in a_devices), 30)
            # not before the failover delay since the last message of pop-a
            assert time.time() - centre.last_seen["pop-a"] >= DELAY
            assert centre.plans["pop-b"].version == versions["pop-b"] + 1
            mark = len(polled)
            await until_async("pop-b polling the moved devices",
                         lambda: a_devices <= {d for _, d in polled[mark:]}, 30)
            # the whole group silent: nothing moves any more
            agents[1].stop()
            before = dict(centre.assignment)
            await asyncio.sleep(DELAY * 2.5)
            assert centre.assignment == before
        finally:
            stop.set()
            await task
            await nc.close()
        assert stats.dropped_old == 0
        per_device: dict[int, list[float]] = {}
        for t, d in polled:
            per_device.setdefault(d, []).append(t)
        for times in per_device.values():  # one node at a time: strictly increasing
            assert times == sorted(times) and len(set(times)) == len(times)

    try:
        asyncio.run(scenario())
    finally:
        for a in agents:
            a.kill()
        stop_process(sim)
        for s in reversed(servers):
            s.stop()
