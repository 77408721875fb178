"""Versioned geography: 2025 units' polygons derived from the legacy communes they replaced.

A 2025 unit with its own boundary uses it. Otherwise its polygon is the union of its legacy
parts (``AdminUnitMapping``): a legacy commune mapped ``whole`` contributes its full polygon;
a commune that was **split** (``whole=False`` rows, one per receiving unit) is divided
between its receivers by the Voronoi cells of the receivers' published centroids, clipped to
the legacy polygon. So every square metre of a split commune goes to exactly one receiver
(the one whose centre is nearest), shares are geometric rather than guessed weights, and the
2025 polygons tile the same land as the legacy ones. When the receivers' centroids are
missing or coincide, the whole commune goes to the ``is_default`` receiver. Derived polygons
are approximations and are reported as such (``derived=True``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import Geometry

from provnet.maps.coverage_data import Areas, NewUnit, lonlat_arrays_to_utm, make_areas
from provnet.maps.crs import to_utm, to_wgs84
from provnet.maps.errors import MapsError


@dataclass(frozen=True)
class UnitParts:
    """What a 2025 unit is made of: legacy communes taken whole, and polygons (UTM) to compute
    directly (pieces of split communes, or the unit's own boundary)."""

    code: str
    name: str
    whole: list[str]
    pieces: list[Geometry]


@dataclass(frozen=True)
class DerivedUnits:
    """2025 areas plus which of them were derived and which have no land in this inventory."""

    areas: Areas
    derived: set[str]
    without_geometry: list[str]
    parts: list[UnitParts]  # aligned with ``areas.codes``


def _centre_utm(unit: NewUnit) -> tuple[float, float] | None:
    if unit.centroid_lonlat is None:
        return None
    x, y = lonlat_arrays_to_utm(np.array([unit.centroid_lonlat[0]]),
                                np.array([unit.centroid_lonlat[1]]))
    return float(x[0]), float(y[0])


def split_legacy(polygon: Geometry, receivers: list[tuple[str, tuple[float, float] | None]],
                 default: str) -> dict[str, Geometry]:
    """Divide one legacy polygon (UTM) among receiving unit codes by nearest centroid."""
    pts = {code: c for code, c in receivers if c is not None}
    if len(pts) < 2 or len(set(pts.values())) < len(pts):
        return {default: polygon}
    codes = list(pts)
    points = [shapely.Point(pts[c]) for c in codes]
    cells = shapely.voronoi_polygons(shapely.MultiPoint(points), extend_to=polygon)
    tree = shapely.STRtree(points)
    out: dict[str, Geometry] = {}
    for cell in cells.geoms:
        for i in tree.query(cell, predicate="contains").tolist():
            piece = shapely.intersection(cell, polygon)
            if not piece.is_empty:
                out[codes[i]] = piece
    return out


def derive_2025(legacy: Areas, units: list[NewUnit]) -> DerivedUnits:
    """Polygons of the 2025 units from the legacy areas and the mapping."""
    legacy_idx = legacy.index()
    receivers: dict[str, list[tuple[str, tuple[float, float] | None]]] = defaultdict(list)
    default_of: dict[str, str] = {}
    centres = {u.code: _centre_utm(u) for u in units}
    for u in units:
        for old, whole, is_default in u.parts:
            if not whole:
                receivers[old].append((u.code, centres[u.code]))
                if is_default or old not in default_of:
                    default_of[old] = u.code
    pieces: dict[str, list[Geometry]] = defaultdict(list)
    for old, recv in receivers.items():
        if old in legacy_idx:
            for code, piece in split_legacy(legacy.geoms[legacy_idx[old]], recv,
                                            default_of[old]).items():
                pieces[code].append(piece)
    codes, names, geoms, derived, missing = [], [], [], set(), []
    composition: list[UnitParts] = []
    for u in units:
        if u.boundary_wkt:
            try:
                geom = to_utm(shapely.from_wkt(u.boundary_wkt))
            except shapely.errors.GEOSException as exc:
                raise MapsError(f"unreadable boundary of 2025 unit {u.code}: {exc}") from exc
            composition.append(UnitParts(u.code, u.name, [], [geom]))
        else:
            whole_codes = [old for old, is_whole, _ in u.parts if is_whole and old in legacy_idx]
            split = pieces.get(u.code, [])
            if not whole_codes and not split:
                missing.append(u.code)
                continue
            geom = shapely.union_all([legacy.geoms[legacy_idx[c]] for c in whole_codes] + split)
            derived.add(u.code)
            composition.append(UnitParts(u.code, u.name, whole_codes, split))
        codes.append(u.code)
        names.append(u.name)
        geoms.append(geom)
    return DerivedUnits(_areas_from_utm(codes, names, geoms), derived, missing, composition)


def _areas_from_utm(codes: list[str], names: list[str], geoms: list[Geometry]) -> Areas:
    return make_areas(codes, names, "2025", [to_wgs84(g) for g in geoms])
