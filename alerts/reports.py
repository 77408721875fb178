"""Availability per link, commune, district or the province over a period, from the rolled-up
link state (``alerts/availability.py`` does the arithmetic), with maintenance windows
(``alerts/silences.py``) and the topology (a commune is up while one path to the core is)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from provnet.alerts.availability import Tally, commune_slots, link_slots, slot_starts, tally, total
from provnet.alerts.errors import InvalidInput
from provnet.alerts.model import MaintenanceWindow
from provnet.alerts.silences import window_active
from provnet.inventory import queries
from provnet.inventory.queries import DeviceRecord, LinkRecord
from provnet.tsdb.history import Querier, read_series
from provnet.tsdb.measurements import LINK_STATE

Level = Literal["link", "commune", "district", "province"]
LEVELS: tuple[str, ...] = ("link", "commune", "district", "province")
COMMUNE_SITE_KINDS = ("commune_office",)


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


def link_fractions(q: Querier, source: str, start: int, end: int
                   ) -> dict[int, dict[int, float]]:
    """Per link and slot start: the share of polls that saw it up (``up_mean``)."""
    rows = read_series(q, source, ("up_mean",), {"src": LINK_STATE}, start * 10**9,
                       end * 10**9, group_by=("link",))
    out: dict[int, dict[int, float]] = {}
    for r in rows:
        v = r.get("up_mean")
        if r.get("link") and isinstance(v, (int, float)):
            out.setdefault(int(str(r["link"])), {})[int(r["time"]) // 10**9] = float(v)
    return out


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


def availability(s: Session, q: Querier, source: str, level: str, start: int, end: int,
                 width: int = 300) -> list[dict[str, object]]:
    """One entry per entity of ``level``: its figures (see :class:`Tally`)."""
    if level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}")
    if end <= start:
        raise InvalidInput("'to' must be after 'from'")
    links = queries.links(s)
    ws = windows(s)
    fractions = link_fractions(q, source, start, end)
    slots = slot_starts(start, end, width)
    maint = {r.id: _maintenance(ws, r, slots, width) for r in links}
    if level == "link":
        return [_entry("link", str(r.id), r.circuit_id or f"{r.a_device} - {r.z_device}",
                       tally(link_slots(fractions.get(r.id, {}), maint[r.id].__contains__,
                                        start, end, width)), "link-seconds")
                for r in links]
    communes = commune_tallies(s, links, fractions, maint, start, end, width)
    if level == "commune":
        return [_entry("commune", code, name, t, "seconds") for code, (name, _, t)
                in sorted(communes.items())]
    groups: dict[str, list[Tally]] = {}
    for _code, (_name, district, t) in communes.items():
        key = (district or "-") if level == "district" else "province"
        groups.setdefault(key, []).append(t)
    return [_entry(level, k, k, total(v), "commune-seconds") for k, v in sorted(groups.items())]


def commune_tallies(s: Session, links: Sequence[LinkRecord], fractions: dict[int, dict[int, float]],
                    maint: dict[int, set[int]], start: int, end: int, width: int
                    ) -> dict[str, tuple[str, str | None, Tally]]:
    """Per commune with an office device: (name, district, figures)."""
    topo = queries.topology(s)
    names = {c.code: c.name for c in queries.communes(s, limit=100_000)[1]}
    devs: dict[str, list[DeviceRecord]] = {}
    for d in queries.devices(s):
        if d.commune_code and d.site_kind in COMMUNE_SITE_KINDS:
            devs.setdefault(d.commune_code, []).append(d)
    out: dict[str, tuple[str, str | None, Tally]] = {}
    for code, ds in devs.items():
        ids = [d.id for d in ds]
        on_paths = sorted({lk for d in ids for p in topo.paths_to_core(d) for lk in p.links})
        in_maint = _any_in_maintenance(maint, on_paths)
        slots = commune_slots(topo, ids, on_paths, fractions, in_maint, start, end, width)
        out[code] = (names.get(code, code), ds[0].district_code, tally(slots))
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
