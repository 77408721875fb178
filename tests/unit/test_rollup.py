"""Rollups from the stream: buckets, min/mean/max/count, reset gaps, idempotent points."""

from __future__ import annotations

import pytest

from provnet.pollers.linkstatus import LinkStatusTracker
from provnet.pollers.rollup import RollupAggregator, series_key
from provnet.tsdb.measurements import IFSTATS, LINK_STATE, LINK_STATUS, ROLLUP_1H, ROLLUP_5M
from provnet.tsdb.points import Point

T0 = 1_700_000_400  # a multiple of 3600 plus 1200: inside an hour, on a 5-minute boundary
NS = 1_000_000_000
TAGS = {"device": "r1", "ifindex": "3", "link": "7", "end": "a", "role": "pop"}


def feed(agg: RollupAggregator, values: list[tuple[int, float | None, bool]]) -> None:
    for dt, bps, reset in values:
        fields: dict[str, float | bool] = {"in_octets": 5.0}
        if bps is not None:
            fields["in_bps"] = bps
        if reset:
            fields["counter_reset"] = True
        agg.add(IFSTATS, TAGS, fields, (T0 + dt) * NS)


def test_five_minute_bucket_min_mean_max_count_and_resets() -> None:
    agg = RollupAggregator()
    feed(agg, [(0, 10.0, False), (60, 30.0, False), (120, None, True), (180, 20.0, False),
               (300, 100.0, False)])
    out = agg.flush(T0 + 300)  # the first 5-minute bucket has ended, the hour has not
    assert list(out) == [300]
    (p,) = out[300]
    assert p.measurement == ROLLUP_5M and p.time_ns == T0 * NS
    assert p.tags == {"src": IFSTATS, "device": "r1", "ifindex": "3", "link": "7", "end": "a"}
    assert p.fields["in_bps_min"] == 10.0 and p.fields["in_bps_max"] == 30.0
    assert p.fields["in_bps_mean"] == pytest.approx(20.0)
    assert p.fields["in_bps_n"] == 3 and p.fields["samples"] == 4 and p.fields["resets"] == 1
    assert "in_octets_mean" not in p.fields  # raw counters are never rolled up
    hour = agg.flush_all()[3600]
    assert hour[0].measurement == ROLLUP_1H and hour[0].time_ns == (T0 - T0 % 3600) * NS
    assert hour[0].fields["in_bps_n"] == 4 and hour[0].fields["in_bps_max"] == 100.0
    assert hour[0].fields["in_bps_mean"] == pytest.approx(40.0)


@pytest.mark.parametrize(("now", "grace", "emitted"), [
    (T0 + 299, 0, 0), (T0 + 300, 0, 1), (T0 + 300, 90, 0), (T0 + 390, 90, 1)])
def test_a_bucket_is_emitted_once_closed_plus_grace(now: int, grace: int, emitted: int) -> None:
    agg = RollupAggregator(widths=(300,))
    feed(agg, [(0, 1.0, False)])
    assert len(agg.flush(now, grace).get(300, [])) == emitted


def test_same_samples_give_the_same_points_whatever_the_order() -> None:
    samples = [(i * 60, float(i % 7), i == 4) for i in range(30)]
    a, b = RollupAggregator(), RollupAggregator()
    feed(a, samples)
    feed(b, list(reversed(samples)))
    pa, pb = a.flush_all(), b.flush_all()
    assert pa.keys() == pb.keys()
    for w in pa:
        assert [(p.time_ns, p.tags) for p in pa[w]] == [(p.time_ns, p.tags) for p in pb[w]]
        for x, y in zip(pa[w], pb[w], strict=True):
            assert x.fields == pytest.approx(y.fields)


def test_unrolled_measurements_and_non_numbers_are_ignored() -> None:
    agg = RollupAggregator()
    agg.add_points([Point("snmp_poll", {"duration_ms": 3.0}, {"device": "r1"}, T0 * NS),
                    Point(IFSTATS, {"in_bps": "x"}, TAGS, T0 * NS),
                    Point(IFSTATS, {"in_bps": 1.0}, TAGS, None)])
    assert agg.pending() == 0


def test_series_key_keeps_stable_codes_only() -> None:
    assert series_key(IFSTATS, TAGS) == (IFSTATS, (("device", "r1"), ("end", "a"),
                                                   ("ifindex", "3"), ("link", "7")))


def test_link_status_tracker_samples_every_cycle_and_records_changes() -> None:
    tr = LinkStatusTracker()
    s1, c1 = tr.observe({1: ("up", "up"), 2: ("unknown", "no_fresh_data")}, {}, 10)
    assert [p.fields for p in s1] == [{"up": 1}]  # unknown: no sample, i.e. no data
    assert [(p.measurement, p.tags["link"], p.fields["status"]) for p in c1] == [
        (LINK_STATUS, "1", "up"), (LINK_STATUS, "2", "unknown")]
    s2, c2 = tr.observe({1: ("down", "down_a"), 2: ("unknown", "no_fresh_data")},
                        {1: {"commune": "30280"}}, 20)
    assert [(p.measurement, p.fields, p.tags) for p in s2] == [
        (LINK_STATE, {"up": 0}, {"link": "1", "commune": "30280"})]
    assert [(p.tags["link"], p.fields["status"], p.fields["reason"]) for p in c2] == [
        ("1", "down", "down_a")]


@pytest.mark.parametrize(("offsets", "slots"), [
    ([0], 1),
    ([0, 60, 120, 299], 1),              # one 5-minute bucket however many polls
    ([0, 300, 600], 3),
    ([0, 600, 1200, 1260], 3),           # buckets 2 and 4 missing (a gap)
    ([dt * 60 for dt in range(40)], 8),  # T0 is 20 minutes into its hour: 8 buckets left
])
def test_hour_bucket_counts_its_five_minute_buckets_with_data(offsets: list[int],
                                                              slots: int) -> None:
    agg = RollupAggregator()
    feed(agg, [(dt, 1.0, False) for dt in offsets])
    out = agg.flush_all()
    (hour,) = out[3600]
    assert hour.fields["slots_5m"] == slots == len(out[300])
    assert all("slots_5m" not in p.fields for p in out[300])


def test_no_five_minute_count_without_five_minute_buckets() -> None:
    agg = RollupAggregator(widths=(3600,))
    feed(agg, [(0, 1.0, False), (300, 2.0, False)])
    (hour,) = agg.flush_all()[3600]
    assert "slots_5m" not in hour.fields and hour.fields["samples"] == 2
