"""Poll-engine cost per device: discovery then GET of known rows vs bounded GETBULK vs full walk.

Starts the simulator (subprocess) with a synthetic province, then polls every device
``--cycles`` times with each method and prints the poller's CPU per device-poll (this
process only; the agents' CPU is the simulator's), requests and varbinds per poll:

- ``walk``: the spine's ``SnmpPoller`` (full IF-MIB GETBULK walk every cycle);
- ``get``: ``ProfilePoller`` steady state (explicit-instance GETs of the known rows);
- ``bulk``: ``ProfilePoller(method="bulk")`` (one GETBULK bounded to the known rows);
- ``get-pysnmp``: ``get`` through pysnmp instead of our v2c codec (the transport's share);
- ``get+groups``: ``get`` plus the default profile's vendor groups (health + optics).

    .venv/bin/python bench/poll_engine.py --pops 11 --communes 14 --cycles 5
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

from bench.common import plan_targets  # noqa: E402
from provnet.pollers.engine import ProfilePoller  # noqa: E402
from provnet.pollers.profiles import IF_ONLY, DeviceProfile, load_profiles  # noqa: E402
from provnet.pollers.scheduler import PollLoop  # noqa: E402
from provnet.pollers.snmp import PysnmpTransport  # noqa: E402
from provnet.pollers.types import PollResult, SnmpTarget  # noqa: E402
from provnet.simulator.example import synthetic_plan  # noqa: E402
from tests.support.sim_fixtures import free_udp_port, start_simulator  # noqa: E402
from tests.support.walk_poller import SnmpPoller  # noqa: E402


async def measure(name: str, poller: ProfilePoller | SnmpPoller, targets: list[SnmpTarget],
                  cycles: int) -> None:
    results: list[PollResult] = []
    loop = PollLoop(poller, lambda r, _rates: results.append(r), concurrency=64)
    await loop.run_cycle(targets)  # discovery / warm-up, not counted
    cpu = varbinds = requests = polls = failed = 0.0
    wall = 0.0
    for _ in range(cycles):
        cpu0, t0 = time.process_time(), time.perf_counter()
        results.clear()
        await loop.run_cycle(targets)
        cpu += time.process_time() - cpu0
        wall += time.perf_counter() - t0
        polls += len(results)
        failed += sum(not r.ok for r in results)
        varbinds += sum(r.varbinds for r in results)
        requests += sum(r.requests for r in results)
    print(f"{name:12s} {1e3 * cpu / polls:8.3f} ms CPU/device-poll  "
          f"{requests / polls:5.2f} req/poll  {varbinds / polls:7.1f} varbinds/poll  "
          f"{polls / wall:7.0f} devices/s  failed {failed:.0f}")


async def run(targets: list[SnmpTarget], cycles: int, vendor_of: dict[int, str]) -> None:
    profiles = load_profiles()
    with_groups: dict[int, DeviceProfile] = {
        t.device_id: profiles.device_profile("commune_router", vendor_of[t.device_id])
        for t in targets}
    p_walk = SnmpPoller()
    try:
        await measure("walk", p_walk, targets, cycles)
    finally:
        p_walk.close()
    for name, poller in (("get", ProfilePoller()), ("bulk", ProfilePoller(method="bulk")),
                         ("get-pysnmp", ProfilePoller(transport_factory=lambda _v:
                                                      PysnmpTransport())),
                         ("get+groups", ProfilePoller(lambda d: with_groups.get(d, IF_ONLY)))):
        async with poller:
            await measure(name, poller, targets, cycles)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pops", type=int, default=11)
    ap.add_argument("--communes", type=int, default=14)
    ap.add_argument("--cycles", type=int, default=5)
    args = ap.parse_args()
    net = "127.89"
    plan = synthetic_plan(pops=args.pops, communes_per_pop=args.communes,
                          port=free_udp_port(f"{net}.0.1"), net=net)
    for d in plan["devices"]:  # a Huawei/Cisco mix, as in An Giang (both serve health/optics)
        d["sys_descr"] = "Huawei VRP NE20E" if d["id"] % 3 else "Cisco IOS XE ASR920"
    with tempfile.TemporaryDirectory() as tmp:
        sim = start_simulator(Path(tmp), plan, control=False)
        try:
            targets = plan_targets(plan, sim.port)
            vendor_of = {d["id"]: d.get("sys_descr", "").split()[0] if d.get("sys_descr")
                         else "" for d in plan["devices"]}
            ifs = sum(len(d["interfaces"]) for d in plan["devices"])
            print(f"{len(targets)} devices, {ifs} interfaces, {args.cycles} cycles per method")
            asyncio.run(run(targets, args.cycles, vendor_of))
        finally:
            sim.stop()


if __name__ == "__main__":
    main()
