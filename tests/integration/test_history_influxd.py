"""History end to end on both back-ends, a real influxd and a real victoria-metrics: 35 days of
compressed-time samples for four links through the real write path (written to both), rollups
into retention policies (InfluxDB) or the same line protocol (VictoriaMetrics), the history
answers at each resolution, the 95th percentile and availability (maintenance, a no-data gap, a
dual-homed commune, a counter reset, a device whose name has Vietnamese diacritics and a space)
against hand-computed figures, a status timeline and a rebuild; and the two back-ends giving
the same answers to the same questions."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from provnet.alerts.reports import LEVELS, availability_levels
from provnet.pollers.rebuild import rebuild
from provnet.tsdb.client import InfluxQLReader
from provnet.tsdb.measurements import ROLLUP_1H, ROLLUP_5M
from provnet.tsdb.points import Point
from tests.support.helpers import InfluxdHandle
from tests.support.history_backfill import Backfill, rate
from tests.support.history_world import (
    BACKENDS,
    DAY,
    DOWN,
    END,
    LINKS,
    PERIOD,
    POLL,
    R4,
    START,
    H,
    World,
    api_get,
    availability_items,
    comparison_questions,
    d,
    history_worlds,
    p95,
    same,
)
from tests.support.vm_server import have_victoria


@pytest.fixture(scope="module")
def worlds(influxd: InfluxdHandle, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[dict[str, World]]:
    """The same generated history on both back-ends (``tests/support/history_world.py``)."""
    if not have_victoria():
        pytest.skip("victoria-metrics is not installed (apt-get install victoria-metrics)")
    with history_worlds(influxd, tmp_path_factory.mktemp("history")) as out:
        yield out


@pytest.fixture(scope="module", params=BACKENDS)
def world(worlds: dict[str, World], request: pytest.FixtureRequest) -> World:
    """Each test below runs on InfluxDB and on VictoriaMetrics."""
    return worlds[str(request.param)]


def test_retention_policies_and_rollup_counts(world: World, influxd: InfluxdHandle) -> None:
    if world.backend == "influxdb":
        with InfluxQLReader(influxd.url, "provnet_history_test") as r:
            rps = {x["name"]: x["duration"] for x in r.query(
                'SHOW RETENTION POLICIES ON "provnet_history_test"')}
        assert rps["provnet_5m"] == "9600h0m0s" and rps["provnet_1h"] == "43800h0m0s"
    n5 = world.rows(300, ["in_bps_mean"], {"link": "10"}, START, END - START)
    n1 = world.rows(3600, ["in_bps_mean"], {"link": "10"}, START, END - START)
    # every 5-minute bucket of 35 days (the first holds one rate: the first poll has none)
    assert len(n5) == 35 * 288 and len(n1) == 35 * 24


def test_a_five_minute_and_an_hour_bucket_match_the_generated_rates(world: World) -> None:
    t = d(12, 7)  # an hour: polls i .. i+23
    i0 = (t - START) // POLL
    fields = ["in_bps_n", "samples", "resets", "in_bps_min", "in_bps_max", "in_bps_mean",
              "in_util_pct_mean"]
    rows = world.rows(3600, fields, {"link": "10", "src": "ifstats"}, t)
    expect = [rate(10, i, "in") for i in range(i0, i0 + 24)]
    (row,) = rows
    assert row["in_bps_n"] == 24 and row["samples"] == 24 and row["resets"] == 0
    assert (row["in_bps_min"], row["in_bps_max"]) == (min(expect), max(expect))
    assert row["in_bps_mean"] == pytest.approx(sum(expect) / 24)
    five = world.rows(300, fields, {"link": "10", "src": "ifstats"}, t)
    assert five[0]["in_bps_mean"] == pytest.approx((expect[0] + expect[1]) / 2)
    util = (expect[0] + expect[1]) / 2 / 1e9 * 100
    assert five[0]["in_util_pct_mean"] == pytest.approx(util)


def test_a_reboot_is_a_counted_gap_not_a_spike(world: World) -> None:
    t = d(15, 5)
    rows = world.rows(300, ["resets", "in_bps_n", "in_bps_max"],
                      {"link": "11", "src": "ifstats"}, t)
    assert rows[0]["resets"] == 1 and rows[0]["in_bps_n"] == 1
    assert rows[0]["in_bps_max"] <= 4 * 250_000


def test_history_at_each_resolution(world: World) -> None:
    iso = datetime.fromtimestamp
    last_hour = api_get(world, "/api/v1/links/10/history", metrics="in_bps",
                     **{"from": iso(END - H, UTC).isoformat(), "to": iso(END, UTC).isoformat()})
    assert last_hour["resolution"] == "raw" and last_hour["step"] == f"{POLL}s"
    i_end = (END - START) // POLL
    assert [p["mean"] for p in last_hour["series"]["in_bps"]] == [
        rate(10, i, "in") for i in range(i_end - 24, i_end)]
    # 3 days: 1,728 polls would exceed 1,000 points, 864 five-minute buckets do not
    day = api_get(world, "/api/v1/links/10/history", metrics="in_bps,out_bps",
               **{"from": iso(END - 3 * DAY, UTC).isoformat(), "to": iso(END, UTC).isoformat()})
    assert day["resolution"] == "300s" and len(day["series"]["out_bps"]) == 864
    first = day["series"]["out_bps"][0]
    i = (END - 3 * DAY - START) // POLL
    assert first["mean"] == pytest.approx((rate(10, i, "out") + rate(10, i + 1, "out")) / 2)
    assert first["time"].endswith("+07:00")  # answers in the report time zone
    month = api_get(world, "/api/v1/links/10/history", metrics="in_bps",
                 **{"from": iso(END - 30 * DAY, UTC).isoformat(), "to": iso(END, UTC).isoformat()})
    assert month["resolution"] == "3600s" and len(month["series"]["in_bps"]) == 720
    old = api_get(world, "/api/v1/links/10/history", metrics="in_bps",
               **{"from": iso(d(2), UTC).isoformat(), "to": iso(d(2, 1), UTC).isoformat()})
    assert old["resolution"] == "300s"  # raw is kept 7 days: an older hour comes from 5 min
    local_from = datetime.fromtimestamp(d(10), UTC).astimezone().date().isoformat()
    local_to = datetime.fromtimestamp(d(17), UTC).astimezone().date().isoformat()
    days = api_get(world, "/api/v1/links/10/history", metrics="in_bps", step="day",
                tz="Asia/Ho_Chi_Minh", **{"from": local_from, "to": local_to})
    assert days["step"] == "day" and [p["time"][10:] for p in days["series"]["in_bps"]] == [
        "T00:00:00+07:00"] * 7
    assert all(p["samples"] == 576 for p in days["series"]["in_bps"])
    text = api_get(world, "/api/v1/links/10/history", metrics="in_bps", format="csv", step="5m",
                **{"from": iso(END - DAY, UTC).isoformat(), "to": iso(END, UTC).isoformat()})
    assert text.splitlines()[0] == "metric,time,min,mean,max,samples" and len(
        text.splitlines()) == 289


def test_commune_history_sums_its_links(world: World) -> None:
    t0 = d(12)
    params = {"from": datetime.fromtimestamp(t0, UTC).isoformat(),
              "to": datetime.fromtimestamp(t0 + H, UTC).isoformat(), "metrics": "in_bps",
              "step": "1h"}
    both = api_get(world, "/api/v1/communes/30001/history", **params)
    assert both["links"] == [11, 12]
    i0 = (t0 - START) // POLL
    expect = sum(rate(lk, i, "in") for lk in (11, 12) for i in range(i0, i0 + 24)) / 24
    assert both["series"]["in_bps"][0]["mean"] == pytest.approx(expect)


def test_95th_percentile_against_a_hand_computation(world: World) -> None:
    a, b = PERIOD
    body = api_get(world, "/api/v1/links/10/percentile", p=95,
                **{"from": datetime.fromtimestamp(a, UTC).isoformat(),
                   "to": datetime.fromtimestamp(b, UTC).isoformat()})
    slots: dict[str, list[float]] = {"in": [], "out": []}
    for s in range(a, b, 300):
        i = (s - START) // POLL
        for direction in ("in", "out"):
            vals = [0 if not Backfill(LINKS, START, END, POLL, DOWN).up(10, START + j * POLL)
                    else rate(10, j, direction) for j in (i, i + 1)]
            slots[direction].append(sum(vals) / 2)
    assert body["in_bps"] == pytest.approx(p95(slots["in"]))
    assert body["out_bps"] == pytest.approx(p95(slots["out"]))
    assert body["max_bps"] == max(body["in_bps"], body["out_bps"])
    assert body["expected_samples"] == 30 * 288 and body["missing_in"] == 0
    gap = api_get(world, "/api/v1/links/13/percentile",
               **{"from": datetime.fromtimestamp(a, UTC).isoformat(),
                  "to": datetime.fromtimestamp(b, UTC).isoformat()})
    assert gap["missing_in"] == 24 and gap["missing_out"] == 24  # the 2-hour gap of r4


def test_status_timeline_with_reason_and_flaps(world: World) -> None:
    a, b = PERIOD
    body = api_get(world, "/api/v1/links/11/timeline",
                **{"from": datetime.fromtimestamp(a, UTC).isoformat(),
                   "to": datetime.fromtimestamp(b, UTC).isoformat()})
    assert body["flaps"] == 1
    assert [(x["status"], x["duration_s"]) for x in body["intervals"]] == [
        ("up", d(20, 10) - a), ("down", 3600), ("up", b - d(20, 11))]
    assert body["intervals"][1]["reason"] == "down_a"


P = 30 * DAY


def test_link_availability_against_hand_figures(world: World) -> None:
    links = availability_items(world, "link")
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
    communes = availability_items(world, "commune")
    dual = communes["30001"]  # r3 over 11->10 and over 12: down only while 11 and 12 both are
    assert dual["name"] == "Xã Núi Tô"
    assert dual["down_s"] == 1800 and dual["incidents"] == 1 and dual["no_data_s"] == 0
    assert dual["availability_experienced"] == pytest.approx((P - 1800) / P)
    single = communes["30002"]  # r4 over 13->10: link 10's 15 minutes count, gap, window
    assert single["down_s"] == 900 and single["no_data_s"] == 7200
    assert single["maintenance_s"] == 7200 and single["maintenance_down_s"] == 3600
    assert single["availability_excluding_maintenance"] == pytest.approx(
        (P - 900 - 14400) / (P - 14400))
    district = availability_items(world, "district")["891"]
    assert district["entities"] == 2 and district["period_s"] == 2 * P
    assert district["down_s"] == 2700 and district["incidents"] == 2
    assert district["mttr_s"] == 1350
    assert district["availability_experienced"] == pytest.approx(
        (2 * P - 7200 - 2700 - 3600) / (2 * P - 7200))
    province = availability_items(world, "province")["province"]
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

    def buckets() -> list[dict[str, Any]]:
        return world.src.readers[300].read_series(
            world.src.sources[300], ["in_bps_mean", "up_mean"], {}, t * 10**9, (t + H) * 10**9,
            group_by=("src", "link"))

    before = buckets()
    assert len(before) == 12 * 8  # 4 links' ifstats and link_state series, 12 buckets each
    if world.backend == "influxdb":  # a rewrite replaces a point on InfluxDB only
        tags = {"src": "ifstats", "link": "11", "end": "a", "device": "r3", "ifindex": "11",
                "district": "891", "site": "S-r3"}  # the series of link 11's A end
        world.writers[300].write([Point(ROLLUP_5M, {"in_bps_mean": -1.0}, tags, t * 10**9)])
        assert any(r.get("in_bps_mean") == -1.0 for r in buckets())
    report = rebuild(world.src.readers[0], world.writers, t, t + H)
    world.flush()
    assert report.raw_rows > 0 and report.points and report.points[300] > 0
    assert buckets() == before  # same points, same values: overwritten (or kept once)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_monthly_report_pdf_keeps_vietnamese_and_is_frozen(world: World, tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    from provnet.alerts.monthly import render
    from provnet.alerts.reports import availability
    from provnet.reports import issue_monthly

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    with world.store.session() as s:
        levels = {lv: availability(s, world.src.readers[300], world.src.sources[300], lv,
                                   *PERIOD)
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
    body = api_get(world, "/api/v1/links/10/history", metrics="in_bps", step="6h",
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


def test_both_backends_give_the_same_answers(worlds: dict[str, World]) -> None:
    iso = lambda t: datetime.fromtimestamp(t, UTC).isoformat()  # noqa: E731
    for url, params in comparison_questions():
        answers = []
        for backend in BACKENDS:
            r = worlds[backend].client.get(url, params=params)
            assert r.status_code == 200, (backend, url, r.text)
            answers.append(r.json() if r.headers["content-type"].startswith("application/json")
                           else r.text)
        same(answers[0], answers[1], f"{url} {params}")
    # and the reads under them, row for row (a shifted window would keep the totals)
    lo, hi = d(20) * 10**9 + 10**9 * 4321, d(30, 4) * 10**9
    state = {"src": "link_state"}
    rows = {}
    for backend in BACKENDS:
        w = worlds[backend].src
        r5 = w.readers[300]
        rows[backend] = {
            "below": r5.read_below(w.sources[300], "up_mean", 1.0, state, lo, hi, 300,
                                   group_by=("link",)),
            "days": [r for r in r5.count_per_day(w.sources[300], "up_mean", state, lo, hi,
                                                 group_by=("link",)) if r["count"]],
            "steps": w.readers[3600].read_steps(w.sources[3600], ["in_bps", "up"],
                                                {"link": ["11", "13"]}, lo, hi, 6 * H, 3600,
                                                group_by=("link", "src")),
            "status": w.readers[3600].read_status_changes(w.status_rp, "13", lo, hi),
            "raw": w.readers[0].read_series('"ifstats"', ["in_bps", "counter_reset"],
                                            {"device": R4}, d(28, 1.5) * 10**9, d(28, 2.5) * 10**9,
                                            group_by=("ifname",)),
        }
    assert len(rows["influxdb"]["below"]) == 12 + 12 + 3 + 12  # links 11, 12, 10, 13 down
    assert rows["influxdb"]["status"][1] and rows["influxdb"]["raw"]
    for key in rows["influxdb"]:
        same(rows["influxdb"][key], rows["victoriametrics"][key], key)
    # the counter reset, the Vietnamese device and the gap are in those answers
    reset = worlds["victoriametrics"].rows(300, ["resets"], {"link": "11", "src": "ifstats"},
                                           d(15, 5))
    assert reset[0]["resets"] == 1
    gap = worlds["victoriametrics"].client.get("/api/v1/devices/4/interfaces/13/history", params={
        "from": iso(d(28) - H), "to": iso(d(28, 3)), "metrics": "in_bps"}).json()
    times = [datetime.fromisoformat(p["time"]).timestamp() for p in gap["series"]["in_bps"]]
    assert gap["interface"] == f"{R4}:13" and times
    assert not [t for t in times if d(28) <= t < d(28, 2)]  # nothing inside the 2-hour gap


def test_one_entity_availability_equals_the_report(world: World) -> None:
    """``alerts/entity_availability.py`` (the engineer's link and commune pages): every link's
    and commune's entry equals the report's, maintenance, gaps and dual homing included."""
    from provnet.alerts.entity_availability import commune_availability, link_availability

    a, b = PERIOD
    src = (world.src.readers[300], world.src.sources[300])
    for level, fn in (("link", link_availability), ("commune", commune_availability)):
        report = availability_items(world, level)
        assert report
        for key, entry in report.items():
            with world.store.session() as s:
                one = fn(s, *src, int(key) if level == "link" else key, int(a), int(b))
            assert one == entry, (level, key)
    with world.store.session() as s:
        assert link_availability(s, *src, 999, int(a), int(b)) is None
        assert commune_availability(s, *src, "99999", int(a), int(b)) is None


def test_hourly_buckets_count_their_five_minute_buckets_and_old_ones_fall_back(
        world: World) -> None:
    """The availability report counts 5-minute buckets with data from the hourly rollups'
    ``slots_5m``; hourly buckets written before the field existed are counted from the
    5-minute buckets: the figures are the same either way."""
    hours = world.rows(3600, ["slots_5m", "up_mean"], {"src": "link_state", "link": "13"},
                       d(27, 22), 6 * H)  # link 13's end R4 has no data in [d28, d28 + 2 h)
    assert [(r["time"] // 10**9, r["slots_5m"]) for r in hours] == [
        (d(27, 22), 12), (d(27, 23), 12), (d(28, 2), 12), (d(28, 3), 12)]
    assert not world.rows(300, ["slots_5m"], {"src": "link_state"}, d(27), DAY)
    # the same hourly link_state buckets as older provnet wrote them from day 25 on (the gap,
    # the maintenance window, three outages): no slots_5m, in a measurement of their own
    fields = ["up_min", "up_mean", "up_max", "up_n", "samples", "resets", "slots_5m"]
    old = []
    r1, src1 = world.src.readers[3600], world.src.sources[3600]
    for lk in ("10", "11", "12", "13"):
        for r in r1.read_series(src1, fields, {"src": "link_state", "link": lk}, START * 10**9,
                                END * 10**9):
            f = {k: float(r[k]) if k[:3] == "up_" and k != "up_n" else int(r[k])
                 for k in fields if r[k] is not None  # (InfluxDB's JSON gives 1.0 as 1)
                 and not (k == "slots_5m" and r["time"] >= d(25) * 10**9)}
            old.append(Point("rollup_1h_before", f, {"src": "link_state", "link": lk},
                             int(r["time"])))
    assert len(old) == 4 * 35 * 24 - 2 and sum("slots_5m" in p.fields for p in old) < len(old)
    world.writers[3600].write(old)
    world.flush()
    old_src = src1.replace(ROLLUP_1H, "rollup_1h_before")
    assert old_src != src1
    r5, src5 = world.src.readers[300], world.src.sources[300]
    for period in (PERIOD, (d(26, 3.5), d(31, 5.25))):
        with world.store.session() as s:
            plain = availability_levels(s, r5, src5, LEVELS, *period)
            fast = availability_levels(s, r5, src5, LEVELS, *period, hourly=(r1, src1))
            mixed = availability_levels(s, r5, src5, LEVELS, *period, hourly=(r1, old_src))
        assert fast == plain and mixed == plain
    assert plain["link"] and {e["id"]: e["no_data_s"] for e in plain["link"]}["13"] == 7200


def test_a_long_range_is_read_in_coarse_steps_that_keep_spikes(world: World) -> None:
    """60 days without a step: 1,440 hours would be too many, so 6-hour steps merged by the
    store (a year: daily steps); every step keeps the min of its mins and max of its maxes."""
    iso = lambda t: datetime.fromtimestamp(t, UTC).isoformat()  # noqa: E731
    body = api_get(world, "/api/v1/links/11/history", metrics="in_bps",
                **{"from": iso(END - 60 * DAY), "to": iso(END)})
    assert body["resolution"] == "3600s" and body["step"] == "21600s"
    steps = body["series"]["in_bps"]
    hours = api_get(world, "/api/v1/links/11/history", metrics="in_bps", step="1h",
                 **{"from": iso(START), "to": iso(END)})["series"]["in_bps"]
    assert len(hours) == 35 * 24 and len(steps) in (35 * 4, 35 * 4 + 1)  # +07:00 alignment
    assert max(s["max"] for s in steps) == max(h["max"] for h in hours)
    assert min(s["min"] for s in steps) == min(h["min"] for h in hours)
    assert sum(s["samples"] for s in steps) == sum(h["samples"] for h in hours)
    # the step holding the busiest hour shows that hour's max
    spike = max(hours, key=lambda h: h["max"])
    t = datetime.fromisoformat(spike["time"]).timestamp()
    holder = [s for s in steps if 0 <= t - datetime.fromisoformat(s["time"]).timestamp() < 6 * H]
    assert holder and holder[0]["max"] == spike["max"]
