"""Infill suggestions: where would one new BTS close the biggest coverage gap?

Candidates are the points of a hexagonal grid (spacing ``infill_spacing_m``) inside a
commune's gap polygon for one technology. A candidate site is modelled as an omni disc whose
radius comes from the propagation model for a typical new site (three sectors of 65 degrees
leave notches between them; the disc is the planning approximation). Candidates are ranked
greedily: the best one is the one whose disc closes the largest uncovered area; the next is
scored against the gap that remains, so suggestions do not pile onto one spot. Each
suggestion also reports its nearest fibre point (backhaul). Scoring is vectorised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely import Geometry

from provnet.config.settings import CoverageSettings
from provnet.maps.crs import utm_to_lonlat
from provnet.maps.engine import budget_for
from provnet.maps.footprint import point_buffers
from provnet.maps.propagation import sector_range_m

BAND_MHZ = {"2G": 900.0, "3G": 2100.0, "4G": 1800.0, "5G": 3500.0}
NEW_SITE_HEIGHT_M = 35.0
NEW_SITE_POWER_DBM = 46.0


@dataclass(frozen=True)
class Suggestion:
    """One candidate BTS position."""

    rank: int
    lon: float
    lat: float
    range_m: float
    closes_km2: float  # given the suggestions ranked before it
    closes_pct_of_gap: float
    nearest_fibre_m: float | None


def hex_grid(geom: Geometry, spacing_m: float) -> npt.NDArray[np.float64]:
    """Points (n, 2) of a hexagonal grid inside ``geom``."""
    if geom.is_empty:
        return np.empty((0, 2))
    minx, miny, maxx, maxy = geom.bounds
    dy = spacing_m * math.sqrt(3) / 2
    ys = np.arange(miny, maxy + dy, dy)
    xs = np.arange(minx, maxx + spacing_m, spacing_m)
    gx, gy = np.meshgrid(xs, ys)
    gx = gx + (np.arange(len(ys)) % 2)[:, None] * spacing_m / 2
    px, py = gx.ravel(), gy.ravel()
    shapely.prepare(geom)
    inside = shapely.contains_xy(geom, px, py)
    return np.column_stack([px[inside], py[inside]])


def new_site_range_m(cfg: CoverageSettings, technology: str) -> float:
    """Range of a typical new site of ``technology`` under the configured link budget."""
    band = BAND_MHZ.get(technology, 1800.0)
    return float(sector_range_m(budget_for(cfg, technology, omni=False), [NEW_SITE_POWER_DBM],
                                [band], [NEW_SITE_HEIGHT_M])[0])


def suggest(gap: Geometry, technology: str, cfg: CoverageSettings,
            fibre_xy: npt.NDArray[np.float64] | None = None,
            top_n: int | None = None) -> list[Suggestion]:
    """Top candidates (greedy by uncovered area closed) for one gap polygon in UTM."""
    top_n = top_n or cfg.infill_top_n
    gap_area = float(gap.area)
    if gap_area <= 0:
        return []
    r = new_site_range_m(cfg, technology)
    spacing = min(cfg.infill_spacing_m, max(r / 2, 50.0))
    pts = hex_grid(gap, spacing)
    if not len(pts):  # slivers narrower than the grid: try their representative points
        pts = shapely.get_coordinates(shapely.point_on_surface(shapely.get_parts(gap)))
    discs = point_buffers(pts[:, 0], pts[:, 1], r, cfg.arc_step_deg)
    tree = shapely.STRtree(shapely.points(fibre_xy)) if fibre_xy is not None \
        and len(fibre_xy) else None
    remaining = gap
    out: list[Suggestion] = []
    alive = np.ones(len(pts), dtype=bool)
    while len(out) < top_n and alive.any():
        scores = np.zeros(len(pts))
        scores[alive] = shapely.area(shapely.intersection(discs[alive], remaining))
        best = int(np.argmax(scores))
        if scores[best] <= 0:
            break
        alive[best] = False
        remaining = shapely.difference(remaining, discs[best])
        lon, lat = utm_to_lonlat(float(pts[best, 0]), float(pts[best, 1]))
        nearest = None
        if tree is not None and fibre_xy is not None:
            p = shapely.Point(pts[best])
            nearest = round(float(p.distance(tree.geometries[tree.nearest(p)])), 1)
        out.append(Suggestion(len(out) + 1, round(lon, 6), round(lat, 6), round(r, 1),
                              round(float(scores[best]) / 1e6, 4),
                              round(100 * float(scores[best]) / gap_area, 2), nearest))
    return out
