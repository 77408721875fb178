"""The province at a glance: the figures provincial reports use, computed once for the home
page and ``GET /api/v1/overview`` alike (:meth:`OverviewSource.overview`).

* communes connected now (of the legacy communes, and of the 2025 units through the
  legacy -> 2025 mapping): a commune is connected when its commune office's device answers
  (up, degraded, or ICMP only) AND still has a path to the core over links and devices not
  down now; ``no_data`` before its first poll, else ``cut_off``;
* agencies (department sites) connected, by the same rule;
* links up / down / degraded (up but at or above :data:`~provnet.maps.geojson.BUSY_PCT` % of
  capacity, the map's "busy") / without data;
* availability this month: the province line of the availability report (commune-seconds,
  as experienced, from the 5-minute history; read at most every
  :attr:`OverviewSource.availability_ttl_s`);
* communes whose reference point (the commune centre, where the UBND sits) lies in the
  fibre reach, and in each operator's 3G/4G/5G coverage (from the coverage engine);
* open and acknowledged incidents with their roots, in Vietnamese and English.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import shapely
from sqlalchemy import select

from provnet.alerts.causes import incident_texts
from provnet.alerts.model import Incident
from provnet.inventory import model, queries
from provnet.inventory.queries import DeviceRecord, LinkRecord
from provnet.inventory.store import Store
from provnet.inventory.topology import Topology
from provnet.maps.crs import lonlat_to_utm
from provnet.maps.geojson import BUSY_PCT
from provnet.pollers.icmp import device_status_of
from provnet.pollers.live import LiveState, link_health

log = logging.getLogger(__name__)
TECHNOLOGIES = ("3G", "4G", "5G")
OPEN_STATUSES = ("open", "acknowledged")
MAX_INCIDENTS = 20
#: device status words (``pollers/icmp.py`` ``device_status``) of a device that answers (ICMP
#: answering while SNMP does not still proves the path) and of one that does not
ANSWERING = frozenset({"up", "degraded", "snmp_not_answering"})
FAILED = frozenset({"down", "unreachable"})
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
#: history reading: (start, end) -> the province's "availability as experienced" (0-100) or None
Availability = Callable[[int, int], float | None]


# --- pure rules ------------------------------------------------------------------------------
def link_state(status: str, utilisation_pct: float | None) -> str:
    """up | down | degraded | unknown of one link (degraded: up and busy)."""
    if status == "up" and utilisation_pct is not None and utilisation_pct >= BUSY_PCT:
        return "degraded"
    return status if status in ("up", "down") else "unknown"


def connected_devices(topo: Topology, device_status: Mapping[int, str],
                      link_status: Mapping[int, str]) -> set[int]:
    """Devices that answer (:data:`ANSWERING`) and keep a path to the core over links not down
    and devices not :data:`FAILED`."""
    down_links = [k for k, s in link_status.items() if s == "down"]
    down_devices = [d for d, s in device_status.items() if s in FAILED]
    alive = topo.reachable(down_links, down_devices)
    return {d for d in alive if device_status.get(d) in ANSWERING}


def unit_states(offices: Mapping[str, Collection[int]], connected: Collection[int],
                device_status: Mapping[int, str]) -> dict[str, str]:
    """Per unit: ``connected`` (an office device connected), ``no_data`` (none polled yet),
    ``no_device`` (no office device in the inventory) or ``cut_off``."""
    out = {}
    for code, devs in offices.items():
        if not devs:
            out[code] = "no_device"
        elif any(d in connected for d in devs):
            out[code] = "connected"
        elif devs and all(device_status.get(d, "unknown") == "unknown" for d in devs):
            out[code] = "no_data"
        else:
            out[code] = "cut_off"
    return out


def unit_2025_state(legacy: Sequence[str]) -> str:
    """A 2025 unit from the states of the legacy communes mapped to it: connected when one
    is, ``unmapped`` when the inventory maps none to it."""
    if not legacy:
        return "unmapped"
    if "connected" in legacy:
        return "connected"
    return "no_data" if all(s == "no_data" for s in legacy) else "cut_off"


def month_start(now: float, tz: ZoneInfo = TZ) -> int:
    """Epoch seconds of the first day of ``now``'s month, 00:00 in ``tz``."""
    local = dt.datetime.fromtimestamp(now, tz)
    return int(local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp())


# --- the inventory the figures need, read once per inventory version --------------------------
@dataclass(frozen=True)
class Frame:
    """What the overview needs from the inventory."""

    links: list[LinkRecord]
    devices: list[DeviceRecord]
    topology: Topology | None
    communes: dict[str, tuple[str, float | None, float | None]]  # code -> (name, lon, lat)
    commune_offices: dict[str, list[int]]
    units_2025: dict[str, list[str]]  # 2025 unit code -> legacy commune codes
    agencies: dict[str, list[int]]  # department site code -> devices


def load_frame(s: Any) -> Frame:
    """Read the inventory (one session)."""
    links, devices = queries.links(s), queries.devices(s)
    try:
        topo: Topology | None = queries.topology(s)
    except LookupError:  # no core site: nothing can be connected
        topo = None
    unit = model.AdminUnit
    communes = {c: (n, lon, lat) for c, n, lon, lat in s.execute(
        select(unit.code, unit.name, unit.lon, unit.lat)
        .where(unit.level == "commune", unit.generation == "legacy").order_by(unit.code))}
    offices: dict[str, list[int]] = {c: [] for c in communes}
    agencies: dict[str, list[int]] = {}
    for d in devices:
        if d.site_kind == "commune_office" and d.commune_code in offices:
            offices[d.commune_code].append(d.id)
        elif d.site_kind == "department":
            agencies.setdefault(d.site_code, []).append(d.id)
    new: dict[str, list[str]] = {c: [] for c in s.scalars(select(unit.code).where(
        unit.level == "commune", unit.generation == "2025"))}
    old_u, new_u = model.AdminUnit, select(unit.id, unit.code).subquery()
    for old_code, new_code in s.execute(
            select(old_u.code, new_u.c.code)
            .join(model.AdminUnitMapping, model.AdminUnitMapping.old_unit_id == old_u.id)
            .join(new_u, model.AdminUnitMapping.new_unit_id == new_u.c.id)):
        if new_code in new and old_code in communes:
            new[new_code].append(old_code)
    return Frame(links, devices, topo, communes, offices, new, agencies)


def coverage_counts(results: Sequence[Any], centres: Mapping[str, tuple[float | None,
                                                                         float | None]],
                    ) -> dict[str, Any]:
    """Communes whose centre is in the fibre reach, and in each operator's coverage per
    technology (``results``: the coverage engine's per-commune results, UTM geometries)."""
    fibre = 0
    per_op: dict[str, dict[str, int]] = {}
    any_op = dict.fromkeys(TECHNOLOGIES, 0)
    for r in results:
        lon, lat = centres.get(r.code, (None, None))
        if lon is None or lat is None:
            continue
        pt = shapely.Point(*lonlat_to_utm(lon, lat))
        fibre += bool(r.fibre_reach.covers(pt))
        hit: set[str] = set()
        for (op, tech), geom in r.coverage.items():
            if tech not in TECHNOLOGIES:
                continue
            row = per_op.setdefault(op, dict.fromkeys(TECHNOLOGIES, 0))
            if geom.covers(pt):
                row[tech] += 1
                hit.add(tech)
        for tech in hit:
            any_op[tech] += 1
    return {"fibre_centre": fibre, "mobile": dict(sorted(per_op.items())), "mobile_any": any_op}


# --- the one function ------------------------------------------------------------------------
@dataclass
class OverviewSource:
    """Everything the overview reads; :meth:`overview` is the one computation."""

    store: Store
    live: LiveState
    stale_after_s: float = 150.0
    degraded_loss_pct: float = 25.0
    coverage: Any = None  # maps.coverage.CoverageService (None: no coverage figures)
    availability: Availability | None = None
    availability_ttl_s: float = 300.0
    clock: Callable[[], float] = time.time
    _frame: Frame | None = None
    _cov: tuple[object, dict[str, Any]] | None = None
    _avail: tuple[float, int, float | None] | None = None  # (computed at, month, value)
    _reading: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def invalidate(self) -> None:
        """The inventory changed: read it again next time."""
        with self._lock:
            self._frame, self._cov = None, None

    def frame(self) -> Frame:
        """The inventory frame (cached until :meth:`invalidate`)."""
        with self._lock:
            if self._frame is None:
                with self.store.session() as s:
                    self._frame = load_frame(s)
            return self._frame

    def _coverage(self, f: Frame) -> dict[str, Any] | None:
        svc = self.coverage
        if svc is None or svc.last is None:  # not computed yet: never block a page on it
            return None
        with self._lock:
            if self._cov is not None and self._cov[0] is svc.last:
                return self._cov[1]
        centres = {c: (lon, lat) for c, (_, lon, lat) in f.communes.items()}
        figures = coverage_counts(svc.results("legacy"), centres)
        with self._lock:
            self._cov = (svc.last, figures)
        return figures

    def _availability(self, now: float) -> float | None:
        """The last reading of this month's availability; a stale one is refreshed in a
        background thread (a page never waits for the history)."""
        if self.availability is None:
            return None
        start = month_start(now)
        with self._lock:
            hit = self._avail
            fresh = hit is not None and hit[1] == start and now - hit[0] < self.availability_ttl_s
            if not fresh and not self._reading:
                self._reading = True
                threading.Thread(target=self._read_availability, args=(start, now),
                                 name="overview-availability", daemon=True).start()
        return hit[2] if hit is not None and hit[1] == start else None

    def _read_availability(self, start: int, now: float) -> None:
        assert self.availability is not None
        try:
            value = self.availability(start, int(now))
        except Exception:  # history unreachable: the figure stays "not yet"
            log.warning("overview: availability of the month unreadable", exc_info=True)
            value = None
        with self._lock:
            self._avail = (now, start, value)
            self._reading = False

    def wait_availability(self, timeout_s: float = 30.0) -> None:
        """Block until no reading runs (tests, benchmarks)."""
        deadline = time.monotonic() + timeout_s
        while self._reading and time.monotonic() < deadline:
            time.sleep(0.05)

    def overview(self, sees: Callable[[str | None], bool] | None = None) -> dict[str, Any]:
        """The figures, JSON-ready (see the module docstring for each rule); ``sees``: which
        incidents' districts the caller may see (None: all)."""
        now = self.clock()
        f = self.frame()
        link_status = {}
        for r in f.links:
            h = link_health(self.live.interface(r.a_device_id, r.a_ifindex),
                            self.live.interface(r.z_device_id, r.z_ifindex),
                            self.live.device(r.a_device_id), self.live.device(r.z_device_id),
                            r.capacity_mbps, now, self.stale_after_s)
            link_status[r.id] = link_state(h.status, h.utilisation_pct)
        states = self.live.devices()
        dev_status = {d.id: device_status_of(states.get(d.id), self.degraded_loss_pct)
                      for d in f.devices}
        connected = (connected_devices(f.topology, dev_status, link_status)
                     if f.topology is not None else set())
        communes = unit_states(f.commune_offices, connected, dev_status)
        agencies = unit_states(f.agencies, connected, dev_status)
        units = {code: unit_2025_state([communes.get(c, "no_data") for c in olds])
                 for code, olds in f.units_2025.items()}
        links = {k: sum(1 for s in link_status.values() if s == k)
                 for k in ("up", "down", "degraded", "unknown")}
        start = month_start(now)
        return {
            "time": dt.datetime.fromtimestamp(now, dt.UTC).isoformat(),
            "communes": _tally(communes), "units_2025": _tally(units),
            "agencies": _tally(agencies),
            "links": {**links, "total": len(link_status)},
            "availability_month": {
                "from": dt.datetime.fromtimestamp(start, dt.UTC).isoformat(),
                "pct": self._availability(now)},
            "coverage": self._coverage(f),
            "incidents": self._incidents(f, sees),
            "commune_states": communes,
        }

    def _incidents(self, f: Frame, sees: Callable[[str | None], bool] | None
                   ) -> dict[str, Any]:
        names = {n: c for c, (n, _, _) in f.communes.items()}
        with self.store.session() as s:
            rows = [i for i in s.scalars(select(Incident).where(
                Incident.status.in_(OPEN_STATUSES)).order_by(Incident.id.desc()))
                    if sees is None or sees(i.district)]
            items = []
            for inc in rows[:MAX_INCIDENTS]:
                texts = incident_texts(inc.labels, inc.title, inc.root_cause)
                cut = sorted({a.get("commune") for a in inc.affected or []
                              if a.get("commune")} - {None})
                items.append({
                    "id": inc.id, "status": inc.status, "severity": inc.severity,
                    "started_at": dt.datetime.fromtimestamp(inc.started_at, dt.UTC).isoformat(),
                    "title": texts.title["vi"], "title_en": texts.title["en"],
                    "root_cause_vi": texts.root_cause["vi"], "root_cause": texts.root_cause["en"],
                    "root_site_code": inc.root_site_code, "district": inc.district,
                    "communes_cut_off": len(cut),
                    "commune_codes": sorted(names[c] for c in cut if c in names)})
        return {"open": sum(1 for i in rows if i.status == "open"),
                "acknowledged": sum(1 for i in rows if i.status == "acknowledged"),
                "items": items}


def _tally(states: Mapping[str, str]) -> dict[str, int]:
    out = dict.fromkeys(("connected", "cut_off", "no_data"), 0)
    for st in states.values():
        out[st] = out.get(st, 0) + 1
    return {**out, "total": len(states)}
