"""Pollers for ``bench/snmp_fleet.py``: the provnet worker process and the exporter driver.

As a script (``python bench/fleet_workers.py --transport fast --targets t.json``) it runs
provnet's engine over the fleet and prints one JSON line with the discovery cycle and the
regular cycles measured apart (CPU of this process only, around the cycles).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from provnet.pollers.ifmib import (
    IF_ADMIN_STATUS,
    IF_HC_IN_OCTETS,
    IF_HC_OUT_OCTETS,
    IF_IN_DISCARDS,
    IF_IN_ERRORS,
    IF_OPER_STATUS,
    IF_OUT_DISCARDS,
    IF_OUT_ERRORS,
    SYS_UPTIME,
    Oid,
)
from provnet.pollers.oids import IF_COUNTER_DISCONTINUITY, IF_TABLE_LAST_CHANGE

#: What every poller reads: the same scalars and columns as provnet's regular cycle.
SCALARS: tuple[Oid, ...] = (SYS_UPTIME, IF_TABLE_LAST_CHANGE)
COLUMNS: tuple[Oid, ...] = (
    IF_HC_IN_OCTETS, IF_HC_OUT_OCTETS, IF_ADMIN_STATUS, IF_OPER_STATUS, IF_IN_ERRORS,
    IF_OUT_ERRORS, IF_IN_DISCARDS, IF_OUT_DISCARDS, IF_COUNTER_DISCONTINUITY,
)
_NAMES = {
    IF_HC_IN_OCTETS: ("ifHCInOctets", "counter"), IF_HC_OUT_OCTETS: ("ifHCOutOctets", "counter"),
    IF_ADMIN_STATUS: ("ifAdminStatus", "gauge"), IF_OPER_STATUS: ("ifOperStatus", "gauge"),
    IF_IN_ERRORS: ("ifInErrors", "counter"), IF_OUT_ERRORS: ("ifOutErrors", "counter"),
    IF_IN_DISCARDS: ("ifInDiscards", "counter"), IF_OUT_DISCARDS: ("ifOutDiscards", "counter"),
    IF_COUNTER_DISCONTINUITY: ("ifCounterDiscontinuityTime", "gauge"),
}
MODULE = "provnet_fleet"


def oid_text(oid: Oid) -> str:
    return ".".join(map(str, oid))


def exporter_module(community: str, max_repetitions: int) -> str:
    """snmp.yml (0.21 format, JSON is YAML) with one module reading SCALARS and COLUMNS."""
    metrics: list[dict[str, Any]] = [
        {"name": "sysUpTime", "oid": oid_text(SYS_UPTIME[:-1]), "type": "gauge"},
        {"name": "ifTableLastChange", "oid": oid_text(IF_TABLE_LAST_CHANGE[:-1]),
         "type": "gauge"},
    ]
    for col in COLUMNS:
        name, kind = _NAMES[col]
        metrics.append({"name": name, "oid": oid_text(col), "type": kind,
                        "indexes": [{"labelname": "ifIndex", "type": "gauge"}]})
    module = {"get": [oid_text(o) for o in SCALARS], "walk": [oid_text(c) for c in COLUMNS],
              "metrics": metrics, "version": 2, "max_repetitions": max_repetitions,
              "retries": 1, "timeout": "5s", "auth": {"community": community}}
    return json.dumps({MODULE: module}, indent=1)


async def scrape_all(exporter: tuple[str, int], pid: int, targets: list[tuple[str, int]],
                     cycles: int, concurrency: int, cpu_of: Callable[[int], float]
                     ) -> tuple[int, int, int, float, float]:
    """Scrape every target ``cycles`` times; (polls, failed, samples, wall s, exporter CPU s)."""
    import httpx

    base = f"http://{exporter[0]}:{exporter[1]}/snmp"
    expected = len(SCALARS) + len(COLUMNS)  # at least one row per column
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:

        async def scrape(host: str, port: int) -> int:
            try:
                resp = await client.get(base, params={"module": MODULE,
                                                      "target": f"{host}:{port}"})
            except httpx.HTTPError:
                return -1
            if resp.status_code != 200:
                return -1
            n = sum(1 for line in resp.text.splitlines()
                    if line and not line.startswith(("#", "snmp_scrape")))
            return n if n >= expected else -1

        for host, port in targets[:5]:  # warm up (Go runtime, connections)
            await scrape(host, port)
        sem = asyncio.Semaphore(concurrency)

        async def limited(host: str, port: int) -> int:
            async with sem:
                return await scrape(host, port)

        c0, t0 = cpu_of(pid), time.perf_counter()
        counts = await asyncio.gather(*(limited(h, p) for _ in range(cycles) for h, p in targets))
        wall, cpu = time.perf_counter() - t0, cpu_of(pid) - c0
    failed = sum(1 for n in counts if n < 0)
    return len(counts), failed, sum(n for n in counts if n > 0), wall, cpu


async def run_worker(transport: str, targets: list[tuple[str, int]], community: str,
                     cycles: int, concurrency: int, interval_s: float = 0.0,
                     spread: float = 0.0, workers: int = 1) -> dict[str, Any]:
    """provnet's engine over the fleet: one discovery cycle, then ``cycles`` regular ones.

    ``interval_s`` 0: cycles back to back; otherwise the production scheduler
    (``run_forever``, start times spread over ``spread`` of the interval). ``workers`` > 1:
    ``ShardedPollLoop`` processes (needs ``interval_s``), points built in this process.
    """
    from provnet.pollers.engine import ProfilePoller
    from provnet.pollers.fastv2c import FastV2cTransport
    from provnet.pollers.samples import interface_points, poll_point
    from provnet.pollers.scheduler import PollLoop
    from provnet.pollers.snmp import PysnmpTransport
    from provnet.pollers.transport import SnmpTransport
    from provnet.pollers.types import IfRates, PollResult, SnmpTarget
    from provnet.tsdb.lineprotocol import encode_lines

    def factory(version: str) -> SnmpTransport:
        return FastV2cTransport() if transport == "fast" else PysnmpTransport()

    out_bytes = 0

    def on_result(result: PollResult, rates: dict[int, IfRates]) -> None:
        # what the service does with a result: points, then InfluxDB line protocol
        nonlocal out_bytes
        tags = {"device": result.target.name}
        points = [*interface_points(result, rates, tags, {}), poll_point(result, tags)]
        out_bytes += len(encode_lines(points))

    devs = [SnmpTarget(i + 1, f"fleet-{i + 1:05d}", host, port, community=community,
                       timeout_s=5.0, retries=1) for i, (host, port) in enumerate(targets)]
    if workers > 1:
        return await _sharded(devs, on_result, cycles, concurrency, interval_s, spread, workers)
    poller = ProfilePoller(transport_factory=factory)
    loop = PollLoop(poller, on_result=on_result, concurrency=concurrency, spread=spread)
    figures: dict[str, Any] = {}
    try:
        first = await loop.run_cycle(devs)
        figures["discovery"] = _figures([first])
        if interval_s > 0:  # the production scheduler: every device on its own 60 s clock
            stats = await _scheduled(loop.run_forever, devs, interval_s, cycles)
        else:  # back to back, as fast as the fleet answers
            stats = [await loop.run_cycle(devs) for _ in range(cycles)]
        figures["regular"] = _figures(stats)
        figures["cycles"] = [_cycle(s) for s in [first, *stats]]
    finally:
        poller.close()
    return figures


async def _scheduled(run_forever: Callable[..., Any], devs: list[Any], interval_s: float,
                     cycles: int, extra_cpu: bool = False) -> list[Any]:
    """``cycles`` cycles of ``run_forever`` (with ``extra_cpu``: plus this process's CPU)."""
    import dataclasses

    got: list[Any] = []
    stop = asyncio.Event()
    cpu = [time.process_time()]

    def on_cycle(st: Any) -> None:
        if extra_cpu:  # sharded: the parent turns results into points, count it too
            now = time.process_time()
            st = dataclasses.replace(st, cpu_s=st.cpu_s + now - cpu[0])
            cpu[0] = now
        got.append(st)
        if len(got) >= cycles:
            stop.set()

    await run_forever(lambda: devs, interval_s, on_cycle, stop)
    return got


async def _sharded(devs: list[Any], on_result: Callable[..., None], cycles: int,
                   concurrency: int, interval_s: float, spread: float, workers: int,
                   ) -> dict[str, Any]:
    """``poller.workers`` processes (``ShardedPollLoop``); the first cycle is discovery."""
    from provnet.pollers.shard import ShardedPollLoop, WorkerConfig

    sharded = ShardedPollLoop(workers, on_result, WorkerConfig(interval_s, concurrency, spread))
    stats = await _scheduled(sharded.run_forever, devs, interval_s, cycles + 1, extra_cpu=True)
    return {"discovery": _figures(stats[:1]), "regular": _figures(stats[1:]),
            "cycles": [_cycle(s) for s in stats]}


def _cycle(st: Any) -> dict[str, Any]:
    return {"duration_s": round(st.duration_s, 2), "ok": st.devices_ok,
            "failed": st.devices_failed, "overrun": st.overrun, "skipped": st.skipped,
            "cpu_s": round(st.cpu_s, 2)}


def _figures(stats: list[Any]) -> dict[str, Any]:
    return {"polls": sum(s.devices_ok + s.devices_failed for s in stats),
            "failed": sum(s.devices_failed for s in stats),
            "varbinds": sum(s.varbinds for s in stats),
            "wall_s": sum(s.duration_s for s in stats), "cpu_s": sum(s.cpu_s for s in stats)}


def main() -> None:
    ap = argparse.ArgumentParser(description="provnet worker for bench/snmp_fleet.py")
    ap.add_argument("--transport", choices=("fast", "pysnmp"), required=True)
    ap.add_argument("--targets", required=True)
    ap.add_argument("--cycles", type=int, default=2)
    ap.add_argument("--concurrency", type=int, default=100)
    ap.add_argument("--interval", type=float, default=0.0)
    ap.add_argument("--spread", type=float, default=0.0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    if args.workers > 1 and args.interval <= 0:
        ap.error("--workers needs --interval (sharding runs the scheduled loop)")
    spec = json.loads(Path(args.targets).read_text())
    targets = [(str(h), int(p)) for h, p in spec["targets"]]
    coro = run_worker(args.transport, targets, spec["community"], args.cycles, args.concurrency,
                      args.interval, args.spread, args.workers)
    if args.profile:
        prof = cProfile.Profile()
        result = prof.runcall(asyncio.run, coro)
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(25)
        print(text.getvalue(), file=sys.stderr)
    else:
        result = asyncio.run(coro)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
