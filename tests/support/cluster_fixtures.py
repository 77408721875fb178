"""Shared pieces of the scale-out tests and bench: a simulator child (optionally in a network
namespace), an agent child, reading a whole hub stream back, checking batches."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import ServiceUnavailableError

from provnet.pollers.cluster.collect import IcmpSweep, TrapNote, decode_any
from provnet.pollers.cluster.messages import MSG_ID_HEADER, Batch, Heartbeat
from tests.support.helpers import kill_process, stop_process
from tests.support.nats import IP


def _in(netns: str | None, cmd: list[str]) -> list[str]:
    return [IP, "netns", "exec", netns, *cmd] if netns else cmd


def start_simulator(plan: dict[str, Any], workdir: Path, name: str,
                    netns: str | None = None, timeout_s: float = 60.0
                    ) -> subprocess.Popen[bytes]:
    """``python -m provnet.simulator`` on ``plan``; returns once it printed READY."""
    path = workdir / f"{name}-plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    log = (workdir / f"{name}-sim.log").open("wb")
    proc = subprocess.Popen(_in(netns, [sys.executable, "-m", "provnet.simulator", "--plan",
                                        str(path), "--log-level", "WARNING"]),
                            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"simulator {name} exited")
        if line.startswith(b"READY"):
            proc.stdout.close()  # nobody reads further: the simulator drops event lines
            return proc
    stop_process(proc)
    raise RuntimeError(f"simulator {name} not ready")


@dataclass
class AgentProc:
    """One ``provnet agent`` child."""

    node: str
    config: Path
    state: Path
    log: Path
    netns: str | None = None
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> AgentProc:
        """Start (appending to its log)."""
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                _in(self.netns, [sys.executable, "-m", "provnet.cli", "agent", "--config",
                                 str(self.config), "--state-dir", str(self.state)]),
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    def stop(self) -> None:
        """SIGTERM by PID (a clean stop flushes the queue)."""
        if self.proc is not None:
            stop_process(self.proc, timeout_s=15)
            self.proc = None

    def kill(self) -> None:
        """SIGKILL by PID."""
        kill_process(self.proc)
        self.proc = None

    def text(self) -> str:
        """Its log."""
        return self.log.read_text(errors="replace")


def write_agent_config(path: Path, node: str, nats_url: str, **extra: Any) -> Path:
    """An agent settings file (JSON is YAML); ICMP off unless ``icmp`` is given."""
    cfg = {"node": node, "province": "tq", "nats_url": nats_url, "timeout_s": 0.5,
           "retries": 0, "spread": 0.3, "icmp": {"enabled": False}, **extra}
    path.write_text(json.dumps(cfg), encoding="utf-8")
    return path


async def read_stream(url: Sequence[str], stream: str) -> list[tuple[str, str, Any]]:
    """Every message of ``stream`` in stream order: (subject, Nats-Msg-Id, decoded)."""
    nc = await nats.connect(list(url))
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        total = info.state.messages
        sub = await js.pull_subscribe("", stream=stream, config=ConsumerConfig(
            ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL,
            inactive_threshold=30.0))
        out: list[tuple[str, str, Any]] = []
        deadline = time.monotonic() + 60
        while len(out) < total:
            try:
                got = await sub.fetch(min(500, total - len(out)), timeout=5)
            except (ServiceUnavailableError, TimeoutError):
                # an R3 stream's new consumer may answer 503 until its leader is elected on a
                # loaded machine: ask again, for a while
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
                continue
            for m in got:
                out.append((m.subject, (m.headers or {}).get(MSG_ID_HEADER, ""),
                            decode_any(m.data)))
        await sub.unsubscribe()
        return out
    finally:
        await nc.close()


def batches_by_shard(msgs: Sequence[tuple[str, str, Any]]) -> dict[tuple[str, int], list[Batch]]:
    """(node, shard) -> its batches in stream order; checks each id matches its content
    (ICMP sweeps and traps: only their ids)."""
    out: dict[tuple[str, int], list[Batch]] = defaultdict(list)
    for _, msg_id, m in msgs:
        if isinstance(m, IcmpSweep | TrapNote):
            assert msg_id == m.msg_id
        elif isinstance(m, Batch):
            assert msg_id == m.msg_id
            out[(m.node, m.shard)].append(m)
        else:
            assert isinstance(m, Heartbeat) and msg_id == m.msg_id
    return out


def run(coro: Any) -> Any:
    """Run a coroutine to completion (tests are synchronous)."""
    return asyncio.run(coro)


def seed_subset(sql_url: str, keep: set[int]) -> None:
    """The demo province's inventory with only the devices ``keep`` (and their interfaces
    and the links between them): a small fleet with real sites, districts and communes."""
    from provnet.demo.network import build_demo_network
    from provnet.demo.seed import seed_demo
    from provnet.demo.units import load_an_giang
    from provnet.inventory.store import open_store

    net = build_demo_network(load_an_giang())
    net.rows["device"] = [d for d in net.rows["device"] if d["id"] in keep]
    net.rows["interface"] = [i for i in net.rows["interface"] if i["device_id"] in keep]
    ifaces = {i["id"] for i in net.rows["interface"]}
    net.rows["link"] = [lk for lk in net.rows["link"]
                        if lk["a_interface_id"] in ifaces and lk["z_interface_id"] in ifaces]
    store = open_store(sql_url)
    try:
        seed_demo(store, net)
    finally:
        store.close()


def simulator_plan(sql_url: str, port: int, community: str) -> dict[str, Any]:
    """The simulator plan of that inventory (what ``provnet demo`` runs)."""
    from provnet.demo.plan import build_plan
    from provnet.inventory.store import open_store

    store = open_store(sql_url)
    try:
        with store.session() as s:
            return build_plan(s, port, community)
    finally:
        store.close()


async def until_async(what: str, check: Any, timeout: float) -> None:
    """Wait (on the event loop) until ``check()`` is true; fail naming ``what`` after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


class InProcessCentre:
    """A centre in the test's process: the hub consumer (``Centre``) with the real result
    feed, collect feed and node wiring (``NodeCollect``: live state, a point list, the given
    alerts entry, and the configuration store when one is given). ``commit`` stores the
    backups handed on, as ``provnet/features/cluster.py`` does before the ack."""

    def __init__(self, hub_urls: list[str], devices: list[Any], alerts: Any,
                 interval_s: float, store: Any = None) -> None:
        from provnet.config.cluster import ClusterSettings, NodeGroup
        from provnet.features.cluster import NodeCollect
        from provnet.pollers.cluster.centre import FeedStats
        from provnet.pollers.cluster.collectfeed import CollectFeed
        from provnet.pollers.live import LiveState
        from provnet.tsdb.points import Point

        self.points: list[Point] = []
        self.alerts = alerts
        self.stats = FeedStats()
        self.live = LiveState()
        names = {d.device_id: d.name for d in devices}
        self.wiring = NodeCollect(self.live, self.points.extend,
                                  lambda d: {"device": names.get(d, str(d))}, alerts, store)
        self.feed = CollectFeed(self.wiring.sweep, self.wiring.trap,
                                on_optics=self.wiring.optics, on_config=self.wiring.config)
        self.settings = ClusterSettings(
            enabled=True, hub_urls=hub_urls, interval_s=interval_s, plan_every_s=1.0,
            failover_delay_s=600.0, province="tq",
            groups=[NodeGroup(name="pop1", nodes=["pop1"],
                              devices=[d.device_id for d in devices])])
        self.devices = devices
        self.interval_s = interval_s
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.nc: Any = None

    async def start(self) -> None:
        from provnet.pollers.cluster.centre import Centre, ResultFeed
        from provnet.pollers.cluster.natslink import HubLink, connect

        self.nc = await connect(self.settings.hub_urls, "test-centre", self.stop)
        centre = Centre(HubLink(self.nc), self.settings,
                        [ResultFeed(self.live.update, self.stats)], self.wiring.commit,
                        lambda: self.devices, self.interval_s, self.stats,
                        collect=[self.feed])
        self.task = asyncio.create_task(centre.run(self.stop))

    async def close(self) -> None:
        self.stop.set()
        if self.task is not None:
            await self.task
        if self.nc is not None:
            await self.nc.close()
