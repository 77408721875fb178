"""Rollups computed from the sample stream (pure): min/mean/max/count per series per bucket.

The aggregator sees the same :class:`~provnet.tsdb.points.Point`s that go to InfluxDB (rates
the poller computed, optics, health, ICMP, link state) and keeps, per series and per 5-minute
and 1-hour bucket, the min, sum, max and count of each rolled-up field and the number of
counter-reset gaps. A bucket is emitted once it has closed (``flush(now)``) as one point
stamped with the bucket start: the same series and bucket always give the same point, so a
re-write (a rebuild after an outage) overwrites instead of duplicating.

``provnet history rebuild`` feeds raw rows read back from InfluxDB through the same class.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from provnet.tsdb.measurements import (
    DEVICE_HEALTH,
    ICMP,
    IFSTATS,
    LINK_STATE,
    OPTICS,
    ROLLUP_1H,
    ROLLUP_5M,
)
from provnet.tsdb.points import FieldValue, Point

#: bucket widths in seconds and the measurement each resolution is written to
RESOLUTIONS: dict[int, str] = {300: ROLLUP_5M, 3600: ROLLUP_1H}

#: rolled-up fields per source measurement (rates, never raw counters)
ROLLED: dict[str, tuple[str, ...]] = {
    IFSTATS: ("in_bps", "out_bps", "in_util_pct", "out_util_pct", "in_errors_ps",
              "out_errors_ps", "in_discards_ps", "out_discards_ps"),
    OPTICS: ("rx_dbm", "tx_dbm"),
    ICMP: ("rtt_avg_ms", "rtt_max_ms", "loss_pct"),
    DEVICE_HEALTH: ("cpu_pct", "mem_used_pct"),
    LINK_STATE: ("up",),
}
#: tags a rollup series keeps (the others, e.g. role or site, are inventory lookups)
KEPT_TAGS = ("device", "ifindex", "ifname", "link", "end", "commune", "district", "site")
RESET_FIELD = "counter_reset"
#: field of a coarser bucket: how many 5-minute buckets of it had data (the availability
#: report finds missing 5-minute buckets per link-day from the hourly rollups with it)
SLOTS_FIELD = "slots_5m"
SLOT_S = 300

SeriesKey = tuple[str, tuple[tuple[str, str], ...]]  # (src, sorted tags)


@dataclass(slots=True)
class Stat:
    """Running min/sum/max/count of one field in one bucket."""

    n: int = 0
    total: float = 0.0
    lo: float = math.inf
    hi: float = -math.inf

    def add(self, v: float) -> None:
        """Take one value."""
        self.n += 1
        self.total += v
        self.lo = min(self.lo, v)
        self.hi = max(self.hi, v)


@dataclass(slots=True)
class Bucket:
    """One series' bucket: a Stat per field, samples seen and counter-reset gaps."""

    stats: dict[str, Stat] = field(default_factory=dict)
    samples: int = 0
    resets: int = 0
    slots: set[int] | None = None  # 5-minute buckets with data (coarser buckets only)


def series_key(src: str, tags: Mapping[str, str]) -> SeriesKey:
    """The rollup series of a source point: its measurement and the kept tags."""
    return src, tuple(sorted((k, v) for k, v in tags.items() if k in KEPT_TAGS))


def _number(v: FieldValue | None) -> float | None:
    if v is None or isinstance(v, (str, bool)):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


class RollupAggregator:
    """Open buckets of every series at every resolution; emits closed ones as points."""

    def __init__(self, widths: Iterable[int] = (300, 3600)) -> None:
        self.widths = tuple(widths)
        self.open: dict[int, dict[tuple[SeriesKey, int], Bucket]] = {w: {} for w in self.widths}
        self.latest_ns = 0  # newest sample time seen (for the rollup lag)
        self.emitted = 0

    def add(self, src: str, tags: Mapping[str, str], fields: Mapping[str, FieldValue],
            time_ns: int) -> None:
        """Take one sample of ``src`` (ignored when nothing of it is rolled up)."""
        names = ROLLED.get(src)
        if names is None:
            return
        values = {n: v for n in names if (v := _number(fields.get(n))) is not None}
        reset = bool(fields.get(RESET_FIELD))
        if not values and not reset:
            return
        key = series_key(src, tags)
        t = time_ns // 1_000_000_000
        self.latest_ns = max(self.latest_ns, time_ns)
        for w in self.widths:
            b = self.open[w].setdefault((key, t - t % w), Bucket())
            b.samples += 1
            if reset:
                b.resets += 1
            if w > SLOT_S and w % SLOT_S == 0 and SLOT_S in self.open:
                if b.slots is None:
                    b.slots = set()
                b.slots.add(t - t % SLOT_S)
            for n, v in values.items():
                b.stats.setdefault(n, Stat()).add(v)

    def add_points(self, points: Iterable[Point]) -> None:
        """Take every point (stamped ones only)."""
        for p in points:
            if p.time_ns is not None:
                self.add(p.measurement, p.tags, p.fields, p.time_ns)

    def pending(self) -> int:
        """Open buckets over all resolutions."""
        return sum(len(b) for b in self.open.values())

    def flush(self, now_s: float, grace_s: float = 0.0) -> dict[int, list[Point]]:
        """Emit every bucket that ended at least ``grace_s`` before ``now_s`` (per width)."""
        out: dict[int, list[Point]] = {}
        for w, buckets in self.open.items():
            done = [k for k in buckets if k[1] + w + grace_s <= now_s]
            pts = [bucket_point(w, k[0], k[1], buckets.pop(k)) for k in sorted(done)]
            if pts:
                out[w] = pts
                self.emitted += len(pts)
        return out

    def flush_all(self) -> dict[int, list[Point]]:
        """Emit every bucket, closed or not (a rebuild's end)."""
        return self.flush(math.inf)


def bucket_point(width: int, key: SeriesKey, start_s: int, b: Bucket) -> Point:
    """The rollup point of one bucket: ``<field>_min/_mean/_max/_n``, ``samples``, ``resets``
    and, for a coarser bucket when 5-minute buckets are kept too, ``slots_5m``."""
    src, tags = key
    fields: dict[str, FieldValue] = {"samples": b.samples, "resets": b.resets}
    if b.slots is not None:
        fields[SLOTS_FIELD] = len(b.slots)
    for n, s in sorted(b.stats.items()):
        fields[f"{n}_min"] = float(s.lo)
        fields[f"{n}_mean"] = s.total / s.n
        fields[f"{n}_max"] = float(s.hi)
        fields[f"{n}_n"] = s.n
    return Point(RESOLUTIONS[width], fields, {"src": src, **dict(tags)}, start_s * 1_000_000_000)
