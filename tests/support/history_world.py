"""The history world of ``tests/integration/test_history_influxd.py``: 35 days of
compressed-time samples for four links written through the real write path into a real influxd
and a real victoria-metrics, an API app around each, and the helpers its tests compare with."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
from provnet.config.tsdb import VictoriaMetricsSettings
from provnet.inventory import model, queries
from provnet.inventory.store import Store, open_store
from provnet.pollers.history_query import HistorySource
from provnet.pollers.live import LiveState
from provnet.pollers.rollup import RollupAggregator
from provnet.tsdb.client import InfluxQLReader, Writer
from provnet.tsdb.history import HistoryReader, InfluxHistory
from provnet.tsdb.lineprotocol import encode_lines
from provnet.tsdb.managed_vm import VictoriaStores
from provnet.tsdb.retention import apply_retention, locations, rollup_writers
from provnet.tsdb.spool import SpoolingWriter
from provnet.tsdb.victoria import VictoriaClient
from tests.support.helpers import InfluxdHandle
from tests.support.history_backfill import Backfill, split_status
from tests.support.vm_server import victoria

DAY, H = 86400, 3600
POLL = 150
END = (int(time.time()) // H - 1) * H  # an hour boundary in the past
START = END - 35 * DAY
PERIOD = (START + 5 * DAY, END)  # the 30 days the figures are computed over


def d(day: int, hours: float = 0.0) -> int:
    return int(START + day * DAY + hours * H)


R4 = "UB xã Ô Lâm"  # device 4: a tag value with diacritics and a space on both back-ends
LINKS = [(10, "r2", None), (11, "r3", "30001"), (12, "r3", "30001"), (13, R4, "30002")]
DOWN = {11: [(d(20, 10), d(20, 11))], 12: [(d(20, 10.5), d(20, 11.5))],
        10: [(d(25), d(25, 0.25))], 13: [(d(30, 2.5), d(30, 3.5))]}
GAPS = {R4: [(d(28), d(28, 2))]}
REBOOTS = {"r3": [d(15, 5)]}
MAINT = (d(30, 2), 2 * H)  # device R4, 2 hours, once
BACKENDS = ("influxdb", "victoriametrics")


def seed_inventory(store: Store) -> None:
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
            s.add(model.Device(id=dev, hostname=R4 if dev == 4 else f"r{dev}", site_id=dev,
                               role=kind,
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
        s.add(MaintenanceWindow(name="thay SFP", site=None, district=None, device=R4, rule=None,
                                rrule="FREQ=DAILY;COUNT=1", dtstart=start, duration_s=MAINT[1],
                                created_by="test", comment=""))


@dataclass
class World:
    backend: str
    src: HistorySource
    client: TestClient
    store: Store
    writers: dict[int, Writer]
    written: int
    flush: Any  # makes what was just written readable (VictoriaMetrics: within 1 s anyway)

    def rows(self, width: int, fields: list[str], tags: dict[str, str], t: int,
             span: int = 1) -> list[dict[str, Any]]:
        """The rollup points of [t, t + span) through the back-end's HistoryReader."""
        reader: HistoryReader = self.src.readers[width]
        return reader.read_series(self.src.sources[width], fields, tags, t * 10**9,
                                  (t + span) * 10**9)


@contextmanager
def history_worlds(influxd: InfluxdHandle, tmp: Path) -> Iterator[dict[str, World]]:
    """The same generated history written to both back-ends (a real influxd, a real
    victoria-metrics started here), and an API app around each."""
    name = "provnet_history_test"
    with InfluxQLReader(influxd.url, "") as admin:
        admin.create_database(name)
    db = InfluxdHandle(influxd.url, name, influxd.server)
    reader = db.reader()
    influx = InfluxSettings(url=influxd.url, database=name)
    # raw kept forever here: InfluxDB drops points older than a policy's duration on write,
    # and the backfill writes 35 days in the past; the reader still treats raw as 7 days
    apply_retention(reader, name, HistorySettings(raw_days=0))
    cfg = HistorySettings()
    with victoria(tmp / "victoria") as vm_server:
        vm = VictoriaStores.open(VictoriaMetricsSettings(url=vm_server.url, database=name), cfg,
                                 tmp)
        writers: dict[str, dict[int, Writer]] = {
            "influxdb": rollup_writers(influx, cfg, influxd.url, "1.6.7"),
            "victoriametrics": {w: vm.writer(w) for w in (300, 3600)}}
        raws = [SpoolingWriter(db.v1_writer(), tmp / "spool", 64 * 2**20),
                SpoolingWriter(vm.writer(0), tmp / "spool-vm", 64 * 2**20)]
        agg = RollupAggregator()
        status: list[Any] = []

        def sink(points: list[Any]) -> None:  # what Service.flush and the history feature do
            samples, changes = split_status(points)
            agg.add_points(samples)
            lines = encode_lines(samples)  # what SpoolingWriter.write does, once for both
            for raw in raws:
                raw.write_lines(lines)
            status.extend(changes)
            for width, pts in agg.flush(points[-1].time_ns / 1e9).items():
                for ws in writers.values():
                    ws[width].write(pts)

        bf = Backfill(LINKS, START, END, POLL, DOWN, GAPS, REBOOTS)
        written = bf.run(sink)
        for width, pts in agg.flush_all().items():
            for ws in writers.values():
                ws[width].write(pts)
        for ws in writers.values():
            ws[3600].write(status)
        for raw in raws:
            raw.close()
        flusher = VictoriaClient(vm_server.url)
        flusher.force_flush()
        store = open_store(f"sqlite:///{tmp / 'inv.sqlite'}")
        seed_inventory(store)
        locs = locations(influx, cfg, "1.6.7")
        sources = {w: loc.source for w, loc in locs.items()}
        influx_reader = InfluxHistory(reader)
        readers: dict[str, dict[int, HistoryReader]] = {
            "influxdb": {0: influx_reader, 300: influx_reader, 3600: influx_reader},
            "victoriametrics": dict(vm.readers())}
        with store.session() as s:
            links = queries.links(s)
        out: dict[str, World] = {}
        clients = []
        for backend in BACKENDS:
            src = HistorySource(readers[backend], sources, cfg, POLL,
                                status_rp=cfg.policy_1h if backend == "influxdb" else None,
                                now=lambda: float(END))
            app = create_app(ApiContext(store=store, live=LiveState()),
                             [history_router(src, store, locs[300].source, lambda: links)])
            client = TestClient(app).__enter__()
            clients.append(client)
            out[backend] = World(backend, src, client, store, writers[backend], written,
                                 flusher.force_flush if backend != "influxdb" else lambda: None)
        try:
            yield out
        finally:
            for client in clients:
                client.__exit__(None, None, None)
            reader.close()
            for r in readers["victoriametrics"].values():
                r.close()  # type: ignore[attr-defined]
            flusher.close()
            for ws in writers.values():
                for w in ws.values():
                    w.close()
            store.close()
            with InfluxQLReader(influxd.url, "") as admin:
                admin.drop_database(name)


def api_get(world: World, url: str, **params: Any) -> Any:
    """GET a route of the world's app; its JSON (or text) answer, which must be a 200."""
    r = world.client.get(url, params=params)
    assert r.status_code == 200, r.text
    return r.json() if r.headers["content-type"].startswith("application/json") else r.text


def availability_items(world: World, level: str) -> dict[str, dict[str, Any]]:
    """The availability report's items of ``level`` over PERIOD, by id."""
    a, b = PERIOD
    body = api_get(world, "/api/v1/reports/availability", level=level,
                **{"from": datetime.fromtimestamp(a, UTC).isoformat(),
                   "to": datetime.fromtimestamp(b, UTC).isoformat()})
    return {x["id"]: x for x in body["items"]}


def number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def same(a: Any, b: Any, where: str = "") -> None:
    """Equal answers: the same structure, text, times and counts; other numbers equal to
    1e-9 relative (VictoriaMetrics keeps about 12 significant digits of a value)."""
    if isinstance(a, str) and isinstance(b, str) and "\n" in a:  # CSV: cell by cell
        ca = [line.split(",") for line in a.splitlines()]
        cb = [line.split(",") for line in b.splitlines()]
        same([[number(x) if number(x) is not None else x for x in r] for r in ca],
              [[number(x) if number(x) is not None else x for x in r] for r in cb], where)
    elif isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{where}: {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        assert b == pytest.approx(a, rel=1e-9, abs=1e-9), f"{where}: {a} != {b}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def comparison_questions() -> list[tuple[str, dict[str, Any]]]:
    """The routes and parameters both back-ends must answer identically: every resolution,
    steps merged by the store, CSV, percentiles, timelines, every availability level and a
    period in local time."""
    iso = lambda t: datetime.fromtimestamp(t, UTC).isoformat()  # noqa: E731
    a, b = PERIOD
    month = {"from": iso(a), "to": iso(b)}
    return [
        ("/api/v1/links/10/history", {"from": iso(END - H), "to": iso(END)}),  # raw
        ("/api/v1/links/11/history", {"from": iso(d(15, 4)), "to": iso(d(15, 6)),
                                      "metrics": "in_bps,out_bps,in_util_pct", "step": "5m"}),
        ("/api/v1/links/10/history", {"from": iso(END - 3 * DAY), "to": iso(END)}),  # 5 min
        ("/api/v1/links/13/history", month),  # hourly, over the gap and the window
        ("/api/v1/links/10/history", {**month, "step": "6h"}),  # merged by the store
        ("/api/v1/links/12/history", {**month, "step": "day", "format": "csv"}),
        ("/api/v1/links/11/history", {"from": iso(START), "to": iso(END), "step": "month"}),
        ("/api/v1/devices/4/interfaces/13/history", {"from": iso(d(28) - H),
                                                     "to": iso(d(28, 3))}),  # R4's gap
        ("/api/v1/devices/4/interfaces/13/history", {**month, "step": "1d"}),
        ("/api/v1/communes/30001/history", {**month, "step": "1h"}),
        ("/api/v1/communes/30002/history", {"from": iso(END - DAY), "to": iso(END)}),
        ("/api/v1/links/10/percentile", month),
        ("/api/v1/links/13/percentile", {**month, "p": 99}),
        ("/api/v1/links/11/percentile", {"from": iso(d(15)), "to": iso(d(16)), "p": 50}),
        ("/api/v1/links/11/timeline", month),
        ("/api/v1/links/13/timeline", {"from": iso(d(27)), "to": iso(d(31))}),
        ("/api/v1/reports/availability", {**month, "level": "link"}),
        ("/api/v1/reports/availability", {**month, "level": "commune"}),
        ("/api/v1/reports/availability", {**month, "level": "district", "format": "csv"}),
        # a period in local time (+07:00): the first and last UTC days are partial
        ("/api/v1/reports/availability", {"from": iso(d(26, 3.5)), "to": iso(d(31, 5.25)),
                                          "level": "province"}),
    ]


def p95(values: list[float]) -> float:
    """The 95th percentile by the nearest-rank method (what the route computes)."""
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]
