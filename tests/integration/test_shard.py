"""Sharded polling: worker processes give the same results as one process (real simulator)."""

from __future__ import annotations

import asyncio
import os

import pytest

from provnet.pollers.engine import ProfilePoller
from provnet.pollers.scheduler import CycleStats, PollLoop
from provnet.pollers.shard import ShardedPollLoop, WorkerConfig, merge_stats, shard_of
from provnet.pollers.types import IfRates, PollResult, SnmpTarget
from provnet.simulator.example import synthetic_plan
from provnet.simulator.plan import plan_from_dict
from provnet.simulator.runner import Simulator
from tests.support.sim_fixtures import free_udp_port

NET = "127.81"
Collected = tuple[list[tuple[PollResult, dict[int, IfRates]]], list[CycleStats]]


def test_shard_of_is_stable_and_balanced() -> None:
    counts = [0, 0]
    for d in range(2000):
        s = shard_of(d, 2)
        assert s == shard_of(d, 2)
        counts[s] += 1
    assert min(counts) > 900
    assert merge_stats([CycleStats(10.0, 2.0, 5, 1, 100, 0.5),
                        CycleStats(9.0, 3.0, 4, 0, 80, 0.25, overrun=True)]) == \
        CycleStats(9.0, 3.0, 9, 1, 180, 0.75, overrun=True)


@pytest.mark.integration
def test_sharded_polling_yields_the_same_results() -> None:
    port = free_udp_port(f"{NET}.0.1")
    plan = plan_from_dict(synthetic_plan(pops=4, communes_per_pop=6, port=port, net=NET))
    targets = [SnmpTarget(d.id, d.sys_name, d.address, port, timeout_s=1.0, retries=1)
               for d in plan.devices]

    async def run(workers: int) -> Collected:
        results: list[tuple[PollResult, dict[int, IfRates]]] = []
        cycles: list[CycleStats] = []
        stop = asyncio.Event()

        def on_cycle(st: CycleStats) -> None:
            cycles.append(st)
            if len(cycles) == 2:
                stop.set()

        def on_result(r: PollResult, rates: dict[int, IfRates]) -> None:
            results.append((r, rates))

        if workers == 1:
            async with ProfilePoller() as poller:
                loop = PollLoop(poller, on_result, 16)
                await asyncio.wait_for(loop.run_forever(lambda: targets, 1.5, on_cycle, stop), 60)
        else:
            sharded = ShardedPollLoop(workers, on_result, WorkerConfig(1.5, 16))
            await asyncio.wait_for(sharded.run_forever(lambda: targets, 1.5, on_cycle, stop), 60)
            assert len(sharded.pids) == 2 and os.getpid() not in sharded.pids
        return results, cycles

    async def main() -> tuple[Collected, Collected]:
        async with Simulator(plan):
            return await run(1), await run(2)

    (single, single_cycles), (sharded, sharded_cycles) = asyncio.run(main())
    assert [c.devices for c in single_cycles] == [len(targets)] * 2
    n = len(targets)
    assert len(single) == len(sharded) == 2 * n
    assert [c.devices for c in sharded_cycles] == [n, n]
    assert all(c.devices_failed == 0 for c in sharded_cycles)

    def shape(rs: list[tuple[PollResult, dict[int, IfRates]]], cycle: int) -> dict[int, object]:
        per_dev: dict[int, list[tuple[PollResult, dict[int, IfRates]]]] = {}
        for r, rates in rs:
            per_dev.setdefault(r.target.device_id, []).append((r, rates))
        return {d: (sorted((i, s.name, s.alias, s.high_speed_mbps)
                           for i, s in v[cycle][0].interfaces.items()),
                    sorted(i for i, rt in v[cycle][1].items() if rt.in_bps is not None))
                for d, v in per_dev.items()}

    assert shape(single, 0) == shape(sharded, 0)
    assert shape(single, 1) == shape(sharded, 1)
    # second cycle: every interface of every device has a rate, in both runs
    assert all(len(rated) == len(ifs) for ifs, rated in shape(sharded, 1).values())
