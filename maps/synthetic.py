"""Synthetic commune polygons for the demo, built from real centroids (clearly marked synthetic).

No boundary polygons ship offline. The demo takes Voronoi cells of the communes' real
centroids and clips them to an outline: the concave hull of the centroids, buffered, and
cut to the province's published bounding box. Real users import GeoJSON instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely import MultiPoint, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from provnet.maps.errors import MapsError

OUTLINE_BUFFER_M = 3000.0


def province_outline(
    points_utm: Sequence[tuple[float, float]], bounds_utm: tuple[float, float, float, float]
) -> BaseGeometry:
    """A plausible province outline around the commune centroids (UTM metres)."""
    if len(points_utm) < 3:
        raise MapsError("need at least three centroids to draw an outline")
    hull = shapely.concave_hull(MultiPoint(points_utm), ratio=0.35)
    return hull.buffer(OUTLINE_BUFFER_M).intersection(box(*bounds_utm))


def voronoi_cells(
    points_utm: Sequence[tuple[float, float]], outline: BaseGeometry
) -> list[BaseGeometry]:
    """One cell per input point, in input order, clipped to ``outline``."""
    pts = [Point(p) for p in points_utm]
    cells = shapely.voronoi_polygons(MultiPoint(pts), extend_to=outline)
    by_point: list[BaseGeometry | None] = [None] * len(pts)
    tree = shapely.STRtree(pts)
    for cell in cells.geoms:
        hits = tree.query(cell, predicate="contains")
        for i in hits:
            by_point[int(i)] = cell.intersection(outline)
    missing = [i for i, c in enumerate(by_point) if c is None]
    if missing:
        raise MapsError(f"no Voronoi cell for points {missing[:5]} (duplicate centroids?)")
    return [c for c in by_point if c is not None]


def random_points_in(
    polygon: BaseGeometry, n: int, rng: np.random.Generator,
    centre: tuple[float, float] | None = None, sigma_m: float | None = None,
) -> list[tuple[float, float]]:
    """``n`` random points inside ``polygon``: uniform, or normal around ``centre`` if given."""
    out: list[tuple[float, float]] = []
    minx, miny, maxx, maxy = polygon.bounds
    prepared = polygon
    shapely.prepare(prepared)
    for _ in range(200):
        need = n - len(out)
        if need <= 0:
            break
        k = max(need * 4, 16)
        if centre is not None and sigma_m:
            xs = rng.normal(centre[0], sigma_m, k)
            ys = rng.normal(centre[1], sigma_m, k)
        else:
            xs = rng.uniform(minx, maxx, k)
            ys = rng.uniform(miny, maxy, k)
        inside = shapely.contains_xy(prepared, xs, ys)
        out.extend(zip(xs[inside].tolist(), ys[inside].tolist(), strict=True))
    if len(out) < n:
        raise MapsError(f"could not place {n} points inside polygon of area {polygon.area:.0f} m²")
    return out[:n]


def is_valid_polygonal(geom: BaseGeometry) -> bool:
    """True for a non-empty valid Polygon/MultiPolygon."""
    return isinstance(geom, Polygon | shapely.MultiPolygon) and geom.is_valid and not geom.is_empty
