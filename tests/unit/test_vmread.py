"""The pure parts of the VictoriaMetrics back-end: selectors, exact ms ranges and windows, rows
as InfluxQL gives them, step merges, and what the writer turns string fields into."""

from __future__ import annotations

from typing import Any

import pytest

from provnet.tsdb.history import split_source
from provnet.tsdb.influxql import quote_ident
from provnet.tsdb.points import Point
from provnet.tsdb.victoria import for_victoria
from provnet.tsdb.vmread import (
    day_pieces,
    merge_steps,
    ms_range,
    regex_escape,
    rows_from_series,
    seconds,
    selector,
    slot_evaluations,
)

DAY = 86_400_000


@pytest.mark.parametrize(("measurement", "fields", "tags", "want"), [
    ("ifstats", ["in_bps"], {"link": "10"},
     '{__name__="ifstats_in_bps", db="p", link="10"}'),
    ("rollup_5m", ["a_min", "a.b"], {"device": "UB xã Ô Lâm", "link": ["1", "2"]},
     '{__name__=~"rollup_5m_a_min|rollup_5m_a\\\\.b", db="p", device="UB xã Ô Lâm", '
     'link=~"1|2"}'),
    ("m", ["f"], {"site": 'a"b\\c'}, '{__name__="m_f", db="p", site="a\\"b\\\\c"}'),
    ("m", ["f"], {"link": ["(x)"]}, '{__name__="m_f", db="p", link="(x)"}'),
    ("m", ["f"], {"link": []}, None),
])
def test_selector(measurement: str, fields: list[str], tags: dict[str, Any],
                  want: str | None) -> None:
    assert selector(measurement, fields, tags, "p") == want


def test_regex_escape_leaves_letters_and_spaces() -> None:
    assert regex_escape("Ô Lâm.(1)|x") == "Ô Lâm\\.\\(1\\)\\|x"


@pytest.mark.parametrize(("start_ns", "end_ns", "want"), [
    (0, 1_000_000, (0, 1)),
    (1, 1_000_001, (1, 2)),  # a sample at 1 ms is >= 1 ns and < 1.000001 ms
    (999_999, 2_000_000, (1, 2)),
    (-1_500_000, 0, (-1, 0)),
])
def test_ms_range_is_exact(start_ns: int, end_ns: int, want: tuple[int, int]) -> None:
    assert ms_range(start_ns, end_ns) == want


@pytest.mark.parametrize(("ms", "text"), [(0, "0.000"), (1_700_000_000_123, "1700000000.123"),
                                          (-5, "-0.005")])
def test_seconds(ms: int, text: str) -> None:
    assert seconds(ms) == text


def test_rows_from_series_pivot_like_influxql() -> None:
    series = [
        ({"__name__": "m_a", "db": "p", "link": "2"}, [1.0, 2.0, 3.0], [10, 20, 30]),
        ({"__name__": "m_b", "db": "p", "link": "2"}, [5.0], [20]),
        ({"__name__": "m_a", "db": "p", "link": "1", "ifname": "x"}, [7.0], [20]),
        ({"__name__": "m_zz", "db": "p", "link": "1"}, [9.0], [20]),  # not asked for
    ]
    rows = rows_from_series(series, "m", ["a", "b"], 20, 31)
    assert rows == [  # ordered by time; two series at the same time are two rows
        {"time": 20_000_000, "a": 7.0, "b": None},
        {"time": 20_000_000, "a": 2.0, "b": 5.0},
        {"time": 30_000_000, "a": 3.0, "b": None},
    ]
    grouped = rows_from_series(series, "m", ["a"], 0, 100, group_by=("link", "ifname"))
    assert [(r["link"], r["ifname"], r["time"]) for r in grouped] == [
        ("1", "x", 20_000_000), ("2", "", 10_000_000), ("2", "", 20_000_000),
        ("2", "", 30_000_000)]


def test_merge_steps_like_group_by_time_with_offset() -> None:
    h = 3600 * 10**9
    rows = [{"time": t * h, "link": lk, "x_min": lo, "x_mean": mean, "x_max": hi, "x_n": n}
            for t, lk, lo, mean, hi, n in (
                (0, "1", 1.0, 2.0, 3.0, 12), (1, "1", 0.0, 4.0, 9.0, 12),
                (5, "1", 5.0, 5.0, 5.0, 1), (1, "2", 1.0, 1.0, 1.0, 3))]
    rows.append({"time": 2 * h, "link": "1", "x_min": None, "x_mean": None, "x_max": None,
                 "x_n": None})
    out = merge_steps(rows, ["x"], 6 * 3600, 3600 * 4, group_by=("link",))
    # 6-hour steps starting at 04:00 UTC (e.g. 11:00 +07:00): 00-03 belong to the step of
    # 22:00 the day before, 05 to the step of 04:00
    assert out == [
        {"time": -2 * h, "link": "1", "x_min": 0.0, "x_mean": 3.0, "x_max": 9.0, "x_n": 24},
        {"time": 4 * h, "link": "1", "x_min": 5.0, "x_mean": 5.0, "x_max": 5.0, "x_n": 1},
        {"time": -2 * h, "link": "2", "x_min": 1.0, "x_mean": 1.0, "x_max": 1.0, "x_n": 3},
    ]


@pytest.mark.parametrize(("first", "after", "width", "chunk", "want"), [
    (0, 900_000, 300, 100, [(299_999, 899_999)]),  # buckets 0, 300, 600
    (1, 900_001, 300, 100, [(599_999, 1_199_999)]),  # 300, 600, 900 (900 s < 900.001 s)
    (0, 1_500_000, 300, 2, [(299_999, 599_999), (899_999, 1_199_999), (1_499_999, 1_499_999)]),
    (0, 299_999, 300, 10, [(299_999, 299_999)]),  # a bucket starting in the range
    (300_000, 300_000, 300, 10, []),
])
def test_slot_evaluations(first: int, after: int, width: int, chunk: int,
                          want: list[tuple[int, int]]) -> None:
    assert slot_evaluations(first, after, width, chunk) == want


@pytest.mark.parametrize(("first", "after", "whole", "partial"), [
    (0, 3 * DAY, [(0, 2 * DAY)], []),
    (DAY // 2, 3 * DAY + 5, [(DAY, 2 * DAY)], [(DAY // 2, DAY), (3 * DAY, 3 * DAY + 5)]),
    (5, 10, [], [(5, 10)]),
    (DAY - 17 * 3_600_000, 31 * DAY - 17 * 3_600_000, [(DAY, 29 * DAY)],
     [(DAY - 17 * 3_600_000, DAY), (30 * DAY, 31 * DAY - 17 * 3_600_000)]),
])
def test_day_pieces(first: int, after: int, whole: list[tuple[int, int]],
                    partial: list[tuple[int, int]]) -> None:
    assert day_pieces(first, after) == (whole, partial)


@pytest.mark.parametrize(("point", "want"), [
    (Point("link_status", {"status": "down", "reason": "down_a"}, {"link": "3"}, 5),
     Point("link_status", {"change": 1}, {"link": "3", "status": "down", "reason": "down_a"},
           5)),
    (Point("link_status", {"status": "up", "reason": ""}, {"link": "3"}, 5),
     Point("link_status", {"change": 1}, {"link": "3", "status": "up"}, 5)),
    (Point("snmp_poll", {"duration_ms": 3.0, "error": "timeout"}, {"device": "r"}, 5),
     Point("snmp_poll", {"duration_ms": 3.0}, {"device": "r"}, 5)),
    (Point("ifstats", {"in_bps": 1.0, "counter_reset": True}, {}, 5),
     Point("ifstats", {"in_bps": 1.0, "counter_reset": True}, {}, 5)),
])
def test_string_fields_for_victoria(point: Point, want: Point) -> None:
    assert for_victoria(point) == want


@pytest.mark.parametrize(("rp", "m"), [(None, "ifstats"), ("provnet_5m", "rollup_5m"),
                                       ('a"b', "x\\y"), (None, "dòng\nmới")])
def test_split_source_inverts_quote_ident(rp: str | None, m: str) -> None:
    text = quote_ident(m) if rp is None else f"{quote_ident(rp)}.{quote_ident(m)}"
    assert split_source(text) == (rp, m)
    with pytest.raises(ValueError):
        split_source(m + "x")
