"""Remote poller nodes through the real incident book (SQLite), jobs run in order as the
alert worker runs them; the notification side is a recording outbox.

Topology of ``test_alert_incidents``: core 1; PoP 2 (uplink 100) with communes 10, 11;
commune 12 dual-homed to PoPs 2 and 3. Node ``pop2`` polls 2, 10 and 11; the centre polls
the rest. A cut of 45 minutes (event time 60 s per batch) with, inside it, a PoP uplink fault
that either is still open when the node returns ("detected late") or cleared before
(one digest); the node's silence gives one "node unreachable" incident.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from provnet.alerts.engine import Engine, Observation
from provnet.alerts.eventfeed import NodeFeed
from provnet.alerts.incidents import IncidentBook
from provnet.alerts.model import Alert, Incident
from provnet.alerts.observe import CycleCollector, LinkEnd
from provnet.alerts.rules import parse_rules
from provnet.alerts.runner import AlertsHandle
from provnet.config.eventtime import EventTimeSettings
from provnet.config.settings import AlertSettings
from provnet.inventory.store import open_store
from provnet.pollers.types import IfSample, PollResult, SnmpTarget
from tests.unit.test_alert_incidents import RULES, Clock, Recorder, view

E0 = 1_800_000_000.0  # event time the cut starts
NODE_DEVICES = (2, 10, 11)
#: device -> ifindex -> link end (device 2: uplink 100 on ifindex 1, communes on 10, 11)
ENDS = {2: {1: LinkEnd(100, "a"), 10: LinkEnd(110, "z"), 11: LinkEnd(111, "z")},
        10: {1: LinkEnd(110, "a")}, 11: {1: LinkEnd(111, "a")}}
EXTRA = [
    {"name": "poller_node_unreachable", "metric": "node.up", "op": "below", "raise": 0.5,
     "clear": 0.5, "severity": "major",
     "summary": "Nút thu thập mất liên lạc / poller node unreachable"},
    {"name": "device_no_data", "metric": "poll.fresh", "op": "below", "raise": 0.5,
     "clear": 0.5, "severity": "minor", "summary": "Không có dữ liệu / no poll data"},
    {"name": "optic_rx_low", "metric": "optic.rx_dbm", "op": "below", "raise": -25,
     "clear": -23, "for": 60, "severity": "major", "summary": "Quang thấp / optical Rx low"},
    {"name": "packet_loss", "metric": "icmp.loss_pct", "op": "above", "raise": 20,
     "clear": 5, "severity": "major", "summary": "Mất gói / packet loss"},
]
SETTINGS = EventTimeSettings(silent_after_s=60, caught_up_lag_s=30, stale_after_s=300)


def result(dev: int, t: float, uplink_down: bool = False, dead: bool = False) -> PollResult:
    target = SnmpTarget(dev, f"r{dev}", "127.0.0.1")
    if dead:
        return PollResult(target, t, 2.0, error="timeout", error_kind="timeout")
    ifs = {i: IfSample(i, f"ge-0/0/{i}", oper_status=2 if (uplink_down and i == 1 and dev == 2)
                       else 1, admin_status=1) for i in ENDS[dev]}
    return PollResult(target, t, 0.1, interfaces=ifs)


class Centre:
    """The book, the handle and the node feed of one centre; ``drain`` runs queued jobs."""

    def __init__(self, path: Path) -> None:
        self.store = open_store(f"sqlite:///{path}")
        self.clock = Clock()
        self.clock.now = E0
        self.outbox = Recorder()
        rules = parse_rules({"rules": RULES["rules"] + EXTRA})
        v = view()
        book = IncidentBook(self.store, Engine(rules, self.clock), v, self.outbox,
                            AlertSettings(escalate_after_s=86400), self.clock)
        collector = CycleCollector({d: i.labels() for d, i in v.devices.items()}, ENDS,
                                   {k: v.link_labels(k) for k in v.links})
        self.handle = AlertsHandle(book, collector, self.outbox, 10.0)  # type: ignore[arg-type]
        self.feed = NodeFeed(self.handle, SETTINGS, self.clock, 900.0)
        self.sent: list[str] = []  # notification keys, in the order they were queued

    def drain(self) -> None:
        while not self.handle._batches.empty():
            _, _, sent = self.handle._evaluate(self.handle._batches.get_nowait())
            self.sent += [n.key for n in sent]

    def batch(self, t: float, **kw: bool) -> bool:
        ok = self.feed.accept_batch("pop2", t, [result(d, t, **{k: v for k, v in kw.items()
                                                                 if k != "dead" or d == 10})
                                                for d in NODE_DEVICES])
        self.feed.heartbeat("pop2", t + 10)
        self.drain()
        return ok

    def tick(self, wall: float) -> None:
        self.clock.now = wall
        self.handle.submit(self.feed._tick)
        self.handle._batches.put_nowait(([], True))  # the worker's own tick_s batch
        self.drain()

    def incidents(self) -> list[Incident]:
        with self.store.session() as s:
            return list(s.scalars(select(Incident).order_by(Incident.id)))

    def events(self) -> list[tuple[str, str, str]]:
        """(event, incident title, kind label) of every notification, in order."""
        out = []
        for key in self.sent:
            n = self.outbox.seen[key]
            out.append((n.event, n.incident.title_en or "", n.incident.labels.get("kind", "")))
        return out


@pytest.fixture
def centre(tmp_path: Path) -> Iterator[Centre]:
    c = Centre(tmp_path / "a.sqlite")
    yield c
    c.store.close()


def live_then_cut(c: Centre) -> None:
    """Three live batches, then silence: the node is found silent and notified once."""
    for k in (-3, -2, -1, 0):
        c.clock.now = E0 + 60 * k + 1
        assert c.batch(E0 + 60 * k)
        c.tick(c.clock.now)
    assert c.sent == []
    for wall in range(15, 400, 15):  # the centre's clock runs on, nothing arrives
        c.tick(E0 + wall)
    # the centre's own ICMP sees commune 10 lose every packet: screened, it is unknown
    c.handle.add([Observation("device:10", "icmp.loss_pct", 100.0, E0 + 400,
                              {"device_id": "10", "site": "UB-10"})])
    c.handle.on_cycle(None)  # type: ignore[arg-type]
    c.tick(E0 + 420)
    assert c.events() == [("firing", "Poller node pop2 unreachable from the centre", "")]
    assert c.feed.status()["unknown_devices"] == [2, 10, 11]
    assert c.feed.tracker.screened == 1
    with c.store.session() as s:  # no device/link/no-data alert from a blind node
        assert {a.rule for a in s.scalars(select(Alert))} == {"poller_node_unreachable"}


def test_uplink_fault_still_open_is_notified_once_detected_late(centre: Centre) -> None:
    live_then_cut(centre)
    wall = E0 + 2700  # back after 45 minutes, with its backlog
    for k in range(1, 46):
        centre.clock.now = wall + k * 0.1
        assert centre.batch(E0 + 60 * k, uplink_down=k >= 5)  # uplink down from E0 + 300
        if k < 44:  # nothing but the node's own resolution until it has caught up
            assert [e for e in centre.events() if "pop2" not in e[1]] == []
    got = centre.events()
    assert got[0] == ("firing", "Poller node pop2 unreachable from the centre", "")
    assert got[1] == ("resolved", "Poller node pop2 unreachable from the centre", "")
    assert got[2:] == [("firing", "Site 2 Tri Tôn down: 2 commune offices cut off", "late")]
    late = centre.outbox.seen[centre.sent[2]].incident
    assert late.root_cause == "link 100 (POP-891 ↔ AG-CORE) down"
    assert late.started_at.timestamp() == E0 + 300  # the event time, not the arrival
    assert abs(float(late.labels["late_by_s"]) - (wall + 4.5 - E0 - 300)) < 1
    assert {a.site_code for a in late.affected} == {"POP-891", "UB-10", "UB-11"}
    # it clears later: its resolution is sent (its firing was)
    for k in range(46, 50):
        centre.clock.now = E0 + 60 * k + 1
        centre.batch(E0 + 60 * k)
        centre.tick(centre.clock.now + 30)
    assert centre.events()[3:] == [
        ("resolved", "Site 2 Tri Tôn down: 2 commune offices cut off", "late")]


def test_incidents_that_cleared_during_the_cut_become_one_digest(centre: Centre) -> None:
    live_then_cut(centre)
    wall = E0 + 2700
    for k in range(1, 46):
        centre.clock.now = wall + k * 0.1
        centre.batch(E0 + 60 * k, uplink_down=5 <= k < 15, dead=20 <= k < 25)
    got = centre.events()
    assert [e[0] for e in got[:2]] == ["firing", "resolved"]  # the node, notified as usual
    assert len(got) == 3, got
    event, title, kind = got[2]
    assert (event, kind) == ("firing", "digest")
    assert title == "While node pop2 was cut off (15:00–15:45): 2 incident(s), now cleared"
    digest = centre.outbox.seen[centre.sent[2]].incident
    assert digest.status == "resolved"
    assert digest.root_cause_in("en") == ("Site 2 Tri Tôn down: 2 commune offices cut off; "
                                          "Site 10 Tri Tôn unreachable")
    incs = {i.group_key: i for i in centre.incidents()}
    link, dev = incs["link:100"], incs["device:10"]
    # history on event time; never notified, so never resolved to anyone
    assert (link.started_at, link.resolved_at) == (E0 + 300, E0 + 900 + 20 + 40)
    assert dev.started_at == E0 + 1200 and not link.notified and not dev.notified
    assert not any(k.startswith(f"incident-{link.id}-") or k.startswith(f"incident-{dev.id}-")
                   for k in centre.outbox.seen)
    # restarting re-offers the digest under its key, and no resolution of it
    book2 = IncidentBook(centre.store, Engine(parse_rules(RULES), centre.clock), view(),
                         centre.outbox, AlertSettings(), centre.clock)
    book2.restore()
    assert len(centre.outbox.seen) == 3


def test_absurd_event_times_are_rejected_and_counted(centre: Centre) -> None:
    centre.clock.now = E0
    assert centre.batch(E0)
    assert not centre.feed.accept_batch("pop2", E0 + 86400 * 365, [result(2, E0)])
    assert not centre.feed.accept_batch("pop2", 0.0, [result(2, 0.0)])
    assert not centre.feed.heartbeat("pop2", E0 - 3600)
    assert centre.feed.status()["rejected"] == {"pop2": {"expired": 1, "future": 1,
                                                         "reordered": 1}}
    assert centre.feed.tracker.nodes["pop2"].clock == E0 + 10


def test_nodes_route_shows_phase_watermark_and_unknown_devices(centre: Centre) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from provnet.api.alerts_nodes import nodes_router

    app = FastAPI()
    app.include_router(nodes_router(centre.feed.status))
    client = TestClient(app)
    assert client.get("/api/v1/alerts/nodes").json() == {
        "nodes": [], "unknown_devices": [], "screened": 0}
    centre.clock.now = E0 + 1
    centre.batch(E0)
    centre.feed.accept_batch("pop2", 0.0, [])
    live = client.get("/api/v1/alerts/nodes").json()
    assert live == {"nodes": [{"node": "pop2", "phase": "live", "watermark": E0 + 10,
                               "received": E0 + 10, "lag_s": 0.0, "devices": 3,
                               "rejected": {"expired": 1}}],
                    "unknown_devices": [], "screened": 0}
    centre.tick(E0 + 100)
    blind = client.get("/api/v1/alerts/nodes").json()
    assert blind["nodes"][0]["phase"] == "silent" and blind["nodes"][0]["lag_s"] == 90.0
    assert blind["unknown_devices"] == [2, 10, 11]


def test_optics_of_a_node_run_on_its_clock(centre: Centre) -> None:
    from dataclasses import replace

    from provnet.pollers.readings import OpticReading

    centre.clock.now = E0 + 1
    low = replace(result(2, E0), readings=(OpticReading("1", ifindex=1, rx_dbm=-30.0),))
    assert centre.feed.accept_batch("pop2", E0, [low])
    centre.drain()
    st = centre.handle.book.engine.alerts["optic_rx_low|optic:2:if1"]
    assert st.raw and st.labels["link"] == "100"
    assert centre.feed.tracker.clock_for("optic:2:if1") == E0


def test_icmp_of_a_node_runs_on_its_clock_and_absurd_sweeps_are_rejected(
        centre: Centre) -> None:
    from provnet.pollers.readings import IcmpReading

    centre.clock.now = E0 + 1
    assert centre.batch(E0)
    lost = IcmpReading("127.0.0.1", 4, 0, 100.0)
    assert centre.feed.accept_icmp("pop2", E0 + 20, [(10, lost, E0 + 21)])
    centre.drain()
    st = centre.handle.book.engine.alerts["packet_loss|icmp:10"]
    assert st.raw and centre.feed.tracker.owner["icmp:10"] == "pop2"
    assert centre.feed.tracker.nodes["pop2"].clock == E0 + 20
    assert not centre.feed.accept_icmp("pop2", E0 + 86400 * 365, [(10, lost, E0)])
    assert centre.feed.status()["rejected"] == {"pop2": {"future": 1}}


def test_a_nodes_confirmed_link_trap_is_an_event_batch_on_its_clock(centre: Centre) -> None:
    from provnet.pollers.traps import TrapEvent

    centre.clock.now = E0 + 1
    assert centre.batch(E0)
    down = TrapEvent("127.0.0.1", "link-down", E0 + 30, ifindex=1, oper_status=2)
    assert centre.feed.accept_trap("pop2", down, 2)
    assert not centre.feed.accept_trap("pop2", TrapEvent("127.0.0.1", "cold-start", E0), 2)
    centre.drain()
    st = centre.handle.book.engine.alerts["link_down|link:100"]
    assert st.raw and centre.feed.tracker.owner["link:100"] == "pop2"
    assert centre.feed.tracker.nodes["pop2"].clock == E0 + 30
