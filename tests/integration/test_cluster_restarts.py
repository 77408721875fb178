"""Remote pollers over real nats-server processes on loopback: the hub restarted mid-stream,
then the agent killed mid-publish (its leaf frozen with SIGSTOP so a publish is in flight) and
restarted. Nothing is lost (every tick the agent polled reaches the hub and the centre), nothing
is doubled (each ``<node>:<shard>:<tick>`` once in the hub stream, each device result once at
the centre, the outbox's re-published batch dropped as a duplicate)."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
from collections import Counter
from pathlib import Path

import pytest

from provnet.config.cluster import ClusterSettings, NodeGroup
from provnet.pollers.cluster.centre import Centre, FeedStats, ResultFeed
from provnet.pollers.cluster.messages import Batch
from provnet.pollers.cluster.natslink import HubLink, connect, node_stream
from provnet.pollers.cluster.planner import DeviceSpec
from provnet.pollers.types import IfRates, PollResult
from provnet.simulator.example import example_plan
from tests.support.cluster_fixtures import (
    AgentProc,
    batches_by_shard,
    read_stream,
    start_simulator,
    until_async,
    write_agent_config,
)
from tests.support.helpers import free_port, stop_process
from tests.support.nats import Hub, leaf

pytestmark = [pytest.mark.integration, pytest.mark.scaleout]
INTERVAL = 0.5


def test_hub_restart_and_agent_killed_mid_publish(tmp_path: Path) -> None:
    sim_port = free_port(kind=socket.SOCK_DGRAM)
    plan = example_plan(port=sim_port, net="127.77")
    devices = [DeviceSpec(d["id"], d["sys_name"], d["address"], sim_port)
               for d in plan["devices"]]
    hub = Hub(tmp_path).start()
    leaf_port = free_port()
    pop1 = leaf(tmp_path, "pop1", hub.leaf_urls, leaf_port).start()
    sim = start_simulator(plan, tmp_path, "pop1")
    cfg = write_agent_config(tmp_path / "pop1.json", "pop1", f"nats://127.0.0.1:{leaf_port}")
    agent = AgentProc("pop1", cfg, tmp_path / "agent-state", tmp_path / "agent.log")
    seen: Counter[tuple[int, float]] = Counter()

    def on_result(result: PollResult, rates: dict[int, IfRates]) -> None:
        seen[(result.target.device_id, result.started)] += 1

    settings = ClusterSettings(enabled=True, hub_urls=hub.urls, interval_s=INTERVAL,
                               plan_every_s=1.0, failover_delay_s=5.0, shards=2,
                               groups=[NodeGroup(name="pop1", nodes=["pop1"],
                                                 devices=[d.device_id for d in devices])])
    stats = FeedStats()

    async def commit() -> None:
        return None

    async def scenario() -> None:
        stop = asyncio.Event()
        nc = await connect(hub.urls, "test-centre", stop)
        centre = Centre(HubLink(nc), settings, [ResultFeed(on_result, stats)], commit,
                        lambda: devices, INTERVAL, stats)
        task = asyncio.create_task(centre.run(stop))
        try:
            agent.start()

            def ticks() -> int:
                return stats.batches
            await until_async("first batches at the centre", lambda: ticks() >= 10, 60)
            # 1. the hub restarted mid-stream: the agent goes on into its leaf
            hub.stop()
            await asyncio.sleep(3 * INTERVAL * 2)
            hub.start()
            before = stats.batches
            await until_async("batches after the hub restart", lambda: stats.batches > before + 10,
                         60)
            # 2. the agent killed mid-publish: its leaf frozen, so a publish is in flight
            assert pop1.proc is not None
            os.kill(pop1.proc.pid, signal.SIGSTOP)
            await asyncio.sleep(4 * INTERVAL)
            agent.kill()
            os.kill(pop1.proc.pid, signal.SIGCONT)
            left = sorted((agent.state / "outbox").glob("*.json"))
            assert left, "the killed agent left its unacknowledged batches in the outbox"
            agent.start()
            # the in-flight publish may or may not have reached the frozen leaf before the
            # kill (a "duplicate dropped" line if it had): either way nothing may be doubled
            await until_async("the outbox re-published", lambda: "re-publishing" in agent.text()
                              and not any((agent.state / "outbox").glob("*.json")), 60)
            await asyncio.sleep(6 * INTERVAL)
            agent.stop()
            leaf_msgs = await read_stream([f"nats://127.0.0.1:{leaf_port}"], node_stream("pop1"))
            await until_async("the centre consumed everything",
                         lambda: stats.batches + stats.heartbeats >= len(leaf_msgs), 60)
        finally:
            stop.set()
            await task
            await nc.close()
        hub_msgs = await read_stream(hub.urls, settings.stream)
        # nothing lost between leaf and hub, nothing doubled: the same messages in the same order
        assert [(s, i) for s, i, _ in hub_msgs] == [(s, i) for s, i, _ in leaf_msgs]
        ids = [i for _, i, _ in hub_msgs]
        assert len(ids) == len(set(ids))
        shards = batches_by_shard(hub_msgs)
        assert set(shards) == {("pop1", 0), ("pop1", 1)}
        results = 0
        for batches in shards.values():
            ticks = [b.tick for b in batches]
            assert ticks == sorted(set(ticks)), "ticks in order, each once"
            gaps = [(a, b) for a, b in itertools.pairwise(ticks) if b != a + 1]
            # one gap only: the agent was dead (killed, then restarted a moment later)
            assert len(gaps) <= 1, gaps
            results += sum(len(b.results) for b in batches)
            assert all(isinstance(b, Batch) and b.plan_version >= 1 for b in batches)
        # the restarted outbox batch was stored once, and the centre took each result once
        assert "re-publishing" in agent.text()
        assert results == sum(seen.values()) == len(seen)
        assert stats.dropped_old == 0 and stats.undecodable == 0
        per_device = Counter(d for d, _ in seen)
        assert set(per_device) == {d.device_id for d in devices}

    try:
        asyncio.run(scenario())
    finally:
        agent.kill()
        stop_process(sim)
        pop1.stop()
        hub.stop()
