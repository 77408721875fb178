"""History on both back-ends: the same data written to a managed influxd and to a
victoria-metrics (both in a temporary directory on 127.0.0.1), then the same questions.

Data (``bench/history.py``'s fast backfill, rollup points written directly): 5-minute and
1-hour rollups of every demo link's state for ``--days`` (rates for the links of the commune
with the most links), a ``--year-days`` history of that commune's links, 7 days of raw 60-s
``ifstats`` samples of one link. Prints per back-end: write time and points/s (client wall
time; the server's CPU from /proc), then p50/p99 over ``--reps`` of one link's 24 h, 30 d and
1 y chart, the commune's aggregate, the 95th percentile, a raw hour, and the province's
availability (these three over min(30, ``--days``) days); then each store's size on disk.

    python -m bench.history_backends --days 7 --year-days 90 --reps 10   # ~1 minute
    python -m bench.history_backends                                     # 35 d / 1 y
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import demo_links, proc_cpu_s
from bench.history import METRICS, rollup, timed
from provnet.alerts.reports import availability
from provnet.config.history import HistorySettings
from provnet.config.settings import InfluxSettings
from provnet.config.tsdb import VictoriaMetricsSettings
from provnet.demo.seed import seed_demo
from provnet.inventory.store import open_store
from provnet.pollers.history_query import HistorySource
from provnet.tsdb.client import InfluxQLReader, V1Writer, Writer
from provnet.tsdb.history import HistoryReader, InfluxHistory
from provnet.tsdb.managed import ManagedInfluxd
from provnet.tsdb.managed_vm import ManagedVictoria, VictoriaStores
from provnet.tsdb.measurements import IFSTATS
from provnet.tsdb.points import Point
from provnet.tsdb.retention import apply_retention, locations, rollup_writers
from provnet.tsdb.victoria import VictoriaClient

DAY = 86400


def batches(links: list[tuple[int, str | None]], start: int, end: int, rates: set[int],
            width: int, size: int = 50_000) -> list[list[Point]]:
    """The rollup points of ``bench/history.py`` ``backfill``, in write batches."""
    out: list[list[Point]] = []
    buf: list[Point] = []
    for t in range(start - start % width, end, width):
        for link, commune in links:
            buf.extend(rollup(width, t, link, commune, 1e6 + (t // width + link) % 5000,
                              link in rates))
        if len(buf) >= size:
            out.append(buf)
            buf = []
    out.append(buf)
    return out


def du(path: Path) -> float:
    """Size on disk in MiB."""
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0]) / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=35)
    ap.add_argument("--year-days", type=int, default=365)
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="provnet-bench-backends-") as tmp:
        root = Path(tmp)
        store = open_store(f"sqlite:///{root / 'inv.sqlite'}")
        seed_demo(store)
        links, _, commune_links = demo_links(store)
        chart = commune_links[0]
        charted = {r.id for r in commune_links}
        now = int(time.time()) // 3600 * 3600
        cfg = HistorySettings()
        with ManagedInfluxd(root / "influxd") as db, \
                ManagedVictoria(root / "victoria") as vm_server:
            influx = InfluxSettings(url=db.url, database="bench")
            reader = InfluxQLReader(db.url, "bench")
            reader.create_database("bench")
            apply_retention(reader, "bench", cfg)
            vm = VictoriaStores.open(VictoriaMetricsSettings(url=vm_server.url, database="bench"),
                                     cfg, root)
            writers: dict[str, dict[int, Writer]] = {
                "influxdb": {**rollup_writers(influx, cfg, db.url, db.version),
                             0: V1Writer(db.url, "bench")},
                "victoriametrics": {w: vm.writer(w) for w in (0, 300, 3600)}}
            pids = {"influxdb": db.pid, "victoriametrics": vm_server.pid}
            work: list[tuple[int, list[Point]]] = []
            all_links = [(r.id, r.commune_code) for r in links]
            year = [(r.id, r.commune_code) for r in commune_links]
            for width in (300, 3600):
                work += [(width, b) for b in batches(all_links, now - args.days * DAY, now,
                                                     charted, width)]
                work += [(width, b) for b in batches(year, now - args.year_days * DAY,
                                                     now - args.days * DAY, charted, width)]
            raw, octets = [], 0
            for t in range(now - 7 * DAY, now, 60):
                octets += 7_500_000 + t % 1000
                raw.append(Point(IFSTATS, {"in_octets": octets, "in_bps": 1e6 + t % 977},
                                 {"link": str(chart.id), "end": "a", "ifindex": "1"}, t * 10**9))
            work.append((0, raw))
            n = sum(len(b) for _, b in work)
            print(f"data: {len(links)} links x {args.days} d + {len(commune_links)} links x "
                  f"{args.year_days} d of 5 min and 1 h rollups, 7 d raw of one link: {n} points")
            for backend, ws in writers.items():
                cpu0, t0 = proc_cpu_s(pids[backend] or 0), time.perf_counter()
                for width, b in work:
                    ws[width].write(b)
                wall = time.perf_counter() - t0
                cpu = proc_cpu_s(pids[backend] or 0) - cpu0
                print(f"  write {backend:<16} {wall:6.1f} s  {n / wall:9.0f} points/s  "
                      f"server CPU {cpu:5.1f} s")
            with VictoriaClient(vm_server.url) as c:
                c.force_flush()
            hist = InfluxHistory(reader)
            readers: dict[str, dict[int, HistoryReader]] = {
                "influxdb": {0: hist, 300: hist, 3600: hist},
                "victoriametrics": dict(vm.readers())}
            locs = locations(influx, cfg, db.version)
            sources = {w: loc.source for w, loc in locs.items()}
            tags = {"link": str(chart.id), "end": "a"}
            ids = [r.id for r in commune_links]
            span = min(30, args.days) * DAY  # the period every link has data for
            label = f"{span // DAY} d"
            rows: dict[str, dict[str, tuple[float, float]]] = {}
            for backend, rd in readers.items():
                src = HistorySource(rd, sources, cfg, 60.0, now=lambda: float(now),
                                    status_rp=cfg.policy_1h if backend == "influxdb" else None)
                q: dict[str, Callable[[], object]] = {
                    "raw 1 h of one link": lambda src=src: src.series(
                        IFSTATS, tags, ("in_bps",), now - 3600, now, None),
                    "link 24 h chart (5 min)": lambda src=src: src.series(
                        IFSTATS, tags, METRICS, now - DAY, now, None),
                    "link 30 d chart (1 h)": lambda src=src: src.series(
                        IFSTATS, tags, METRICS, now - 30 * DAY, now, None),
                    f"link {args.year_days} d chart (1 h)": lambda src=src: (
                        src.series(IFSTATS, tags, METRICS, now - args.year_days * DAY, now,
                                   None)),
                    f"commune {label} ({len(ids)} links)": lambda src=src: src.links_series(
                        ids, METRICS[:2], now - span, now, None),
                    f"95th percentile, {label}": lambda src=src: src.percentile(
                        chart.id, now - span, now, 95),
                }

                def province(rd: dict[int, HistoryReader] = rd) -> object:
                    with store.session() as s:
                        return availability(s, rd[300], sources[300], "province",
                                            now - span, now,
                                            hourly=(rd[3600], sources[3600]))
                rows[backend] = {name: timed(fn, args.reps) for name, fn in q.items()}
                rows[backend][f"province availability, {label} ({len(links)} links)"] = timed(
                    province, max(3, args.reps // 5))
            print(f"  {'question (p50 / p99 ms)':<44} {'influxdb':>17} {'victoriametrics':>17}")
            for name in rows["influxdb"]:
                i, v = rows["influxdb"][name], rows["victoriametrics"][name]
                print(f"  {name:<44} {i[0]:7.1f} / {i[1]:7.1f} {v[0]:7.1f} / {v[1]:7.1f}")
            for ws in writers.values():
                for w in ws.values():
                    w.close()
            reader.close()
            for vr in {id(x): x for x in readers["victoriametrics"].values()}.values():
                vr.close()  # type: ignore[attr-defined]
            time.sleep(1.5)
            print(f"size on disk: influxdb {du(root / 'influxd' / 'influxdb'):.1f} MiB "
                  f"(data + wal, before compaction), victoriametrics "
                  f"{du(root / 'victoria' / 'data'):.1f} MiB")
        store.close()


if __name__ == "__main__":
    main()
