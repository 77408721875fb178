"""A synthetic country-scale coverage input (for benchmarks and tests; clearly not real data).

Communes are Voronoi cells of random centres over a rectangle of Vietnam's land area
(~331,000 km²) in UTM 48N; BTS are placed uniformly with three sectors each; operators,
technologies and bands follow the demo province's mix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from provnet.maps.coverage_data import Areas, FibrePoints, Sectors, make_areas
from provnet.maps.crs import to_wgs84
from provnet.maps.synthetic import voronoi_cells

OPERATORS = np.array(["Viettel", "VinaPhone", "MobiFone"], dtype=object)
OPERATOR_P = [0.40, 0.33, 0.27]
TECHS = (("4G", 1800.0, 0.6), ("3G", 2100.0, 0.3), ("5G", 3500.0, 0.1))


@dataclass(frozen=True)
class CountryInput:
    """Everything :func:`maps.engine.prepare` and ``compute_all`` need."""

    sectors: Sectors
    fibre: FibrePoints
    areas: Areas


def _frame(n_communes: int, km2_per_commune: float) -> tuple[float, float, float, float]:
    width = 330_000.0
    height = n_communes * km2_per_commune * 1e6 / width
    x0, y0 = 500_000.0 - width / 2, 1_100_000.0
    return x0, y0, x0 + width, y0 + height


def generate_country(n_communes: int = 3300, n_sectors: int = 100_000, n_fibre: int = 50_000,
                     seed: int = 6, km2_per_commune: float = 100.0) -> CountryInput:
    """Communes, sectors (3 per BTS) and fibre points; same seed, same country."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = _frame(n_communes, km2_per_commune)
    centres = np.column_stack([rng.uniform(x0, x1, n_communes), rng.uniform(y0, y1, n_communes)])
    cells = voronoi_cells([tuple(p) for p in centres.tolist()], shapely.box(x0, y0, x1, y1))
    codes = [f"S{i:05d}" for i in range(n_communes)]
    areas = make_areas(codes, [f"Xã Tổng hợp {i}" for i in range(n_communes)], "legacy",
                       [to_wgs84(c) for c in cells])
    n_bts = -(-n_sectors // 3)
    bx, by = rng.uniform(x0, x1, n_bts), rng.uniform(y0, y1, n_bts)
    ops = rng.choice(OPERATORS, n_bts, p=OPERATOR_P)
    tech_i = rng.choice(len(TECHS), n_bts, p=[t[2] for t in TECHS])
    az0 = rng.uniform(0, 120, n_bts)
    heights = rng.uniform(25, 45, n_bts)
    rep = np.repeat(np.arange(n_bts), 3)[:n_sectors]
    k = np.tile(np.arange(3), n_bts)[:n_sectors]
    tech = np.array([TECHS[i][0] for i in tech_i], dtype=object)[rep]
    band = np.array([TECHS[i][1] for i in tech_i])[rep]
    sectors = Sectors(
        np.arange(1, n_sectors + 1, dtype=np.int64), rep.astype(np.int64) + 1, ops[rep], tech,
        band, (az0[rep] + 120.0 * k) % 360.0, np.full(n_sectors, 65.0), heights[rep],
        np.full(n_sectors, 46.0), np.full(n_sectors, np.nan), bx[rep], by[rep])
    fibre = FibrePoints(np.arange(1, n_fibre + 1, dtype=np.int64),
                        rng.choice(np.array(["VNPT", "Viettel", "FPT"], dtype=object), n_fibre),
                        rng.uniform(x0, x1, n_fibre), rng.uniform(y0, y1, n_fibre))
    return CountryInput(sectors, fibre, areas)
