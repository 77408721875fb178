"""ICMP sweep cost: provnet's one-socket sweep vs icmplib's per-host async_multiping.

Probes N loopback addresses (the kernel answers all of 127/8; needs root for raw sockets)
with the same count/interval/timeout, in one run, and prints wall time, CPU-seconds and the
median RTT each reports, plus the CPU ratio. A busy event loop is simulated with
``--busy-ms`` (a coroutine hogging the loop that often), as in the running service.

    python bench/icmp_sweep.py --hosts 2000 --count 4
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import icmplib

from provnet.config.icmp import IcmpSettings
from provnet.pollers.icmp import IcmplibPinger

HOG_CPU = [0.0]  # CPU-seconds the simulated load itself burnt (subtracted from the figures)


async def _busy(every_ms: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        c0 = time.process_time()
        end = time.perf_counter() + every_ms / 1000 / 2
        while time.perf_counter() < end:  # hold the loop like a poll cycle's parsing does
            pass
        HOG_CPU[0] += time.process_time() - c0
        await asyncio.sleep(every_ms / 1000 / 2)


async def _with_busy(coro: object, busy_ms: float) -> object:
    stop = asyncio.Event()
    hog = asyncio.create_task(_busy(busy_ms, stop)) if busy_ms > 0 else None
    try:
        return await coro  # type: ignore[misc]
    finally:
        stop.set()
        if hog:
            await hog


def run(name: str, make: object, busy_ms: float) -> tuple[float, float, float, int]:
    HOG_CPU[0] = 0.0
    t0, c0 = time.perf_counter(), time.process_time()
    rtts, lost = asyncio.run(_with_busy(make(), busy_ms))  # type: ignore[operator,misc]
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0 - HOG_CPU[0]
    med = statistics.median(rtts) if rtts else float("nan")
    print(f"{name:<28} wall {wall:6.2f} s  sweep cpu {cpu:6.3f} s  median rtt {med:8.3f} ms  "
          f"lost {lost}")
    return wall, cpu, med, lost


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--count", type=int, default=4)
    ap.add_argument("--interval", type=float, default=0.25)
    ap.add_argument("--timeout", type=float, default=1.0)
    ap.add_argument("--concurrency", type=int, default=64, help="icmplib concurrent_tasks")
    ap.add_argument("--busy-ms", type=float, default=20.0)
    a = ap.parse_args()
    addrs = [f"127.{64 + i // 65000}.{(i // 250) % 260}.{i % 250 + 1}" for i in range(a.hosts)]
    settings = IcmpSettings(count=a.count, packet_interval_s=a.interval, timeout_s=a.timeout,
                            own_thread=False)

    async def ours() -> tuple[list[float], int]:
        res = await IcmplibPinger().sweep(list(enumerate(addrs)), settings)
        rtts = [r.rtt_avg_ms for r in res.values() if r.rtt_avg_ms is not None]
        return rtts, sum(r.sent - r.received for r in res.values())

    async def multiping() -> tuple[list[float], int]:
        hosts = await icmplib.async_multiping(addrs, count=a.count, interval=a.interval,
                                              timeout=a.timeout, concurrent_tasks=a.concurrency,
                                              privileged=True)
        rtts = [h.avg_rtt for h in hosts if h.packets_received]
        return rtts, sum(h.packets_sent - h.packets_received for h in hosts)

    print(f"{a.hosts} loopback hosts x {a.count} echoes, busy loop every {a.busy_ms} ms")
    _, cpu_ours, _, _ = run("provnet one-socket sweep", ours, a.busy_ms)
    _, cpu_icmplib, _, _ = run(f"icmplib multiping ({a.concurrency})", multiping, a.busy_ms)
    print(f"CPU ratio icmplib/provnet: {cpu_icmplib / max(cpu_ours, 1e-9):.1f}x")


if __name__ == "__main__":
    main()
