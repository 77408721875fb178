"""Availability arithmetic (pure): buckets, both availabilities, incidents, dual homing."""

from __future__ import annotations

import pytest

from provnet.alerts.availability import Slot, commune_slots, link_slots, tally, total
from provnet.inventory.topology import Edge, Topology

W = 300


def never(_: int) -> bool:
    return False


def test_link_buckets_and_both_availabilities() -> None:
    # 12 slots: 8 up, 1 half down, 1 down, 1 without data, 1 down in maintenance
    f = {i * W: 1.0 for i in range(8)} | {8 * W: 0.5, 9 * W: 0.0, 11 * W: 0.0}
    slots = link_slots(f, lambda s: s == 11 * W, 0, 12 * W, W)
    t = tally(slots)
    assert t.period_s == 3600 and t.nodata_s == 300 and t.maintenance_s == 300
    assert t.up_s == 8 * 300 + 150 and t.down_s == 150 + 300 and t.maint_down_s == 300
    assert t.experienced == pytest.approx(2550 / 3300)  # no-data out of the denominator
    assert t.excluding_maintenance == pytest.approx(2550 / 3000)
    assert t.incidents == 1  # slots 8-9 are one run of downtime
    assert t.mttr_s == 450 and t.mtbf_s == 2550


def test_no_data_is_never_up() -> None:
    t = tally(link_slots({}, never, 0, 3600, W))
    assert t.nodata_s == 3600 and t.up_s == 0
    assert t.experienced is None and t.excluding_maintenance is None and t.mttr_s is None


def test_incidents_are_runs_and_maintenance_does_not_split_or_count_them() -> None:
    f = {0: 0.0, W: 1.0, 2 * W: 0.0, 3 * W: 0.0, 4 * W: 0.0, 5 * W: 1.0}
    t = tally(link_slots(f, lambda s: s == 3 * W, 0, 6 * W, W))
    assert t.incidents == 2 and t.down_s == 900 and t.maint_down_s == 300


def test_partial_slots_at_the_period_edges() -> None:
    t = tally(link_slots({0: 1.0, W: 1.0}, never, 100, 400, W))
    assert t.period_s == 300 and t.up_s == 300


def topo() -> Topology:
    # core 1 <- pop 2 (link 10) <- commune 3 over links 11 and 12 (dual-homed), 4 over 13
    return Topology(1, [Edge(10, 2, 1), Edge(11, 3, 2), Edge(12, 3, 1), Edge(13, 4, 2)])


@pytest.mark.parametrize(("fracs", "up", "down", "nodata"), [
    ({10: 1, 11: 1, 12: 1}, 300, 0, 0),
    ({10: 1, 11: 0, 12: 1}, 300, 0, 0),        # one uplink down: still reaches the core
    ({10: 0, 11: 1, 12: 1}, 300, 0, 0),        # the PoP's uplink down: the direct link holds
    ({10: 0, 11: 1, 12: 0}, 0, 300, 0),        # both paths cut
    ({10: 1, 11: 0.5, 12: 0.0}, 150, 150, 0),  # half a slot on the last path
    ({10: 1, 11: 0.0}, 0, 0, 300),             # one path down, the other unknown: no data
    ({10: 1, 11: 1}, 300, 0, 0),               # unknown link, but a known path is up
])
def test_dual_homed_commune_is_up_while_one_path_is(fracs: dict[int, float], up: float,
                                                    down: float, nodata: float) -> None:
    f = {lk: {0: v} for lk, v in fracs.items()}
    (slot,) = commune_slots(topo(), [3], [10, 11, 12], f, never, 0, W, W)
    assert (slot.up_s, slot.down_s, slot.nodata_s) == (up, down, nodata)


def test_single_homed_commune_follows_its_chain() -> None:
    f = {10: {0: 0.8}, 13: {0: 0.5}}
    (slot,) = commune_slots(topo(), [4], [10, 13], f, never, 0, W, W)
    assert slot.down_s == pytest.approx(150) and slot.up_s == pytest.approx(150)


def test_totals_are_entity_seconds() -> None:
    a = tally([Slot(0, 300, 0, 0)])
    b = tally([Slot(0, 0, 300, 0)])
    t = total([a, b])
    assert t.entities == 2 and t.period_s == 600 and t.experienced == 0.5 and t.incidents == 1


@pytest.mark.parametrize("special", [
    {}, {0: 0.0}, {3 * W: 0.5, 4 * W: 0.0, 9 * W: 0.0}, {11 * W: 0.0}])
@pytest.mark.parametrize("missing", [set(), {5 * W}, {4 * W, 5 * W}])
def test_sparse_reading_gives_the_dense_figures(special: dict[int, float],
                                                missing: set[int]) -> None:
    from provnet.alerts.availability import SparseFractions

    dense = {s: special.get(s, 1.0) for s in range(0, 12 * W, W) if s not in missing}
    maint = {9 * W}
    full = tally(link_slots(dense, maint.__contains__, 0, 12 * W, W))
    sparse = SparseFractions(special, missing)
    only = sorted(sparse.special() | maint)
    part = tally(link_slots(sparse, maint.__contains__, 0, 12 * W, W, only), (0, 12 * W, W))
    assert part == full
