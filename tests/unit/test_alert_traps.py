"""Traps into alerts: the pure trap -> ``link.up`` adapter, the engine's stale-value rule, and
the incident book fed an event batch between cycle batches (real SQLite store)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from provnet.alerts.engine import Engine, Observation
from provnet.alerts.observe import LinkEnd, trap_observations
from provnet.alerts.rules import parse_rules
from tests.unit.test_alert_incidents import RULES, Clock, World, observations

# device 7 ifindex 3 is the A end of link 12 (Z end: device 8 ifindex 5); ifindex 4: no link
ENDS = {7: {3: LinkEnd(12, "a")}, 8: {5: LinkEnd(12, "z")}}
LABELS = {12: {"link": "12", "site": "UB-1"}}


@pytest.mark.parametrize(("device", "ifindex", "up", "admin", "expected"), [
    (7, 3, False, None, [("link:12", 0.0)]),     # down at one end: link down
    (8, 5, False, 1, [("link:12", 0.0)]),        # from the other end, admin up
    (7, 3, True, None, []),                      # up: left to the next poll
    (7, 3, False, 2, []),                        # admin shutdown: not a fault
    (7, 4, False, None, []),                     # interface on no link
    (9, 3, False, None, []),                     # device with no links
])
def test_trap_observations(device: int, ifindex: int, up: bool, admin: int | None,
                           expected: list[tuple[str, float]]) -> None:
    got = trap_observations(device, ifindex, up, 50.0, ENDS, LABELS, admin)
    assert [(o.entity, o.value) for o in got] == expected
    assert all(o.metric == "link.up" and o.time == 50.0 and o.labels == LABELS[12] for o in got)


@pytest.mark.parametrize(("times_values", "raw_after"), [
    ([(10.0, 0.0), (9.0, 1.0)], True),    # a value older than the last one is stale
    ([(10.0, 0.0), (11.0, 1.0)], False),  # a newer one applies
    ([(10.0, 0.0), (10.0, 1.0)], False),  # same time: applies (same cycle order)
])
def test_engine_drops_stale_observations(times_values: list[tuple[float, float]],
                                         raw_after: bool) -> None:
    clock = Clock()
    engine = Engine(parse_rules(RULES), clock)
    for t, v in times_values:
        engine.evaluate([Observation("link:12", "link.up", v, t)])
    st = engine.alerts["link_down|link:12"]
    assert st.raw is raw_after and st.state == "firing"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path / "a.sqlite")
    yield w
    w.store.close()


def _event(world: World, link: int, value: float, after: float = 1.0) -> list[str]:
    """An event batch (confirm=False) with ``link.up`` = ``value`` for ``link``."""
    world.clock.now += after
    obs = [o for o in observations(set(), set(), world.clock.now) if o.entity == f"link:{link}"]
    world.book.process([Observation(o.entity, o.metric, value, o.time, o.labels) for o in obs],
                       confirm=False)
    return world.outbox.events()


def test_trap_notifies_before_the_cycle_and_a_stale_poll_does_not_undo_it(world: World) -> None:
    world.cycle(set(), set())
    started = world.clock.now + 0.5  # the next cycle's polls start before the trap...
    assert _event(world, 100, 0.0) == ["firing"]  # notified on the trap alone
    # ...and end after it: their link.up = 1 is older than the trap and ignored
    world.clock.now += 2.0
    world.book.process(observations(set(), set(), started))
    assert world.outbox.events() == ["firing"]
    st = world.book.engine.alerts["link_down|link:100"]
    assert st.raw and st.state == "firing" and not st.changes[1:]
    world.cycle(*({100}, {2, 10, 11}))  # the next poll confirms: still one incident
    incs = world.incidents()
    assert len(incs) == 1 and incs[0].group_key == "link:100" and incs[0].status == "open"
    assert world.outbox.events() == ["firing"]
    # complete at once from the topology; dual-homed 12 is not cut off
    assert {a["site_code"] for a in incs[0].affected} == {"POP-891", "UB-10", "UB-11"}


def test_trap_then_polls_one_incident_children_kept_one_resolution(world: World) -> None:
    """The link comes back and the devices behind it answer in the same poll batch: the
    cut-off devices' alerts stay children of the link incident and resolve with it."""
    world.cycle(set(), set())
    _event(world, 100, 0.0)
    world.cycle(*({100}, {2, 10, 11}))
    world.cycle(*({100}, {2, 10, 11}))
    for _ in range(4):
        world.cycle(set(), set())
    assert world.outbox.events() == ["firing", "resolved"]
    (inc,) = world.incidents()
    assert inc.status == "resolved"
    with world.store.session() as s:
        from sqlalchemy import select

        from provnet.alerts.model import Alert
        rows = s.scalars(select(Alert).where(Alert.incident_id == inc.id)).all()
    assert sorted(r.entity for r in rows if r.suppressed) == ["device:10", "device:11",
                                                              "device:2"]
    assert all(r.state == "resolved" for r in rows)


def test_event_batch_is_no_poll_confirmation(world: World) -> None:
    """A device-rooted incident needs two poll batches; event batches in between do not."""
    world.cycle(set(), set())
    world.cycle(set(), {13})          # first poll batch seeing 13 unreachable
    for _ in range(3):                # event batches about another link
        _event(world, 110, 1.0)
    assert world.outbox.events() == []
    world.cycle(set(), {13})          # second poll batch: confirmed
    assert world.outbox.events() == ["firing"]
