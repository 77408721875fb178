"""Event time of remote poller nodes (pure): guards, watermarks, phases, ownership, absence."""

from __future__ import annotations

import pytest

from provnet.alerts.engine import Observation
from provnet.alerts.eventtime import EventTime, device_of
from provnet.config.eventtime import EventTimeSettings

NOW = 1_800_000_000.0
S = EventTimeSettings(silent_after_s=60, caught_up_lag_s=30, allowed_reorder_s=120,
                      max_future_s=300, retention_s=72 * 3600, stale_after_s=300)


def tracker() -> EventTime:
    return EventTime(S)


# (what came before: event times admitted, the event time offered, expected reason)
GUARD_CASES = [
    ([], NOW, None),
    ([], NOW + 299, None),  # a node clock a little ahead: accepted
    ([], NOW + 301, "future"),
    ([], NOW + 86400 * 365 * 30, "future"),  # 2056
    ([], NOW - 72 * 3600 + 1, None),  # just within retention (a 3-day backlog)
    ([], NOW - 72 * 3600 - 1, "expired"),
    ([], 0.0, "expired"),  # 1970 (Zabbix livelock)
    ([NOW], NOW - 120, None),  # reordered within the allowance
    ([NOW], NOW - 121, "reordered"),
    ([NOW - 500, NOW], NOW - 400, "reordered"),  # behind the newest, not the first
    ([NOW + 301], NOW - 121, None),  # a rejected time does not move the watermark
]


@pytest.mark.parametrize(("before", "t", "reason"), GUARD_CASES,
                         ids=[f"guard-{i}" for i in range(len(GUARD_CASES))])
def test_guards(before: list[float], t: float, reason: str | None) -> None:
    et = tracker()
    for b in before:
        et.admit("pop1", b, NOW)
    assert et.admit("pop1", t, NOW) == reason
    if reason is not None:
        assert et.rejected[("pop1", reason)] >= 1
    else:
        assert not any(r == reason for (_, r) in et.rejected)


def test_rejections_are_counted_per_node_and_reason() -> None:
    et = tracker()
    for t in (0.0, 1.0, NOW + 10_000, NOW):
        et.admit("pop1", t, NOW)
    et.admit("pop2", 0.0, NOW)
    assert dict(et.rejected) == {("pop1", "expired"): 2, ("pop1", "future"): 1,
                                 ("pop2", "expired"): 1}
    assert et.nodes["pop1"].received == NOW and "pop2" not in et.nodes


def test_clock_only_moves_forward_and_owns_entities() -> None:
    et = tracker()
    obs = [Observation("device:7", "device.reachable", 1.0, NOW - 60),
           Observation("link:3", "link.up", 1.0, NOW - 60)]
    assert et.evaluated("pop1", NOW - 60, obs, [7]) == NOW - 60
    assert et.evaluated("pop1", NOW - 100, [], []) == NOW - 60  # late batch: no way back
    assert et.clock_for("device:7") == et.clock_for("link:3") == NOW - 60
    assert et.clock_for("device:8") is None  # not a node's: the centre's wall clock
    assert et.evaluated("pop1", NOW, [], []) == NOW  # a heartbeat moves the watermark
    assert et.clock_for("device:7") == NOW


# (arrivals as (wall time, event time), wall time checked, expected phase, changes)
PHASE_CASES = [
    ([(NOW, NOW)], NOW + 60, "live", []),
    ([(NOW, NOW)], NOW + 61, "silent", ["silent"]),
    ([(NOW, NOW)], NOW + 3600, "silent", ["silent"]),
    # first heard with a backlog an hour old: catching up from the start
    ([(NOW, NOW - 3600)], NOW, "catching_up", []),
]


@pytest.mark.parametrize(("arrivals", "at", "phase", "changes"), PHASE_CASES,
                         ids=[f"phase-{i}" for i in range(len(PHASE_CASES))])
def test_phases(arrivals: list[tuple[float, float]], at: float, phase: str,
                changes: list[str]) -> None:
    et = tracker()
    for wall, t in arrivals:
        assert et.admit("pop1", t, wall) is None
        et.evaluated("pop1", t, [], [])
    assert [c.change for c in et.check(at)] == changes
    assert et.nodes["pop1"].phase == phase


def test_silent_returned_caught_up() -> None:
    et = tracker()
    et.admit("pop1", NOW, NOW)
    et.evaluated("pop1", NOW, [Observation("device:7", "device.reachable", 1.0, NOW)], [7])
    [ch] = et.check(NOW + 90)
    assert (ch.change, ch.silent_at) == ("silent", NOW + 90)
    assert et.unknown_devices() == {7: "pop1"}
    assert et.blind_owner("device:7") == "pop1"
    assert et.blind_owner("if:7:3") == "pop1"  # by device, never observed itself
    assert et.blind_owner("icmp", {"device_id": "7"}) == "pop1"
    # it comes back after 45 minutes with its backlog
    wall = NOW + 2700
    et.admit("pop1", NOW + 60, wall)
    assert [c.change for c in et.check(wall)] == ["returned"]
    assert et.nodes["pop1"].phase == "catching_up" and et.unknown_devices() == {7: "pop1"}
    for k in range(1, 45):  # backlog evaluated in event-time order: 2640 s < 2700 - 30
        et.evaluated("pop1", NOW + 60 * k, [], [7])
        assert et.check(wall) == []
    et.evaluated("pop1", NOW + 60 * 45, [], [7])
    [done] = et.check(wall)
    assert done.change == "caught_up" and done.window == (NOW, NOW + 60 * 45)
    assert et.unknown_devices() == {} and et.blind_owner("device:7") is None


def test_screen_drops_what_a_blind_node_polls() -> None:
    et = tracker()
    et.admit("pop1", NOW, NOW)
    et.evaluated("pop1", NOW, [], [7])
    local = [Observation("device:7", "icmp.loss_pct", 100.0, NOW + 100, {"device_id": "7"}),
             Observation("device:8", "icmp.loss_pct", 100.0, NOW + 100, {"device_id": "8"})]
    assert et.screen(local) == local  # live: the centre's own view counts
    et.check(NOW + 100)
    assert et.screen(local) == local[1:] and et.screened == 1


def test_absence_rule_follows_the_node_watermark() -> None:
    et = tracker()
    et.admit("pop1", NOW, NOW)
    et.evaluated("pop1", NOW, [], [7, 8])
    labels = {7: {"device_id": "7", "site": "UB-7"}}
    assert et.stale("pop1", labels) == []
    et.evaluated("pop1", NOW + 200, [], [8])  # 7 missing from a batch
    assert et.stale("pop1", labels) == []
    # the centre's wall clock runs on (node silent): nothing becomes stale without its time
    et.check(NOW + 3600)
    assert et.stale("pop1", labels) == []
    et.evaluated("pop1", NOW + 301, [], [8])
    [o] = et.stale("pop1", labels)
    assert (o.entity, o.metric, o.value, o.time, o.labels) == (
        "device:7", "poll.fresh", 0.0, NOW + 301, labels[7])


def test_node_observations() -> None:
    et = tracker()
    et.admit("pop1", NOW, NOW)
    et.evaluated("pop1", NOW, [], [7, 8])
    et.admit("pop2", NOW + 80, NOW + 80)
    et.check(NOW + 90)
    got = {o.entity: (o.value, o.labels["devices"]) for o in et.node_observations(NOW + 90)}
    assert got == {"node:pop1": (0.0, "2"), "node:pop2": (1.0, "0")}


@pytest.mark.parametrize(("entity", "labels", "device"), [
    ("device:7", None, 7), ("if:7:3", None, 7), ("link:3", None, None),
    ("link:3", {"device_id": "9"}, 9), ("node:pop1", None, None), ("device:x", None, None),
])
def test_device_of(entity: str, labels: dict[str, str] | None, device: int | None) -> None:
    assert device_of(entity, labels) == device


def test_a_device_moved_to_another_node_is_no_longer_the_old_ones() -> None:
    et = tracker()
    et.admit("pop1", NOW, NOW)
    et.evaluated("pop1", NOW, [], [7, 8])
    et.admit("pop1b", NOW + 100, NOW + 100)  # the planner moved 7 to pop1b (failover)
    et.evaluated("pop1b", NOW + 100, [], [7])
    assert et.device_owner[7] == "pop1b" and set(et.nodes["pop1"].devices) == {8}
    # pop1 comes back much later: 7 is not stale there (it is polled elsewhere)
    et.evaluated("pop1", NOW + 1000, [], [8])
    et.evaluated("pop1b", NOW + 1000, [], [7])
    assert et.stale("pop1", {}) == [] and et.stale("pop1b", {}) == []
