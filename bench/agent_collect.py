"""Benchmark: the poller node's ICMP sweeps and traps, at the node and at the centre (issue 16).

    python bench/agent_collect.py [--devices 2000] [--sweeps 3] [--count 4] [--traps 2000]

* **node**: the agent's ICMP collector as ``provnet agent`` runs it (``IcmpCollector`` with
  the one-socket ``IcmplibPinger``; raw sockets, so run as root) sweeping ``--devices``
  loopback addresses (127.91.x.y: the kernel answers all of 127/8), each sweep encoded and
  written to an outbox file; CPU per device probe (sweep + message + outbox), and the cores
  that makes for 10,000 devices at a 30 s ICMP interval.
* **centre**: what ``provnet serve`` does with those messages: decode, ``CollectFeed``,
  ``NodeCollect`` (live state, ``icmp`` points) and the line protocol of the points; CPU per
  reading and cores for 10,000 devices at 30 s.
* **traps**: the same for ``--traps`` trap notes (encode at the node; decode, feed, point and
  line protocol at the centre), CPU per trap.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from provnet.config.icmp import IcmpSettings
from provnet.features.cluster import NodeCollect
from provnet.pollers.cluster.agent import Outbox
from provnet.pollers.cluster.agent_collect import CollectStats, IcmpCollector
from provnet.pollers.cluster.collect import (
    IcmpSweep,
    TrapNote,
    decode_any,
    encode_icmp,
    encode_trap,
)
from provnet.pollers.cluster.collectfeed import CollectFeed
from provnet.pollers.cluster.messages import NodePlan, PlannedDevice
from provnet.pollers.icmp import IcmplibPinger, running_as_root
from provnet.pollers.live import LiveState
from provnet.pollers.traps import TrapEvent
from provnet.tsdb.lineprotocol import encode_lines


def node_side(devices: int, sweeps: int, count: int, outdir: Path) -> tuple[float, list[bytes]]:
    """CPU-seconds per device probe at the node, and the messages it produced."""
    plan = NodePlan("bench", 1, 30.0, 1, tuple(
        PlannedDevice(i, f"r{i}", f"127.91.{i // 250}.{i % 250 + 1}") for i in range(devices)))
    settings = IcmpSettings(interval_s=0.01, count=count, packet_interval_s=0.05,
                            timeout_s=0.5)
    outbox = Outbox(outdir)
    payloads: list[bytes] = []

    def emit(msg: IcmpSweep | TrapNote) -> None:
        assert isinstance(msg, IcmpSweep)
        payload = encode_icmp(msg)
        outbox.put_named(f"{round(msg.started * 1000):016d}-icmp.json", payload)
        payloads.append(payload)

    async def run() -> None:
        stop = asyncio.Event()

        def until_done(msg: IcmpSweep | TrapNote) -> None:
            emit(msg)
            if len(payloads) >= sweeps:
                stop.set()
        collector = IcmpCollector("bench", IcmplibPinger(True), settings, lambda: plan,
                                  until_done, CollectStats())
        await collector.run(stop)

    c0 = time.process_time()
    asyncio.run(run())
    cpu = time.process_time() - c0
    return cpu / (devices * sweeps), payloads


def centre_side(payloads: list[bytes]) -> tuple[float, int]:
    """CPU-seconds per reading at the centre (decode, feed, live state, points, lines)."""
    live, points = LiveState(), []  # type: ignore[var-annotated]
    wiring = NodeCollect(live, points.extend, lambda d: {"device": f"r{d}"}, None)
    feed = CollectFeed(wiring.sweep, wiring.trap)
    c0 = time.process_time()
    n = 0
    for raw in payloads:
        msg = decode_any(raw)
        if isinstance(msg, IcmpSweep):
            n += len(msg.readings)
            feed.icmp(msg)
        elif isinstance(msg, TrapNote):
            n += 1
            feed.trap(msg)
        encode_lines(points)
        points.clear()
    return (time.process_time() - c0) / max(1, n), n


def traps(n: int) -> tuple[float, float]:
    """CPU-seconds per trap at the node (encode) and at the centre (the rest)."""
    notes = [TrapNote("bench", i % 500, TrapEvent(f"127.91.0.{i % 250 + 1}", "link-down",
                                                 1.8e9 + i, ifindex=1 + i % 8, oper_status=2),
                      "confirmed") for i in range(n)]
    c0 = time.process_time()
    payloads = [encode_trap(t) for t in notes]
    node = (time.process_time() - c0) / n
    centre, _ = centre_side(payloads)
    return node, centre


def main() -> None:
    """Run and print."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--devices", type=int, default=2000)
    p.add_argument("--sweeps", type=int, default=3)
    p.add_argument("--count", type=int, default=4)
    p.add_argument("--traps", type=int, default=2000)
    args = p.parse_args()
    if not running_as_root():
        sys.exit("run as root: the agent's sweep uses a raw ICMP socket")
    with tempfile.TemporaryDirectory() as tmp:
        per_probe, payloads = node_side(args.devices, args.sweeps, args.count, Path(tmp))
    per_reading, n = centre_side(payloads)
    fleet, every = 10_000, 30.0
    size = sum(len(x) for x in payloads) / max(1, n)
    print(f"node:   {per_probe * 1e3:.3f} CPU-ms per device probe ({args.count} echoes; sweep, "
          f"message, outbox) -> {per_probe * fleet / every:.3f} core for {fleet:,} devices "
          f"every {every:.0f} s; {size:.0f} bytes per reading in the stream")
    print(f"centre: {per_reading * 1e3:.3f} CPU-ms per reading ({n} readings: decode, feed, "
          f"live state, points, line protocol) -> {per_reading * fleet / every:.4f} core for "
          f"{fleet:,} devices every {every:.0f} s")
    node, centre = traps(args.traps)
    print(f"traps:  {node * 1e3:.3f} CPU-ms per trap at the node (encode), {centre * 1e3:.3f} "
          f"at the centre (decode, feed, point, line protocol); {args.traps} traps")


if __name__ == "__main__":
    main()
