"""Inventory as GeoJSON (WGS84) for the map pages: communes, boundaries, sites, live links.

Pure builders over a :class:`MapsContext`; the routes are in ``provnet.api.geo``.

Responses stay small: polygons are simplified for province-wide requests, sites are served
per commune (routers may be asked for province-wide), coordinates are rounded to ~1 m.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from provnet.inventory import queries
from provnet.inventory.queries import LinkRecord
from provnet.inventory.store import Store
from provnet.maps import geo_data
from provnet.maps.geo_data import SiteGeo, UnitGeo
from provnet.pollers.live import LiveState, link_health
from provnet.pollers.reasons import reason_text

Generation = Literal["legacy", "2025"]
SiteKind = Literal["bts", "fibre_point", "router"]
PRECISION_DEG = 1e-5  # ~1 m: plenty for display, keeps responses small
SIMPLIFY_DEG = 4e-4  # ~45 m: province-wide polygons
#: link states; no colour of the coverage palette (maps.classes.PALETTE): red is an outage only
STATUS_COLOURS = {"up": "#212121", "busy": "#ff7f00", "down": "#e31a1c", "unknown": "#9e9e9e"}
CUT_OFF_COLOUR = "#e31a1c"  # communes an open incident cuts off (hatched)
BUSY_PCT = 80.0
GeoJSON = dict[str, Any]


def geometry_json(geom: BaseGeometry, simplify_deg: float = 0.0) -> dict[str, Any]:
    """Shapely geometry -> GeoJSON geometry, optionally simplified, rounded to ~1 m."""
    if simplify_deg > 0:
        geom = shapely.simplify(geom, simplify_deg, preserve_topology=True)
    return dict(mapping(shapely.set_precision(geom, PRECISION_DEG)))


def feature(geometry: dict[str, Any] | None, props: dict[str, Any],
            fid: str | int | None = None) -> GeoJSON:
    """One GeoJSON Feature."""
    out: GeoJSON = {"type": "Feature", "geometry": geometry, "properties": props}
    if fid is not None:
        out["id"] = fid
    return out


def collection(features: Iterable[GeoJSON], **members: Any) -> GeoJSON:
    """A GeoJSON FeatureCollection (extra foreign members allowed)."""
    return {"type": "FeatureCollection", "features": list(features), **members}


def unit_feature(u: UnitGeo, simplify_deg: float = 0.0) -> GeoJSON:
    """A commune/district/province as a Feature (geometry None when unknown)."""
    geom = geometry_json(u.geom, simplify_deg) if u.geom is not None else None
    return feature(geom, {
        "code": u.code, "name": u.name, "short_name": u.short_name, "unit_type": u.unit_type,
        "level": u.level, "generation": u.generation, "parent_code": u.parent_code,
        "parent_name": u.parent_name,
        "area_km2": round(u.area_km2, 3) if u.area_km2 is not None else None,
        "synthetic": u.synthetic, "derived": u.derived}, u.code)


def site_feature(x: SiteGeo) -> GeoJSON:
    """A site as a Point Feature."""
    props = {"code": x.code, "name": x.name, "kind": x.kind, "commune_code": x.commune_code,
             "synthetic": x.synthetic, **x.detail}
    return feature({"type": "Point", "coordinates": [round(x.lon, 6), round(x.lat, 6)]}, props)


def link_colour(status: str, utilisation_pct: float | None) -> tuple[str, str]:
    """(display state, colour): a link that is up but above BUSY_PCT is shown as busy."""
    state = status if status in STATUS_COLOURS else "unknown"
    if state == "up" and utilisation_pct is not None and utilisation_pct >= BUSY_PCT:
        state = "busy"
    return state, STATUS_COLOURS[state]


@dataclass
class MapsContext:
    """What the map routers read; inventory reads are cached (the inventory changes rarely)."""

    store: Store
    live: LiveState
    stale_after_s: float = 150.0
    coverage: Any = None  # maps.coverage.CoverageService when the engine is attached
    live_stream: bool = False  # /api/v1/stream is served: pages follow its events
    _cache: dict[tuple[str, ...], Any] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def cached(self, key: tuple[str, ...], load: Callable[[], Any]) -> Any:
        """Compute once per key, under a lock."""
        with self._lock:
            if key not in self._cache:
                self._cache[key] = load()
            return self._cache[key]

    def units(self, generation: str, level: str) -> list[UnitGeo]:
        """Units of one generation and level (cached)."""
        def load() -> list[UnitGeo]:
            with self.store.session() as s:
                return geo_data.units(s, generation, level)
        return list(self.cached(("units", generation, level), load))

    def commune(self, generation: str, code: str) -> UnitGeo | None:
        """One commune-level unit, or None."""
        return next((u for u in self.units(generation, "commune") if u.code == code), None)

    def links(self) -> list[LinkRecord]:
        """Every link (cached)."""
        def load() -> list[LinkRecord]:
            with self.store.session() as s:
                return queries.links(s)
        return list(self.cached(("links",), load))

    def positions(self) -> dict[str, tuple[float, float]]:
        """Router site positions (cached)."""
        def load() -> dict[str, tuple[float, float]]:
            with self.store.session() as s:
                return geo_data.site_positions(s)
        return dict(self.cached(("positions",), load))

    def invalidate(self) -> None:
        """Forget cached reads after an inventory change."""
        with self._lock:
            self._cache.clear()


def link_features(ctx: MapsContext, communes: tuple[str, ...] | None,
                  district: str | None) -> list[GeoJSON]:
    """Links as LineStrings from the upstream (Z) to the downstream (A) site, with live state.

    ``communes`` are legacy codes (the sites' communes); None means every commune.
    """
    pos, now, out = ctx.positions(), time.time(), []
    for r in ctx.links():
        if (communes is not None and r.commune_code not in communes) or (
                district and r.district_code != district):
            continue
        a, z = pos.get(r.a_site_code), pos.get(r.z_site_code)
        if a is None or z is None:
            continue
        live = ctx.live
        h = link_health(live.interface(r.a_device_id, r.a_ifindex),
                        live.interface(r.z_device_id, r.z_ifindex),
                        live.device(r.a_device_id), live.device(r.z_device_id),
                        r.capacity_mbps, now, ctx.stale_after_s)
        state, colour = link_colour(h.status, h.utilisation_pct)
        out.append(feature({"type": "LineString", "coordinates": [list(z), list(a)]}, {
            "id": r.id, "kind": r.kind, "capacity_mbps": r.capacity_mbps,
            "provider": r.provider, "circuit_id": r.circuit_id, "status": h.status,
            "state": state, "colour": colour, "reason": h.reason,
            "reason_code": h.reason_code,
            "reason_vi": reason_text(h.reason_code, "vi", h.reason_detail) if h.reason_code
            else h.reason,
            "utilisation_pct": h.utilisation_pct, "in_bps": h.in_bps, "out_bps": h.out_bps,
            "a_site_code": r.a_site_code, "a_site_name": r.a_site_name,
            "z_site_code": r.z_site_code, "z_site_name": r.z_site_name,
            "commune_code": r.commune_code, "district_code": r.district_code}, r.id))
    return out


def commune_sites(ctx: MapsContext, u: UnitGeo, kind: str | None) -> list[GeoJSON]:
    """BTS (one feature per operator), fibre points and routers of one commune-level unit.

    A split legacy commune's sites belong to the 2025 unit holding their position.
    """
    readers = {"bts": geo_data.bts_sites, "fibre_point": geo_data.fibre_sites,
               "router": geo_data.router_sites}
    with ctx.store.session() as s:
        recs = [x for k, read in readers.items() if kind in (None, k)
                for x in read(s, u.legacy_ids or (-1,))]
    if u.derived and u.geom is not None and recs:
        inside = shapely.contains_xy(u.geom, [x.lon for x in recs], [x.lat for x in recs])
        recs = [x for x, ok in zip(recs, inside.tolist(), strict=True) if ok]
    return [site_feature(x) for x in recs]


def router_features(ctx: MapsContext) -> list[GeoJSON]:
    """Every core, PoP, commune office and department site with its devices (cached)."""
    def load() -> list[GeoJSON]:
        with ctx.store.session() as s:
            return [site_feature(x) for x in geo_data.router_sites(s, ())]
    return list(ctx.cached(("routers",), load))


def commune_link_features(ctx: MapsContext, u: UnitGeo | None,
                          district: str | None) -> list[GeoJSON]:
    """Links whose downstream end is in ``u`` (every link when None), with live state."""
    feats = link_features(ctx, u.legacy_codes if u else None, district)
    if u is not None and u.derived and u.geom is not None and feats:
        ends = [f["geometry"]["coordinates"][1] for f in feats]  # the A (downstream) end
        inside = shapely.contains_xy(u.geom, [e[0] for e in ends], [e[1] for e in ends])
        feats = [f for f, ok in zip(feats, inside.tolist(), strict=True) if ok]
    return feats
