"""Never lose a sample: SIGKILL the real influxd while polling, restart it, count every point.

The service's own data path is used (``Service.on_result`` -> points -> ``Service.flush`` ->
``SpoolingWriter``) with real SNMP polling of the in-process simulator. The test keeps its
own count of the points produced per series and compares it with InfluxDB afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
from collections import Counter
from pathlib import Path
from typing import cast

import pytest

from provnet.config.settings import Settings
from provnet.inventory.store import Store
from provnet.pollers.engine import ProfilePoller
from provnet.pollers.plan import PollPlan
from provnet.pollers.samples import result_points
from provnet.pollers.scheduler import CycleStats, PollLoop
from provnet.pollers.types import IfRates, PollResult, SnmpTarget
from provnet.service import Service
from provnet.simulator.example import example_plan
from provnet.simulator.plan import plan_from_dict
from provnet.simulator.runner import Simulator
from provnet.tsdb.client import InfluxQLReader
from provnet.tsdb.managed import ManagedInfluxd
from provnet.tsdb.spool import SpoolingWriter
from tests.support.helpers import free_port
from tests.support.sim_fixtures import free_udp_port

pytestmark = pytest.mark.integration
NET = "127.85"
INTERVAL_S = 0.5


class Expected:
    """Counts the points the service queues, per series (measurement + tags)."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.counts: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()

    def on_result(self, result: PollResult, rates: dict[int, IfRates]) -> None:
        dev = result.target.device_id
        for p in result_points(result, rates, self.service.plan.device_tags[dev], {}):
            self.counts[(p.measurement, tuple(sorted(p.tags.items())))] += 1

    def on_cycle(self, stats: CycleStats) -> None:
        pass


def influx_counts(reader: InfluxQLReader, measurement: str, field: str
                  ) -> dict[tuple[str, tuple[tuple[str, str], ...]], int]:
    out = {}
    for row in reader.query(f'SELECT count("{field}") FROM "{measurement}" GROUP BY *'):
        tags = tuple(sorted((k, v) for k, v in row.items() if k not in ("time", "count") and v))
        out[(measurement, tags)] = int(row["count"])
    return out


@pytest.mark.skipif(shutil.which("influxd") is None, reason="influxd is not installed")
def test_influxd_killed_and_restarted_during_polling_loses_nothing(tmp_path: Path) -> None:
    # restarted from a worker thread below: no PDEATHSIG tie to that thread; stopped at the end
    influxd = ManagedInfluxd(tmp_path / "influx", http_port=free_port(),
                             die_with_parent=False).start()
    port = free_udp_port(f"{NET}.0.1")
    plan = plan_from_dict(example_plan(port=port, net=NET))
    settings = Settings(state_dir=tmp_path / "state", influx={"url": influxd.url,
                                                              "database": "lossless"})
    service = Service(settings, cast(Store, None))
    expected = Expected(service)
    service.consumers.append(expected)
    try:
        service.start_influx()
        targets = [SnmpTarget(d.id, d.sys_name, d.address, port, timeout_s=1.0, retries=1)
                   for d in plan.devices]
        service.plan = PollPlan(targets=targets, device_tags={
            d.id: {"device": d.sys_name, "site": d.site} for d in plan.devices})
        spooled_max = 0

        async def flusher(stop: asyncio.Event) -> None:
            nonlocal spooled_max
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.3)
                await service.flush()
                spooled_max = max(spooled_max, service.poller_stats()["spooled_points"])

        async def main() -> None:
            stop = asyncio.Event()
            async with Simulator(plan), ProfilePoller() as poller:
                loop = PollLoop(poller, service.on_result, 16)
                tasks = [asyncio.create_task(loop.run_forever(lambda: targets, INTERVAL_S,
                                                              service.on_cycle, stop)),
                         asyncio.create_task(flusher(stop))]
                await asyncio.sleep(2.0)
                assert influxd.pid is not None
                os.kill(influxd.pid, signal.SIGKILL)  # our own child: a crash, no flush
                await asyncio.sleep(3.0)  # polling goes on while InfluxDB is dead
                await asyncio.to_thread(influxd.start)
                await asyncio.sleep(2.0)
                stop.set()
                await asyncio.gather(*tasks)
            await service.flush()

        asyncio.run(main())
        writer = service.writer
        assert isinstance(writer, SpoolingWriter)
        assert spooled_max > 0, "the outage must have been spooled"
        assert writer.pending_points == 0
        assert writer.dropped_points == 0
        with InfluxQLReader(influxd.url, "lossless") as reader:
            got = {**influx_counts(reader, "ifstats", "oper_status"),
                   **influx_counts(reader, "snmp_poll", "ok")}
        want = {k: v for k, v in expected.counts.items() if k[0] in ("ifstats", "snmp_poll")}
        assert service.stats.cycles >= 12
        assert sum(want.values()) > 200
        assert got == want
    finally:
        service.close()
        influxd.stop()
