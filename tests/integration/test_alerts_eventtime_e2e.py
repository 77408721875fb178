"""Alerts on event time, end to end: the real alert worker (``AlertsHandle.run``), incident
book, node feed and outbox on the demo province (SQLite or PostgreSQL), notifications to a
real HTTP webhook receiver on loopback; a remote poller node is played by a coroutine that
polls on the wall clock and either hands its batches in (``accept_batch`` / ``heartbeat``, as
the transport's consumer does) or, during a cut, keeps them for later, as the node's
JetStream leaf does. Time is compressed: one batch per 0.25 s, silent after 1.5 s.

The node polls PoP Tri Tôn (POP-891) and the 15 commune offices behind it. While it is cut
off, the PoP's uplink fails. Asserted, from what the receiver got:

* while the node is blind, the only notification is "poller node unreachable"; the centre's
  own ICMP loss to a commune behind it is screened (the device is unknown, not down);
* still open at catch-up: ONE firing marked "detected late", rooted at the uplink, with the
  PoP and its 15 communes cut off and its event-time start; nothing else about it;
* cleared before catch-up: ONE digest, no firing and no resolution of the incident itself;
* a batch stamped 30 years ahead is rejected and counted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from provnet.alerts.engine import Engine, Observation
from provnet.alerts.eventfeed import NodeFeed
from provnet.alerts.incidents import IncidentBook
from provnet.alerts.notify.outbox import Outbox
from provnet.alerts.rootcause import Element
from provnet.alerts.rules import load_rules
from provnet.alerts.runner import AlertsHandle
from provnet.alerts.summary import describe_root
from provnet.alerts.view import InventoryView, load_view
from provnet.config.eventtime import EventTimeSettings
from provnet.config.settings import AlertSettings
from provnet.demo.seed import seed_demo
from provnet.features.alerts import collector_for
from provnet.inventory.store import Store, open_store
from provnet.pollers.types import IfSample, PollResult, SnmpTarget
from tests.support.notify_receivers import HttpReceiver
from tests.support.pg_server import BACKENDS, backend_store

pytestmark = pytest.mark.integration
STEP = 0.25  # a node batch every STEP seconds of event time
CUT_AT, FAULT_AT, BACK_AT = 1.0, 3.0, 7.0  # seconds after the start
NODE = "pop-891"
EVENTTIME = EventTimeSettings(silent_after_s=1.5, caught_up_lag_s=0.6, allowed_reorder_s=2,
                              stale_after_s=2, check_interval_s=0.1)


def rules_file(tmp: Path) -> Path:
    """The shipped rules with clearing compressed like the rest of the test, and flap
    detection off (two cuts within a compressed minute would be flapping)."""
    default = Path(__file__).parents[2] / "config" / "alerts" / "default.yaml"
    data = yaml.safe_load(default.read_text(encoding="utf-8"))
    for r in data["rules"]:
        r["flap"] = {"changes": 100, "window": "10s", "hold": "1s"}
        if r["name"] in ("link_down", "device_unreachable"):
            r["clear_for"] = "1s"
        if r["name"] == "packet_loss":
            r["for"] = "0s"
    path = tmp / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def seed_once(directory: Path) -> Path:
    """The demo province in a new SQLite file in ``directory``."""
    path = directory / "inventory.sqlite"
    st = open_store(f"sqlite:///{path}")
    try:
        seed_demo(st)
    finally:
        st.close()
    return path


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo province seeded once; SQLite tests copy the file."""
    return seed_once(tmp_path_factory.mktemp("seed"))


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, seeded: Path, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        shutil.copy(seeded, tmp_path / "inventory.sqlite")
    with backend_store(request.param, tmp_path) as st:
        if request.param != "sqlite":
            seed_demo(st)
        yield st


@dataclass
class Node:
    """A remote poller node: its devices, its uplink, what it keeps during a cut."""

    view: InventoryView
    devices: list[int]
    router: int
    uplink: int
    uplink_if: int
    backlog: list[tuple[float, list[PollResult]]] = field(default_factory=list)

    def poll(self, t: float, uplink_down: bool) -> list[PollResult]:
        ends = self.view.link_ends()
        out = []
        for d in self.devices:
            ifs = {i: IfSample(i, f"ge-0/0/{i}", admin_status=1,
                               oper_status=2 if uplink_down and (d, i) == (
                                   self.router, self.uplink_if) else 1)
                   for i in ends.get(d, {})}
            out.append(PollResult(SnmpTarget(d, self.view.devices[d].hostname, "127.0.0.1"),
                                  t, 0.05, interfaces=ifs))
        return out


def pop_node(view: InventoryView) -> Node:
    router = next(d.id for d in view.devices.values() if d.site_code == "POP-891")
    uplink = next(lk for lk in view.links.values() if router in (lk.a_device, lk.z_device)
                  and view.devices[lk.z_device if lk.a_device == router
                                   else lk.a_device].site_kind == "core")
    uplink_if = next(i for i, e in view.link_ends()[router].items() if e.link_id == uplink.id)
    cut = sorted(view.topology.cut_off_by(failed_links=[uplink.id]))
    return Node(view, cut, router, uplink.id, uplink_if)


async def scenario(store: Store, receiver: HttpReceiver, rules: Path,
                   fault_until: float | None) -> dict[str, Any]:
    """Run the centre and the node; return what the receiver got when, and the feed."""
    with store.session() as s:
        view = load_view(s)
    cfg = AlertSettings.model_validate({
        "rules_file": str(rules), "eventtime": EVENTTIME.model_dump(),
        "notify": {"webhook": {"enabled": True, "url": f"{receiver.url}/hook"},
                   "poll_interval_s": 0.1}})
    outbox = Outbox(store, cfg.notify)
    book = IncidentBook(store, Engine(load_rules(cfg.rules_file), time.time), view, outbox,
                        cfg, time.time)
    book.restore()
    handle = AlertsHandle(book, collector_for(view), outbox, tick_s=0.2)
    feed = NodeFeed(handle, cfg.eventtime, time.time, cfg.escalate_after_s)
    node = pop_node(view)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(c(stop)) for c in (handle.run, outbox.run, feed.run)]
    t0 = time.time()
    seen_blind: list[Any] = []
    rejected_future = None
    try:
        # live until the node has caught up and what it held was released (a loaded machine
        # evaluates the backlog slower), at most 30 s after its return
        while ((el := time.time() - t0) < BACK_AT + 4.0
               or (not feed.released and el < BACK_AT + 30.0)):
            t = time.time()
            down = el >= FAULT_AT and (fault_until is None or el < fault_until)
            results = node.poll(t, down)
            if CUT_AT <= el < BACK_AT:
                node.backlog.append((t, results))
                if el >= FAULT_AT + 2.0 and not seen_blind:  # blind, fault in its backlog
                    loss = Observation(f"device:{node.devices[1]}", "icmp.loss_pct", 100.0,
                                       t, {"device_id": str(node.devices[1])})
                    handle.add([loss])
                    handle.on_cycle(None)  # type: ignore[arg-type]
                    await asyncio.sleep(0.5)
                    seen_blind = receiver.bodies()
                    seen_blind.append(feed.status())
            else:
                for bt, br in node.backlog:  # the leaf's backlog, in order, then live
                    assert feed.accept_batch(NODE, bt, br)
                    assert feed.heartbeat(NODE, bt + STEP / 2)
                node.backlog.clear()
                if rejected_future is None and el >= BACK_AT:
                    rejected_future = feed.accept_batch(NODE, t + 86400 * 365 * 30, results)
                assert feed.accept_batch(NODE, t, results)
                feed.heartbeat(NODE, t + STEP / 2)
            await asyncio.sleep(STEP)
        deadline = time.time() + 10
        while outbox.pending() and time.time() < deadline:
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    return {"blind": seen_blind, "all": receiver.bodies(), "feed": feed, "node": node,
            "view": view, "rejected_future": rejected_future, "t0": t0}


def _run(store: Store, tmp_path: Path, fault_until: float | None) -> dict[str, Any]:
    receiver = HttpReceiver().start()
    try:
        return asyncio.run(scenario(store, receiver, rules_file(tmp_path), fault_until))
    finally:
        receiver.stop()


def _blind_part(got: dict[str, Any]) -> None:
    *bodies, status = got["blind"]
    assert [(b["event"], b["incident"]["title_en"]) for b in bodies] == [
        ("firing", f"Poller node {NODE} unreachable from the centre")], bodies
    assert bodies[0]["incident"]["title"] == f"Nút thu thập {NODE} mất liên lạc với trung tâm"
    assert status["nodes"][NODE]["phase"] == "silent"
    assert status["unknown_devices"] == got["node"].devices
    assert got["feed"].tracker.screened >= 1  # the centre's ICMP loss: not a device down
    assert got["rejected_future"] is False
    assert got["feed"].status()["rejected"] == {NODE: {"future": 1}}


def _node_events(bodies: list[Any]) -> list[str]:
    return [b["event"] for b in bodies if b["incident"]["title_en"].startswith("Poller node")]


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
def test_uplink_fault_during_a_cut_is_notified_once_detected_late(
        store: Store, tmp_path: Path) -> None:
    got = _run(store, tmp_path, fault_until=None)
    _blind_part(got)
    others = [b for b in got["all"] if not b["incident"]["title_en"].startswith("Poller node")]
    assert _node_events(got["all"]) == ["firing", "resolved"]
    assert len(others) == 1, [(b["event"], b["subject"]) for b in others]
    late = others[0]
    node, view = got["node"], got["view"]
    want = describe_root(view, Element("link", node.uplink), set(node.devices))
    inc = late["incident"]
    assert late["event"] == "firing" and inc["labels"]["kind"] == "late"
    assert (inc["title"], inc["root_cause"]) == (want.title.text("vi"), want.cause.text("en"))
    assert inc["title"] == "PoP Tri Tôn mất kết nối: 15 trụ sở UBND xã bị cô lập"
    assert "PHÁT HIỆN MUỘN" in late["subject"] and NODE in late["text"]
    assert late["affected_count"] == 16
    late_by = float(inc["labels"]["late_by_s"])
    started = dt.datetime.fromisoformat(inc["started_at"]).timestamp() - got["t0"]
    assert FAULT_AT <= started < FAULT_AT + 1.0, started  # the fault's event time
    assert late_by >= BACK_AT - FAULT_AT - 1.0, late_by  # told once the node was back
    print(f"\nuplink fault detected late by {late_by:.1f} s (node back "
          f"{BACK_AT - FAULT_AT:.1f} s after the fault)")


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_fault_cleared_during_the_cut_is_one_digest(store: Store, tmp_path: Path) -> None:
    got = _run(store, tmp_path, fault_until=FAULT_AT + 1.0)
    _blind_part(got)
    others = [b for b in got["all"] if not b["incident"]["title_en"].startswith("Poller node")]
    assert _node_events(got["all"]) == ["firing", "resolved"]
    assert [(b["event"], b["incident"]["labels"].get("kind")) for b in others] == [
        ("firing", "digest")], [b["subject"] for b in others]
    digest = others[0]
    assert digest["subject"].startswith("[provnet] TỔNG HỢP")
    assert digest["incident"]["status"] == "resolved"
    assert digest["incident"]["root_cause_vi"] == (
        "PoP Tri Tôn mất kết nối: 15 trụ sở UBND xã bị cô lập")
    assert digest["affected_count"] == 16
