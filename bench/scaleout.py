"""Benchmark: remote poller nodes over NATS JetStream at province scale (issue 16).

``python bench/scaleout.py [--devices 10000] [--interval 20] [--cycles 3] [--cut-min 30]``

Real processes on loopback: one hub ``nats-server`` and two leaf servers (the pinned binary,
``sync_interval: always``), two ``provnet agent`` children polling ``--devices`` simulated
routers (``provnet.simulator.fleet``, 4 interfaces each; half per agent, each half in its own
simulator process), and the centre in this process: the hub consumer
(``pollers/cluster/centre.py``) with a sink doing what ``Service.on_result`` does for the
TSDB (live state, points, line protocol, ``V1Writer`` to a managed ``influxd``).

Printed:

* **agent CPU** per device poll (poll + rates + encode + outbox + publish to the leaf; from
  ``/proc``), the share spent encoding, and what it makes at a 60 s interval for the whole
  fleet (cores = CPU per poll x devices / 60);
* **centre CPU** per device result (consume, decode, points, line protocol, write) and cores
  at 60 s for the fleet;
* **latency** from each poll's start to its points acknowledged by InfluxDB (median, p95,
  max): a device waits for the rest of its shard's cycle, so it grows with ``--spread``;
* **catch-up** after a ``--cut-min`` minute cut at a 60 s interval: the hub is stopped, each
  leaf gets the backlog the agents would have stored in that time (``--cut-min`` ticks of
  every shard: copies of the agents' last real batches, tick and times moved on), the hub is
  started again and the time until the centre has written everything is measured.

Time compression: the steady state polls at ``--interval`` (default 20 s, 3x the load of
60 s: CPU per poll is what counts and is rescaled to 60 s); the backlog is produced directly
instead of waited for (same size and content as ``--cut-min`` minutes of polling).
Targets (issue 16): agent < 0.3 core, centre < 0.3 core for 10,000 devices at 60 s;
a 30-minute backlog caught up in < 2 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import proc_cpu_s  # noqa: E402
from provnet.config.cluster import ClusterSettings, NodeGroup  # noqa: E402
from provnet.pollers.cluster.centre import Centre, FeedStats, ResultFeed  # noqa: E402
from provnet.pollers.cluster.messages import Batch, encode_batch  # noqa: E402
from provnet.pollers.cluster.natslink import (  # noqa: E402
    HubLink,
    NodeLink,
    connect,
    node_stream,
)
from provnet.pollers.cluster.planner import DeviceSpec  # noqa: E402
from provnet.pollers.live import LiveState  # noqa: E402
from provnet.pollers.samples import result_points  # noqa: E402
from provnet.pollers.types import IfRates, PollResult  # noqa: E402
from provnet.simulator.fleet import fleet_plans  # noqa: E402
from provnet.tsdb.client import InfluxQLReader, V1Writer  # noqa: E402
from provnet.tsdb.managed import SNAPSHOT_SIZE, ManagedInfluxd  # noqa: E402
from provnet.tsdb.managed_vm import ManagedVictoria  # noqa: E402
from provnet.tsdb.points import Point  # noqa: E402
from provnet.tsdb.spool import SpoolingWriter  # noqa: E402
from provnet.tsdb.victoria import VictoriaWriter  # noqa: E402
from tests.support.cluster_fixtures import (  # noqa: E402
    AgentProc,
    read_stream,
    start_simulator,
    write_agent_config,
)
from tests.support.helpers import free_port, stop_process  # noqa: E402
from tests.support.nats import Hub, leaf  # noqa: E402

NODES = ("pop-a", "pop-b")


def _self_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


class TsdbSink:
    """The centre's TSDB path as ``Service`` has it: live state, points, line protocol,
    ``SpoolingWriter`` around ``V1Writer`` (``influx.write_parallel``); latency."""

    def __init__(self, writer: SpoolingWriter) -> None:
        self.writer, self.live = writer, LiveState()
        self.points: list[Point] = []
        self.started: list[float] = []
        self.latency: list[float] = []
        self.written = 0
        self.record = True

    def on_result(self, result: PollResult, rates: dict[int, IfRates]) -> None:
        self.live.update(result, rates)
        self.points.extend(result_points(result, rates, {"device": result.target.name}, {}))
        self.started.append(result.started)

    async def commit(self) -> None:
        points, started = self.points, self.started
        self.points, self.started = [], []
        if points:
            await asyncio.to_thread(self.writer.write, points)
            self.written += len(started)
            if self.record:
                now = time.time()
                self.latency.extend(now - t for t in started)


class Timed:
    """Wall time the centre spends waiting on fetches and on commits (the rest is its own
    work or waiting for the event loop)."""

    def __init__(self, hub: HubLink, commit: Any) -> None:
        self.hub, self._commit = hub, commit
        self.fetch_s = self.commit_s = 0.0
        self.fetches = self.commits = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.hub, name)

    async def fetch(self, batch: int, timeout: float) -> list[Any]:
        t = time.monotonic()
        try:
            return await self.hub.fetch(batch, timeout)
        finally:
            self.fetch_s += time.monotonic() - t
            self.fetches += 1

    async def commit(self) -> None:
        t = time.monotonic()
        try:
            await self._commit()
        finally:
            self.commit_s += time.monotonic() - t
            self.commits += 1


async def _trace(urls: list[str], stream: str, durable: str, sink: TsdbSink,
                 pids: dict[str, int], timed: Timed, every: float, stop: asyncio.Event) -> None:
    """A timeline of the catch-up, one line per ``every`` seconds: what the hub holds (and
    each source's lag), what the consumer has pending, what the centre wrote, and the CPU
    each process used meanwhile."""
    import nats

    nc = await nats.connect(urls, max_reconnect_attempts=-1, reconnect_time_wait=0.5)
    js = nc.jetstream(timeout=2.0)
    t0 = time.monotonic()
    cpu0 = {k: _cpu_of(v) for k, v in pids.items()}
    cpu0["centre"] = _self_cpu()
    f0 = c0 = 0.0
    print("  t(s)  hub-msgs  sources(lag)  pending  ack-pend  written  "
          "fetch-wait commit-wait  CPU-s: " + " ".join(["centre", *pids]))
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
            try:
                info = await js.stream_info(stream)
                ci = await js.consumer_info(stream, durable)
                msgs = str(info.state.messages)
                src = ",".join(f"{s.lag}" for s in info.sources or [])
                pend, ackp = str(ci.num_pending), str(ci.num_ack_pending)
            except Exception as exc:
                msgs, src, pend, ackp = type(exc).__name__, "-", "-", "-"
            cpu = {k: _cpu_of(v) for k, v in pids.items()}
            cpu["centre"] = _self_cpu()
            used = " ".join(f"{cpu[k] - cpu0[k]:5.1f}" for k in ["centre", *pids])
            cpu0 = cpu
            print(f"{time.monotonic() - t0:6.1f} {msgs:>9} {src:>13} {pend:>8} {ackp:>9} "
                  f"{sink.written:>8} {timed.fetch_s - f0:9.1f} {timed.commit_s - c0:11.1f}  "
                  f"{used}", flush=True)
            f0, c0 = timed.fetch_s, timed.commit_s
    finally:
        await nc.close()


def _peak_rss_mb(pid: int | None) -> float:
    """Peak resident memory of a live process (VmHWM), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_of(pid: int) -> float:
    try:
        return proc_cpu_s(pid)
    except OSError:
        return 0.0


async def _until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def _backlog(leaf_url: str, node: str, shards: int, ticks: int, step_s: float) -> int:
    """Append ``ticks`` ticks of every shard to the node's leaf stream: its last real batches
    moved on by ``step_s`` per tick (what the agent would have stored during a cut)."""
    msgs = await read_stream([leaf_url], node_stream(node))
    last: dict[int, Batch] = {}
    top = 0  # ticks of the backlog come after every tick in the stream (ids are unique)
    for _, _, m in msgs:
        if isinstance(m, Batch):
            top = max(top, m.tick)
            if m.results:
                last[m.shard] = m
    nc = await connect([leaf_url], "bench-backlog")
    link, n = NodeLink(nc, node), 0
    try:
        for k in range(1, ticks + 1):
            for shard in range(shards):
                b = last[shard]
                moved = replace(b, tick=top + k, event_time=b.event_time + k * step_s,
                                results=tuple(replace(d, started=d.started + k * step_s)
                                              for d in b.results))
                subject = f"prov.bench.{node}.poll.{shard}"
                if await link.publish(subject, encode_batch(moved), moved.msg_id, timeout=120):
                    raise SystemExit(f"backlog batch {moved.msg_id} was a duplicate")
                n += len(moved.results)
    finally:
        await nc.close()
    return n


async def main(a: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="provnet-bench-scaleout-"))
    sim_port = free_port()
    plans = fleet_plans(a.devices, sim_port, shards=2)
    store: ManagedInfluxd | ManagedVictoria
    if a.store == "victoriametrics":  # tsdb.backend victoriametrics: the same line protocol
        store = ManagedVictoria(work / "victoria").start()
        target: V1Writer = VictoriaWriter(store.url, "bench")
    else:
        store = ManagedInfluxd(work / "influxd", snapshot_size=a.influx_snapshot).start()
        InfluxQLReader(store.url, "").create_database("bench")
        target = V1Writer(store.url, "bench")
    influxd = store  # the store's process (peak memory, --trace)
    writer = SpoolingWriter(target, work / "spool", 2**30, parallel=a.write_parallel)
    hub = Hub(work).start()
    leaves: list[Any] = []
    sims: list[Any] = []
    agents: list[Any] = []
    try:
        groups, specs = [], []
        with ThreadPoolExecutor(2) as pool:  # both simulators start at once
            sims += pool.map(lambda np: start_simulator(np[1], work, np[0], timeout_s=600),
                             zip(NODES, plans, strict=True))
        for node, plan in zip(NODES, plans, strict=True):
            port = free_port()
            leaves.append((leaf(work, node, hub.leaf_urls, port).start(),
                           f"nats://127.0.0.1:{port}"))
            ids = [d["id"] for d in plan["devices"]]
            groups.append(NodeGroup(name=node, nodes=[node], devices=ids))
            specs += [DeviceSpec(d["id"], d["sys_name"], d["address"], sim_port)
                      for d in plan["devices"]]
        print(f"{a.devices} devices in 2 simulators, hub + 2 leaves, interval {a.interval} s, "
              f"{a.shards} shards per node, spread {a.spread}, fetch {a.fetch_batch} messages, "
              f"write_parallel {a.write_parallel}, store {a.store}"
              + (f" (influxd snapshots at {a.influx_snapshot})" if a.store == "influxdb" else ""))
        cfg = ClusterSettings(enabled=True, province="bench", hub_urls=hub.urls,
                              interval_s=a.interval, shards=a.shards, plan_every_s=2.0,
                              groups=groups, fetch_batch=a.fetch_batch)
        sink, stats = TsdbSink(writer), FeedStats()
        stop = asyncio.Event()
        nc = await connect(hub.urls, "bench-centre", stop)
        timed = Timed(HubLink(nc), sink.commit)
        centre = Centre(timed, cfg, [ResultFeed(sink.on_result, stats)], timed.commit,
                        lambda: specs, a.interval, stats)
        task = asyncio.create_task(centre.run(stop))
        for (_server, url), node in zip(leaves, NODES, strict=True):
            conf = write_agent_config(work / f"{node}.json", node, url, province="bench",
                                      timeout_s=2.0, retries=1, concurrency=a.concurrency,
                                      spread=a.spread)
            agents.append(AgentProc(node, conf, work / f"{node}-state", work / f"{node}.log")
                          .start())
        per_tick = 2 * a.shards
        # the first cycle walks every interface table (discovery): not measured
        await _until(lambda: stats.batches >= 2 * per_tick and sink.written >= a.devices,
                     a.interval * 4 + 120, "the discovery cycle")
        sink.latency.clear()
        b0 = stats.batches
        cpu_agents0 = [proc_cpu_s(ag.proc.pid) for ag in agents if ag.proc]
        cpu_centre0, t0 = _self_cpu(), time.monotonic()
        results0 = sink.written
        await _until(lambda: stats.batches >= b0 + a.cycles * per_tick,
                     a.interval * (a.cycles + 3), "the measured cycles")
        wall = time.monotonic() - t0
        cpu_agents = sum(proc_cpu_s(ag.proc.pid) for ag in agents if ag.proc) - sum(cpu_agents0)
        cpu_centre = _self_cpu() - cpu_centre0
        polls = sink.written - results0
        lat = sorted(sink.latency)
        for ag in agents:
            ag.stop()
        encode = sum(float(line.rsplit("outbox ", 1)[1].split(" s")[0])
                     for ag in agents for line in ag.text().splitlines()
                     if "CPU encoding" in line)
        per_agent = cpu_agents / polls
        per_centre = cpu_centre / polls
        print(f"steady state: {polls} device polls in {wall:.1f} s")
        print(f"  agent CPU   {per_agent * 1e3:.3f} ms per device poll (encode + outbox "
              f"{encode / max(1, sink.written) * 1e3:.3f} ms); at 60 s for {a.devices} devices "
              f"on 2 agents: {per_agent * a.devices / 60:.3f} cores in all, "
              f"{per_agent * a.devices / 120:.3f} per agent (target < 0.3)")
        print(f"  centre CPU  {per_centre * 1e3:.3f} ms per device result; at 60 s: "
              f"{per_centre * a.devices / 60:.3f} cores (target < 0.3)")
        print(f"  poll -> InfluxDB latency: median {statistics.median(lat):.2f} s, "
              f"p95 {lat[int(len(lat) * 0.95)]:.2f} s, max {lat[-1]:.2f} s")
        # the cut: hub down, the backlog of --cut-min minutes lands in the leaves
        await _until(lambda: sink.written >= stats.results, 60, "the last batches")
        hub.stop()
        backlog = 0
        for (_, url), node in zip(leaves, NODES, strict=True):
            backlog += await _backlog(url, node, a.shards, a.cut_min, 60.0)
        before, sink.record = sink.written, False
        cpu_c0 = _self_cpu()
        timed.fetch_s = timed.commit_s = 0.0
        timed.fetches = timed.commits = 0
        t0 = time.monotonic()
        hub.start()
        tracer = None
        if a.trace:
            procs = {"hub": hub.servers[0].proc,
                     **{n: s.proc for (s, _), n in zip(leaves, NODES, strict=True)}}
            pids = {k: p.pid for k, p in procs.items() if p is not None}
            if influxd.pid is not None:
                pids["influxd"] = influxd.pid
            done = asyncio.Event()
            tracer = asyncio.create_task(_trace(hub.urls, cfg.stream, cfg.durable, sink, pids,
                                                timed, a.trace, done))
        await _until(lambda: sink.written - before >= backlog, 600, "the catch-up")
        took = time.monotonic() - t0
        if tracer is not None:
            done.set()
            await tracer
        print(f"catch-up: {backlog} device results ({a.cut_min} min x {a.devices} devices) "
              f"written {took:.1f} s after the hub came back (target < 120 s), centre CPU "
              f"{_self_cpu() - cpu_c0:.1f} s, {backlog / took:.0f} results/s; "
              f"{centre.source_restarts} source restarts")
        print(f"  centre: {timed.fetches} fetches waited {timed.fetch_s:.1f} s, "
              f"{timed.commits} commits waited {timed.commit_s:.1f} s; {a.store} peak memory "
              f"{_peak_rss_mb(influxd.pid):.0f} MB")
        stop.set()
        await task
        await nc.close()
    finally:
        for ag in agents:
            ag.kill()
        for p in sims:
            stop_process(p)
        for server, _ in leaves:
            server.stop()
        hub.stop()
        writer.close()
        influxd.stop()
        print(f"(work dir {work})")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--devices", type=int, default=10_000)
    ap.add_argument("--interval", type=float, default=20.0)
    ap.add_argument("--cycles", type=int, default=3)
    ap.add_argument("--cut-min", type=int, default=30)
    ap.add_argument("--shards", type=int, default=8, help="shards per node (batches per tick)")
    ap.add_argument("--spread", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=256)
    ap.add_argument("--fetch-batch", type=int, default=16,
                    help="messages per fetch of the centre (cluster.fetch_batch)")
    ap.add_argument("--write-parallel", type=int, default=2,
                    help="InfluxDB batches written at once (influx.write_parallel)")
    ap.add_argument("--influx-snapshot", default=SNAPSHOT_SIZE,
                    help="the managed influxd's cache-snapshot-memory-size (InfluxDB's own "
                         "default: 25m)")
    ap.add_argument("--store", choices=("influxdb", "victoriametrics"), default="influxdb",
                    help="the TSDB the centre writes (tsdb.backend)")
    ap.add_argument("--trace", type=float, default=0.0, metavar="S",
                    help="print a timeline of the catch-up every S seconds")
    asyncio.run(main(ap.parse_args()))
