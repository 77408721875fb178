"""Availability of ONE link or ONE commune over a period, for the pages that show one.

Same arithmetic and the same readings as the province-wide report (``alerts/reports.py``:
``link_fractions``, maintenance windows, ``link_slots``/``commune_tallies``, ``tally``), so a
page's figure equals the report's for the same period, but only the entity's links are
tallied: on a young installation, where most link-days miss slots, the report tallies every
slot of every link (tens of seconds for 30 days of the demo's 189 links); one link takes a
fraction of a second.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from provnet.alerts.availability import link_slots, slot_starts, tally
from provnet.alerts.errors import InvalidInput
from provnet.alerts.reports import (
    COMMUNE_SITE_KINDS,
    MAX_PERIOD_S,
    _entry,
    _maintenance,
    commune_tallies,
    link_fractions,
    windows,
)
from provnet.inventory import queries
from provnet.tsdb.history import HistoryReader


def _check(start: int, end: int) -> None:
    if end <= start:
        raise InvalidInput("'to' must be after 'from'")
    if end - start > MAX_PERIOD_S:
        raise InvalidInput("the period may last at most 400 days (the 5-minute rollups' "
                           "default retention)")


def link_availability(s: Session, q: HistoryReader, source: str, link_id: int, start: int, end: int,
                      width: int = 300) -> dict[str, object] | None:
    """The report's entry of link ``link_id`` (``None`` when there is no such link)."""
    _check(start, end)
    rec = next((r for r in queries.links(s) if r.id == link_id), None)
    if rec is None:
        return None
    fr = link_fractions(q, source, [rec.id], start, end, width)[rec.id]
    maint = _maintenance(windows(s), rec, slot_starts(start, end, width), width)
    slots = link_slots(fr, maint.__contains__, start, end, width, sorted(fr.special() | maint))
    return _entry("link", str(rec.id), rec.circuit_id or f"{rec.a_device} - {rec.z_device}",
                  tally(slots, (start, end, width)), "link-seconds")


def commune_availability(s: Session, q: HistoryReader, source: str, code: str, start: int, end: int,
                         width: int = 300) -> dict[str, object] | None:
    """The report's entry of commune ``code`` (``None`` when it has no office device)."""
    _check(start, end)
    links = queries.links(s)
    topo = queries.topology(s)
    offices = [d.id for d in queries.devices(s)
               if d.commune_code == code and d.site_kind in COMMUNE_SITE_KINDS]
    on_paths = sorted({lk for d in offices for p in topo.paths_to_core(d) for lk in p.links})
    if not on_paths:
        return None
    fractions = link_fractions(q, source, on_paths, start, end, width)
    slots = slot_starts(start, end, width)
    ws = windows(s)
    maint = {r.id: _maintenance(ws, r, slots, width) for r in links if r.id in fractions}
    got = commune_tallies(s, links, fractions, maint, start, end, width, commune=code)
    if code not in got:
        return None
    name, _district, t = got[code]
    return _entry("commune", code, name, t, "seconds")
