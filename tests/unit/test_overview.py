"""The overview's rules (pure): link state, connected devices by path, unit states, the 2025
units from their legacy communes, the month's start in Viet Nam time."""

from __future__ import annotations

import datetime as dt

import pytest

from provnet.inventory.topology import Edge, Topology
from provnet.maps.overview import (
    connected_devices,
    link_state,
    month_start,
    unit_2025_state,
    unit_states,
)


@pytest.mark.parametrize(("status", "util", "want"), [
    ("up", 10.0, "up"), ("up", 80.0, "degraded"), ("up", None, "up"),
    ("down", 95.0, "down"), ("unknown", None, "unknown"), ("weird", None, "unknown"),
])
def test_link_state(status: str, util: float | None, want: str) -> None:
    assert link_state(status, util) == want


# core 1 -- link 10 -- pop 2 -- link 20 -- commune 3
#                     pop 2 -- link 21 -- commune 4 -- link 40 -- pop 5 -- link 50 -- core 1
TOPO = Topology(1, [Edge(10, 2, 1), Edge(20, 3, 2), Edge(21, 4, 2), Edge(40, 4, 5),
                    Edge(50, 5, 1)], [1, 2, 3, 4, 5])
UP = dict.fromkeys(range(1, 6), "up")


@pytest.mark.parametrize(("devices", "links", "want"), [
    ({}, {}, {1, 2, 3, 4, 5}),
    ({2: "down"}, {}, {1, 4, 5}),                      # 4 is dual-homed through 5
    ({2: "unreachable"}, {}, {1, 4, 5}),
    ({}, {10: "down"}, {1, 4, 5}),                     # the PoP's uplink
    ({}, {10: "down", 50: "down"}, {1}),
    ({3: "snmp_not_answering"}, {}, {1, 2, 3, 4, 5}),  # ICMP answers: still connected
    ({3: "unknown"}, {}, {1, 2, 4, 5}),                # no verdict: not counted connected
    ({1: "down"}, {}, set()),
])
def test_connected_devices(devices: dict[int, str], links: dict[int, str],
                           want: set[int]) -> None:
    assert connected_devices(TOPO, {**UP, **devices}, links) == want


def test_unit_states() -> None:
    offices = {"A": [3], "B": [4], "C": [6], "D": []}
    got = unit_states(offices, {4}, {3: "up", 4: "up", 6: "unknown"})
    assert got == {"A": "cut_off", "B": "connected", "C": "no_data", "D": "no_device"}


@pytest.mark.parametrize(("legacy", "want"), [
    ([], "unmapped"), (["cut_off", "connected"], "connected"), (["no_data"], "no_data"),
    (["no_data", "cut_off"], "cut_off"),
])
def test_unit_2025_state(legacy: list[str], want: str) -> None:
    assert unit_2025_state(legacy) == want


def test_month_start_is_local_midnight_of_the_first() -> None:
    # 30 Nov 2026 18:30 UTC is already 1 Dec 01:30 in Viet Nam
    now = dt.datetime(2026, 11, 30, 18, 30, tzinfo=dt.UTC).timestamp()
    assert month_start(now) == dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC).timestamp()


class _Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_month_availability_is_read_in_the_background_and_kept_for_its_ttl() -> None:
    from provnet.maps.overview import OverviewSource

    calls: list[tuple[int, int]] = []

    def read(start: int, end: int) -> float | None:
        calls.append((start, end))
        return 0.9975

    now = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC).timestamp()
    clock = _Clock(now)
    src = OverviewSource(store=None, live=None, availability=read,  # type: ignore[arg-type]
                         availability_ttl_s=300, clock=clock)
    assert src._availability(now) is None  # the first call starts the reading
    src.wait_availability()
    assert calls == [(month_start(now), int(now))]
    assert src._availability(now + 10) == 0.9975  # kept for the TTL: no second reading
    assert len(calls) == 1
    assert src._availability(now + 301) == 0.9975  # stale: the old value, a new reading
    src.wait_availability()
    assert len(calls) == 2
    # a failing history is "not yet", never an exception
    src.availability = lambda a, b: 1 / 0  # type: ignore[assignment,return-value]
    later = now + 40 * 86400  # next month: last month's value is not shown
    assert src._availability(later) is None
    src.wait_availability()
    assert src._availability(later + 1) is None
