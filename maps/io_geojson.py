"""GeoJSON import of commune boundaries (RFC 7946: WGS84 lon/lat, Polygon or MultiPolygon).

Each feature names its unit by a property (``code`` by default, e.g. ``ma_xa`` in some
published sets). Parsing is pure and validates everything first; a bad feature raises
:class:`~maps.errors.ImportFormatError` naming the feature, and nothing is written. Writing
sets ``boundary_wkt`` (marked not synthetic) and the geodesic ``area_km2``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import shapely
from shapely import Geometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from provnet.inventory.model import AdminUnit
from provnet.maps.crs import geodesic_area_km2
from provnet.maps.errors import ImportFormatError


@dataclass(frozen=True)
class Boundary:
    """One unit's boundary from the file."""

    feature: int
    code: str
    geom: Geometry  # WGS84
    #: why the file's polygon was invalid when it had to be repaired (None: used as given)
    repaired: str | None = None


def _feature(source: str, i: int, f: Any, code_property: str) -> Boundary:
    where = f"feature {i}"
    if not isinstance(f, dict) or f.get("type") != "Feature":
        raise ImportFormatError(source, where, "not a GeoJSON Feature")
    props = f.get("properties") or {}
    code = props.get(code_property)
    if code is None or str(code).strip() == "":
        raise ImportFormatError(source, where, f"property {code_property!r} missing")
    where = f"feature {i} ({code_property}={code})"
    try:
        geom = shapely.from_geojson(json.dumps(f.get("geometry")))
    except (shapely.errors.GEOSException, ValueError, TypeError) as exc:
        raise ImportFormatError(source, where, f"unreadable geometry: {exc}") from exc
    if not isinstance(geom, shapely.Polygon | shapely.MultiPolygon) or geom.is_empty:
        raise ImportFormatError(source, where,
                                f"geometry must be a Polygon or MultiPolygon, not {geom.geom_type}")
    minx, miny, maxx, maxy = geom.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise ImportFormatError(source, where, "coordinates are not WGS84 lon/lat (RFC 7946); "
                                               "reproject to EPSG:4326 first")
    repaired = None
    if not geom.is_valid:
        repaired = shapely.is_valid_reason(geom)
        geom = shapely.make_valid(geom)
        polys = [g for g in shapely.get_parts(geom) if isinstance(g, shapely.Polygon)]
        if not polys:
            raise ImportFormatError(source, where, "invalid polygon that cannot be repaired")
        geom = shapely.union_all(polys)
    return Boundary(i, str(code).strip(), geom, repaired)


def parse_boundaries(text: str, source: str = "boundaries.geojson",
                     code_property: str = "code") -> list[Boundary]:
    """Every feature's boundary; raises on the first bad one or on duplicate codes."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ImportFormatError(source, f"line {getattr(exc, 'lineno', '?')}",
                                f"not JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" \
            or not isinstance(doc.get("features"), list):
        raise ImportFormatError(source, "document", "expected a GeoJSON FeatureCollection")
    out = [_feature(source, i, f, code_property) for i, f in enumerate(doc["features"])]
    seen: dict[str, int] = {}
    for b in out:
        if b.code in seen:
            raise ImportFormatError(source, f"feature {b.feature}",
                                    f"code {b.code} already given by feature {seen[b.code]}")
        seen[b.code] = b.feature
    return out


def write_boundaries(s: Session, boundaries: list[Boundary], generation: str,
                     source: str = "boundaries.geojson") -> int:
    """Set the boundaries of existing units (caller commits); unknown codes raise."""
    units = {u.code: u for u in s.scalars(select(AdminUnit).where(
        AdminUnit.generation == generation, AdminUnit.level == "commune"))}
    for b in boundaries:
        if b.code not in units:
            raise ImportFormatError(source, f"feature {b.feature}",
                                    f"no {generation} commune with code {b.code}")
    for b in boundaries:
        u = units[b.code]
        u.boundary_wkt = b.geom.wkt
        u.boundary_synthetic = False
        u.area_km2 = geodesic_area_km2(b.geom)
    s.flush()
    return len(boundaries)
