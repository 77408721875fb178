"""History answers from rollups (pure): resolution choice, steps, percentiles, CSV.

Rows come from ``tsdb`` queries (raw samples or rollups); these functions only arrange them.
Times are epoch seconds (UTC) inside, RFC 3339 with an offset outside.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

RAW = 0  # the "width" of raw samples
WIDTHS = (RAW, 300, 3600)
SUMMED_SUFFIXES = ("_bps", "_ps")  # summed over a commune's links; the others averaged
MAX_TIME_S = 7_258_118_400  # 2200-01-01: InfluxDB stores nanoseconds in a signed 64-bit int


class HistoryError(ValueError):
    """A history question that cannot be answered as asked (a 4xx with this reason)."""


@dataclass(frozen=True, slots=True)
class Resolution:
    """What an answer is built from: ``width`` (0 raw, 300, 3600) and the step in seconds
    (``step_s`` 0 with ``calendar`` set: calendar days or months in the time zone)."""

    width: int
    step_s: int
    calendar: str | None = None  # "day" | "month"


@dataclass(slots=True)
class Agg:
    """min/mean/max of one step (``n`` samples behind the mean)."""

    lo: float = math.inf
    total: float = 0.0
    hi: float = -math.inf
    n: int = 0

    def take(self, lo: float, mean: float, hi: float, n: int) -> None:
        """Merge a row (a raw value has lo = mean = hi, n = 1)."""
        self.lo, self.hi = min(self.lo, lo), max(self.hi, hi)
        self.total += mean * n
        self.n += n

    @property
    def mean(self) -> float:
        """Sample-weighted mean."""
        return self.total / self.n if self.n else math.nan


@dataclass
class SeriesOut:
    """One metric's steps: (start, Agg) in time order."""

    metric: str
    steps: list[tuple[int, Agg]] = field(default_factory=list)


def parse_step(text: str | None) -> tuple[int, str | None]:
    """``300``, ``5m``, ``1h``, ``1d``, ``day``, ``month`` -> (seconds, calendar unit)."""
    if not text:
        return 0, None
    t = text.strip().lower()
    if t in ("day", "1d"):
        return 86400, "day"
    if t in ("month", "1mo"):
        return 0, "month"
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        seconds = int(t[:-1]) * units[t[-1]] if t[-1] in units else int(t)
    except ValueError as exc:
        raise HistoryError(f"step {text!r}: give seconds, 5m, 1h, 1d, day or month") from exc
    if seconds <= 0:
        raise HistoryError(f"step {text!r}: must be positive")
    if seconds % 86400 == 0:
        return seconds, "day" if seconds == 86400 else None
    return seconds, None


def choose(start: float, end: float, now: float, max_points: int, poll_s: float,
           raw_keep_s: float, keep_5m_s: float, step: str | None = None) -> Resolution:
    """The resolution of an answer: the finest still kept (0 keep = forever) that holds the
    range in at most ``max_points`` steps per series; a requested step is honoured (rounded up
    to the resolution) and read from the coarsest resolution not coarser than it. Calendar
    steps (days, months in the time zone) are built from 1-hour rollups."""
    if end <= start:
        raise HistoryError("'to' must be after 'from'")
    span = end - start
    step_s, calendar = parse_step(step)
    if calendar is not None:
        return Resolution(3600, step_s, calendar)
    kept = [(w, per) for w, keep, per in ((RAW, raw_keep_s, poll_s), (300, keep_5m_s, 300.0),
                                          (3600, 0.0, 3600.0))
            if not (keep and start < now - keep)]
    for i, (width, per) in enumerate(kept):
        coarser = kept[i + 1][0] if i + 1 < len(kept) else None
        if step_s and coarser is not None and step_s >= coarser:
            continue  # the requested step is as coarse as the next resolution: read that
        if span / max(per, step_s) <= max_points or coarser is None:
            chosen = max(step_s, math.ceil(per), math.ceil(span / max_points))
            if width:
                chosen = math.ceil(chosen / width) * width
            if width and not step_s and chosen > width:
                chosen = coarse_step(span, max_points, chosen)
            return Resolution(width, chosen)
    raise HistoryError("no resolution holds this range")  # pragma: no cover - 1 h always does


#: steps of an answer that must merge many buckets (no step asked): a long range is read in
#: one of these, so the store merges its buckets into a few hundred steps (min of the mins
#: and max of the maxes keep a spike), not in the finest step holding ``max_points``
COARSE_STEPS = (6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400)


def coarse_step(span: float, max_points: int, finest: int) -> int:
    """The first of :data:`COARSE_STEPS` (not finer than ``finest``) that holds ``span`` in
    at most half of ``max_points`` steps; ``finest`` beyond them."""
    for s in COARSE_STEPS:
        if s >= finest and span / s <= max_points // 2:
            return s
    return finest


def step_start(t: float, res: Resolution, tz: ZoneInfo, origin: float) -> int:
    """Start of the step holding ``t``: calendar days/months in ``tz``, else multiples of the
    step counted from ``origin`` aligned to the step in ``tz`` (hours stay on the hour)."""
    if res.calendar is not None:
        local = datetime.fromtimestamp(t, tz)
        if res.calendar == "month":
            local = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        else:
            local = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return int(local.timestamp())
    offset = int((datetime.fromtimestamp(origin, tz).utcoffset() or timedelta(0)).total_seconds())
    s = res.step_s
    return int((t + offset) // s * s - offset)


def bin_rows(rows: Iterable[Mapping[str, object]], metrics: Sequence[str], res: Resolution,
             tz: ZoneInfo, start: float) -> dict[str, SeriesOut]:
    """Rows (``time`` in ns; rollup ``m_min/_mean/_max/_n`` or raw ``m``) -> steps."""
    bins: dict[str, dict[int, Agg]] = {m: {} for m in metrics}
    for row in rows:
        t = int(row["time"]) / 1e9  # type: ignore[call-overload]
        s = step_start(t, res, tz, start)
        for m in metrics:
            if res.width == RAW:
                v = row.get(m)
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    bins[m].setdefault(s, Agg()).take(float(v), float(v), float(v), 1)
                continue
            n = row.get(f"{m}_n")
            mean = row.get(f"{m}_mean")
            if not isinstance(n, (int, float)) or not isinstance(mean, (int, float)) or not n:
                continue
            lo, hi = row.get(f"{m}_min"), row.get(f"{m}_max")
            bins[m].setdefault(s, Agg()).take(float(lo if lo is not None else mean),  # type: ignore[arg-type]
                                              float(mean),
                                              float(hi if hi is not None else mean),  # type: ignore[arg-type]
                                              int(n))
    return {m: SeriesOut(m, sorted(b.items())) for m, b in bins.items()}


def combine(per_link: Sequence[Mapping[str, SeriesOut]], metrics: Sequence[str]
            ) -> dict[str, SeriesOut]:
    """A commune's series from its links': rates summed per step, other metrics averaged."""
    out: dict[str, SeriesOut] = {}
    for m in metrics:
        summed = m.endswith(SUMMED_SUFFIXES)
        steps: dict[int, list[Agg]] = {}
        for series in per_link:
            for s, a in series[m].steps if m in series else ():
                steps.setdefault(s, []).append(a)
        merged: list[tuple[int, Agg]] = []
        for s, aggs in sorted(steps.items()):
            if summed:
                agg = Agg(sum(a.lo for a in aggs), sum(a.mean for a in aggs),
                          sum(a.hi for a in aggs), 1)
            else:
                agg = Agg()
                for a in aggs:
                    agg.take(a.lo, a.mean, a.hi, a.n)
            merged.append((s, agg))
        out[m] = SeriesOut(m, merged)
    return out


def iso(t: float, tz: ZoneInfo | None = None) -> str:
    """RFC 3339 with the offset of ``tz`` (UTC by default), seconds precision."""
    return datetime.fromtimestamp(t, tz or UTC).isoformat(timespec="seconds")


def parse_time(text: str, tz: ZoneInfo) -> float:
    """RFC 3339 / ISO 8601 (offset optional: without one, local time in ``tz``) or a date."""
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError as exc:
        raise HistoryError(f"time {text!r}: give RFC 3339, e.g. 2026-11-01T00:00:00+07:00"
                           ) from exc
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    t = dt.timestamp()
    if not 0 <= t < MAX_TIME_S:
        raise HistoryError(f"time {text!r}: outside 1970-2200")
    return t


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (billing practice: sort, take the ceil(p/100 * N)-th value)."""
    if not values:
        return None
    if not 0 < p <= 100:
        raise HistoryError("p must be in (0, 100]")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def to_json(series: Mapping[str, SeriesOut], tz: ZoneInfo) -> dict[str, list[dict[str, object]]]:
    """Series as ``{metric: [{time, min, mean, max, samples}]}``."""
    return {m: [{"time": iso(s, tz), "min": a.lo, "mean": a.mean, "max": a.hi, "samples": a.n}
                for s, a in so.steps] for m, so in series.items()}


def to_csv(series: Mapping[str, SeriesOut], tz: ZoneInfo) -> str:
    """One row per metric and step: ``metric,time,min,mean,max,samples``."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["metric", "time", "min", "mean", "max", "samples"])
    for m, so in series.items():
        for s, a in so.steps:
            w.writerow([m, iso(s, tz), repr(a.lo), repr(a.mean), repr(a.hi), a.n])
    return buf.getvalue()
