"""Counting the 5-minute buckets with data per link and day (the availability report): from
the hourly rollups' ``slots_5m`` where they carry it, from the 5-minute buckets at the partial
hours of the ends and for link-days written before the field existed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from provnet.alerts.reports import slot_counts

DAY = 86400
T0 = 1_796_083_200  # 2026-12-01T00:00:00Z


class Store:
    """Fake reader over 5-minute buckets per link; hourly buckets derived from them, with or
    without ``slots_5m`` (``old``: hours written before the field)."""

    def __init__(self, five: Mapping[int, set[int]], old: set[tuple[int, int]] = frozenset(),
                 lost_hours: set[tuple[int, int]] = frozenset()) -> None:
        self.five = five
        self.old, self.lost = old, lost_hours
        self.scanned_5m = 0  # 5-minute buckets the fake "store" looked at

    def count_per_day(self, source: str, field: str, tags: Mapping[str, Any], start_ns: int,
                      end_ns: int, group_by: Sequence[str] = ()) -> list[dict[str, Any]]:
        assert source == "5m" and field == "up_mean" and group_by == ("link",)
        out: dict[tuple[int, int], int] = {}
        for lk, slots in self.five.items():
            for s in slots:
                if start_ns <= s * 10**9 < end_ns:
                    self.scanned_5m += 1
                    key = (lk, s - s % DAY)
                    out[key] = out.get(key, 0) + 1
        return [{"time": d * 10**9, "link": str(lk), "count": n} for (lk, d), n in out.items()]

    def sum_per_day(self, source: str, field: str, present: str, tags: Mapping[str, Any],
                    start_ns: int, end_ns: int, group_by: Sequence[str] = ()
                    ) -> list[dict[str, Any]]:
        assert source == "1h" and field == "slots_5m" and present == "up_mean"
        hours: dict[tuple[int, int], int] = {}
        for lk, slots in self.five.items():
            for s in slots:
                h = s - s % 3600
                if start_ns <= h * 10**9 < end_ns and (lk, h) not in self.lost:
                    hours[(lk, h)] = hours.get((lk, h), 0) + 1
        out: dict[tuple[int, int], dict[str, Any]] = {}
        for (lk, h), n in hours.items():
            row = out.setdefault((lk, h - h % DAY), {"time": (h - h % DAY) * 10**9,
                                                     "link": str(lk), "sum": 0, "count": 0,
                                                     "present": 0})
            row["present"] += 1
            if (lk, h) not in self.old:
                row["sum"] += n
                row["count"] += 1
        return list(out.values())


def truth(five: Mapping[int, set[int]], first: int, end: int) -> dict[tuple[int, int], int]:
    out: dict[tuple[int, int], int] = {}
    for lk, slots in five.items():
        for s in slots:
            if first <= s < end:
                out[(lk, s - s % DAY)] = out.get((lk, s - s % DAY), 0) + 1
    return out


def full(first: int, end: int, gaps: Sequence[tuple[int, int]] = ()) -> set[int]:
    return {s for s in range(first, end, 300) if not any(a <= s < b for a, b in gaps)}


RANGE = (T0 + 2 * 3600 + 1200, T0 + 3 * DAY + 5 * 3600 + 600)  # partial hours at both ends
FIVE = {
    1: full(T0, T0 + 4 * DAY),
    2: full(T0, T0 + 4 * DAY, [(T0 + DAY + 3600 + 600, T0 + DAY + 7200)]),  # a gap in a day
    3: full(T0 + DAY + 1800, T0 + 2 * DAY + 60),  # one day and a bit
}


@pytest.mark.parametrize(("old", "lost"), [
    (set(), set()),                                         # every hour carries slots_5m
    ({(2, T0 + DAY + 3600)}, set()),                        # one old hour: its day from 5 min
    ({(lk, h) for lk in FIVE for h in range(T0, T0 + 4 * DAY, 3600)}, set()),  # all old
    ({(1, T0 + 2 * DAY)}, {(1, T0 + DAY)}),                 # an hourly bucket lost
])
def test_counts_equal_the_five_minute_truth_where_the_field_is_there(
        old: set[tuple[int, int]], lost: set[tuple[int, int]]) -> None:
    store = Store(FIVE, old, lost)
    got = slot_counts(store, "5m", *RANGE, hourly=(store, "1h"))  # type: ignore[arg-type]
    want = truth(FIVE, *RANGE)
    if lost:  # a lost hourly bucket counts too low: that link-day gets a detail read
        day = T0 + DAY
        assert got[(1, day)] == want[(1, day)] - 12
        got[(1, day)] = want[(1, day)]
    assert {k: v for k, v in got.items() if v} == want


def test_hourly_counting_reads_only_the_edges_from_five_minute_buckets() -> None:
    plain = Store(FIVE)
    assert slot_counts(plain, "5m", *RANGE) == truth(FIVE, *RANGE)  # type: ignore[arg-type]
    fast = Store(FIVE)
    slot_counts(fast, "5m", *RANGE, hourly=(fast, "1h"))  # type: ignore[arg-type]
    # the 40 minutes before the first whole hour and 10 after the last, per link with data
    assert plain.scanned_5m == sum(truth(FIVE, *RANGE).values()) > 1500
    # links 1 and 2: the 40 minutes before the first whole hour and the 10 after the last
    assert fast.scanned_5m == 2 * 8 + 2 * 2
    old = Store(FIVE, {(2, T0 + DAY + 3600)})
    slot_counts(old, "5m", *RANGE, hourly=(old, "1h"))  # type: ignore[arg-type]
    assert old.scanned_5m == fast.scanned_5m + sum(  # plus that one day, every link
        1 for lk in FIVE for s in FIVE[lk] if T0 + DAY <= s < T0 + 2 * DAY)


def test_a_range_without_a_whole_hour_is_counted_from_five_minute_buckets() -> None:
    store = Store(FIVE)
    first, end = T0 + 600, T0 + 3000
    got = slot_counts(store, "5m", first, end, hourly=(store, "1h"))  # type: ignore[arg-type]
    assert got == truth(FIVE, first, end) == {(1, T0): 8, (2, T0): 8}


class UpStore(Store):
    """Fake reader over 5-minute ``up_mean`` values per link (hourly means derived)."""

    def __init__(self, up: Mapping[int, Mapping[int, float]],
                 old: set[tuple[int, int]] = frozenset(),
                 lost: set[tuple[int, int]] = frozenset()) -> None:
        super().__init__({lk: set(v) for lk, v in up.items()}, old, lost)
        self.up = up
        self.reads_5m: list[tuple[int, int]] = []

    def read_below(self, source: str, field: str, limit: float, tags: Mapping[str, Any],
                   start_ns: int, end_ns: int, width_s: int, group_by: Sequence[str] = ()
                   ) -> list[dict[str, Any]]:
        want = tags.get("link")
        links = None if want is None else {int(x) for x in ([want] if isinstance(want, str)
                                                           else want)}
        cells: dict[tuple[int, int], list[float]] = {}
        for lk, vals in self.up.items():
            if links is not None and lk not in links:
                continue
            for s, v in vals.items():
                if source == "1h" and (lk, s - s % 3600) in self.lost:
                    continue  # an hourly bucket not written (yet)
                if start_ns <= s * 10**9 < end_ns:
                    cells.setdefault((lk, s - s % width_s), []).append(v)
        if source == "5m":
            self.reads_5m.append((start_ns // 10**9, end_ns // 10**9))
        return [{"time": t * 10**9, "link": str(lk), "up_mean": sum(v) / len(v)}
                for (lk, t), v in sorted(cells.items()) if sum(v) / len(v) < limit]

    def read_series(self, source: str, fields: Sequence[str], tags: Mapping[str, Any],
                    start_ns: int, end_ns: int, group_by: Sequence[str] = ()
                    ) -> list[dict[str, Any]]:
        lk = int(tags["link"])
        return [{"time": s * 10**9, "up_mean": v} for s, v in sorted(self.up.get(lk, {}).items())
                if start_ns <= s * 10**9 < end_ns]


def ups(first: int, end: int, down: Mapping[int, float] = {},
        gaps: Sequence[tuple[int, int]] = ()) -> dict[int, float]:
    return {s: down.get(s, 1.0) for s in full(first, end, gaps)}


UP = {
    1: ups(T0, T0 + 4 * DAY, {s: 0.0 for s in range(T0 + DAY + 7200, T0 + DAY + 3 * 3600, 300)}),
    2: ups(T0, T0 + 4 * DAY, {T0 + 2 * DAY + 600: 0.5, T0 + 2 * DAY + 900: 0.0},  # partial hour
           [(T0 + DAY + 3600 + 600, T0 + DAY + 7200)]),
    3: ups(T0, T0 + 4 * DAY, {s: 0.0 for s in range(T0 + 3 * DAY, T0 + 3 * DAY + 3600, 300)},
           [(T0 + 3 * DAY + 7200, T0 + 3 * DAY + 7500)]),  # a whole hour down, a gap that day
    4: ups(T0, T0 + 4 * DAY, {s: 0.0 for s in range(T0 + 2 * 3600, T0 + 3 * 3600, 300)}
           | {T0 + 3 * DAY + 5 * 3600: 0.0}),  # down across the first hour; in the last
}


@pytest.mark.parametrize(("old", "lost"), [
    (set(), set()),
    ({(1, T0 + DAY + 7200)}, set()),
    ({(lk, h) for lk in UP for h in range(T0, T0 + 4 * DAY, 3600)}, set()),
    (set(), {(1, T0 + DAY + 7200)}),  # the down hour's hourly bucket was never written
    (set(), {(2, h) for h in range(T0 + 3 * DAY, T0 + 4 * DAY, 3600)}),  # the newest hours
])
def test_link_fractions_are_the_same_with_the_hourly_prescreen(
        old: set[tuple[int, int]], lost: set[tuple[int, int]]) -> None:
    from provnet.alerts.reports import link_fractions

    start, end = T0 + 2 * 3600 + 1200, T0 + 3 * DAY + 5 * 3600 + 600
    plain = link_fractions(UpStore(UP), "5m", list(UP), start, end)  # type: ignore[arg-type]
    store = UpStore(UP, old, lost)
    fast = link_fractions(store, "5m", list(UP), start, end,  # type: ignore[arg-type]
                          hourly=(store, "1h"))  # type: ignore[arg-type]
    for lk in UP:
        assert fast[lk].special() == plain[lk].special()
        assert {s: fast[lk].get(s) for s in range(start - start % 300, end, 300)} == \
            {s: plain[lk].get(s) for s in range(start - start % 300, end, 300)}
    assert plain[2].get(T0 + 2 * DAY + 600) == 0.5 and plain[1].get(T0 + DAY + 7200) == 0.0
    assert plain[2].get(T0 + DAY + 3600 + 600) is None  # the gap: no data
    if not old and not lost:  # link 1's and 3's whole hours down need no 5-minute read;
        # link 2's partial hour and the ends do (link 3's day lacks a bucket: read in full)
        assert (T0 + 2 * DAY, T0 + 2 * DAY + 3600) in store.reads_5m
        assert not [r for r in store.reads_5m if r[0] <= T0 + DAY + 7200 < r[1]]


def test_newest_hours_not_yet_written_hourly_are_read_and_a_silent_link_is_not() -> None:
    from provnet.alerts.reports import link_fractions

    start, end = T0 + 2 * 3600, T0 + 3 * DAY + 5 * 3600  # whole hours: no 5-minute edges
    data = {**UP, 5: {}}  # link 5: no data at all
    plain = link_fractions(UpStore(data), "5m", list(data), start, end)  # type: ignore[arg-type]
    lost = {(lk, h) for lk in UP for h in range(T0 + 3 * DAY, end, 3600)}  # today's hours
    store = UpStore(data, set(), lost)
    series: list[int] = []
    read = store.read_series
    store.read_series = lambda *a, **k: series.append(int(a[2]["link"])) or read(*a, **k)
    fast = link_fractions(store, "5m", list(data), start, end,  # type: ignore[arg-type]
                          hourly=(store, "1h"))  # type: ignore[arg-type]
    for lk in data:
        assert fast[lk].special() == plain[lk].special()
        assert [fast[lk].get(s) for s in range(start, end, 300)] == \
            [plain[lk].get(s) for s in range(start, end, 300)]
    assert plain[3].get(T0 + 3 * DAY) == 0.0 and plain[5].get(start) is None
    assert series.count(5) == 1  # the silent link: only its newest day is read
