"""Benchmark: one simulated fleet polled by provnet, prometheus-snmp-exporter and net-snmp.

``python bench/snmp_fleet.py [--devices 1000] [--cycles 2]`` (run from the repo root).
``--interval 60 [--workers 2]`` polls provnet's regular cycles on the production scheduler
(every device on its own 60 s clock, starts spread over ``--spread`` of it; optionally in
``poller.workers`` processes) and prints each cycle's duration and overrun flag.
``--peer-devices N`` lets snmp_exporter and net-snmp read only the first N devices.

A fleet of ``--devices`` look-alike routers (``provnet.simulator.fleet``: 4 interfaces each)
runs in ``--shards`` simulator processes on 127.200.0.0/16. The same values are then read,
one poller after the other, by

* provnet's poll engine (``ProfilePoller`` + ``PollLoop``, points and line protocol built for
  every result) with ``FastV2cTransport`` and, for reference, with ``PysnmpTransport`` --
  each in a worker subprocess that measures its own CPU around the polling cycles only;
  the first (discovery) cycle is reported apart from the regular cycles;
* Debian's ``prometheus-snmp-exporter`` with a hand-written module for the same OIDs
  (``get`` the 2 scalars, ``walk`` the 9 columns, ``max_repetitions`` = rows + 1), driven
  by concurrent ``/snmp?target=...`` scrapes; its CPU comes from ``/proc/<pid>/stat``;
* net-snmp ``snmpbulkget`` processes (one GETBULK per device: 2 non-repeaters + 9 columns x
  rows) and, on ``--walk-devices`` devices, ``snmpget`` + one ``snmpbulkwalk`` per column;
  their CPU from ``RUSAGE_CHILDREN``.

The simulator's CPU is never charged to a poller. Figures: devices/s and varbinds/s (wall,
bounded by the simulator on a shared machine), CPU-ms per device (the comparable figure),
ratios against snmp_exporter, and whether 10,000 devices every 60 s fit in 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import children_cpu_s, proc_cpu_s  # noqa: E402
from bench.fleet_workers import (  # noqa: E402
    COLUMNS,
    SCALARS,
    exporter_module,
    oid_text,
    scrape_all,
)
from provnet.simulator.fleet import fleet_address, fleet_plans  # noqa: E402

EXPORTER = shutil.which("prometheus-snmp-exporter") or "/usr/bin/prometheus-snmp-exporter"
SNMPBULKGET = shutil.which("snmpbulkget") or "/usr/bin/snmpbulkget"
SNMPBULKWALK = shutil.which("snmpbulkwalk") or "/usr/bin/snmpbulkwalk"
SNMPGET = shutil.which("snmpget") or "/usr/bin/snmpget"
TARGET_DEVICES, TARGET_INTERVAL_S, CORES = 10_000, 60.0, 2


@dataclass
class Run:
    """Figures of one poller over the whole fleet (all measured cycles together)."""

    label: str
    polls: int
    failed: int
    varbinds: int
    wall_s: float
    cpu_s: float
    load: str = ""
    sim_cpu_s: float = 0.0  # simulator CPU over the whole run of this poller (all cycles)
    sim_polls: int = 0

    @property
    def cpu_ms_per_device(self) -> float:
        return 1000.0 * self.cpu_s / max(self.polls - self.failed, 1)

    def line(self) -> str:
        ok = self.polls - self.failed
        return (f"{self.label:<40} {ok:>6} ok {self.failed:>4} failed "
                f"{ok / self.wall_s:>8.1f} dev/s {self.varbinds / self.wall_s:>9.0f} vb/s "
                f"{self.cpu_ms_per_device:>7.3f} CPU-ms/dev  "
                f"(simulator {1000 * self.sim_cpu_s / max(self.sim_polls, 1):.2f})  "
                f"[load {self.load}]")


def load_avg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def stop(proc: subprocess.Popen[Any]) -> None:
    """TERM, then KILL, by PID (only processes this script started)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def start_fleet(plans: list[dict[str, Any]], workdir: Path) -> list[subprocess.Popen[str]]:
    """One simulator process per shard plan; returns once every shard printed READY."""
    procs: list[subprocess.Popen[str]] = []
    for k, shard in enumerate(plans):
        path = workdir / f"shard-{k}.json"
        path.write_text(json.dumps(shard))
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "provnet.simulator", "--plan", str(path), "--log-level",
             "WARNING"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True))
    for proc in procs:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("READY"):
                break
        else:
            raise RuntimeError(f"simulator shard pid {proc.pid} exited before READY")
        proc.stdout.close()  # event lines are dropped when nobody reads (see __main__)
    return procs


def provnet_run(label: str, transport: str, targets_file: Path, args: argparse.Namespace,
                ) -> tuple[Run, Run]:
    """Run a worker subprocess; (discovery cycle, regular cycles)."""
    load = load_avg()
    workers = args.workers if transport == "fast" else 1
    out = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("fleet_workers.py")), "--transport",
         transport, "--targets", str(targets_file), "--cycles", str(args.cycles),
         "--concurrency", str(args.concurrency), "--interval", str(args.interval),
         "--spread", str(args.spread), "--workers", str(workers),
         *(["--profile"] if args.profile else [])],
        cwd=ROOT, capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if args.profile:
        print(out.stderr)
    if workers > 1:
        label += f", {workers} worker processes"
    if args.interval > 0:
        label += f", every {args.interval:g} s"
        for k, cyc in enumerate(res["cycles"]):
            print(f"  cycle {k} ({'discovery' if k == 0 else 'regular'}): "
                  f"{cyc['ok']} ok {cyc['failed']} failed in {cyc['duration_s']:.1f} s, "
                  f"overrun {cyc['overrun']}, skipped {cyc['skipped']}, "
                  f"poller CPU {cyc['cpu_s']:.2f} s [load {load_avg()}]", flush=True)
    first, rest = res["discovery"], res["regular"]
    return (Run(f"{label}, discovery cycle", load=load, **first),
            Run(f"{label}, regular cycles", load=load, **rest))


def exporter_run(targets: list[tuple[str, int]], community: str, rows: int,
                 args: argparse.Namespace, workdir: Path) -> Run:
    conf = workdir / "snmp.yml"
    conf.write_text(exporter_module(community, rows + 1))
    port = _free_tcp_port()
    proc = subprocess.Popen(
        [EXPORTER, f"--config.file={conf}", f"--web.listen-address=127.0.0.1:{port}",
         "--log.level=error"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        load = load_avg()
        polls, failed, samples, wall, cpu = asyncio.run(
            scrape_all(("127.0.0.1", port), proc.pid, targets, args.cycles, args.concurrency,
                       proc_cpu_s))
    finally:
        stop(proc)
    return Run("prometheus-snmp-exporter 0.21 (Go)", polls, failed, samples, wall, cpu, load)


def netsnmp_run(targets: list[tuple[str, int]], community: str, rows: int,
                args: argparse.Namespace, walk: bool = False) -> Run:
    """snmpbulkget (one GETBULK per device) or, with ``walk``, what a script does: snmpget of
    the scalars plus one snmpbulkwalk per column (``--walk-devices`` devices, it is slow)."""
    base = ["-v2c", "-c", community, "-On", "-Oq", "-t", "5", "-r", "1"]
    scalars = [oid_text(o) for o in SCALARS]
    columns = [oid_text(c) for c in COLUMNS]
    env = {**os.environ, "MIBS": "", "MIBDIRS": "/nonexistent"}
    if walk:
        targets = targets[:args.walk_devices]
    polls = len(targets) * args.cycles
    sem = asyncio.Semaphore(args.processes)

    def commands(peer: str) -> list[list[str]]:
        if not walk:
            return [[SNMPBULKGET, *base, f"-Cn{len(SCALARS)}", f"-Cr{rows}", peer,
                     *[oid_text(o[:-1]) for o in SCALARS], *columns]]
        return [[SNMPGET, *base, peer, *scalars],
                *[[SNMPBULKWALK, *base, f"-Cr{rows + 1}", peer, c] for c in columns]]

    async def one(host: str, port: int) -> int:
        lines = 0
        for argv in commands(f"{host}:{port}"):
            async with sem:
                proc = await asyncio.create_subprocess_exec(
                    *argv, env=env, stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.DEVNULL)
                out, _ = await proc.communicate()
            if proc.returncode != 0:
                return -1
            lines += len(out.splitlines())
        return lines

    async def run_all() -> list[int]:
        return await asyncio.gather(*(one(h, p) for _ in range(args.cycles) for h, p in targets))

    load, c0, t0 = load_avg(), children_cpu_s(), time.perf_counter()
    counts = asyncio.run(run_all())
    wall, cpu = time.perf_counter() - t0, children_cpu_s() - c0
    failed = sum(1 for n in counts if n < 0)
    label = (f"net-snmp snmpget + {len(COLUMNS)} snmpbulkwalk" if walk
             else "net-snmp snmpbulkget") + f" ({args.processes} procs)"
    return Run(label, polls, failed, sum(n for n in counts if n > 0), wall, cpu, load)


def _free_tcp_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def report(runs: list[Run], reference: Run | None) -> None:
    print()
    for run in runs:
        print(run.line())
    if reference is None:
        return
    print(f"\nratios against {reference.label} (> 1: better than snmp_exporter):")
    ref_cpu, ref_rate = reference.cpu_ms_per_device, reference.polls / reference.wall_s
    for run in runs:
        if run is reference:
            continue
        print(f"  {run.label:<40} devices per CPU-second x{ref_cpu / run.cpu_ms_per_device:6.2f}"
              f"   devices/s x{(run.polls / run.wall_s) / ref_rate:6.2f}")
    print(f"\n{TARGET_DEVICES:,} devices every {TARGET_INTERVAL_S:g} s on {CORES} cores "
          f"(needs CPU-ms/dev <= {1000 * CORES * TARGET_INTERVAL_S / TARGET_DEVICES:.1f}):")
    for run in runs:
        cores = run.cpu_ms_per_device / 1000 * TARGET_DEVICES / TARGET_INTERVAL_S
        verdict = "fits" if cores <= CORES else "does NOT fit"
        if run.failed:
            verdict += f" on CPU, but {run.failed} of {run.polls} polls failed"
        print(f"  {run.label:<40} {cores:5.2f} cores -> {verdict}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--ifaces", type=int, default=4, help="interfaces per device")
    ap.add_argument("--shards", type=int, default=2, help="simulator processes")
    ap.add_argument("--cycles", type=int, default=2, help="regular cycles per poller")
    ap.add_argument("--concurrency", type=int, default=100, help="devices in flight")
    ap.add_argument("--processes", type=int, default=16, help="net-snmp processes at once")
    ap.add_argument("--pollers", default="fast,pysnmp,exporter,netsnmp,netsnmp-walk")
    ap.add_argument("--walk-devices", type=int, default=200,
                    help="devices read by the per-column snmpbulkwalk run")
    ap.add_argument("--interval", type=float, default=0.0,
                    help="provnet: poll on the production scheduler every this many seconds "
                         "(0: cycles back to back, as fast as the fleet answers)")
    ap.add_argument("--spread", type=float, default=0.5,
                    help="with --interval: start times spread over this share of it")
    ap.add_argument("--workers", type=int, default=1,
                    help="provnet fast transport: poller.workers processes (needs --interval)")
    ap.add_argument("--peer-devices", type=int, default=0,
                    help="snmp_exporter and net-snmp poll only the first N devices (0: all)")
    ap.add_argument("--profile", action="store_true", help="cProfile the provnet workers")
    args = ap.parse_args()
    if not 1 <= args.devices <= 10_000:
        ap.error("--devices must be 1..10000")
    if args.workers > 1 and args.interval <= 0:
        ap.error("--workers needs --interval (sharding runs the scheduled loop)")
    wanted = set(args.pollers.split(","))
    port = _free_udp_port()
    shards = max(1, args.shards)
    plans = fleet_plans(args.devices, port, shards, args.ifaces)
    community = str(plans[0]["community"])
    workdir = Path(tempfile.mkdtemp(prefix="provnet-fleet-"))
    targets = [(fleet_address(i), port) for i in range(args.devices)]
    peers = targets[:args.peer_devices] if args.peer_devices > 0 else targets
    targets_file = workdir / "targets.json"
    targets_file.write_text(json.dumps({"community": community, "targets": targets}))
    print(f"fleet: {args.devices} devices x {args.ifaces} interfaces on 127.200.0.0/16:{port}, "
          f"{shards} simulator processes; peers poll {len(peers)} of them; "
          f"{os.cpu_count()} CPUs, load {load_avg()}")
    sims = start_fleet(plans, workdir)
    runs: list[Run] = []
    reference: Run | None = None

    def measured(produce: Callable[[], list[Run]]) -> list[Run]:
        c0 = sum(proc_cpu_s(p.pid) for p in sims)
        got = produce()
        sim_cpu = sum(proc_cpu_s(p.pid) for p in sims) - c0
        polls = sum(r.polls for r in got)
        for r in got:
            r.sim_cpu_s, r.sim_polls = sim_cpu, polls
            print(r.line(), flush=True)
        return got

    try:
        if "fast" in wanted:
            runs += measured(lambda: list(provnet_run("provnet FastV2cTransport", "fast",
                                                      targets_file, args)))
        if "pysnmp" in wanted:
            runs += measured(lambda: list(provnet_run("provnet PysnmpTransport", "pysnmp",
                                                      targets_file, args)))
        if "exporter" in wanted:
            runs += measured(lambda: [exporter_run(peers, community, args.ifaces, args,
                                                   workdir)])
            reference = runs[-1]
        if "netsnmp" in wanted:
            runs += measured(lambda: [netsnmp_run(peers, community, args.ifaces, args)])
        if "netsnmp-walk" in wanted:
            runs += measured(lambda: [netsnmp_run(peers, community, args.ifaces, args,
                                                  walk=True)])
    finally:
        for sim in sims:
            stop(sim)
        shutil.rmtree(workdir, ignore_errors=True)
    report(runs, reference)


def _free_udp_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.200.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    main()
