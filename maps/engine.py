"""The coverage engine: footprints -> per-commune coverage, overlap, gaps and fibre reach.

Per commune, the sectors whose footprint intersects it come from one bulk STRtree query;
each (operator, technology) is ``union_all`` of those footprints clipped to the commune.
Percentages are area ratios in UTM 48N; ``area_km2`` is the geodesic area of the boundary.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import shapely
from shapely import Geometry

from provnet.config.settings import CoverageSettings
from provnet.maps.coverage_data import Areas, FibrePoints, Sectors
from provnet.maps.footprint import OMNI_DEG, GeomArray, point_buffers, sector_polygons
from provnet.maps.propagation import MAX_MHZ, MIN_MHZ, LinkBudget, sector_range_m

log = logging.getLogger(__name__)

EMPTY = shapely.Polygon()
IntArray = npt.NDArray[np.int64]


@dataclass
class CommuneCoverage:
    """Coverage of one commune-level unit; geometries in UTM metres."""

    code: str
    name: str
    generation: str
    area_km2: float
    by_operator: dict[str, dict[str, float]]
    by_technology: dict[str, dict[str, float]]
    fibre_reach_pct: float
    coverage: dict[tuple[str, str], Geometry] = field(default_factory=dict)
    gaps: dict[str, Geometry] = field(default_factory=dict)
    fibre_reach: Geometry = EMPTY

    def stats(self) -> dict[str, object]:
        """The JSON statistics (no geometry)."""
        return {"code": self.code, "name": self.name, "generation": self.generation,
                "area_km2": round(self.area_km2, 4), "by_operator": self.by_operator,
                "by_technology": self.by_technology, "fibre_reach_pct": self.fibre_reach_pct}


def budget_for(cfg: CoverageSettings, technology: str, omni: bool) -> LinkBudget:
    """Link budget of one technology from the settings."""
    return LinkBudget(
        threshold_dbm=cfg.thresholds_dbm.get(technology, -100.0),
        reference_offset_db=cfg.reference_offset_db.get(technology, 0.0),
        antenna_gain_dbi=cfg.omni_gain_dbi if omni else cfg.antenna_gain_dbi,
        losses_db=cfg.losses_db, ue_height_m=cfg.ue_height_m, environment=cfg.environment,
        min_range_m=cfg.min_range_m, max_range_m=cfg.max_range_m)


def sector_ranges(sectors: Sectors, cfg: CoverageSettings) -> npt.NDArray[np.float64]:
    """Range (m) of every sector: model per (technology, omni) group, explicit range wins."""
    out = np.empty(len(sectors), dtype=np.float64)
    omni = sectors.beamwidth_deg >= OMNI_DEG
    power = np.where(np.isnan(sectors.power_dbm), cfg.default_power_dbm, sectors.power_dbm)
    for tech in np.unique(sectors.technology) if len(sectors) else []:
        for is_omni in (False, True):
            sel = np.flatnonzero((sectors.technology == tech) & (omni == is_omni))
            if len(sel):
                out[sel] = sector_range_m(budget_for(cfg, str(tech), is_omni), power[sel],
                                          sectors.band_mhz[sel], sectors.height_m[sel],
                                          sectors.range_m[sel])
    return out


@dataclass(frozen=True)
class Prepared:
    """Footprints and fibre discs with their spatial indexes, built once per inventory."""

    sectors: Sectors
    footprints: GeomArray
    tree: shapely.STRtree
    fibre: FibrePoints
    discs: GeomArray
    fibre_tree: shapely.STRtree
    operators: list[str]
    technologies: list[str]


def prepare(sectors: Sectors, fibre: FibrePoints, cfg: CoverageSettings) -> Prepared:
    """Compute every footprint and fibre disc, index them. Unusable sectors are left out."""
    ok = sectors.usable()
    if not ok.all():
        bad = sectors.sector_id[~ok][:5].tolist()
        log.warning("coverage: %d sectors left out (band outside %s-%s MHz, height <= 0 or "
                    "no position), e.g. ids %s", int((~ok).sum()), MIN_MHZ, MAX_MHZ, bad)
        sectors = sectors.take(ok)
    fps = sector_polygons(sectors.x, sectors.y, sectors.azimuth_deg, sectors.beamwidth_deg,
                          sector_ranges(sectors, cfg), cfg.arc_step_deg)
    discs = point_buffers(fibre.x, fibre.y, cfg.fibre_drop_m, cfg.arc_step_deg)
    return Prepared(sectors, fps, shapely.STRtree(fps), fibre, discs, shapely.STRtree(discs),
                    sorted({str(o) for o in sectors.operator}),
                    sorted({str(t) for t in sectors.technology}))


def candidates(prep: Prepared, areas: Areas) -> tuple[list[IntArray], list[IntArray]]:
    """Per area: indices of intersecting sectors and of intersecting fibre discs."""
    def split(pairs: npt.NDArray[np.int64]) -> list[IntArray]:
        order = np.argsort(pairs[0], kind="stable")
        a, b = pairs[0][order], pairs[1][order]
        bounds = np.searchsorted(a, np.arange(len(areas.codes) + 1))
        return [b[bounds[i]:bounds[i + 1]] for i in range(len(areas.codes))]

    return (split(prep.tree.query(areas.geoms, predicate="intersects")),
            split(prep.fibre_tree.query(areas.geoms, predicate="intersects")))


def polygonal(g: Geometry) -> Geometry:
    """Drop the lines/points an overlay can leave where polygons only touch."""
    if g.geom_type != "GeometryCollection":
        return g
    polys = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if polys else EMPTY


def _pct(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 3) if whole > 0 else 0.0


def _tech_stats(geom: Geometry, whole: float, covs: list[Geometry]
                ) -> tuple[Geometry, float, float]:
    """(gap, any area, exactly-one area) of one technology from per-operator coverages.

    Exactly one = sum over operators of (any - union of the others). Operators covering the
    whole unit short-circuit the overlay work (the common case in towns).
    """
    if not covs:
        return geom, 0.0, 0.0
    full = [c.area >= whole * (1 - 1e-9) for c in covs]
    if sum(full) >= 2:
        return EMPTY, whole, 0.0
    if sum(full) == 1:
        others = [c for c, f in zip(covs, full, strict=True) if not f]
        rest = float(shapely.union_all(others).area) if others else 0.0
        return EMPTY, whole, whole - rest
    any_cov = shapely.union_all(covs)
    any_area = float(any_cov.area)
    one = 0.0
    for i in range(len(covs)):
        others = covs[:i] + covs[i + 1:]
        one += any_area - (float(shapely.union_all(others).area) if others else 0.0)
    return polygonal(shapely.difference(geom, any_cov)), any_area, max(0.0, one)


def compute_area(prep: Prepared, geom: Geometry, code: str, name: str, generation: str,
                 area_km2: float, sector_idx: IntArray, fibre_idx: IntArray) -> CommuneCoverage:
    """Coverage statistics and geometries of one unit from its candidate sectors/discs."""
    whole = float(geom.area)
    shapely.prepare(geom)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i in sector_idx.tolist():
        groups[(str(prep.sectors.operator[i]), str(prep.sectors.technology[i]))].append(i)
    coverage: dict[tuple[str, str], Geometry] = {}
    for key, idx in groups.items():
        cov = polygonal(shapely.intersection(shapely.union_all(prep.footprints[idx]), geom))
        if cov.area >= whole * (1 - 1e-9):
            coverage[key] = geom  # covers the whole unit: keep the exact boundary
        elif not cov.is_empty:
            coverage[key] = cov
    by_operator = {op: {t: _pct(coverage[(op, t)].area, whole) if (op, t) in coverage else 0.0
                        for t in prep.technologies} for op in prep.operators}
    by_technology: dict[str, dict[str, float]] = {}
    gaps: dict[str, Geometry] = {}
    for t in prep.technologies:
        covs = [coverage[(op, t)] for op in prep.operators if (op, t) in coverage]
        gaps[t], any_area, one_area = _tech_stats(geom, whole, covs)
        any_pct = _pct(any_area, whole)
        by_technology[t] = {"any_pct": any_pct, "one_pct": _pct(one_area, whole),
                            "none_pct": round(max(0.0, 100.0 - any_pct), 3)}
    reach = (polygonal(shapely.intersection(shapely.union_all(prep.discs[fibre_idx]), geom))
             if len(fibre_idx) else EMPTY)
    return CommuneCoverage(code, name, generation, area_km2, by_operator, by_technology,
                           _pct(float(reach.area), whole), coverage, gaps, reach)


def compute_many(prep: Prepared, areas: Areas, positions: list[int], sec: list[IntArray],
                 fib: list[IntArray], workers: int = 1) -> list[CommuneCoverage]:
    """Coverage of the areas at ``positions``; GEOS releases the GIL, so threads scale."""
    def one(i: int) -> CommuneCoverage:
        return compute_area(prep, areas.geoms[i], areas.codes[i], areas.names[i],
                            areas.generation, float(areas.area_km2[i]), sec[i], fib[i])

    if workers <= 1 or len(positions) < 2:
        return [one(i) for i in positions]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, positions))


def compute_all(prep: Prepared, areas: Areas, only: set[str] | None = None,
                workers: int = 1) -> dict[str, CommuneCoverage]:
    """Coverage of every area (or of the codes in ``only``)."""
    sec, fib = candidates(prep, areas)
    positions = [i for i, c in enumerate(areas.codes) if only is None or c in only]
    return {r.code: r for r in compute_many(prep, areas, positions, sec, fib, workers)}
