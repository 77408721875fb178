"""History answers (pure): resolution choice, steps in a time zone, percentile, CSV."""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

import pytest

from provnet.pollers.history import (
    HistoryError,
    Resolution,
    bin_rows,
    choose,
    combine,
    iso,
    parse_step,
    parse_time,
    percentile,
    to_csv,
)

NOW = 1_796_083_200.0  # 2026-12-01T00:00:00Z
DAY = 86400
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(("span", "age", "step", "expected"), [
    (3600, 0, None, Resolution(0, 60)),           # 1 h of 60 s polls: raw
    (DAY, 0, None, Resolution(300, 300)),         # 24 h: 1440 raw points > 1000 -> 5 min
    (7 * DAY, 0, None, Resolution(3600, 3600)),   # 2016 five-minute buckets > 1000: hours
    (30 * DAY, 0, None, Resolution(3600, 3600)),  # 720 hours
    (365 * DAY, 0, None, Resolution(3600, DAY)),   # a year: 365 daily steps, merged by the store
    (90 * DAY, 0, None, Resolution(3600, 6 * 3600)),  # 2160 hours > 1000: 360 6-hour steps
    (42 * DAY, 0, None, Resolution(3600, 6 * 3600)),
    (41 * DAY, 0, None, Resolution(3600, 3600)),   # 984 hours: hourly
    (200 * DAY, 0, None, Resolution(3600, 12 * 3600)),  # 4800 hours / 12 = 400 steps
    (3000 * DAY, 0, None, Resolution(3600, 7 * DAY)),
    (3650 * DAY, 0, None, Resolution(3600, 316_800)),  # beyond the ladder: ~1000 steps
    (365 * DAY, 0, "9h", Resolution(3600, 32400)),  # an asked step is kept
    (3600, 10 * DAY, None, Resolution(300, 300)),  # raw kept 7 days: older hours from 5 min
    (DAY, 500 * DAY, None, Resolution(3600, 3600)),  # 5 min kept 400 days
    (DAY, 0, "1h", Resolution(3600, 3600)),       # an hourly step is read from hourly rollups
    (DAY, 0, "15m", Resolution(300, 900)),
    (3600, 0, "2m", Resolution(0, 120)),
    (31 * DAY, 0, "day", Resolution(3600, DAY, "day")),
    (365 * DAY, 0, "month", Resolution(3600, 0, "month")),
])
def test_resolution_holds_at_most_max_points(span: int, age: int, step: str | None,
                                              expected: Resolution) -> None:
    end = NOW - age
    assert choose(end - span, end, NOW, 1000, 60.0, 7 * DAY, 400 * DAY, step) == expected


@pytest.mark.parametrize("bad", ["x", "0", "-5m", "5y"])
def test_bad_steps_are_refused(bad: str) -> None:
    with pytest.raises(HistoryError):
        parse_step(bad)


def test_empty_range_is_refused() -> None:
    with pytest.raises(HistoryError):
        choose(NOW, NOW, NOW, 1000, 60, 0, 0)


def test_times_with_offsets_and_local_times() -> None:
    assert parse_time("2026-11-01T00:00:00+07:00", HCM) == parse_time("2026-10-31T17:00:00Z", HCM)
    assert parse_time("2026-11-01", HCM) == parse_time("2026-11-01T00:00:00+07:00", HCM)
    assert iso(parse_time("2026-11-01", HCM), HCM) == "2026-11-01T00:00:00+07:00"
    with pytest.raises(HistoryError):
        parse_time("yesterday", HCM)


def rollup_row(t: float, lo: float, mean: float, hi: float, n: int) -> dict[str, object]:
    return {"time": int(t * 1e9), "in_bps_min": lo, "in_bps_mean": mean, "in_bps_max": hi,
            "in_bps_n": n}


def test_days_start_at_local_midnight_and_means_are_weighted() -> None:
    start = parse_time("2026-11-01", HCM)
    rows = [rollup_row(start + 3600 * h, h, h + 1.0, h + 2, 12 if h < 24 else 6)
            for h in range(48)]
    out = bin_rows(rows, ["in_bps"], Resolution(3600, DAY, "day"), HCM, start)["in_bps"]
    assert [iso(s, HCM) for s, _ in out.steps] == ["2026-11-01T00:00:00+07:00",
                                                   "2026-11-02T00:00:00+07:00"]
    day1 = out.steps[0][1]
    assert (day1.lo, day1.hi, day1.n) == (0, 25, 288)
    assert day1.mean == pytest.approx(sum(range(1, 25)) / 24)


def test_month_steps_follow_the_calendar_in_the_zone() -> None:
    start = parse_time("2026-10-31T23:00:00+07:00", HCM)
    rows = [rollup_row(start, 1, 1, 1, 1), rollup_row(start + 3600, 2, 2, 2, 1)]
    out = bin_rows(rows, ["in_bps"], Resolution(3600, 0, "month"), HCM, start)["in_bps"]
    assert [iso(s, HCM) for s, _ in out.steps] == ["2026-10-01T00:00:00+07:00",
                                                   "2026-11-01T00:00:00+07:00"]


def test_raw_rows_are_values_and_commune_rates_are_summed() -> None:
    a = bin_rows([{"time": 0, "in_bps": 5.0, "in_util_pct": 10.0},
                  {"time": 60 * 10**9, "in_bps": 7.0, "in_util_pct": 30.0}],
                 ["in_bps", "in_util_pct"], Resolution(0, 300), ZoneInfo("UTC"), 0)
    b = bin_rows([{"time": 0, "in_bps": 1.0, "in_util_pct": 50.0}], ["in_bps", "in_util_pct"],
                 Resolution(0, 300), ZoneInfo("UTC"), 0)
    both = combine([a, b], ["in_bps", "in_util_pct"])
    bps = both["in_bps"].steps[0][1]
    assert (bps.lo, bps.mean, bps.hi) == (6.0, 7.0, 8.0)
    util = both["in_util_pct"].steps[0][1]
    assert util.mean == pytest.approx(30.0) and (util.lo, util.hi) == (10.0, 50.0)
    text = to_csv(both, ZoneInfo("UTC"))
    assert text.splitlines()[0] == "metric,time,min,mean,max,samples"
    assert "in_bps,1970-01-01T00:00:00+00:00,6.0,7.0,8.0,1" in text


@pytest.mark.parametrize(("values", "p", "expected"), [
    (list(range(1, 101)), 95, 95), (list(range(1, 21)), 95, 19), ([3.0], 95, 3.0),
    ([5, 1, 4, 2, 3], 50, 3), ([], 95, None)])
def test_nearest_rank_percentile(values: list[float], p: float, expected: float | None) -> None:
    assert percentile(values, p) == expected


def test_mean_of_an_empty_step_is_nan() -> None:
    from provnet.pollers.history import Agg
    assert math.isnan(Agg().mean)
