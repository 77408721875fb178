"""Sharded polling cost: one process vs ``--workers`` processes on the same simulated fleet.

Polls the fleet ``--cycles`` times at ``--interval`` with ``PollLoop`` in this process, then
with ``ShardedPollLoop``; prints the CPU per device poll (this process + worker processes,
measured with getrusage after the workers are joined) and the cycle wall times.

    .venv/bin/python bench/poll_shards.py --pops 11 --communes 14 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import children_cpu_s, plan_targets  # noqa: E402
from provnet.pollers.engine import ProfilePoller  # noqa: E402
from provnet.pollers.scheduler import CycleStats, PollLoop  # noqa: E402
from provnet.pollers.shard import ShardedPollLoop, WorkerConfig  # noqa: E402
from provnet.pollers.types import IfRates, PollResult, SnmpTarget  # noqa: E402
from provnet.simulator.example import synthetic_plan  # noqa: E402
from tests.support.sim_fixtures import free_udp_port, start_simulator  # noqa: E402


async def _run(targets: list[SnmpTarget], workers: int, interval: float, cycles: int
               ) -> tuple[int, list[float]]:
    polls = 0
    walls: list[float] = []
    stop = asyncio.Event()

    def on_result(_r: PollResult, _rates: dict[int, IfRates]) -> None:
        nonlocal polls
        polls += 1

    def on_cycle(st: CycleStats) -> None:
        walls.append(st.duration_s)
        if len(walls) == cycles + 1:  # the first cycle (discovery) is a warm-up
            stop.set()

    if workers == 1:
        async with ProfilePoller() as poller:
            await PollLoop(poller, on_result, 32).run_forever(lambda: targets, interval,
                                                              on_cycle, stop)
    else:
        await ShardedPollLoop(workers, on_result, WorkerConfig(interval, 32)).run_forever(
            lambda: targets, interval, on_cycle, stop)
    return polls, walls[1:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pops", type=int, default=11)
    ap.add_argument("--communes", type=int, default=14)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--interval", type=float, default=3.0)
    ap.add_argument("--cycles", type=int, default=4)
    args = ap.parse_args()
    net = "127.90"
    plan = synthetic_plan(pops=args.pops, communes_per_pop=args.communes,
                          port=free_udp_port(f"{net}.0.1"), net=net)
    with tempfile.TemporaryDirectory() as tmp:
        sim = start_simulator(Path(tmp), plan, control=False)
        try:
            targets = plan_targets(plan, sim.port)
            print(f"{len(targets)} devices, interval {args.interval} s, {args.cycles} cycles "
                  "after a discovery cycle (CPU includes the discovery cycle)")
            for workers in (1, args.workers):
                own0, kids0, t0 = time.process_time(), children_cpu_s(), time.perf_counter()
                polls, walls = asyncio.run(_run(targets, workers, args.interval, args.cycles))
                own, kids = time.process_time() - own0, children_cpu_s() - kids0
                print(f"workers={workers}: {polls} polls in {time.perf_counter() - t0:.1f} s, "
                      f"CPU {1e3 * (own + kids) / polls:.3f} ms/poll (this process "
                      f"{own:.2f} s, workers {kids:.2f} s), cycle wall "
                      f"{', '.join(f'{w:.2f}' for w in walls)} s")
        finally:
            sim.stop()


if __name__ == "__main__":
    main()
