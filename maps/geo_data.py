"""Inventory reads for the map pages: unit geometries (both generations), sites, link ends.

Reads return plain records; nothing ORM leaves this module. 2025 units carry no boundary in
the demo inventory: their polygon is derived from the legacy communes by
:func:`maps.geography.derive_2025`, as for the coverage statistics (marked ``derived``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from shapely import wkt
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from provnet.inventory import model
from provnet.maps.coverage_data import load_legacy_areas, load_new_units
from provnet.maps.crs import geodesic_area_km2, to_wgs84
from provnet.maps.geography import derive_2025

ROUTER_KINDS = ("core", "pop", "commune_office", "department")


@dataclass(frozen=True, slots=True)
class UnitGeo:
    """An administrative unit with its boundary (WGS84) when one is known."""

    code: str
    name: str
    short_name: str
    unit_type: str
    level: str
    generation: str
    parent_code: str | None
    parent_name: str | None
    area_km2: float | None
    synthetic: bool
    derived: bool
    geom: BaseGeometry | None
    legacy_ids: tuple[int, ...] = ()  # the legacy commune ids this unit covers (sites' communes)
    legacy_codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SiteGeo:
    """A site with what its popup shows; ``detail`` depends on the kind."""

    code: str
    name: str
    kind: str
    lon: float
    lat: float
    synthetic: bool
    commune_code: str | None
    detail: dict[str, object] = field(default_factory=dict)


def _geom(text: str | None) -> BaseGeometry | None:
    return wkt.loads(text) if text else None


def units(s: Session, generation: str, level: str) -> list[UnitGeo]:
    """Units of one generation and level, with parent and geometry."""
    u, p = model.AdminUnit, aliased(model.AdminUnit)
    rows = s.execute(select(u, p).outerjoin(p, u.parent_id == p.id)
                     .where(u.generation == generation, u.level == level).order_by(u.code)).all()
    legacy_of: dict[int, list[int]] = defaultdict(list)
    derived_geom: dict[str, BaseGeometry] = {}
    if generation == "2025":
        for m in s.scalars(select(model.AdminUnitMapping)):
            legacy_of[m.new_unit_id].append(m.old_unit_id)
        # the same derived polygons as the coverage statistics (split communes divided)
        if level == "commune":
            d = derive_2025(load_legacy_areas(s), load_new_units(s))
            derived_geom = {c: to_wgs84(g) for c, g in zip(d.areas.codes, d.areas.geoms,
                                                           strict=True) if c in d.derived}
    code_of = {i: c for i, c in s.execute(select(u.id, u.code).where(u.generation == "legacy"))}
    out = []
    for unit, parent in rows:
        geom, derived = _geom(unit.boundary_wkt), False
        area = unit.area_km2
        if geom is None and unit.code in derived_geom:
            geom, derived = derived_geom[unit.code], True
            area = geodesic_area_km2(geom)  # the polygon drawn, not the published figure
        ids = tuple(legacy_of.get(unit.id, ())) if generation == "2025" else (unit.id,)
        out.append(UnitGeo(unit.code, unit.name, unit.short_name, unit.unit_type, unit.level,
                           unit.generation, parent.code if parent else None,
                           parent.name if parent else None, area,
                           unit.boundary_synthetic or derived, derived, geom, ids,
                           tuple(code_of[i] for i in ids if i in code_of)))
    return out


def _sites(s: Session, legacy_ids: tuple[int, ...], kinds: tuple[str, ...]) -> list[model.Site]:
    stmt = select(model.Site).where(model.Site.kind.in_(kinds))
    if legacy_ids:
        stmt = stmt.where(model.Site.commune_id.in_(legacy_ids))
    return list(s.scalars(stmt.order_by(model.Site.code)))


def _commune_codes(s: Session) -> dict[int, str]:
    u = model.AdminUnit
    return {i: c for i, c in s.execute(select(u.id, u.code).where(u.level == "commune"))}


def bts_sites(s: Session, legacy_ids: tuple[int, ...]) -> list[SiteGeo]:
    """One record per BTS (site x operator) with its sectors."""
    codes = _commune_codes(s)
    sites = {x.id: x for x in _sites(s, legacy_ids, ("bts",))}
    if not sites:
        return []
    stmt = (select(model.Bts, model.Sector).join(model.Sector, model.Sector.bts_id == model.Bts.id)
            .where(model.Bts.site_id.in_(sites)).order_by(model.Bts.id, model.Sector.id))
    sectors: dict[int, list[dict[str, object]]] = defaultdict(list)
    bts: dict[int, model.Bts] = {}
    for b, sec in s.execute(stmt).all():
        bts[b.id] = b
        sectors[b.id].append({"technology": sec.technology, "band_mhz": sec.band_mhz,
                              "azimuth_deg": sec.azimuth_deg, "beamwidth_deg": sec.beamwidth_deg,
                              "height_m": sec.height_m, "range_m": sec.range_m})
    out = []
    for b in bts.values():
        site = sites[b.site_id]
        techs = sorted({str(x["technology"]) for x in sectors[b.id]})
        out.append(SiteGeo(site.code, site.name, "bts", site.lon, site.lat,
                           site.location_synthetic, codes.get(site.commune_id or -1),
                           {"operator": b.operator, "technologies": techs,
                            "sectors": sectors[b.id]}))
    return out


def fibre_sites(s: Session, legacy_ids: tuple[int, ...]) -> list[SiteGeo]:
    """Fibre access points with operator, kind and ports."""
    codes = _commune_codes(s)
    sites = {x.id: x for x in _sites(s, legacy_ids, ("fibre_point",))}
    if not sites:
        return []
    out = []
    for fp in s.scalars(select(model.FibrePoint).where(model.FibrePoint.site_id.in_(sites))):
        site = sites[fp.site_id]
        out.append(SiteGeo(site.code, site.name, "fibre_point", site.lon, site.lat,
                           site.location_synthetic, codes.get(site.commune_id or -1),
                           {"operator": fp.operator, "fibre_kind": fp.kind, "ports": fp.ports}))
    return sorted(out, key=lambda x: x.code)


def router_sites(s: Session, legacy_ids: tuple[int, ...]) -> list[SiteGeo]:
    """Core, PoP, commune office and department sites with their devices."""
    codes = _commune_codes(s)
    sites = _sites(s, legacy_ids, ROUTER_KINDS)
    devices: dict[int, list[dict[str, object]]] = defaultdict(list)
    if sites:
        for d in s.scalars(select(model.Device).where(model.Device.site_id.in_(
                [x.id for x in sites])).order_by(model.Device.hostname)):
            devices[d.site_id].append({"id": d.id, "hostname": d.hostname, "role": d.role,
                                       "vendor": d.vendor, "platform": d.platform,
                                       "mgmt_address": d.mgmt_address})
    return [SiteGeo(x.code, x.name, x.kind, x.lon, x.lat, x.location_synthetic,
                    codes.get(x.commune_id or -1), {"devices": devices[x.id]}) for x in sites]


def site_positions(s: Session) -> dict[str, tuple[float, float]]:
    """Site code -> (lon, lat) for every router site (link ends)."""
    stmt = select(model.Site.code, model.Site.lon, model.Site.lat).where(
        model.Site.kind.in_(ROUTER_KINDS))
    return {c: (lon, lat) for c, lon, lat in s.execute(stmt)}
