"""Availability per link, commune, district or the province over a period, from the rolled-up
link state (``alerts/availability.py`` does the arithmetic), with maintenance windows
(``alerts/silences.py``) and the topology (a commune is up while one path to the core is)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from provnet.alerts.availability import (
    SparseFractions,
    Tally,
    commune_slots,
    link_slots,
    slot_starts,
    tally,
    total,
)
from provnet.alerts.errors import InvalidInput
from provnet.alerts.model import MaintenanceWindow
from provnet.alerts.silences import window_active
from provnet.inventory import queries
from provnet.inventory.queries import DeviceRecord, LinkRecord
from provnet.pollers.rollup import SLOT_S, SLOTS_FIELD
from provnet.tsdb.history import HistoryReader
from provnet.tsdb.measurements import LINK_STATE

Level = Literal["link", "commune", "district", "province"]
LEVELS: tuple[str, ...] = ("link", "commune", "district", "province")
COMMUNE_SITE_KINDS = ("commune_office",)
DAY_S = 86400
HOUR_S = 3600
#: the 1-hour rollups' reader and source (``"rp"."rollup_1h"``)
Hourly = tuple[HistoryReader, str]
MAX_PERIOD_S = 400 * DAY_S


@dataclass(frozen=True)
class Window:
    """A maintenance window's scope and recurrence (detached from the session)."""

    site: str | None
    district: str | None
    device: str | None
    rrule: str
    dtstart: str
    duration_s: float

    def covers(self, link: LinkRecord) -> bool:
        """True when the window's matchers cover one end of the link."""
        if not (self.site or self.district or self.device):
            return False  # rule-only windows silence alerts, they do not scope an entity
        for dev, site in ((link.a_device, link.a_site_code), (link.z_device, link.z_site_code)):
            if ((self.site is None or self.site == site)
                    and (self.device is None or self.device == dev)
                    and (self.district is None or self.district == link.district_code)):
                return True
        return False


def windows(s: Session) -> list[Window]:
    """Every maintenance window."""
    return [Window(w.site, w.district, w.device, w.rrule, w.dtstart, w.duration_s)
            for w in s.scalars(select(MaintenanceWindow))]


def link_fractions(q: HistoryReader, source: str, links: Sequence[int], start: int, end: int,
                   width: int = 300, hourly: Hourly | None = None
                   ) -> dict[int, SparseFractions]:
    """Per link: the slots not fully up (``up_mean`` < 1) and the slots without data.

    Three small questions instead of every slot of every link: the number of slots with data
    per link and day (from the hourly rollups' ``slots_5m`` when ``hourly`` is given, see
    :func:`slot_counts`); the slots with downtime (:func:`down_slots`); and, only for the
    link-days with fewer slots than the period holds, every slot of that link-day. With
    ``hourly`` a link-day counted too low (an hourly bucket not yet written, or lost) is read
    in full, so the figures stay those of the 5-minute buckets.
    """
    tags = {"src": LINK_STATE}
    slots = slot_starts(start, end, width)
    first = slots[0] if slots else start  # a bucket is stamped with its start
    lo, hi = first * 10**9, end * 10**9
    hourly = hourly if width == SLOT_S else None
    counts = slot_counts(q, source, first, end, hourly)
    special = down_slots(q, source, links, first, end, counts, hourly)
    by_day: dict[int, list[int]] = {}  # GROUP BY time(1d) buckets start at UTC midnight
    for sl in slots:
        by_day.setdefault(sl - sl % DAY_S, []).append(sl)
    newest_day = (end // HOUR_S * HOUR_S - 1) // DAY_S * DAY_S  # of the last whole hour
    out: dict[int, SparseFractions] = {}
    for lk in links:
        missing: list[int] = []
        for day, expected in by_day.items():
            have = counts.get((lk, day), 0)
            if have >= len(expected):
                continue
            if have == 0 and (hourly is None or day < newest_day):
                missing.extend(expected)  # no data that day (the newest day's last hourly
                continue                  # bucket may not be written yet: read it)
            rows = q.read_series(source, ("up_mean",), {**tags, "link": str(lk)},
                                 max(lo, day * 10**9), min(hi, (day + DAY_S) * 10**9))
            present = {int(r["time"]) // 10**9 for r in rows}
            missing.extend(sl for sl in expected if sl not in present)
            for r in rows:  # an hourly bucket not (yet) written hid these from down_slots
                v = r.get("up_mean")
                if isinstance(v, (int, float)) and v < 1:
                    special.setdefault(lk, {})[int(r["time"]) // 10**9] = float(v)
        out[lk] = SparseFractions(special.get(lk, {}), missing)
    return out


def down_slots(q: HistoryReader, source: str, links: Sequence[int], first: int, end: int,
               counts: Mapping[tuple[int, int], int], hourly: Hourly | None = None
               ) -> dict[int, dict[int, float]]:
    """Per link: the 5-minute slots of [first, end) whose ``up_mean`` < 1, and its value.

    Without ``hourly`` one read of the 5-minute buckets below 1. With it, the hourly buckets
    below 1 are read first: an hour fully down (``up_mean`` 0) in a link-day that has every
    5-minute bucket (``counts``) is twelve slots at 0 without reading them; the other hours
    with downtime (partial, or in an incomplete link-day) and the partial hours at the ends
    are read from the 5-minute buckets (one read per UTC day that has any).
    """
    tags = {"src": LINK_STATE}
    special: dict[int, dict[int, float]] = {lk: {} for lk in links}

    def take(rows: Sequence[Mapping[str, object]]) -> None:
        for r in rows:
            v = r.get("up_mean")
            if r.get("link") and isinstance(v, (int, float)):
                special.setdefault(int(str(r["link"])), {})[int(str(r["time"])) // 10**9] = \
                    float(v)

    h_lo, h_hi = -(-first // HOUR_S) * HOUR_S, end // HOUR_S * HOUR_S
    if hourly is None or h_hi <= h_lo:
        take(q.read_below(source, "up_mean", 1.0, tags, first * 10**9, end * 10**9, SLOT_S,
                          group_by=("link",)))
        return special
    expected: dict[int, int] = {}
    for sl in slot_starts(first, end, SLOT_S):
        expected[sl - sl % DAY_S] = expected.get(sl - sl % DAY_S, 0) + 1
    for a, b in ((first, h_lo), (h_hi, end)):
        if b > a:
            take(q.read_below(source, "up_mean", 1.0, tags, a * 10**9, b * 10**9, SLOT_S,
                              group_by=("link",)))
    hq, hsrc = hourly
    detail: dict[int, tuple[set[str], int, int]] = {}  # day -> links, first and last hour
    for r in hq.read_below(hsrc, "up_mean", 1.0, tags, h_lo * 10**9, h_hi * 10**9, HOUR_S,
                           group_by=("link",)):
        v = r.get("up_mean")
        if not r.get("link") or not isinstance(v, (int, float)):
            continue
        lk, h = int(str(r["link"])), int(r["time"]) // 10**9
        day = h - h % DAY_S
        if v == 0 and counts.get((lk, day), 0) >= expected.get(day, 0):
            special.setdefault(lk, {}).update(dict.fromkeys(range(h, h + HOUR_S, SLOT_S), 0.0))
            continue
        ls, a, b = detail.get(day, (set(), h, h))
        ls.add(str(lk))
        detail[day] = (ls, min(a, h), max(b, h))
    for _day, (ls, a, b) in sorted(detail.items()):
        take(q.read_below(source, "up_mean", 1.0, {**tags, "link": sorted(ls)}, a * 10**9,
                          (b + HOUR_S) * 10**9, SLOT_S, group_by=("link",)))
    return special


def slot_counts(q: HistoryReader, source: str, first: int, end: int,
                hourly: Hourly | None = None) -> dict[tuple[int, int], int]:
    """(link, UTC day) -> the number of 5-minute ``link_state`` buckets with data in
    [first, end).

    With ``hourly`` (the 1-hour rollups' reader and source) the whole hours of the range are
    counted from the hourly buckets' ``slots_5m`` (a month of 189 links: ~136k hourly points
    instead of ~1.6M five-minute ones); a link-day where some hourly bucket lacks the field
    (written before it existed) and the partial hours at the ends are counted from the
    5-minute buckets, as without ``hourly``. A count too low only costs a detail read of that
    link-day, which finds the real buckets.
    """
    tags = {"src": LINK_STATE}
    counts: dict[tuple[int, int], int] = {}
    h_lo, h_hi = -(-first // HOUR_S) * HOUR_S, end // HOUR_S * HOUR_S
    if hourly is None or h_hi <= h_lo:
        pieces, only = [(first, end)], None
    else:
        hq, hsrc = hourly
        old: set[tuple[int, int]] = set()
        for r in hq.sum_per_day(hsrc, SLOTS_FIELD, "up_mean", tags, h_lo * 10**9, h_hi * 10**9,
                                group_by=("link",)):
            if not r.get("link"):
                continue
            key = (int(str(r["link"])), int(r["time"]) // 10**9)
            if int(r.get("count") or 0) < int(r.get("present") or 0):
                old.add(key)  # hours without slots_5m: ask the 5-minute buckets
            else:
                counts[key] = counts.get(key, 0) + int(r.get("sum") or 0)
        pieces = [(first, h_lo), (h_hi, end)]
        for day in sorted({d for _, d in old}):  # runs of days, cut to the whole hours
            a, b = max(h_lo, day), min(h_hi, day + DAY_S)
            if len(pieces) > 2 and pieces[-1][1] == a:
                pieces[-1] = (pieces[-1][0], b)
            else:
                pieces.append((a, b))
        only = old
    for i, (a, b) in enumerate(pieces):
        if b <= a:
            continue
        for r in q.count_per_day(source, "up_mean", tags, a * 10**9, b * 10**9,
                                 group_by=("link",)):
            if not r.get("link"):
                continue
            key = (int(str(r["link"])), int(r["time"]) // 10**9)
            if only is not None and i >= 2 and key not in only:
                continue  # this link-day was counted from the hourly rollups
            counts[key] = counts.get(key, 0) + int(r["count"])
    return counts


def _maintenance(ws: Sequence[Window], link: LinkRecord, slots: Sequence[int], width: int
                 ) -> set[int]:
    active: set[int] = set()
    for w in ws:
        if not w.covers(link):
            continue
        try:
            active.update(s for s in slots
                          if window_active(w.rrule, w.dtstart, w.duration_s, s + width / 2))
        except InvalidInput:
            continue
    return active


def availability(s: Session, q: HistoryReader, source: str, level: str, start: int, end: int,
                 width: int = 300, hourly: Hourly | None = None) -> list[dict[str, object]]:
    """One entry per entity of ``level``: its figures (see :class:`Tally`)."""
    return availability_levels(s, q, source, (level,), start, end, width, hourly)[level]


def availability_levels(s: Session, q: HistoryReader, source: str, levels: Sequence[str],
                        start: int, end: int, width: int = 300, hourly: Hourly | None = None
                        ) -> dict[str, list[dict[str, object]]]:
    """Entries of several levels from one reading (a report's province, districts and
    communes share the commune figures); ``hourly`` (the 1-hour rollups) makes counting the
    5-minute buckets with data cheap (:func:`slot_counts`)."""
    for level in levels:
        if level not in LEVELS:
            raise InvalidInput(f"level must be one of {', '.join(LEVELS)}")
    if end <= start:
        raise InvalidInput("'to' must be after 'from'")
    if end - start > MAX_PERIOD_S:
        raise InvalidInput("the period may last at most 400 days (the 5-minute rollups' "
                           "default retention)")
    links = queries.links(s)
    ws = windows(s)
    fractions = link_fractions(q, source, [r.id for r in links], start, end, width, hourly)
    slots = slot_starts(start, end, width)
    maint = {r.id: _maintenance(ws, r, slots, width) for r in links}
    frame = (start, end, width)
    out: dict[str, list[dict[str, object]]] = {}
    if "link" in levels:
        out["link"] = [
            _entry("link", str(r.id), r.circuit_id or f"{r.a_device} - {r.z_device}",
                   tally(link_slots(fractions[r.id], maint[r.id].__contains__, start, end,
                                    width, sorted(fractions[r.id].special() | maint[r.id])),
                         frame), "link-seconds")
            for r in links]
    if not set(levels) - {"link"}:
        return out
    communes = commune_tallies(s, links, fractions, maint, start, end, width)
    if "commune" in levels:
        out["commune"] = [_entry("commune", code, name, t, "seconds") for code, (name, _, t)
                          in sorted(communes.items())]
    for level in ("district", "province"):
        if level not in levels:
            continue
        groups: dict[str, list[Tally]] = {}
        for _code, (_name, district, t) in communes.items():
            key = (district or "-") if level == "district" else "province"
            groups.setdefault(key, []).append(t)
        out[level] = [_entry(level, k, k, total(v), "commune-seconds")
                      for k, v in sorted(groups.items())]
    return out


def commune_tallies(s: Session, links: Sequence[LinkRecord],
                    fractions: dict[int, SparseFractions],
                    maint: dict[int, set[int]], start: int, end: int, width: int,
                    commune: str | None = None) -> dict[str, tuple[str, str | None, Tally]]:
    """Per commune with an office device (or only the commune ``commune``): (name, district,
    figures)."""
    topo = queries.topology(s)
    names = {c.code: c.name for c in queries.communes(s, limit=100_000)[1]}
    devs: dict[str, list[DeviceRecord]] = {}
    for d in queries.devices(s):
        if d.commune_code and d.site_kind in COMMUNE_SITE_KINDS:
            devs.setdefault(d.commune_code, []).append(d)
    out: dict[str, tuple[str, str | None, Tally]] = {}
    for code, ds in devs.items():
        if commune is not None and code != commune:
            continue
        ids = [d.id for d in ds]
        on_paths = sorted({lk for d in ids for p in topo.paths_to_core(d) for lk in p.links})
        in_maint = _any_in_maintenance(maint, on_paths)
        only: set[int] = set()
        for lk in on_paths:
            only |= fractions[lk].special() | maint.get(lk, set())
        slots = commune_slots(topo, ids, on_paths, fractions, in_maint, start, end, width,
                              sorted(only))
        out[code] = (names.get(code, code), ds[0].district_code,
                     tally(slots, (start, end, width)))
    return out


def _any_in_maintenance(maint: dict[int, set[int]], links: Sequence[int]
                        ) -> Callable[[int], bool]:
    """Slot -> True when one of ``links`` is in maintenance then."""
    slots = set().union(*(maint.get(lk, set()) for lk in links)) if links else set()
    return slots.__contains__


def _entry(level: str, key: str, name: str, t: Tally, unit: str) -> dict[str, object]:
    return {"level": level, "id": key, "name": name, **t.as_dict(unit)}


CSV_COLUMNS = ("level", "id", "name", "period_s", "up_s", "down_s", "maintenance_s", "no_data_s",
               "availability_experienced", "availability_excluding_maintenance", "incidents",
               "mttr_s", "mtbf_s", "denominator_experienced")


def to_csv(entries: Sequence[dict[str, object]]) -> str:
    """Entries as CSV (one row per entity)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for e in entries:
        w.writerow(["" if e.get(c) is None else e.get(c) for c in CSV_COLUMNS])
    return buf.getvalue()
