"""The incident book on a small hand-built network and a real SQLite store.

core 1; PoP 2 (uplink 100) and PoP 3 (uplink 101); communes 10, 11 under PoP 2; commune 12
dual-homed to PoPs 2 and 3 (links 112, 113); commune 13 under PoP 3 (link 114).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from provnet.alerts.engine import Engine, Observation
from provnet.alerts.incidents import IncidentBook
from provnet.alerts.model import Acknowledgement, Alert, Incident, IncidentEvent, Silence
from provnet.alerts.notify.types import Notification
from provnet.alerts.rules import parse_rules
from provnet.alerts.view import DeviceInfo, InventoryView, LinkInfo
from provnet.config.settings import AlertSettings, ContactSettings
from provnet.inventory.store import Store, open_store
from provnet.inventory.topology import Edge, Topology

LINKS = {100: (2, 1), 101: (3, 1), 110: (10, 2), 111: (11, 2), 112: (12, 2), 113: (12, 3),
         114: (13, 3)}
KIND = {1: "core", 2: "pop", 3: "pop", 10: "commune_office", 11: "commune_office",
        12: "commune_office", 13: "commune_office"}
DISTRICT = {1: "883", 2: "891", 3: "892", 10: "891", 11: "891", 12: "891", 13: "892"}
RULES = {"rules": [
    {"name": "link_down", "metric": "link.up", "op": "below", "raise": 0.5, "clear": 0.5,
     "clear_for": 20, "cause": "link", "severity": "critical",
     "flap": {"changes": 4, "window": 600, "hold": 120}},
    {"name": "device_unreachable", "metric": "device.reachable", "op": "below", "raise": 0.5,
     "clear": 0.5, "clear_for": 20, "cause": "device", "severity": "critical"},
]}


def site(d: int) -> str:
    return {1: "AG-CORE", 2: "POP-891", 3: "POP-892"}.get(d, f"UB-{d}")


def view() -> InventoryView:
    devices = {d: DeviceInfo(d, f"r{d}", KIND[d], site(d), f"Site {d} Tri Tôn", KIND[d],
                             "noc891@example.vn" if d == 2 else None, None, None,
                             DISTRICT[d], f"Huyện {DISTRICT[d]}") for d in KIND}
    links = {k: LinkInfo(k, a, z, site(a), site(z)) for k, (a, z) in LINKS.items()}
    topo = Topology(1, [Edge(k, a, z) for k, (a, z) in LINKS.items()], KIND)
    return InventoryView(devices, links, topo)


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    def __init__(self) -> None:
        self.seen: dict[str, Notification] = {}

    def enqueue(self, n: Notification) -> bool:
        if n.key in self.seen:
            return False
        self.seen[n.key] = n
        return True

    def queued(self, key: str) -> int:
        return 1 if key in self.seen else 0  # one channel

    def events(self) -> list[str]:
        return [n.event for n in self.seen.values()]


def observations(down_links: set[int], dead: set[int], t: float,
                 devices: list[int] | None = None) -> list[Observation]:
    """What one cycle of polls sees (only ``devices`` polled, default all)."""
    polled = set(KIND) if devices is None else set(devices)
    v = view()
    out = [Observation(f"device:{d}", "device.reachable", 0.0 if d in dead else 1.0, t,
                       v.devices[d].labels()) for d in sorted(polled)]
    for k, (a, z) in LINKS.items():
        if {a, z} & polled - dead:
            out.append(Observation(f"link:{k}", "link.up", 0.0 if k in down_links else 1.0, t,
                                   v.link_labels(k)))
    return out


class World:
    def __init__(self, path: Path, settings: AlertSettings | None = None) -> None:
        self.store: Store = open_store(f"sqlite:///{path}")
        self.clock = Clock()
        self.outbox = Recorder()
        self.settings = settings or AlertSettings()
        self.book = self.new_book()

    def new_book(self) -> IncidentBook:
        engine = Engine(parse_rules(RULES), self.clock)
        book = IncidentBook(self.store, engine, view(), self.outbox, self.settings, self.clock)
        book.restore()
        return book

    def cycle(self, down: set[int], dead: set[int], devices: list[int] | None = None,
              step: float = 10.0) -> None:
        self.clock.now += step
        self.book.process(observations(down, dead, self.clock.now, devices))

    def incidents(self) -> list[Incident]:
        with self.store.session() as s:
            return list(s.scalars(select(Incident).order_by(Incident.id)))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path / "a.sqlite")
    yield w
    w.store.close()


POP_DOWN = ({100}, {2, 10, 11})
ALL = [1, 2, 3, 10, 11, 12, 13]


def test_pop_uplink_one_incident_then_one_resolution(world: World) -> None:
    world.cycle(set(), set())
    world.cycle(*POP_DOWN)
    incs = world.incidents()
    assert len(incs) == 1
    inc = incs[0]
    assert inc.group_key == "link:100"
    assert inc.title.startswith("Site 2 Tri Tôn mất kết nối: 2 trụ sở UBND xã bị cô lập")
    assert [a["site_code"] for a in inc.affected] == ["POP-891", "UB-10", "UB-11"]
    assert world.outbox.events() == ["firing"]
    firing = world.outbox.seen["incident-1-firing-1"]
    assert {a.site_code for a in firing.incident.affected} == {"POP-891", "UB-10", "UB-11"}
    with world.store.session() as s:
        alerts = s.scalars(select(Alert)).all()
        assert {(a.entity, a.suppressed) for a in alerts} == {
            ("link:100", False), ("device:2", True), ("device:10", True), ("device:11", True)}
    for _ in range(2):
        world.cycle(*POP_DOWN)
    for _ in range(4):
        world.cycle(set(), set())
    assert world.outbox.events() == ["firing", "resolved"]
    assert world.incidents()[0].status == "resolved"
    with world.store.session() as s:
        kinds = [e.kind for e in s.scalars(select(IncidentEvent).order_by(IncidentEvent.id))]
    assert kinds.count("alert_resolved") == 4  # every child's resolution is recorded


# the core is polled before the fault in the first cycle, or communes before it, or after
ORDERS = [
    [(set(), {2, 10, 11}), POP_DOWN],       # PoP unreachable first, link down next cycle
    [({100}, set()), POP_DOWN],             # link down first, devices next cycle
    [({100}, {10}), ({100}, {2, 10}), POP_DOWN],
    [POP_DOWN],
    [(set(), {10, 11}), POP_DOWN],          # communes polled after the fault, PoP before
]


@pytest.mark.parametrize("order", ORDERS)
def test_poll_order_does_not_matter(tmp_path: Path,
                                    order: list[tuple[set[int], set[int]]]) -> None:
    w = World(tmp_path / "o.sqlite")
    w.cycle(set(), set())
    for down, dead in order:
        w.cycle(down, dead)
    w.cycle(*POP_DOWN)
    incs = w.incidents()
    assert [(i.group_key, i.status) for i in incs if i.status != "resolved"] == [
        ("link:100", "open")]
    open_inc = next(i for i in incs if i.status == "open")
    assert [a["site_code"] for a in open_inc.affected] == ["POP-891", "UB-10", "UB-11"]
    assert w.outbox.events() == ["firing"]
    with w.store.session() as s:
        rows = s.scalars(select(Alert).where(Alert.incident_id == open_inc.id)).all()
        assert {(a.entity, a.suppressed) for a in rows} == {
            ("link:100", False), ("device:2", True), ("device:10", True), ("device:11", True)}
    w.store.close()


def test_dual_homed_commune_not_suppressed(world: World) -> None:
    world.cycle(set(), set())
    world.cycle({100, 112}, {2, 10, 11})  # 12 sees its link to PoP 2 down but stays reachable
    (inc,) = world.incidents()
    assert "UB-12" not in {a["site_code"] for a in inc.affected}
    with world.store.session() as s:
        side = s.scalars(select(Alert).where(Alert.entity == "link:112")).one()
        assert side.incident_id == inc.id and side.suppressed  # explained by the dead PoP


def test_restart_mid_incident_loses_nothing(world: World) -> None:
    world.cycle(set(), set())
    world.cycle(*POP_DOWN)
    world.book = world.new_book()  # provnet restarted on the same database
    world.cycle(*POP_DOWN)
    assert world.outbox.events() == ["firing"]
    for _ in range(4):
        world.cycle(set(), set())
    assert world.outbox.events() == ["firing", "resolved"]
    assert len(world.incidents()) == 1


def test_flapping_link_one_alert(world: World) -> None:
    world.cycle(set(), set())
    for down in itertools.islice(itertools.cycle([({110}, {10}), (set(), set())]), 10):
        world.cycle(*down)
    assert world.outbox.events() == ["firing"]
    with world.store.session() as s:
        rows = s.scalars(select(Alert).where(Alert.rule == "link_down")).all()
        assert len(rows) == 1 and rows[0].flapping and rows[0].state == "firing"
    for _ in range(25):  # device_unreachable holds flapping alerts for 300 s (default)
        world.cycle(set(), set())
        assert world.outbox.events() == ["firing"]
    for _ in range(10):
        world.cycle(set(), set())
    assert world.outbox.events() == ["firing", "resolved"]
    assert len(world.incidents()) == 1


def test_silence_by_district_suppresses_notification(world: World) -> None:
    with world.store.session() as s:
        s.add(Silence(district="891", starts_at=0, ends_at=world.clock.now + 3600,
                      created_by="tester", comment="works"))
    world.cycle(set(), set())
    world.cycle(*POP_DOWN)
    (inc,) = world.incidents()
    assert inc.silenced and not inc.notified
    assert world.outbox.events() == []


def test_escalation_after_timeout_unless_acknowledged(tmp_path: Path) -> None:
    settings = AlertSettings(escalate_after_s=60, contacts=[
        ContactSettings(name="Trực ca 891", email="a@example.vn", districts=["891"]),
        ContactSettings(name="Other", email="b@example.vn", districts=["999"])])
    w = World(tmp_path / "e.sqlite", settings)
    w.cycle(set(), set())
    w.cycle(*POP_DOWN)
    with w.store.session() as s:
        s.add(Acknowledgement(incident_id=1, owner="an", comment="", created_at=w.clock.now,
                              expires_at=w.clock.now + 100))
        s.get(Incident, 1).status = "acknowledged"  # type: ignore[union-attr]
    for _ in range(8):
        w.cycle(*POP_DOWN)
    assert w.outbox.events() == ["firing"]  # acknowledged: no escalation
    for _ in range(4):
        w.cycle(*POP_DOWN)
    assert w.outbox.events() == ["firing", "escalated"]
    esc = w.outbox.seen["incident-1-escalated-1"]
    assert [c.name for c in esc.contacts] == ["Trực ca 891", "noc891@example.vn"]
    w.store.close()


def test_device_root_needs_two_batches(world: World) -> None:
    world.cycle(set(), set())
    world.cycle(set(), {13})  # one lost poll: an incident, not notified
    assert world.outbox.events() == []
    for _ in range(3):
        world.cycle(set(), set())
    assert world.outbox.events() == []
    assert [i.status for i in world.incidents()] == ["resolved"]
    world.cycle(set(), {13})
    world.cycle(set(), {13})  # still failing one cycle later: notified
    assert world.outbox.events() == ["firing"]


def test_notified_incident_keeps_its_root(world: World) -> None:
    world.cycle(set(), set())
    world.cycle(*POP_DOWN)
    world.cycle({100}, {1, 2, 3, 10, 11, 12, 13})  # the core stops answering too
    world.cycle({100}, {1, 2, 3, 10, 11, 12, 13})
    incs = world.incidents()
    assert incs[0].group_key == "link:100"
    assert [a["site_code"] for a in incs[0].affected] == ["POP-891", "UB-10", "UB-11"]
    assert [i.group_key for i in incs[1:]] == ["device:1"]
    assert world.outbox.events() == ["firing", "firing"]


def test_mute_core_that_still_forwards_is_not_a_root(world: World) -> None:
    """The core's agent times out while devices behind it answer: no province-wide outage."""
    world.cycle(set(), set())
    world.cycle(set(), {1})
    world.cycle({100}, {1, 2, 10, 11})
    world.cycle({100}, {1, 2, 10, 11})
    incs = {i.group_key: i for i in world.incidents() if i.status == "open"}
    # the core's ports are not read either, so the PoP itself is the root this time
    assert set(incs) == {"device_unreachable|device:1", "device:2"}
    assert [a["site_code"] for a in incs["device_unreachable|device:1"].affected] == ["AG-CORE"]
    assert [a["site_code"] for a in incs["device:2"].affected] == ["POP-891", "UB-10", "UB-11"]
    assert sorted(world.outbox.events()) == ["firing", "firing"]
