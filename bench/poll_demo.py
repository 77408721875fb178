"""Benchmark: one poll cycle of the demo fleet (184 routers of An Giang on 127.10.x.y).

Seeds the demo inventory in a temporary SQLite file, starts the simulator on a free port,
then polls the whole fleet ``--cycles`` times:

1. provnet's ``PollLoop.run_cycle`` (pysnmp 7, one shared dispatcher, rates computed);
2. net-snmp ``snmpbulkget`` subprocesses, one per device, sending the same single GETBULK
   (the peer: what a shell-script poller built on net-snmp costs).

Prints cycle time, devices/s, varbinds/s and CPU ms per device for each, the simulator's
own CPU, and the ratios. Run from the repo root: ``.venv/bin/python bench/poll_demo.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from poll_snmpd import SNMPBULKGET, Run, children_cpu_s, oid_text, proc_cpu_s  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from provnet.config.settings import SnmpProfile  # noqa: E402
from provnet.demo.plan import build_plan  # noqa: E402
from provnet.demo.seed import seed_demo  # noqa: E402
from provnet.inventory import queries  # noqa: E402
from provnet.inventory.store import open_store  # noqa: E402
from provnet.pollers.ifmib import DEFAULT_COLUMNS, SYS_UPTIME_NEXT  # noqa: E402
from provnet.pollers.plan import build_poll_plan  # noqa: E402
from provnet.pollers.scheduler import PollLoop  # noqa: E402
from provnet.pollers.types import SnmpTarget  # noqa: E402
from provnet.simproc import SimulatorProcess  # noqa: E402
from tests.support.walk_poller import SnmpPoller  # noqa: E402

COMMUNITY = "bench"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.10.0.1", 0))
        return int(s.getsockname()[1])


async def bench_provnet(targets: list[SnmpTarget], cycles: int, concurrency: int,
                        sim_pid: int) -> tuple[Run, dict[int, int]]:
    poller = SnmpPoller()
    loop = PollLoop(poller, concurrency=concurrency)
    rows: dict[int, int] = {}
    loop_results: list[float] = []
    try:
        warm = await loop.run_cycle(targets)  # learns table sizes; first rates baseline
        print(f"warm-up cycle: {warm.duration_s:.2f} s, {warm.devices_ok} ok, "
              f"{warm.devices_failed} failed, {warm.varbinds} varbinds")
        ok = failed = varbinds = 0
        s0, c0, t0 = proc_cpu_s(sim_pid), time.process_time(), time.perf_counter()
        for _ in range(cycles):
            st = await loop.run_cycle(targets)
            loop_results.append(st.duration_s)
            ok, failed, varbinds = ok + st.devices_ok, failed + st.devices_failed, \
                varbinds + st.varbinds
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        sim_cpu = proc_cpu_s(sim_pid) - s0
        for t in targets:
            res = await poller.poll(t)
            rows[t.device_id] = len(res.interfaces)
    finally:
        poller.close()
    print("provnet cycle times: " + ", ".join(f"{d:.2f}" for d in loop_results) + " s")
    return Run(f"provnet PollLoop ({concurrency} in flight)", ok + failed, failed, varbinds,
               wall, cpu, sim_cpu), rows


async def bench_bulkget(targets: list[SnmpTarget], rows: dict[int, int], cycles: int,
                        concurrency: int, sim_pid: int) -> Run:
    sem = asyncio.Semaphore(concurrency)
    cols = [oid_text(c) for c in DEFAULT_COLUMNS]

    async def one(t: SnmpTarget) -> tuple[bool, int]:
        argv = [SNMPBULKGET, "-v2c", "-c", COMMUNITY, "-On", "-t", "1", "-r", "1", "-Cn1",
                f"-Cr{rows[t.device_id] + 1}", f"{t.address}:{t.port}",
                oid_text(SYS_UPTIME_NEXT), *cols]
        async with sem:
            proc = await asyncio.create_subprocess_exec(
                *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
                env={**os.environ, "MIBS": "", "MIBDIRS": "/nonexistent"})
            out, _ = await proc.communicate()
        return proc.returncode == 0, sum(1 for line in out.splitlines() if b" = " in line)

    s0, c0, t0 = proc_cpu_s(sim_pid), children_cpu_s(), time.perf_counter()
    results: list[tuple[bool, int]] = []
    for _ in range(cycles):
        results += await asyncio.gather(*(one(t) for t in targets))
    wall, cpu = time.perf_counter() - t0, children_cpu_s() - c0
    return Run(f"net-snmp snmpbulkget ({concurrency} in flight)", len(results),
               sum(1 for ok, _ in results if not ok), sum(n for _, n in results), wall, cpu,
               proc_cpu_s(sim_pid) - s0)


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--cycles", type=int, default=5)
    ap.add_argument("--concurrency", type=int, default=32)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="provnet-bench-") as tmp:
        state = Path(tmp)
        t0 = time.perf_counter()
        store = open_store(f"sqlite:///{state / 'inventory.sqlite'}")
        seed_demo(store)
        port = free_udp_port()
        with store.session() as s:
            plan = build_plan(s, port, COMMUNITY)
            devices, links = queries.devices(s), queries.links(s)
        print(f"demo inventory seeded in {time.perf_counter() - t0:.1f} s")
        profile = SnmpProfile(community=SecretStr(COMMUNITY), port=port, timeout_s=1.0)
        targets = build_poll_plan(devices, links, {"demo": profile}).targets
        sim = SimulatorProcess(state, plan, [])
        sim.start()
        try:
            assert sim.proc is not None
            print(f"simulator pid {sim.proc.pid}: {len(targets)} agents, "
                  f"{os.cpu_count()} CPUs, {args.cycles} cycles each")
            pv, rows = await bench_provnet(targets, args.cycles, args.concurrency, sim.proc.pid)
            bg = await bench_bulkget(targets, rows, args.cycles, args.concurrency, sim.proc.pid)
        finally:
            sim.stop()
    for r in (pv, bg):
        print(r.line().replace("snmpd", "simulator"))
    per = {r.label: r.cpu_s / max(r.devices, 1) for r in (pv, bg)}
    print(f"CPU per device, provnet / snmpbulkget: {per[pv.label] / per[bg.label]:.2f}x; "
          f"devices/s provnet / snmpbulkget: "
          f"{(pv.devices / pv.wall_s) / (bg.devices / bg.wall_s):.2f}x")
    print(f"mean provnet cycle for {len(targets)} devices: {pv.wall_s / args.cycles:.2f} s")


if __name__ == "__main__":
    asyncio.run(main())
