"""Configuration changes near an incident: which ones (real SQLite store with a tiny inventory,
changes recorded by issue 4's ``record_config``), how they are shown (API detail, vi/en
notification text) and carried (outbox JSON)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from provnet.alerts.changes import recent_changes
from provnet.alerts.model import Incident
from provnet.alerts.notify.codec import from_dict, to_dict
from provnet.alerts.notify.render import change_when, render
from provnet.alerts.notify.types import ConfigChangeNote
from provnet.api.alerts import alerts_router
from provnet.inventory import model
from provnet.inventory.configs import record_config
from tests.unit.test_alert_incidents import World

# ids match the incident tests' hand-built network: core 1, PoP 2 (uplink 100), commune 10
# (link 110 to PoP 2); commune 13 hangs off PoP 3 (unrelated to link 100)
SITES = {1: ("AG-CORE", "core"), 2: ("POP-891", "pop"), 3: ("POP-892", "pop"),
         10: ("UB-10", "commune_office"), 11: ("UB-11", "commune_office"),
         13: ("UB-13", "commune_office")}
LINKS = {100: (2, 1), 101: (3, 1), 110: (10, 2), 111: (11, 2), 114: (13, 3)}


def _inventory(world: World) -> None:
    with world.store.session() as s:
        for d, (code, kind) in SITES.items():
            s.add(model.Site(id=d, code=code, name=f"Trạm {code}", name_folded=code.lower(),
                             kind=kind, lat=10.5, lon=105.1))
            s.add(model.Device(id=d, hostname=f"r{d}", site_id=d, role=kind, vendor="huawei",
                               platform="huawei_vrp", mgmt_address=f"127.0.0.{d}"))
        s.flush()
        for k, (a, z) in LINKS.items():
            s.add(model.Interface(id=2 * k, device_id=a, ifindex=k, name=f"up{k}"))
            s.add(model.Interface(id=2 * k + 1, device_id=z, ifindex=k, name=f"down{k}"))
            s.flush()
            s.add(model.Link(id=k, a_interface_id=2 * k, z_interface_id=2 * k + 1, kind="fibre",
                             capacity_mbps=1000))


def _change(world: World, device: int, minutes_from_now: float, lines: int) -> None:
    at = dt.datetime.fromtimestamp(world.clock.now + 60 * minutes_from_now, dt.UTC)
    with world.store.session() as s:
        record_config(s, device, "\n".join(f"line {i}" for i in range(lines)), at)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path / "a.sqlite")
    _inventory(w)
    for d in SITES:  # a first backup of every device: no change yet
        _change(w, d, -120, 3)
    yield w
    w.store.close()


def test_firing_notification_and_api_list_recent_changes_of_the_incidents_devices(
        world: World) -> None:
    world.cycle(set(), set())
    _change(world, 2, -3, 5)     # PoP (root link's A end): 3 min before  -> shown
    _change(world, 1, -45, 4)    # core (root link's Z end): 45 min before -> outside the window
    _change(world, 10, -10, 6)   # commune cut off by the PoP: 10 min before -> shown
    _change(world, 13, -1, 7)    # commune of another PoP: unrelated -> not shown
    world.cycle({100}, {2, 10, 11}, step=1.0)
    (n,) = [n for n in world.outbox.seen.values() if n.event == "firing"]
    got = [(c.device, c.site_code, c.minutes_before, c.lines_added, c.lines_removed)
           for c in n.incident.config_changes]
    # newest first; minutes counted back from the incident's start (1 s after "now" above)
    assert got == [("r2", "POP-891", 3.0, 2, 0), ("r10", "UB-10", 10.0, 3, 0)]

    vi, en = render(n, "vi"), render(n, "en")
    assert "Thay đổi cấu hình gần đây" in vi.text and "3 phút trước khi sự cố bắt đầu" in vi.text
    assert "r2 (POP-891): 3 phút trước" in vi.text and "+2/-0 dòng" in vi.text
    assert "Recent configuration changes" in en.text
    assert "r2 (POP-891): 3 min before the incident started" in en.text
    assert "<h3>Thay đổi cấu hình gần đây</h3>" in vi.html and "r13" not in vi.html
    assert from_dict(to_dict(n)) == n  # carried through the outbox unchanged

    app = FastAPI()
    app.include_router(alerts_router(world.store, clock=world.clock))
    body = TestClient(app).get(f"/api/v1/alerts/incidents/{n.incident.id}").json()
    assert [(c["device"], c["minutes_before"]) for c in body["config_changes"]] == [
        ("r2", 3.0), ("r10", 10.0)]


def test_changes_after_the_start_until_the_end_and_window(world: World) -> None:
    world.cycle({100}, {2, 10, 11})
    with world.store.session() as s:
        inc = s.scalars(select(Incident)).one()
        assert recent_changes(s, inc, world.clock.now) == ()
    _change(world, 1, 2, 9)  # the core changed 2 min after the incident started
    with world.store.session() as s:
        inc = s.scalars(select(Incident)).one()
        assert [(c.device, c.minutes_before) for c in
                recent_changes(s, inc, world.clock.now + 300)] == [("r1", -2.0)]
        assert recent_changes(s, inc, world.clock.now + 60) == ()  # not yet at "now"
        assert [c.device for c in recent_changes(s, inc, world.clock.now + 300,
                                                 window_s=200 * 60)] == ["r1"]


def test_stored_notifications_without_changes_still_decode(world: World) -> None:
    world.cycle({100}, {2, 10, 11})
    (n,) = world.outbox.seen.values()
    data = to_dict(n)
    del data["incident"]["config_changes"]  # as stored before this field existed
    assert from_dict(data).incident.config_changes == ()


@pytest.mark.parametrize(("minutes", "language", "expected"), [
    (3.0, "vi", "3 phút trước khi sự cố bắt đầu"),
    (-2.4, "vi", "2 phút sau khi sự cố bắt đầu"),
    (0.3, "vi", "dưới 1 phút trước khi sự cố bắt đầu"),
    (3.0, "en", "3 min before the incident started"),
    (-12.0, "en", "12 min after the incident started"),
    (0.0, "en", "under 1 min before the incident started"),
])
def test_change_when(minutes: float, language: str, expected: str) -> None:
    c = ConfigChangeNote("r2", "POP-891", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), 1, 0, minutes)
    assert change_when(c, language) == expected  # type: ignore[arg-type]
