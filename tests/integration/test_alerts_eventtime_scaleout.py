"""A PoP uplink fault during a WAN cut, end to end over real nats-server processes.

The PoP node lives in a network namespace joined to the host by a veth pair (its WAN): the
leaf ``nats-server`` (JetStream, ``sync_interval: always``), a ``provnet agent`` and the
simulator answering for PoP Tri Tôn's router and its 15 commune offices (the simulator's
control channel, inside the namespace, fails the PoP's uplink on demand). On the host: the hub
``nats-server`` (its leafnode listener on the veth), and the centre: the hub consumer
(``pollers/cluster``) with the alerts' gate (``features/cluster.py`` ``AlertGate``), the real
alert worker, incident book (SQLite, demo province) and outbox, notifying a real webhook
receiver.

Cut 1: the veth goes down; the node is found silent ("poller node unreachable", the only
notification while it is blind); the uplink fails inside the cut; the veth comes back, the
leaf's backlog reaches the hub and the centre: ONE firing "detected late", rooted at the
uplink (the PoP and 15 communes cut off), started at the fault's event time. The uplink is
restored: its resolution (it was told). Cut 2: the uplink fails and recovers inside the cut:
after the return ONE digest, and nothing about the incident itself.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from provnet.alerts.engine import Engine
from provnet.alerts.eventfeed import NodeFeed
from provnet.alerts.incidents import IncidentBook
from provnet.alerts.notify.outbox import Outbox
from provnet.alerts.rules import load_rules
from provnet.alerts.runner import AlertsHandle
from provnet.alerts.view import load_view
from provnet.config.cluster import ClusterSettings, NodeGroup
from provnet.config.eventtime import EventTimeSettings
from provnet.config.settings import AlertSettings
from provnet.demo.plan import build_plan
from provnet.features.alerts import collector_for
from provnet.features.cluster import AlertGate
from provnet.inventory.store import open_store
from provnet.pollers.cluster.centre import Centre, FeedStats, ResultFeed
from provnet.pollers.cluster.natslink import HubLink, connect
from provnet.pollers.cluster.planner import DeviceSpec
from provnet.pollers.types import IfRates, PollResult
from tests.integration.test_alerts_eventtime_e2e import pop_node, rules_file, seed_once
from tests.support.cluster_fixtures import AgentProc, write_agent_config
from tests.support.helpers import free_port, stop_process
from tests.support.nats import Hub, leaf
from tests.support.notify_receivers import HttpReceiver

#: compressed time (0.5 s cycles, silent after 2 s): beside other workers a loaded machine delays
#: heartbeats past that and polls past their 0.5 s timeout, so it runs alone
pytestmark = [pytest.mark.integration, pytest.mark.scaleout, pytest.mark.serial]
IP = shutil.which("ip") or "/usr/sbin/ip"
NODE = "pop891"
INTERVAL = 0.5
EVENTTIME = EventTimeSettings(silent_after_s=2.0, caught_up_lag_s=1.5, allowed_reorder_s=5,
                              stale_after_s=5, check_interval_s=0.2)
NODE_TITLE = f"Poller node {NODE} unreachable from the centre"


def _ip(*args: str, ns: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [IP, "netns", "exec", ns, IP, *args] if ns else [IP, *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=10)


def _subnet() -> str:
    routes = _ip("route").stdout
    for third in range(os.getpid() % 200, 256):
        if f"169.254.{third}." not in routes:
            return f"169.254.{third}."
    pytest.skip("no free 169.254.x.0/30 for the WAN veth")


@pytest.fixture
def wan() -> Iterator[dict[str, str]]:
    """A namespace for the PoP node and its WAN: a veth pair (host end ``host_if``)."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    tag = f"{os.getpid() % 100000}"
    ns, host_if, ns_if = f"provnet-evt-{tag}", f"evth{tag}", f"evtn{tag}"
    if _ip("netns", "add", ns).returncode != 0:
        pytest.skip("cannot create a network namespace here")
    try:
        prefix = _subnet()
        steps = [_ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if),
                 _ip("link", "set", ns_if, "netns", ns),
                 _ip("addr", "add", f"{prefix}1/30", "dev", host_if),
                 _ip("link", "set", host_if, "up"),
                 _ip("addr", "add", f"{prefix}2/30", "dev", ns_if, ns=ns),
                 _ip("link", "set", ns_if, "up", ns=ns),
                 _ip("link", "set", "lo", "up", ns=ns)]
        failed = [s for s in steps if s.returncode != 0]
        if failed:
            pytest.skip(f"cannot set up the WAN veth: {failed[0].stderr.strip()}")
        yield {"ns": ns, "host_if": host_if, "hub_ip": f"{prefix}1"}
    finally:
        _ip("link", "del", host_if)
        _ip("netns", "del", ns)


def node_plan(store_path: Path, devices: list[int], core: int, port: int) -> dict[str, Any]:
    """The simulator's plan for the PoP: its devices and the core end of its uplink, seen
    from the PoP (``core_device`` = the PoP router: the communes stay reachable from the node
    when the uplink fails)."""
    st = open_store(f"sqlite:///{store_path}")
    try:
        with st.session() as s:
            plan = build_plan(s, port, "public")
    finally:
        st.close()
    keep = set(devices) | {core}
    links = [lk for lk in plan["links"] if lk["a_device"] in keep and lk["z_device"] in keep]
    kept_links = {lk["id"] for lk in links}
    devs = []
    for d in plan["devices"]:
        if d["id"] in keep:
            for i in d["interfaces"]:
                if i["link"] not in kept_links:
                    i["link"] = None
            devs.append(d)
    return {**plan, "devices": devs, "links": links, "core_device": devices[0]}


class Simulator:
    """The PoP's simulator inside the namespace; ``command`` talks to its control channel."""

    def __init__(self, plan: dict[str, Any], workdir: Path, ns: str) -> None:
        path = workdir / "pop-plan.json"
        path.write_text(json.dumps(plan), encoding="utf-8")
        self.ns = ns
        self.log = (workdir / "pop-sim.log").open("wb")
        self.proc = subprocess.Popen(
            [IP, "netns", "exec", ns, sys.executable, "-m", "provnet.simulator", "--plan",
             str(path), "--control-port", "0", "--log-level", "WARNING"],
            stdout=subprocess.PIPE, stderr=self.log, stdin=subprocess.DEVNULL)
        assert self.proc.stdout is not None
        self.control = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline().decode()
            if not line:
                raise RuntimeError("simulator exited")
            if line.startswith("CONTROL "):
                self.control = line.split()[1]
            if line.startswith("READY"):
                self.proc.stdout.close()
                return
        raise RuntimeError("simulator not ready")

    def command(self, request: dict[str, Any]) -> dict[str, Any]:
        host, port = self.control.rsplit(":", 1)
        code = ("import socket,sys;s=socket.create_connection((sys.argv[1],int(sys.argv[2])),5);"
                "s.sendall(sys.argv[3].encode()+b'\\n');print(s.makefile().readline())")
        out = subprocess.run([IP, "netns", "exec", self.ns, sys.executable, "-c", code, host,
                              port, json.dumps(request)], capture_output=True, text=True,
                             timeout=20, check=True)
        answer: dict[str, Any] = json.loads(out.stdout)
        assert answer.get("ok"), answer
        return answer

    def stop(self) -> None:
        stop_process(self.proc)
        self.log.close()


#: what to show when a wait times out (set by the scenario)
DEBUG: list[Callable[[], Awaitable[object]]] = []


async def until(what: str, check: Callable[[], bool], timeout: float) -> float:
    t0 = time.monotonic()
    while not check():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out waiting for {what}: {[await d() for d in DEBUG]}")
        await asyncio.sleep(0.1)
    return time.monotonic() - t0


def told(receiver: HttpReceiver) -> list[tuple[str, str, str]]:
    """(event, kind, English title) of every notification received."""
    return [(b["event"], b["incident"]["labels"].get("kind", ""), b["incident"]["title_en"])
            for b in receiver.bodies()]


def test_pop_uplink_fault_during_a_cut(wan: dict[str, str], tmp_path: Path) -> None:
    db = seed_once(tmp_path)
    store = open_store(f"sqlite:///{db}")
    with store.session() as s:
        view = load_view(s)
    node = pop_node(view)
    uplink = view.links[node.uplink]
    core = uplink.z_device if uplink.a_device == node.router else uplink.a_device
    sim_port = free_port(kind=socket.SOCK_DGRAM)
    plan = node_plan(db, node.devices, core, sim_port)
    devices = [DeviceSpec(d["id"], d["sys_name"], d["address"], sim_port)
               for d in plan["devices"] if d["id"] in node.devices]
    receiver = HttpReceiver().start()
    hub = Hub(tmp_path, leaf_host=wan["hub_ip"]).start()
    leaf_port = free_port()
    pop = leaf(tmp_path, NODE, hub.leaf_urls, leaf_port, netns=wan["ns"]).start()
    sim = Simulator(plan, tmp_path, wan["ns"])
    agent = AgentProc(NODE, write_agent_config(tmp_path / "agent.json", NODE,
                                               f"nats://127.0.0.1:{leaf_port}"),
                      tmp_path / "agent-state", tmp_path / "agent.log", netns=wan["ns"])
    cfg = AlertSettings.model_validate({
        "rules_file": str(rules_file(tmp_path)), "eventtime": EVENTTIME.model_dump(),
        "notify": {"webhook": {"enabled": True, "url": f"{receiver.url}/hook"},
                   "poll_interval_s": 0.1}})
    cluster = ClusterSettings(enabled=True, province="tq", hub_urls=hub.urls,
                              interval_s=INTERVAL, plan_every_s=1.0, failover_delay_s=600,
                              groups=[NodeGroup(name="pop891", nodes=[NODE],
                                                devices=[d.device_id for d in devices])])
    figures: dict[str, float] = {}

    def on_result(result: PollResult, rates: dict[int, IfRates]) -> None:
        del result, rates  # the live state and TSDB are not under test here

    async def commit() -> None:
        return None

    async def scenario() -> None:
        outbox = Outbox(store, cfg.notify)
        book = IncidentBook(store, Engine(load_rules(cfg.rules_file), time.time), view,
                            outbox, cfg, time.time)
        book.restore()
        handle = AlertsHandle(book, collector_for(view), outbox, tick_s=0.2)
        feed = NodeFeed(handle, cfg.eventtime, time.time, cfg.escalate_after_s)
        stop = asyncio.Event()
        nc = await connect(hub.urls, "test-centre", stop)
        stats = FeedStats()
        centre = Centre(HubLink(nc), cluster, [ResultFeed(on_result, stats), AlertGate(feed)],
                        commit, lambda: devices, INTERVAL, stats)
        tasks = [asyncio.create_task(c(stop)) for c in (handle.run, outbox.run, feed.run,
                                                        centre.run)]
        st = feed.tracker.nodes

        async def streams() -> object:
            try:
                hub_js, leaf_js = nc.jetstream(), nc.jetstream(domain=NODE)
                a = await hub_js.stream_info(cluster.stream)
                lf = await leaf_js.stream_info(f"POLL_{NODE}")
                return (a.state.messages, a.sources, lf.state.messages)
            except Exception as exc:  # only for the message of a failed wait
                return repr(exc)

        async def shown() -> object:
            return ((stats.batches, stats.heartbeats, stats.last), feed.status(),
                    told(receiver), await streams(), agent.text()[-600:])
        DEBUG[:] = [shown]
        try:
            agent.start()
            await until("the node live with its 16 devices", lambda: NODE in st and
                        st[NODE].phase == "live" and len(st[NODE].devices) == 16, 90)
            await asyncio.sleep(2 * INTERVAL)
            assert told(receiver) == []
            for cut, clears in ((1, False), (2, True)):
                before = len(receiver.requests)
                assert _ip("link", "set", wan["host_if"], "down").returncode == 0
                figures[f"silent_{cut}"] = await until(
                    "node unreachable told", lambda b=before: len(receiver.requests) > b, 30)
                assert told(receiver)[before:] == [("firing", "", NODE_TITLE)]
                assert feed.status()["unknown_devices"] == sorted(node.devices)
                fault_at = time.time()
                sim.command({"link": node.uplink, "action": "link-down"})
                await asyncio.sleep(6 * INTERVAL)
                if clears:
                    sim.command({"link": node.uplink, "action": "link-up"})
                    await asyncio.sleep(6 * INTERVAL)
                # blind: nothing but the node's own notification
                assert told(receiver)[before:] == [("firing", "", NODE_TITLE)]
                assert _ip("link", "set", wan["host_if"], "up").returncode == 0
                back = time.monotonic()
                want = 3  # node firing, node resolved, late firing or digest
                figures[f"caught_up_{cut}"] = await until(
                    "the node back and what it saw told",
                    lambda b=before, w=want: len(receiver.requests) >= b + w, 60)
                await asyncio.sleep(1.0)  # nothing more comes
                got = told(receiver)[before:]
                assert got[:2] == [("firing", "", NODE_TITLE), ("resolved", "", NODE_TITLE)]
                body = receiver.bodies()[before + 2]
                inc = body["incident"]
                if clears:
                    assert got[2:] == [("firing", "digest", inc["title_en"])], got
                    assert inc["root_cause_vi"] == (
                        "PoP Tri Tôn mất kết nối: 15 trụ sở UBND xã bị cô lập")
                    assert inc["status"] == "resolved" and body["affected_count"] == 16
                else:
                    assert got[2:] == [("firing", "late",
                                        "PoP Tri Tôn down: 15 commune offices cut off")], got
                    assert inc["root_cause"] == f"link {node.uplink} (POP-891 ↔ AG-CORE) down"
                    assert body["affected_count"] == 16
                    started = dt.datetime.fromisoformat(inc["started_at"]).timestamp()
                    assert fault_at - 1.0 <= started <= fault_at + 2.0, (started, fault_at)
                    figures["late_by_s"] = float(inc["labels"]["late_by_s"])
                    figures["return_to_late_s"] = time.monotonic() - back
                    # the uplink comes back: its resolution is told (its firing was)
                    sim.command({"link": node.uplink, "action": "link-up"})
                    await until("the uplink's resolution", lambda b=before: len(
                        receiver.requests) >= b + 4, 30)
                    assert told(receiver)[before + 3:] == [
                        ("resolved", "late", "PoP Tri Tôn down: 15 commune offices cut off")]
            assert feed.status()["rejected"] == {}
        finally:
            stop.set()
            await asyncio.gather(*tasks)
            await nc.close()

    try:
        asyncio.run(scenario())
    finally:
        agent.kill()
        sim.stop()
        pop.stop()
        hub.stop()
        receiver.stop()
        store.close()
    print(f"\nevent-time alerts over NATS: {figures}")
