"""An incident's ``silenced`` and ``notified`` flags say what is true (issue 10).

``silenced``: a matching silence or maintenance window is active now (re-evaluated at every
evaluation of an open incident, so it turns false when the silence ends or is deleted; a
resolved incident keeps the value it had when it resolved). ``notified``: at least one
notification of it was queued to a configured channel. The same small network and real
SQLite store as ``test_alert_incidents``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from provnet.alerts.model import IncidentEvent, MaintenanceWindow, Silence
from provnet.alerts.notify.outbox import Outbox
from provnet.config.notify import NotifierSettings
from provnet.config.settings import AlertSettings
from tests.unit.test_alert_incidents import POP_DOWN, World


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path / "f.sqlite", AlertSettings(escalate_after_s=60))
    yield w
    w.store.close()


def _silence(w: World, district: str, seconds: float) -> int:
    with w.store.session() as s:
        row = Silence(district=district, starts_at=w.clock.now, ends_at=w.clock.now + seconds,
                      created_by="tester", comment="")
        s.add(row)
        s.flush()
        return row.id


def _delete_silence(w: World, silence_id: int) -> None:
    with w.store.session() as s:
        s.delete(s.get(Silence, silence_id))


def _flags(w: World) -> tuple[bool, bool]:
    (inc,) = w.incidents()
    return inc.silenced, inc.notified


def _kinds(w: World) -> list[str]:
    with w.store.session() as s:
        return [e.kind for e in s.scalars(select(IncidentEvent).order_by(IncidentEvent.id))]


def test_silence_added_after_notification_sets_then_clears_silenced(world: World) -> None:
    world.cycle(set(), set())
    world.cycle(*POP_DOWN)
    assert _flags(world) == (False, True)
    sid = _silence(world, "891", 3600)
    world.cycle(*POP_DOWN)
    assert _flags(world) == (True, True)  # notified before, silenced now
    for _ in range(10):  # 100 s: past escalate_after_s, but silenced: no escalation
        world.cycle(*POP_DOWN)
    assert world.outbox.events() == ["firing"]
    _delete_silence(world, sid)
    world.cycle(*POP_DOWN)
    assert _flags(world) == (False, True)
    assert world.outbox.events() == ["firing", "escalated"]  # held escalation resumes
    kinds = _kinds(world)
    assert kinds.index("silenced") < kinds.index("unsilenced")


def test_silence_that_ends_lets_the_incident_be_notified(world: World) -> None:
    _silence(world, "891", 25)
    world.cycle(set(), set())
    world.cycle(*POP_DOWN)
    assert _flags(world) == (True, False)
    assert world.outbox.events() == []
    world.cycle(*POP_DOWN)
    world.cycle(*POP_DOWN)  # 30 s later: the silence has ended
    assert _flags(world) == (False, True)
    assert world.outbox.events() == ["firing"]


def test_silence_elsewhere_does_not_silence(world: World) -> None:
    _silence(world, "892", 3600)
    world.cycle(set(), set())
    world.cycle(*POP_DOWN)
    assert _flags(world) == (False, True)


def test_maintenance_window_silences_an_open_incident(world: World) -> None:
    world.cycle(set(), set())
    world.cycle(*POP_DOWN)
    with world.store.session() as s:
        s.add(MaintenanceWindow(name="hourly", district="891", rrule="FREQ=HOURLY",
                                dtstart="1970-01-01T00:00:00+00:00", duration_s=3599,
                                created_by="tester", comment=""))
    world.cycle(*POP_DOWN)
    assert _flags(world) == (True, True)


def test_window_whose_rule_no_longer_parses_is_skipped(world: World) -> None:
    with world.store.session() as s:  # written around the API's check, e.g. by hand
        s.add(MaintenanceWindow(name="bad", district="891", rrule="FREQ=HOURLY;BYDAY=XX",
                                dtstart="1970-01-01T00:00:00+00:00", duration_s=3599,
                                created_by="tester", comment=""))
    world.cycle(set(), set())
    world.cycle(*POP_DOWN)  # evaluation goes on
    assert _flags(world) == (False, True)


def test_resolved_incident_keeps_its_last_silenced_value(world: World) -> None:
    _silence(world, "891", 3600)
    world.cycle(set(), set())
    world.cycle(*POP_DOWN)
    for _ in range(4):
        world.cycle(set(), set())
    (inc,) = world.incidents()
    assert (inc.status, inc.silenced, inc.notified) == ("resolved", True, False)


def _with_outbox(w: World, notify: NotifierSettings) -> Outbox:
    outbox = Outbox(w.store, notify)
    w.outbox = outbox  # type: ignore[assignment]
    w.book = w.new_book()
    return outbox


def test_no_channel_configured_is_not_notified(world: World) -> None:
    outbox = _with_outbox(world, NotifierSettings())
    assert outbox.channels == {}
    world.cycle(set(), set())
    world.cycle(*POP_DOWN)
    assert _flags(world) == (False, False)
    assert "notified" not in _kinds(world)
    assert "not_notified" in _kinds(world)
    for _ in range(10):  # escalations are decided all the same, and reach nobody
        world.cycle(*POP_DOWN)
    (inc,) = world.incidents()
    assert inc.escalations == 1 and not inc.notified


def test_channel_configured_is_notified(world: World) -> None:
    outbox = _with_outbox(world, NotifierSettings.model_validate(
        {"webhook": {"enabled": True, "url": "http://127.0.0.1:9/hook"}}))
    world.cycle(set(), set())
    world.cycle(*POP_DOWN)
    assert _flags(world) == (False, True)
    assert [d.channel for d in outbox.deliveries(key="incident-1-firing-1")] == ["webhook"]
    assert "notified" in _kinds(world)
