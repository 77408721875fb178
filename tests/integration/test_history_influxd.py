"""History end to end on a real influxd: 35 days of compressed-time samples for four links
through the real write path, rollups into retention policies, the history answers at each
resolution, the 95th percentile and availability (maintenance, a no-data gap, a dual-homed
commune) against hand-computed figures, a status timeline and a rebuild after damage."""

from __future__ import annotations

import math
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from provnet.alerts.model import MaintenanceWindow
from provnet.api.app import create_app
from provnet.api.context import ApiContext
from provnet.api.history import history_router
from provnet.config.history import HistorySettings
from provnet.config.settings import InfluxSettings
from provnet.inventory import model, queries
from provnet.inventory.store import Store, open_store
from provnet.pollers.history_query import HistorySource
from provnet.pollers.live import LiveState
from provnet.pollers.rebuild import rebuild
from provnet.pollers.rollup import RollupAggregator
from provnet.tsdb.client import InfluxQLReader
from provnet.tsdb.measurements import ROLLUP_1H, ROLLUP_5M
from provnet.tsdb.points import Point
from provnet.tsdb.retention import apply_retention, locations, rollup_writers
from provnet.tsdb.spool import SpoolingWriter
from tests.support.helpers import InfluxdHandle
from tests.support.history_backfill import Backfill, rate, split_status

DAY, H = 86400, 3600
POLL = 150
END = (int(time.time()) // H - 1) * H  # an hour boundary in the past
START = END - 35 * DAY
PERIOD = (START + 5 * DAY, END)  # the 30 days the figures are computed over


def d(day: int, hours: float = 0.0) -> int:
    return int(START + day * DAY + hours * H)


LINKS = [(10, "r2", None), (11, "r3", "30001"), (12, "r3", "30001"), (13, "r4", "30002")]
DOWN = {11: [(d(20, 10), d(20, 11))], 12: [(d(20, 10.5), d(20, 11.5))],
        10: [(d(25), d(25, 0.25))], 13: [(d(30, 2.5), d(30, 3.5))]}
GAPS = {"r4": [(d(28), d(28, 2))]}
REBOOTS = {"r3": [d(15, 5)]}
MAINT = (d(30, 2), 2 * H)  # device r4, 2 hours, once


def _inventory(store: Store) -> None:
    with store.session() as s:
        s.add(model.AdminUnit(id=1, generation="legacy", level="district", code="891",
                              name="Huyện Tri Tôn", short_name="Tri Tôn", unit_type="huyện",
                              name_folded="huyen tri ton"))
        for uid, code, name in ((2, "30001", "Xã Núi Tô"), (3, "30002", "Xã Ô Lâm")):
            s.add(model.AdminUnit(id=uid, generation="legacy", level="commune", code=code,
                                  name=name, short_name=name[3:], unit_type="xã",
                                  name_folded=name.lower(), parent_id=1))
        s.flush()
        for dev, code, kind, commune in ((1, "AG-CORE", "core", None), (2, "POP-891", "pop", None),
                                         (3, "UB-30001", "commune_office", 2),
                                         (4, "UB-30002", "commune_office", 3)):
            s.add(model.Site(id=dev, code=code, name=code, name_folded=code.lower(), kind=kind,
                             lat=10.4, lon=105.0, commune_id=commune, district_id=1))
            s.add(model.Device(id=dev, hostname=f"r{dev}", site_id=dev, role=kind,
                               vendor="huawei", platform="huawei_vrp",
                               mgmt_address=f"127.0.0.{dev}"))
        s.flush()
        for k, a, z in ((10, 2, 1), (11, 3, 2), (12, 3, 1), (13, 4, 2)):
            s.add(model.Interface(id=2 * k, device_id=a, ifindex=k, name=f"ge{k}"))
            s.add(model.Interface(id=2 * k + 1, device_id=z, ifindex=100 + k, name=f"ge{100 + k}"))
            s.flush()
            s.add(model.Link(id=k, a_interface_id=2 * k, z_interface_id=2 * k + 1, kind="fibre",
                             capacity_mbps=1000))
        start = datetime.fromtimestamp(MAINT[0], UTC).astimezone().isoformat()
        s.add(MaintenanceWindow(name="thay SFP", site=None, district=None, device="r4", rule=None,
                                rrule="FREQ=DAILY;COUNT=1", dtstart=start, duration_s=MAINT[1],
                                created_by="test", comment=""))


@dataclass
class World:
    db: InfluxdHandle
    reader: InfluxQLReader
    src: HistorySource
    client: TestClient
    store: Store
    writers: dict[int, Any]
    written: int


@pytest.fixture(scope="module")
def world(influxd: InfluxdHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    name = "provnet_history_test"
    tmp = tmp_path_factory.mktemp("history")
    with InfluxQLReader(influxd.url, "") as admin:
        admin.create_database(name)
    db = InfluxdHandle(influxd.url, name, influxd.server)
    reader = db.reader()
    influx = InfluxSettings(url=influxd.url, database=name)
    # raw kept forever here: InfluxDB drops points older than a policy's duration on write,
    # and the backfill writes 35 days in the past; the reader still treats raw as 7 days
    apply_retention(reader, name, HistorySettings(raw_days=0))
    cfg = HistorySettings()
    writers = rollup_writers(influx, cfg, influxd.url, "1.6.7")
    raw = SpoolingWriter(db.v1_writer(), tmp / "spool", 64 * 2**20)
    agg = RollupAggregator()
    status: list[Any] = []

    def sink(points: list[Any]) -> None:  # what Service.flush and the history feature do
        samples, changes = split_status(points)
        agg.add_points(samples)
        raw.write(samples)
        status.extend(changes)
        for width, pts in agg.flush(points[-1].time_ns / 1e9).items():
            writers[width].write(pts)

    bf = Backfill(LINKS, START, END, POLL, DOWN, GAPS, REBOOTS)
    written = bf.run(sink)
    for width, pts in agg.flush_all().items():
        writers[width].write(pts)
    writers[3600].write(status)
    raw.close()
    store = open_store(f"sqlite:///{tmp / 'inv.sqlite'}")
    _inventory(store)
    locs = locations(influx, cfg, "1.6.7")
    src = HistorySource({0: reader, 300: reader, 3600: reader},
                        {w: loc.source for w, loc in locs.items()}, cfg, POLL,
                        status_rp=cfg.policy_1h, now=lambda: float(END))
    with store.session() as s:
        links = queries.links(s)
    app = create_app(ApiContext(store=store, live=LiveState()),
                     [history_router(src, store, locs[300].source, lambda: links)])
    with TestClient(app) as client:
        yield World(db, reader, src, client, store, writers, written)
    reader.close()
    for w in writers.values():
        w.close()
    store.close()
    with InfluxQLReader(influxd.url, "") as admin:
        admin.drop_database(name)


def test_retention_policies_and_rollup_counts(world: World) -> None:
    rps = {r["name"]: r["duration"] for r in world.reader.query(
        'SHOW RETENTION POLICIES ON "provnet_history_test"')}
    assert rps["provnet_5m"] == "9600h0m0s" and rps["provnet_1h"] == "43800h0m0s"
    n5 = world.reader.query(f'SELECT count("in_bps_mean") FROM "provnet_5m"."{ROLLUP_5M}" '
                            "WHERE \"link\" = '10'")
    n1 = world.reader.query(f'SELECT count("in_bps_mean") FROM "provnet_1h"."{ROLLUP_1H}" '
                            "WHERE \"link\" = '10'")
    # every 5-minute bucket of 35 days (the first holds one rate: the first poll has none)
    assert n5[0]["count"] == 35 * 288 and n1[0]["count"] == 35 * 24


def test_a_five_minute_and_an_hour_bucket_match_the_generated_rates(world: World) -> None:
    t = d(12, 7)  # an hour: polls i .. i+23
    i0 = (t - START) // POLL
    rows = world.reader.query(f'SELECT * FROM "provnet_1h"."{ROLLUP_1H}" WHERE "link" = \'10\' '
                              f"AND \"src\" = 'ifstats' AND time = {t * 10**9}")
    expect = [rate(10, i, "in") for i in range(i0, i0 + 24)]
    (row,) = rows
    assert row["in_bps_n"] == 24 and row["samples"] == 24 and row["resets"] == 0
    assert (row["in_bps_min"], row["in_bps_max"]) == (min(expect), max(expect))
    assert row["in_bps_mean"] == pytest.approx(sum(expect) / 24)
    five = world.reader.query(f'SELECT * FROM "provnet_5m"."{ROLLUP_5M}" WHERE "link" = \'10\' '
                              f"AND \"src\" = 'ifstats' AND time = {t * 10**9}")
    assert five[0]["in_bps_mean"] == pytest.approx((expect[0] + expect[1]) / 2)
    util = (expect[0] + expect[1]) / 2 / 1e9 * 100
    assert five[0]["in_util_pct_mean"] == pytest.approx(util)


def test_a_reboot_is_a_counted_gap_not_a_spike(world: World) -> None:
    t = d(15, 5)
    rows = world.reader.query(f'SELECT "resets", "in_bps_n", "in_bps_max" FROM "provnet_5m".'
                              f'"{ROLLUP_5M}" WHERE "link" = \'11\' AND "src" = \'ifstats\' '
                              f"AND time = {t * 10**9}")
    assert rows[0]["resets"] == 1 and rows[0]["in_bps_n"] == 1
    assert rows[0]["in_bps_max"] <= 4 * 250_000


def _get(world: World, url: str, **params: Any) -> Any:
    r = world.client.get(url, params=params)
    assert r.status_code == 200, r.text
    return r.json() if r.headers["content-type"].startswith("application/json") else r.text


def test_history_at_each_resolution(world: World) -> None:
    iso = datetime.fromtimestamp
    last_hour = _get(world, "/api/v1/links/10/history", metrics="in_bps",
                     **{"from": iso(END - H, UTC).isoformat(), "to": iso(END, UTC).isoformat()})
    assert last_hour["resolution"] == "raw" and last_hour["step"] == f"{POLL}s"
    i_end = (END - START) // POLL
    assert [p["mean"] for p in last_hour["series"]["in_bps"]] == [
        rate(10, i, "in") for i in range(i_end - 24, i_end)]
    # 3 days: 1,728 polls would exceed 1,000 points, 864 five-minute buckets do not
    day = _get(world, "/api/v1/links/10/history", metrics="in_bps,out_bps",
               **{"from": iso(END - 3 * DAY, UTC).isoformat(), "to": iso(END, UTC).isoformat()})
    assert day["resolution"] == "300s" and len(day["series"]["out_bps"]) == 864
    first = day["series"]["out_bps"][0]
    i = (END - 3 * DAY - START) // POLL
    assert first["mean"] == pytest.approx((rate(10, i, "out") + rate(10, i + 1, "out")) / 2)
    assert first["time"].endswith("+07:00")  # answers in the report time zone
    month = _get(world, "/api/v1/links/10/history", metrics="in_bps",
                 **{"from": iso(END - 30 * DAY, UTC).isoformat(), "to": iso(END, UTC).isoformat()})
    assert month["resolution"] == "3600s" and len(month["series"]["in_bps"]) == 720
    old = _get(world, "/api/v1/links/10/history", metrics="in_bps",
               **{"from": iso(d(2), UTC).isoformat(), "to": iso(d(2, 1), UTC).isoformat()})
    assert old["resolution"] == "300s"  # raw is kept 7 days: an older hour comes from 5 min
    local_from = datetime.fromtimestamp(d(10), UTC).astimezone().date().isoformat()
    local_to = datetime.fromtimestamp(d(17), UTC).astimezone().date().isoformat()
    days = _get(world, "/api/v1/links/10/history", metrics="in_bps", step="day",
                tz="Asia/Ho_Chi_Minh", **{"from": local_from, "to": local_to})
    assert days["step"] == "day" and [p["time"][10:] for p in days["series"]["in_bps"]] == [
        "T00:00:00+07:00"] * 7
    assert all(p["samples"] == 576 for p in days["series"]["in_bps"])
    text = _get(world, "/api/v1/links/10/history", metrics="in_bps", format="csv", step="5m",
                **{"from": iso(END - DAY, UTC).isoformat(), "to": iso(END, UTC).isoformat()})
    assert text.splitlines()[0] == "metric,time,min,mean,max,samples" and len(
        text.splitlines()) == 289


def test_commune_history_sums_its_links(world: World) -> None:
    t0 = d(12)
    params = {"from": datetime.fromtimestamp(t0, UTC).isoformat(),
              "to": datetime.fromtimestamp(t0 + H, UTC).isoformat(), "metrics": "in_bps",
              "step": "1h"}
    both = _get(world, "/api/v1/communes/30001/history", **params)
    assert both["links"] == [11, 12]
    i0 = (t0 - START) // POLL
    expect = sum(rate(lk, i, "in") for lk in (11, 12) for i in range(i0, i0 + 24)) / 24
    assert both["series"]["in_bps"][0]["mean"] == pytest.approx(expect)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def test_95th_percentile_against_a_hand_computation(world: World) -> None:
    a, b = PERIOD
    body = _get(world, "/api/v1/links/10/percentile", p=95,
                **{"from": datetime.fromtimestamp(a, UTC).isoformat(),
                   "to": datetime.fromtimestamp(b, UTC).isoformat()})
    slots: dict[str, list[float]] = {"in": [], "out": []}
    for s in range(a, b, 300):
        i = (s - START) // POLL
        for direction in ("in", "out"):
            vals = [0 if not Backfill(LINKS, START, END, POLL, DOWN).up(10, START + j * POLL)
                    else rate(10, j, direction) for j in (i, i + 1)]
            slots[direction].append(sum(vals) / 2)
    assert body["in_bps"] == pytest.approx(_p95(slots["in"]))
    assert body["out_bps"] == pytest.approx(_p95(slots["out"]))
    assert body["max_bps"] == max(body["in_bps"], body["out_bps"])
    assert body["expected_samples"] == 30 * 288 and body["missing_in"] == 0
    gap = _get(world, "/api/v1/links/13/percentile",
               **{"from": datetime.fromtimestamp(a, UTC).isoformat(),
                  "to": datetime.fromtimestamp(b, UTC).isoformat()})
    assert gap["missing_in"] == 24 and gap["missing_out"] == 24  # the 2-hour gap of r4


def test_status_timeline_with_reason_and_flaps(world: World) -> None:
    a, b = PERIOD
    body = _get(world, "/api/v1/links/11/timeline",
                **{"from": datetime.fromtimestamp(a, UTC).isoformat(),
                   "to": datetime.fromtimestamp(b, UTC).isoformat()})
    assert body["flaps"] == 1
    assert [(x["status"], x["duration_s"]) for x in body["intervals"]] == [
        ("up", d(20, 10) - a), ("down", 3600), ("up", b - d(20, 11))]
    assert body["intervals"][1]["reason"] == "down_a"


def _availability(world: World, level: str) -> dict[str, dict[str, Any]]:
    a, b = PERIOD
    body = _get(world, "/api/v1/reports/availability", level=level,
                **{"from": datetime.fromtimestamp(a, UTC).isoformat(),
                   "to": datetime.fromtimestamp(b, UTC).isoformat()})
    return {x["id"]: x for x in body["items"]}


P = 30 * DAY


def test_link_availability_against_hand_figures(world: World) -> None:
    links = _availability(world, "link")
    assert links["10"]["down_s"] == 900 and links["10"]["incidents"] == 1
    assert links["10"]["availability_experienced"] == pytest.approx((P - 900) / P)
    assert links["10"]["mttr_s"] == 900 and links["10"]["mtbf_s"] == P - 900
    assert links["11"]["down_s"] == 3600 and links["12"]["down_s"] == 3600
    l13 = links["13"]
    # a 2-hour gap (no data), a 2-hour window with 1 hour down inside it
    assert (l13["no_data_s"], l13["maintenance_s"], l13["maintenance_down_s"]) == (7200, 7200,
                                                                                   3600)
    assert l13["down_s"] == 0 and l13["incidents"] == 0 and l13["mttr_s"] is None
    up = P - 7200 - 7200
    assert l13["up_s"] == up
    assert l13["availability_experienced"] == pytest.approx((up + 3600) / (P - 7200))
    assert l13["availability_excluding_maintenance"] == 1.0
    assert "without data" in l13["denominator_experienced"]


def test_commune_district_and_province_availability(world: World) -> None:
    communes = _availability(world, "commune")
    dual = communes["30001"]  # r3 over 11->10 and over 12: down only while 11 and 12 both are
    assert dual["name"] == "Xã Núi Tô"
    assert dual["down_s"] == 1800 and dual["incidents"] == 1 and dual["no_data_s"] == 0
    assert dual["availability_experienced"] == pytest.approx((P - 1800) / P)
    single = communes["30002"]  # r4 over 13->10: link 10's 15 minutes count, gap, window
    assert single["down_s"] == 900 and single["no_data_s"] == 7200
    assert single["maintenance_s"] == 7200 and single["maintenance_down_s"] == 3600
    assert single["availability_excluding_maintenance"] == pytest.approx(
        (P - 900 - 14400) / (P - 14400))
    district = _availability(world, "district")["891"]
    assert district["entities"] == 2 and district["period_s"] == 2 * P
    assert district["down_s"] == 2700 and district["incidents"] == 2
    assert district["mttr_s"] == 1350
    assert district["availability_experienced"] == pytest.approx(
        (2 * P - 7200 - 2700 - 3600) / (2 * P - 7200))
    province = _availability(world, "province")["province"]
    assert province["down_s"] == 2700 and "commune-seconds" in province["denominator_experienced"]
    text = world.client.get("/api/v1/reports/availability", params={
        "level": "commune", "format": "csv", "from": datetime.fromtimestamp(PERIOD[0], UTC)
        .isoformat(), "to": datetime.fromtimestamp(PERIOD[1], UTC).isoformat()}).text
    assert text.splitlines()[0].startswith("level,id,name,period_s") and "Xã Ô Lâm" in text
    if shutil.which("pdftotext"):
        pdf = world.client.get("/api/v1/reports/availability", params={
            "level": "commune", "format": "pdf", "from": datetime.fromtimestamp(PERIOD[0], UTC)
            .isoformat(), "to": datetime.fromtimestamp(PERIOD[1], UTC).isoformat()})
        assert pdf.headers["content-type"] == "application/pdf"
        shown = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, check=True,
                               capture_output=True).stdout.decode()
        assert "Xã Núi Tô" in " ".join(shown.split()) and "99.931 %" in shown


def test_bad_questions_are_4xx(world: World) -> None:
    c = world.client
    assert c.get("/api/v1/links/999/history").status_code == 404
    assert c.get("/api/v1/links/10/history", params={"from": "yesterday"}).status_code == 400
    assert c.get("/api/v1/links/10/history", params={"metrics": "bogus"}).status_code == 400
    assert c.get("/api/v1/links/10/history", params={"tz": "Mars/Base"}).status_code == 400
    assert c.get("/api/v1/reports/availability", params={"level": "x"}).status_code == 422
    assert c.get("/api/v1/links/10/history", params={"from": "0001-01-01"}).status_code == 400
    assert c.get("/api/v1/reports/availability", params={
        "from": "2020-01-01", "to": "2026-01-01"}).status_code == 400


def test_rebuild_repairs_damaged_rollups_idempotently(world: World, tmp_path: Path) -> None:
    t = d(20, 10)
    q = (f'SELECT "in_bps_mean", "up_mean" FROM "provnet_5m"."{ROLLUP_5M}" WHERE '
         f'time >= {t * 10**9} AND time < {(t + H) * 10**9} GROUP BY "src", "link"')
    before = world.reader.query(q)
    tags = {"src": "ifstats", "link": "11", "end": "a", "device": "r3", "ifindex": "11",
            "district": "891", "site": "S-r3"}  # the series of link 11's A end
    world.writers[300].write([Point(ROLLUP_5M, {"in_bps_mean": -1.0}, tags, t * 10**9)])
    assert any(r.get("in_bps_mean") == -1.0 for r in world.reader.query(q))
    report = rebuild(world.reader, world.writers, t, t + H)
    assert report.raw_rows > 0 and report.points and report.points[300] > 0
    assert world.reader.query(q) == before  # same points, same values: overwritten


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_monthly_report_pdf_keeps_vietnamese_and_is_frozen(world: World, tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    from provnet.alerts.monthly import render
    from provnet.alerts.reports import availability
    from provnet.reports import issue_monthly

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    with world.store.session() as s:
        levels = {lv: availability(s, world.reader, world.src.sources[300], lv, *PERIOD)
                  for lv in ("province", "district", "commune")}
    calls: list[int] = []

    def build(at: float, version: int, lang: str = "vi") -> str:
        calls.append(version)
        return render("2026-11", lang, levels, tz, at, version)

    first = issue_monthly(tmp_path, "2026-11", "vi", False, build)
    text = subprocess.run(["pdftotext", str(first.pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    for phrase in ("Báo cáo khả dụng mạng truyền số liệu chuyên dùng tháng 2026-11",
                   "Xã Núi Tô", "Xã Ô Lâm", "Khả dụng thực tế", "Không có số liệu"):
        assert phrase in " ".join(text.split()), phrase
    assert "99.931 %" in text  # commune 30001: (30 d - 30 min) / 30 d
    again = issue_monthly(tmp_path, "2026-11", "vi", False, build)
    assert again.frozen and again.version == 1 and again.sha256_pdf == first.sha256_pdf
    assert calls == [1]  # asking again did not recompute
    second = issue_monthly(tmp_path, "2026-11", "vi", True, build)
    assert second.version == 2 and first.pdf.exists() and second.pdf.exists()
    en = issue_monthly(tmp_path, "2026-11", "en", False,
                       lambda at, v: build(at, v, "en"))
    en_text = subprocess.run(["pdftotext", str(en.pdf), "-"], check=True, capture_output=True,
                             text=True).stdout
    assert "availability report" in en_text and "Xã Núi Tô" in en_text


def test_coarse_steps_are_merged_by_influxdb(world: World) -> None:
    from zoneinfo import ZoneInfo

    # a +07:00 midnight: 6-hour steps start at 00, 06, 12 and 18 local time
    a = int(datetime.fromtimestamp(d(6), ZoneInfo("Asia/Ho_Chi_Minh"))
            .replace(hour=0, minute=0, second=0).timestamp())
    body = _get(world, "/api/v1/links/10/history", metrics="in_bps", step="6h",
                **{"from": datetime.fromtimestamp(a, UTC).isoformat(),
                   "to": datetime.fromtimestamp(a + 10 * DAY, UTC).isoformat()})
    assert body["resolution"] == "3600s" and body["step"] == "21600s"
    steps = body["series"]["in_bps"]
    assert len(steps) == 40 and steps[0]["time"].endswith("T00:00:00+07:00")
    i0 = (a - START) // POLL
    hours = [[rate(10, i, "in") for i in range(i0 + 24 * h, i0 + 24 * h + 24)] for h in range(6)]
    assert steps[0]["samples"] == 144
    assert steps[0]["min"] == min(map(min, hours)) and steps[0]["max"] == max(map(max, hours))
    assert steps[0]["mean"] == pytest.approx(sum(sum(h) / 24 for h in hours) / 6)


def test_one_entity_availability_equals_the_report(world: World) -> None:
    """``alerts/entity_availability.py`` (the engineer's link and commune pages): every link's
    and commune's entry equals the report's, maintenance, gaps and dual homing included."""
    from provnet.alerts.entity_availability import commune_availability, link_availability

    a, b = PERIOD
    src = (world.reader, world.src.sources[300])
    for level, fn in (("link", link_availability), ("commune", commune_availability)):
        report = _availability(world, level)
        assert report
        for key, entry in report.items():
            with world.store.session() as s:
                one = fn(s, *src, int(key) if level == "link" else key, int(a), int(b))
            assert one == entry, (level, key)
    with world.store.session() as s:
        assert link_availability(s, *src, 999, int(a), int(b)) is None
        assert commune_availability(s, *src, "99999", int(a), int(b)) is None
