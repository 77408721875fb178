"""Benchmark: SnmpPoller (pysnmp 7) against net-snmp command-line tools on one loopback snmpd.

Starts ``snmpd`` on 127.0.0.1, then reads sysUpTime + the IF-MIB columns of ``pollers.ifmib``
``--polls`` times with ``--concurrency`` in flight:

1. ``SnmpPoller.poll_many`` (one shared dispatcher; CPU = this process);
2. ``snmpbulkget`` subprocesses sending the same single GETBULK (CPU = children rusage);
3. ``snmpbulkwalk`` subprocesses, one per column, + ``snmpget`` for sysUpTime (the literal
   "walk the same OIDs" way; ``--walk-polls`` devices, it is slow).

Prints devices/s, varbinds/s and CPU ms per device poll, and the ratios. Run from the repo
root: ``.venv/bin/python bench/poll_snmpd.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import children_cpu_s, proc_cpu_s
from provnet.pollers.ifmib import DEFAULT_COLUMNS, SYS_UPTIME, SYS_UPTIME_NEXT, Oid
from provnet.pollers.types import SnmpTarget
from tests.support.snmp_agents import (
    SNMPBULKWALK,
    SNMPGET,
    SnmpdAgent,
    start_snmpd,
    tool_env,
)
from tests.support.walk_poller import SnmpPoller

SNMPBULKGET = str(Path(SNMPBULKWALK).with_name("snmpbulkget"))


@dataclass
class Run:
    """Figures of one benchmark run."""

    label: str
    devices: int
    failed: int
    varbinds: int
    wall_s: float
    cpu_s: float
    agent_cpu_s: float

    def line(self) -> str:
        n = max(self.devices, 1)
        return (
            f"{self.label:<34} {self.devices:>5} dev {self.failed:>3} failed "
            f"{self.devices / self.wall_s:>8.1f} dev/s {self.varbinds / self.wall_s:>9.0f} vb/s "
            f"{self.cpu_s * 1000 / n:>7.2f} CPU-ms/dev "
            f"{self.cpu_s * 1e6 / max(self.varbinds, 1):>6.1f} CPU-us/vb "
            f"(snmpd {self.agent_cpu_s * 1000 / n:.2f} ms/dev)"
        )


def oid_text(oid: Oid) -> str:
    return ".".join(map(str, oid))


async def bench_pysnmp(agent: SnmpdAgent, polls: int, concurrency: int) -> Run:
    targets = [
        SnmpTarget(i, f"dev{i}", agent.host, agent.port, community=agent.community,
                   timeout_s=2.0, retries=1)
        for i in range(polls)
    ]
    poller = SnmpPoller()
    try:
        warm = await poller.poll(targets[0])  # imports, socket, learned table size
        assert warm.ok, warm.error
        ok = failed = varbinds = 0
        a0, c0, t0 = proc_cpu_s(agent.pid), time.process_time(), time.perf_counter()
        async for res in poller.poll_many(targets, concurrency):
            varbinds += res.varbinds
            ok, failed = (ok + 1, failed) if res.ok else (ok, failed + 1)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        agent_cpu = proc_cpu_s(agent.pid) - a0
    finally:
        poller.close()
    return Run(f"pysnmp SnmpPoller ({concurrency} in flight)", polls, failed, varbinds, wall,
               cpu, agent_cpu)


async def run_tools(argvs: list[list[str]]) -> tuple[bool, int]:
    """Run commands one after another; (all succeeded, output lines = varbinds)."""
    ok, lines = True, 0
    for argv in argvs:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            env=tool_env(),
        )
        out, _ = await proc.communicate()
        ok = ok and proc.returncode == 0
        lines += sum(1 for line in out.splitlines() if b" = " in line)
    return ok, lines


async def bench_tools(
    agent: SnmpdAgent, label: str, argvs: list[list[str]], polls: int, concurrency: int
) -> Run:
    sem = asyncio.Semaphore(concurrency)

    async def one() -> tuple[bool, int]:
        async with sem:
            return await run_tools(argvs)

    await run_tools(argvs)  # warm the page cache
    a0, c0, t0 = proc_cpu_s(agent.pid), children_cpu_s(), time.perf_counter()
    results = await asyncio.gather(*(one() for _ in range(polls)))
    wall, cpu = time.perf_counter() - t0, children_cpu_s() - c0
    agent_cpu = proc_cpu_s(agent.pid) - a0
    failed = sum(1 for ok, _ in results if not ok)
    return Run(label, polls, failed, sum(n for _, n in results), wall, cpu, agent_cpu)


def tool_commands(agent: SnmpdAgent, rows: int) -> tuple[list[list[str]], list[list[str]]]:
    base = ["-v2c", "-c", agent.community, "-On", "-t", "2", "-r", "1"]
    columns = [oid_text(c) for c in DEFAULT_COLUMNS]
    bulkget = [[SNMPBULKGET, *base, "-Cn1", f"-Cr{rows + 1}", agent.peer,
                oid_text(SYS_UPTIME_NEXT), *columns]]
    walks = [[SNMPGET, *base, agent.peer, oid_text(SYS_UPTIME)]]
    walks += [[SNMPBULKWALK, *base, f"-Cr{rows + 1}", agent.peer, c] for c in columns]
    return bulkget, walks


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--polls", type=int, default=500)
    ap.add_argument("--walk-polls", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=32)
    args = ap.parse_args()

    agent = start_snmpd()
    try:
        probe = SnmpPoller()
        first = await probe.poll(SnmpTarget(0, "probe", agent.host, agent.port))
        probe.close()
        rows = len(first.interfaces)
        print(f"snmpd pid {agent.pid} on {agent.peer}: {rows} interfaces, "
              f"{len(DEFAULT_COLUMNS)} columns + sysUpTime, {os.cpu_count()} CPUs")
        py = await bench_pysnmp(agent, args.polls, args.concurrency)
        print(py.line())
        bulkget, walks = tool_commands(agent, rows)
        bg = await bench_tools(agent, f"net-snmp snmpbulkget ({args.concurrency} in flight)",
                               bulkget, args.polls, args.concurrency)
        print(bg.line())
        wk = await bench_tools(agent, f"net-snmp {len(walks)} walks/dev ({args.concurrency})",
                               walks, args.walk_polls, args.concurrency)
        print(wk.line())
        per = {r.label: r.cpu_s / r.devices for r in (py, bg, wk)}
        print(f"CPU per device, pysnmp / snmpbulkget: {per[py.label] / per[bg.label]:.2f}x; "
              f"pysnmp / per-column snmpbulkwalk: {per[py.label] / per[wk.label]:.2f}x")
        print(f"devices/s, pysnmp / snmpbulkget: "
              f"{(py.devices / py.wall_s) / (bg.devices / bg.wall_s):.2f}x")
    finally:
        agent.stop()


if __name__ == "__main__":
    asyncio.run(main())
