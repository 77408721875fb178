"""A month of history for a RUNNING ``provnet demo``: compressed-time polls of some links
(``history_backfill.Backfill``: rates, link state and status changes through the real rollup
aggregator), optics of both ends and ICMP of the far end, written as 5-minute and 1-hour
rollups into the demo's own managed influxd (with its generated account). Raw samples are not
written: the demo's raw policy keeps 7 days and InfluxDB refuses older points.

Used by the engineer's browser journey and ``bench/pages.py``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provnet.config.history import HistorySettings
from provnet.config.settings import InfluxSettings
from provnet.pollers.readings import expand_ifname
from provnet.pollers.rollup import RollupAggregator
from provnet.tsdb.influxd_auth import ADMIN_USER, admin_password
from provnet.tsdb.measurements import ICMP, OPTICS
from provnet.tsdb.points import Point
from provnet.tsdb.retention import rollup_writers
from tests.support.demo_proc import DemoProcess
from tests.support.history_backfill import Backfill, Interval, split_status

DAY = 86400
POLL_S = 300


@dataclass(frozen=True)
class LinkPlan:
    """One link to backfill: its id, both ends (hostname, port name) and its commune."""

    link: int
    a_device: str
    a_port: str
    z_device: str
    z_port: str
    commune: str | None


def optic_level(i: int, device: str, direction: str) -> float:
    """A slow deterministic wave around -12 dBm (Rx) or -3 dBm (Tx)."""
    base = -12.0 if direction == "rx" else -3.0
    return round(base + 1.5 * math.sin(i / 97.0 + len(device)), 2)


def extra_points(plan: LinkPlan, start: int, end: int, poll_s: int = POLL_S) -> list[Point]:
    """Optics of both ends and ICMP of the far end, one sample per ``poll_s``."""
    out: list[Point] = []
    for i, t in enumerate(range(start, end, poll_s)):
        ns = t * 10**9
        for dev, port in ((plan.a_device, plan.a_port), (plan.z_device, plan.z_port)):
            out.append(Point(OPTICS, {"rx_dbm": optic_level(i, dev, "rx"),
                                      "tx_dbm": optic_level(i, dev, "tx")},
                             {"device": dev, "ifname": port}, ns))
        out.append(Point(ICMP, {"rtt_avg_ms": 2.0 + (i % 12) * 0.25, "rtt_max_ms": 6.0,
                                "loss_pct": 0.0 if i % 50 else 20.0},
                         {"device": plan.a_device}, ns))
    return out


def backfill_demo(state: Path, influx_url: str, plans: Sequence[LinkPlan], start: int, end: int,
                  down: Mapping[int, Sequence[Interval]]) -> int:
    """Write the rollups of ``plans`` over [start, end) into the demo's influxd; points written."""
    influx = InfluxSettings(url=influx_url, database="provnet", username=ADMIN_USER,
                            password=admin_password(state))  # type: ignore[arg-type]
    cfg = HistorySettings()
    writers = rollup_writers(influx, cfg, influx_url, "1.6.7")
    agg = RollupAggregator()
    status: list[Point] = []
    written = 0

    def sink(points: list[Point]) -> None:
        nonlocal written
        samples, changes = split_status(points)
        agg.add_points(samples)
        status.extend(changes)
        for width, pts in agg.flush(points[-1].time_ns / 1e9).items():  # type: ignore[operator]
            writers[width].write(pts)
            written += len(pts)

    try:
        bf = Backfill([(p.link, p.a_device, p.commune) for p in plans], start, end, POLL_S,
                      down=down)
        bf.run(sink)
        for p in plans:
            agg.add_points(extra_points(p, start, end))
        for width, pts in agg.flush_all().items():
            writers[width].write(pts)
            written += len(pts)
        writers[3600].write(status)  # link_status changes live with the 1-hour rollups
        written += len(status)
    finally:
        for w in writers.values():
            w.close()
    return written


def backfill_commune(demo: DemoProcess, influx_url: str, commune: str, days: int = 32
                     ) -> dict[str, Any]:
    """Backfill ``days`` of the first link of ``commune`` (two outages: 3 h twenty days ago,
    45 min six days ago) and of its PoP's uplink (no outage: the commune's availability needs
    its whole path to the core). The link (API answer), the outages' total and the end."""
    link = demo.get("/api/v1/links", commune=commune)["items"][0]
    pop = link["z"]["device"]
    uplink = next(x for x in demo.get("/api/v1/links", device=pop)["items"]
                  if x["a"]["device"] == pop)
    end = int(time.time()) // 3600 * 3600  # the demo's own buckets start after this
    start = end - days * DAY
    down = [(end - 20 * DAY, end - 20 * DAY + 3 * 3600), (end - 6 * DAY, end - 6 * DAY + 45 * 60)]
    plans = [LinkPlan(x["id"], x["a"]["device"], expand_ifname(x["a"]["ifname"]),
                      x["z"]["device"], expand_ifname(x["z"]["ifname"]), x["commune_code"])
             for x in (link, uplink)]
    written = backfill_demo(demo.state, influx_url, plans, start, end, {link["id"]: down})
    return {"link": link, "uplink": uplink, "down_s": sum(b - a for a, b in down), "end": end,
            "written": written}
