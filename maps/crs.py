"""Coordinate systems: metric work in UTM 48N (EPSG:32648), display in WGS84 (EPSG:4326)."""

from __future__ import annotations

from functools import cache

import shapely
from pyproj import Geod, Transformer
from shapely import Geometry

UTM48N = "EPSG:32648"
WGS84 = "EPSG:4326"
GEOD = Geod(ellps="WGS84")


@cache
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def to_utm(geom: Geometry) -> Geometry:
    """WGS84 lon/lat geometry -> UTM 48N metres."""
    return shapely.transform(geom, _transformer(WGS84, UTM48N).transform, interleaved=False)


def to_wgs84(geom: Geometry) -> Geometry:
    """UTM 48N metres -> WGS84 lon/lat."""
    return shapely.transform(geom, _transformer(UTM48N, WGS84).transform, interleaved=False)


def lonlat_to_utm(lon: float, lat: float) -> tuple[float, float]:
    """One point, WGS84 -> UTM 48N."""
    x, y = _transformer(WGS84, UTM48N).transform(lon, lat)
    return float(x), float(y)


def utm_to_lonlat(x: float, y: float) -> tuple[float, float]:
    """One point, UTM 48N -> WGS84 (lon, lat)."""
    lon, lat = _transformer(UTM48N, WGS84).transform(x, y)
    return float(lon), float(lat)


def geodesic_area_km2(geom_wgs84: Geometry) -> float:
    """Area on the ellipsoid (not the projected plane), in km²."""
    area, _ = GEOD.geometry_area_perimeter(geom_wgs84)
    return abs(area) / 1e6
