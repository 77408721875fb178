"""maps.report: the planner's CSV and XLSX rows equal the statistics they come from."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from provnet.maps.report import LONG_KEYS, long_rows, to_csv, to_xlsx, wide_rows

STATS = [
    {"code": "30448", "name": "Xã Phú Thọ", "generation": "legacy", "area_km2": 31.1749,
     "by_technology": {"4G": {"any_pct": 83.19, "one_pct": 8.84, "none_pct": 16.81},
                       "5G": {"any_pct": 1.8, "one_pct": 1.7, "none_pct": 98.2}},
     "by_operator": {"Viettel": {"4G": 62.7, "5G": 0.0}, "MobiFone": {"4G": 76.94}},
     "fibre_reach_pct": -0.0},
    {"code": "30280", "name": "Phường Mỹ Bình", "generation": "legacy", "area_km2": 5.12,
     "by_technology": {"4G": {"any_pct": 100.0, "one_pct": 0.0, "none_pct": 0.0}},
     "by_operator": {"Viettel": {"4G": 100.0}}, "fibre_reach_pct": 77.8},
]
DISTRICTS = {"30448": "Huyện Phú Tân", "30280": "Thành phố Long Xuyên"}


def test_long_rows() -> None:
    rows = long_rows(STATS, DISTRICTS)
    assert [r["commune_code"] for r in rows[:3]] == ["30280"] * 3  # sorted by code
    phu_tho = [r for r in rows if r["commune_code"] == "30448"]
    assert len(phu_tho) == 2 * 3 + 1  # per technology: all operators + 2 operators; fibre
    first = phu_tho[0]
    assert (first["technology"], first["operator"], first["coverage_pct"],
            first["single_operator_pct"], first["gap_pct"]) == ("4G", "Tất cả nhà mạng", 83.2,
                                                                 8.8, 16.8)
    assert phu_tho[1]["operator"] == "MobiFone" and phu_tho[1]["coverage_pct"] == 76.9
    assert [r["coverage_pct"] for r in phu_tho if r["operator"] == "MobiFone"] == [76.9, 0.0]
    assert phu_tho[-1]["technology"] == "Cáp quang" and phu_tho[-1]["coverage_pct"] == 0.0
    assert long_rows(STATS, {}, "en")[-1]["operator"] == "All operators"


def test_csv_round_trip_utf8_bom() -> None:
    body = to_csv(LONG_KEYS, long_rows(STATS, DISTRICTS), "vi")
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Thế hệ", "Mã xã", "Tên xã", "Huyện"]
    assert rows[1][:5] == ["legacy", "30280", "Phường Mỹ Bình", "Thành phố Long Xuyên", "5.12"]
    assert "-0.0" not in body.decode("utf-8-sig")
    en = to_csv(LONG_KEYS, long_rows(STATS, DISTRICTS, "en"), "en").decode("utf-8-sig")
    assert en.startswith("Generation,Commune code,Commune,District")


def test_xlsx_sheets_equal_the_rows() -> None:
    keys, wide = wide_rows(STATS, DISTRICTS)
    infill = {"4G": [{"province_rank": 1, "commune": "30448", "commune_name": "Xã Phú Thọ",
                      "technology": "4G", "rank": 1, "lon": 105.31, "lat": 10.62,
                      "range_m": 2858.4, "closes_km2": 5.23, "closes_pct_of_gap": 100.0,
                      "nearest_fibre_m": 736.0}]}
    wb = load_workbook(io.BytesIO(to_xlsx(STATS, DISTRICTS, "vi", infill, {"Lập lúc": "x"})))
    assert wb.sheetnames == ["Theo xã", "Theo nhà mạng", "Đề xuất BTS 4G", "Thông tin"]
    by_commune = [[c.value for c in r] for r in wb["Theo xã"].iter_rows()]
    assert by_commune[0][4] == "4G · ≥1 nhà mạng (%)"
    assert by_commune[1:] == wide
    long = [[c.value for c in r] for r in wb["Theo nhà mạng"].iter_rows(min_row=2)]
    assert long == [[r[k] for k in LONG_KEYS] for r in long_rows(STATS, DISTRICTS)]
    sugg = [c.value for c in next(wb["Đề xuất BTS 4G"].iter_rows(min_row=2))]
    assert sugg[:3] == [1, "30448", "Xã Phú Thọ"] and sugg[5:7] == [105.31, 10.62]
    assert keys[-1] == "fibre"
