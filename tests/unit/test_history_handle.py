"""The history feature's handle off the event loop: the tap only queues, the aggregation runs
in ``drain`` (a worker thread in the service), ``closed`` drains first; the sampled links
follow inventory reloads. And the start-up heap frozen after the warm-up cycles."""

from __future__ import annotations

import gc
import threading
from typing import Any

from provnet.features.gcpause import FreezeAfterWarmUp
from provnet.features.history import HistoryHandle
from provnet.pollers.rollup import LINK_STATE, RollupAggregator
from provnet.pollers.scheduler import CycleStats
from provnet.tsdb.points import Point

T0 = 1_800_000_000  # a whole hour


def handle() -> HistoryHandle:
    return HistoryHandle(RollupAggregator(), {}, None, since_ns=T0 * 10**9)  # type: ignore[arg-type]


def up(link: int, t: int, value: int = 1) -> Point:
    return Point(LINK_STATE, {"up": value}, {"link": str(link)}, t * 10**9)


def test_tap_queues_and_drain_aggregates() -> None:
    h = handle()
    h.tap([up(1, T0 + 10), up(2, T0 + 10), up(3, T0 - 10)])  # the last: before the start
    assert h.aggregator.pending() == 0 and len(h.inbox) == 1  # nothing computed on the loop
    assert h.drain() == 3
    assert h.aggregator.pending() == 4  # links 1 and 2, in the 5-minute and 1-hour buckets
    assert h.drain() == 0


def test_closed_drains_first_and_takes_status_changes() -> None:
    h = handle()
    h.tap([up(1, T0 + 10, 0)])
    h.status_changes.extend([Point("link_status", {"status": "down"}, {"link": "1"},
                                   (T0 + 10) * 10**9)])
    out = h.closed(T0 + 3600 + 1, 0.0)
    assert sorted(out) == [300, 3600]
    assert [p.fields["up_min"] for p in out[300]] == [0]
    assert [p.measurement for p in out[3600]].count("link_status") == 1
    assert not h.status_changes and not h.inbox


def test_taps_from_the_loop_while_a_thread_drains_lose_nothing() -> None:
    h = handle()
    n, per = 200, 50

    def loop_side() -> None:
        for i in range(n):
            h.tap([up(k, T0 + i) for k in range(per)])

    t = threading.Thread(target=loop_side)
    t.start()
    taken = 0
    while t.is_alive() or h.inbox:
        taken += h.drain()
    t.join()
    taken += h.drain()
    assert taken == n * per
    closed = h.closed(T0 + 7200, 0.0)
    assert sum(int(p.fields["samples"]) for p in closed[3600]) == n * per


def test_reload_follows_the_inventory() -> None:
    h = handle()
    inventory: list[Any] = ["link-1"]
    h.load_links = lambda: list(inventory)
    h.reload()
    assert h.links == ["link-1"]
    inventory.append("link-2")
    h.reload()
    assert h.links == ["link-1", "link-2"]


def test_heap_frozen_once_after_warm_up() -> None:
    freezer = FreezeAfterWarmUp(after_cycles=2)
    stats = CycleStats(started=0.0, duration_s=1.0, devices_ok=1, devices_failed=0,
                       varbinds=1, cpu_s=0.1)
    try:
        freezer.on_cycle(stats)
        assert freezer.frozen is None and gc.get_freeze_count() == 0
        freezer.on_cycle(stats)
        assert freezer.frozen is not None and freezer.frozen == gc.get_freeze_count() > 1000
        freezer.on_cycle(stats)
        assert freezer.cycles == 3
    finally:
        gc.unfreeze()
