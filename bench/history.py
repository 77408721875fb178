"""History read path: charts and reports from rollups vs a raw-InfluxQL baseline.

Builds a store with a fast backfill (rollup points written directly, no polling), on a
managed influxd in a temporary directory, over the demo province's inventory (189 links):

* 5-minute and 1-hour rollups of every link's state for ``--days`` (35) (rates too with
  ``--rates-for all``),
* a year (``--year-days``) of 5-minute and 1-hour rollups (rates and state) for the links of
  the commune with the most links,
* 7 days of raw ``ifstats`` samples (60 s) of one link for the baseline,

then times (p50/p99 over ``--reps``): one link's 24 h, 30 d and 1 y chart
(``HistorySource.series``), the commune's 30 d aggregate, the province's availability over
30 days (``alerts/reports.py``), and, as the baseline, a raw-InfluxQL
``derivative(max(in_octets))`` over the same 24 h. Prints the store's size on disk.

    python bench/history.py                     # about 2-3 minutes on 2 cores
    python bench/history.py --days 7 --reps 10  # quicker
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/history.py`

from bench.common import demo_links
from provnet.alerts.reports import availability
from provnet.config.history import HistorySettings
from provnet.config.settings import InfluxSettings
from provnet.demo.seed import seed_demo
from provnet.inventory.store import open_store
from provnet.pollers.history_query import HistorySource
from provnet.tsdb.client import InfluxQLReader, V1Writer
from provnet.tsdb.history import InfluxHistory
from provnet.tsdb.managed import ManagedInfluxd
from provnet.tsdb.measurements import IFSTATS, LINK_STATE, ROLLUP_1H, ROLLUP_5M
from provnet.tsdb.points import Point
from provnet.tsdb.retention import apply_retention, locations, rollup_writers

DAY = 86400
METRICS = ("in_bps", "out_bps", "in_util_pct", "out_util_pct")


def rollup(width: int, t: int, link: int, commune: str | None, v: float,
           rates: bool = True, slots: bool = True) -> list[Point]:
    tags = {"link": str(link), "end": "a", "district": "x"} | (
        {"commune": commune} if commune else {})
    f: dict[str, float | int] = {"samples": width // 60, "resets": 0}
    for i, m in enumerate(METRICS):
        base = v * (1 + i) if "bps" in m else v / 1e7
        f |= {f"{m}_min": base * 0.5, f"{m}_mean": base, f"{m}_max": base * 1.5,
              f"{m}_n": width // 60}
    up = 0.0 if (t // 3600) % 997 == link % 997 else 1.0  # an hour down now and then
    state = {"samples": width // 60, "resets": 0, "up_min": up, "up_mean": up, "up_max": up,
             "up_n": width // 60}
    if width > 300 and slots:
        state["slots_5m"] = width // 300  # as the aggregator writes them (no gap here)
    m = ROLLUP_5M if width == 300 else ROLLUP_1H
    out = [Point(m, state, {"src": LINK_STATE, **tags}, t * 10**9)]
    if rates:
        out.append(Point(m, f, {"src": IFSTATS, **tags}, t * 10**9))
    return out


def backfill(writers: dict[int, V1Writer], links: list[tuple[int, str | None]], start: int,
             end: int, rates: set[int], slots: bool = True) -> int:
    """Rollup points of ``links`` over [start, end): link state for all, rates for ``rates``."""
    n = 0
    for width, w in writers.items():
        buf: list[Point] = []
        for t in range(start - start % width, end, width):
            for link, commune in links:
                buf.extend(rollup(width, t, link, commune, 1e6 + (t // width + link) % 5000,
                                  link in rates, slots))
            if len(buf) >= 50_000:
                w.write(buf)
                n += len(buf)
                buf = []
        w.write(buf)
        n += len(buf)
    return n


def timed(fn: Callable[[], object], reps: int) -> tuple[float, float]:
    fn()  # warm
    xs = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        xs.append((time.perf_counter() - t0) * 1000)
    xs.sort()
    return statistics.median(xs), xs[min(len(xs) - 1, round(0.99 * (len(xs) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=35)
    ap.add_argument("--year-days", type=int, default=365)
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--profile", action="store_true", help="profile the province report")
    ap.add_argument("--old-hourly", action="store_true",
                    help="hourly rollups without slots_5m (data written before it existed): "
                         "the report counts 5-minute buckets as it did before")
    ap.add_argument("--rates-for", choices=("commune", "all"), default="commune",
                    help="rate rollups for the charted commune's links only, or every link")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="provnet-bench-history-") as tmp:
        root = Path(tmp)
        store = open_store(f"sqlite:///{root / 'inv.sqlite'}")
        seed_demo(store)
        links, commune, commune_links = demo_links(store)
        chart = commune_links[0]
        with ManagedInfluxd(root / "influxd") as db:
            influx = InfluxSettings(url=db.url, database="bench")
            cfg = HistorySettings()
            reader = InfluxQLReader(db.url, "bench")
            reader.create_database("bench")
            apply_retention(reader, "bench", cfg)
            writers = rollup_writers(influx, cfg, db.url, db.version)
            now = int(time.time()) // 3600 * 3600
            t0 = time.perf_counter()
            charted = {r.id for r in commune_links}
            n = backfill(writers, [(r.id, r.commune_code) for r in links], now - args.days * DAY,
                         now, charted if args.rates_for == "commune" else {r.id for r in links},
                         not args.old_hourly)
            n += backfill(writers, [(r.id, r.commune_code) for r in commune_links],
                          now - args.year_days * DAY, now - args.days * DAY, charted,
                          not args.old_hourly)
            raw = V1Writer(db.url, "bench")
            pts, octets = [], 0
            for t in range(now - 7 * DAY, now, 60):
                octets += 7_500_000 + t % 1000
                pts.append(Point(IFSTATS, {"in_octets": octets, "in_bps": 1e6},
                                 {"link": str(chart.id), "end": "a", "ifindex": "1"},
                                 t * 10**9))
            raw.write(pts)
            n += len(pts)
            load_s = time.perf_counter() - t0
            locs = locations(influx, cfg, db.version)
            hist = InfluxHistory(reader)
            src = HistorySource({0: hist, 300: hist, 3600: hist},
                                {w: loc.source for w, loc in locs.items()}, cfg, 60.0,
                                now=lambda: float(now))
            tags = {"link": str(chart.id), "end": "a"}
            q: dict[str, Callable[[], object]] = {
                "link 24 h chart (5 min)": lambda: src.series(IFSTATS, tags, METRICS,
                                                              now - DAY, now, None),
                "link 30 d chart (1 h)": lambda: src.series(IFSTATS, tags, METRICS,
                                                            now - 30 * DAY, now, None),
                "link 1 y chart (1 h, daily steps)": lambda: src.series(
                    IFSTATS, tags, METRICS, now - args.year_days * DAY, now, None),
                f"commune {commune} 30 d ({len(commune_links)} links)": lambda: src.links_series(
                    [r.id for r in commune_links], METRICS[:2], now - 30 * DAY, now, None),
                "baseline: raw derivative 24 h": lambda: reader.query(
                    'SELECT derivative(max("in_octets"), 1s) * 8 FROM "ifstats" WHERE '
                    f"\"link\" = '{chart.id}' AND time >= {(now - DAY) * 10**9} AND "
                    f"time < {now * 10**9} GROUP BY time(60s)"),
            }
            print(f"store: {len(links)} links x {args.days} d + {len(commune_links)} links x "
                  f"{args.year_days} d of 5 min and 1 h rollups, 7 d raw of one link: "
                  f"{n} points written in {load_s:.1f} s")
            for name, fn in q.items():
                p50, p99 = timed(fn, args.reps)
                print(f"  {name:<42} p50 {p50:8.1f} ms   p99 {p99:8.1f} ms")

            def province() -> object:
                with store.session() as s:
                    return availability(s, hist, locs[300].source, "province",
                                        now - 30 * DAY, now, hourly=(hist, locs[3600].source))
            if args.profile:
                import cProfile
                import pstats
                cProfile.runctx("province()", globals(), locals(), str(root / "prof"))
                pstats.Stats(str(root / "prof")).sort_stats("cumulative").print_stats(15)
            p50, p99 = timed(province, max(3, args.reps // 10))
            print(f"  {'province availability, 30 d (5 min)':<42} p50 {p50:8.1f} ms   "
                  f"p99 {p99:8.1f} ms")
            for w in writers.values():
                w.close()
            raw.close()
            reader.close()
            size = subprocess.run(["du", "-sb", str(root / "influxd" / "influxdb")],
                                  capture_output=True, text=True, check=True).stdout.split()[0]
            print(f"store size on disk: {int(size) / 2**20:.1f} MiB "
                  "(influxd data + wal, before compaction)")
        store.close()


if __name__ == "__main__":
    main()
