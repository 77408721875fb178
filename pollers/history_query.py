"""History of links, interfaces, devices and communes: which rows to read, at which
resolution, and how they become steps (reads through ``tsdb/history.py`` ``HistoryReader``:
InfluxQL or VictoriaMetrics)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from provnet.config.history import HistorySettings
from provnet.inventory.queries import LinkRecord
from provnet.pollers.history import (
    RAW,
    HistoryError,
    Resolution,
    SeriesOut,
    bin_rows,
    choose,
    combine,
    iso,
    percentile,
)
from provnet.pollers.rollup import ROLLED
from provnet.tsdb.history import HistoryReader
from provnet.tsdb.influxql import quote_ident
from provnet.tsdb.measurements import DEVICE_HEALTH, ICMP, IFSTATS

LINK_METRICS = ("in_bps", "out_bps", "in_util_pct", "out_util_pct", "in_errors_ps",
                "out_errors_ps", "in_discards_ps", "out_discards_ps")
DEVICE_METRICS = ("cpu_pct", "mem_used_pct", "rtt_avg_ms", "loss_pct")
DAY_S = 86400


@dataclass
class HistorySource:
    """Where history is read from: a reader per width (0 raw, 300, 3600) and its ``FROM``."""

    readers: Mapping[int, HistoryReader]
    sources: Mapping[int, str]  # width -> "rp"."rollup_5m" etc. ("" for raw: the measurement)
    cfg: HistorySettings
    poll_s: float
    status_rp: str | None = None  # retention policy holding ``link_status`` (1.x)
    now: Callable[[], float] = field(default=time.time)

    @property
    def tz(self) -> ZoneInfo:
        """The report time zone (day and month boundaries)."""
        return ZoneInfo(self.cfg.timezone)

    def resolution(self, start: float, end: float, step: str | None) -> Resolution:
        """The resolution an answer over [start, end) uses."""
        c = self.cfg
        return choose(start, end, self.now(), c.max_points, self.poll_s, c.raw_days * DAY_S,
                      c.rollup_5m_days * DAY_S, step)

    def _rows(self, res: Resolution, src: str, metrics: Sequence[str],
              tags: Mapping[str, str | Sequence[str]], start: float, end: float,
              group_by: Sequence[str] = ()) -> list[dict[str, object]]:
        s_ns, e_ns = int(start * 1e9), int(end * 1e9)
        if res.width == RAW:
            return self.readers[RAW].read_series(quote_ident(src), metrics, tags, s_ns, e_ns,
                                                 group_by)
        all_tags = {"src": src, **tags}
        if res.calendar is None and res.step_s >= 4 * res.width:
            # many buckets per step: InfluxDB merges them (the step's mean is then the mean of
            # its bucket means), so a year of hours travels as 1,000 rows, not 8,760
            off = int((datetime.fromtimestamp(start, self.tz).utcoffset()
                       or timedelta(0)).total_seconds())
            return self.readers[res.width].read_steps(
                self.sources[res.width], metrics, all_tags, s_ns, e_ns, res.step_s,
                (-off) % res.step_s, group_by)
        fields = [f"{m}_{x}" for m in metrics for x in ("min", "mean", "max", "n")]
        # a rollup bucket is stamped with its start: take the buckets starting in the range
        return self.readers[res.width].read_series(self.sources[res.width], fields, all_tags,
                                                   s_ns, e_ns, group_by)

    def series(self, src: str, tags: Mapping[str, str], metrics: Sequence[str], start: float,
               end: float, step: str | None) -> tuple[Resolution, dict[str, SeriesOut]]:
        """One series' steps over [start, end)."""
        bad = [m for m in metrics if m not in ROLLED[src]]
        if bad:
            raise HistoryError(f"unknown metric(s) {', '.join(bad)}; known: "
                               f"{', '.join(ROLLED[src])}")
        res = self.resolution(start, end, step)
        rows = self._rows(res, src, metrics, tags, start, end)
        return res, bin_rows(rows, metrics, res, self.tz, start)

    def device_series(self, device: str, metrics: Sequence[str], start: float, end: float,
                      step: str | None) -> tuple[Resolution, dict[str, SeriesOut]]:
        """A device's health and ICMP metrics."""
        out: dict[str, SeriesOut] = {}
        res = self.resolution(start, end, step)
        for src in (DEVICE_HEALTH, ICMP):
            mine = [m for m in metrics if m in ROLLED[src]]
            if mine:
                res, part = self.series(src, {"device": device}, mine, start, end, step)
                out.update(part)
        unknown = [m for m in metrics if m not in out]
        if unknown:
            raise HistoryError(f"unknown metric(s) {', '.join(unknown)}; known: "
                               f"{', '.join(DEVICE_METRICS)}")
        return res, out

    def links_series(self, link_ids: Sequence[int], metrics: Sequence[str], start: float,
                     end: float, step: str | None) -> tuple[Resolution, dict[str, SeriesOut]]:
        """A commune's aggregate over its links (rates summed, the others averaged)."""
        bad = [m for m in metrics if m not in LINK_METRICS]
        if bad:
            raise HistoryError(f"unknown metric(s) {', '.join(bad)}")
        res = self.resolution(start, end, step)
        if not link_ids:
            return res, {m: SeriesOut(m) for m in metrics}
        rows = self._rows(res, IFSTATS, metrics, {"link": [str(i) for i in link_ids], "end": "a"},
                          start, end, group_by=("link",))
        by_link: dict[str, list[dict[str, object]]] = {}
        for r in rows:
            by_link.setdefault(str(r.get("link")), []).append(r)
        per = [bin_rows(rs, metrics, res, self.tz, start) for rs in by_link.values()]
        return res, combine(per, metrics)

    def percentile(self, link: int, start: float, end: float, p: float) -> dict[str, object]:
        """The p-th percentile of a link's 5-minute mean rates (in, out, and the max of both)."""
        res = Resolution(300, 300)
        rows = self._rows(res, IFSTATS, ("in_bps", "out_bps"), {"link": str(link), "end": "a"},
                          start, end)
        first = int(start) - int(start) % 300
        expected = len(range(first, int(end), 300))
        ins = [float(r["in_bps_mean"]) for r in rows  # type: ignore[arg-type]
               if isinstance(r.get("in_bps_mean"), (int, float))]
        outs = [float(r["out_bps_mean"]) for r in rows  # type: ignore[arg-type]
                if isinstance(r.get("out_bps_mean"), (int, float))]
        p_in, p_out = percentile(ins, p), percentile(outs, p)
        both = [v for v in (p_in, p_out) if v is not None]
        return {
            "link": link, "from": iso(start, self.tz), "to": iso(end, self.tz), "p": p,
            "method": "nearest rank over 5-minute mean rates (bit/s)",
            "in_bps": p_in, "out_bps": p_out, "max_bps": max(both) if both else None,
            "expected_samples": expected, "samples_in": len(ins), "samples_out": len(outs),
            "missing_in": expected - len(ins), "missing_out": expected - len(outs),
        }

    def timeline(self, link: int, start: float, end: float) -> dict[str, object]:
        """A link's status intervals (up/down/unknown with the reason) and its flap count."""
        before, rows = self.readers[3600].read_status_changes(
            self.status_rp, str(link), int(start * 1e9), int(end * 1e9))
        cur_status = str(before["status"]) if before else "unknown"
        cur_reason = str(before["reason"]) if before else "no_data"
        cur_t = start
        intervals: list[dict[str, object]] = []
        flaps = 0
        for r in rows:
            t = int(r["time"]) / 1e9
            status, reason = str(r["status"]), str(r.get("reason") or "")
            if status == cur_status:
                continue
            flaps += cur_status == "up" and status == "down"  # a flap: up, then down
            if t > cur_t:
                intervals.append(_interval(cur_t, t, cur_status, cur_reason, self.tz))
            cur_t, cur_status, cur_reason = t, status, reason
        intervals.append(_interval(cur_t, end, cur_status, cur_reason, self.tz))
        return {"link": link, "from": iso(start, self.tz), "to": iso(end, self.tz),
                "source": "link_status changes (written by provnet on each change)",
                "flaps": flaps, "intervals": intervals}


def _interval(a: float, b: float, status: str, reason: str, tz: ZoneInfo) -> dict[str, object]:
    return {"from": iso(a, tz), "to": iso(b, tz), "status": status, "reason": reason,
            "duration_s": round(b - a, 3)}


def commune_links(links: Sequence[LinkRecord], commune: str) -> list[int]:
    """Links whose A end (downstream) is in the commune."""
    return [r.id for r in links if r.commune_code == commune]
