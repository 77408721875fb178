"""Coverage statistics against geometry worked out by hand, and against geodesic areas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from provnet.config.settings import CoverageSettings
from provnet.maps.coverage_data import FibrePoints, Sectors, make_areas
from provnet.maps.crs import geodesic_area_km2, to_wgs84
from provnet.maps.engine import compute_all, prepare
from provnet.maps.footprint import sector_area_m2

X0, Y0 = 500_000.0, 1_150_000.0  # UTM 48N, near Long Xuyên (105 E, 10.4 N)
SIDE = 4000.0
STEP = 1.0  # 1 degree arcs: polygon area within 0.005 % of the true circle


def _sectors(rows: list[tuple[str, str, float, float, float, float, float]]) -> Sectors:
    """rows: (operator, tech, x, y, azimuth, beamwidth, explicit range)."""
    n = len(rows)
    col = list(zip(*rows, strict=True))
    return Sectors(np.arange(1, n + 1, dtype=np.int64), np.arange(1, n + 1, dtype=np.int64),
                   np.array(col[0], dtype=object), np.array(col[1], dtype=object),
                   np.full(n, 1800.0), np.array(col[4], dtype=float),
                   np.array(col[5], dtype=float), np.full(n, 30.0), np.full(n, 46.0),
                   np.array(col[6], dtype=float), np.array(col[2], dtype=float),
                   np.array(col[3], dtype=float))


def _no_fibre() -> FibrePoints:
    e = np.array([], dtype=float)
    return FibrePoints(np.array([], dtype=np.int64), np.array([], dtype=object), e, e)


def _square() -> shapely.Polygon:
    return shapely.box(X0, Y0, X0 + SIDE, Y0 + SIDE)


def _run(sectors: Sectors, fibre: FibrePoints | None = None, drop: float = 500.0,  # type: ignore[no-untyped-def]
         step: float = STEP):
    areas = make_areas(["X1"], ["Xã Thử Nghiệm"], "legacy", [to_wgs84(_square())])
    cfg = CoverageSettings(arc_step_deg=step, fibre_drop_m=drop)
    return compute_all(prepare(sectors, fibre or _no_fibre(), cfg), areas)["X1"]


def test_single_omni_sector_in_the_middle() -> None:
    cx, cy = X0 + SIDE / 2, Y0 + SIDE / 2
    r = _run(_sectors([("Viettel", "4G", cx, cy, 0.0, 360.0, 1000.0)]))
    # pi * 1000^2 / 4000^2 = 19.635 % (polygon: 0.5 * r^2 * 360 * sin(1 deg) / 16e6)
    assert r.by_operator["Viettel"]["4G"] == pytest.approx(19.635, abs=0.002)
    assert r.by_operator["Viettel"]["4G"] == pytest.approx(
        100 * sector_area_m2(1000.0, 360.0, STEP) / SIDE**2, abs=0.001)
    t = r.by_technology["4G"]
    assert t["any_pct"] == t["one_pct"] == r.by_operator["Viettel"]["4G"]
    assert t["none_pct"] == pytest.approx(100 - 19.635, abs=0.002)
    assert r.gaps["4G"].area == pytest.approx(SIDE**2 - math.pi * 1e6, rel=1e-4)


def test_sector_reaching_out_of_the_commune_is_clipped() -> None:
    # apex mid west edge, pointing east, 90 degrees, 6 km (> 4472 m to the far corners):
    # covered = {|y - 2000| <= x}: triangle 2000 * 4000 / 2 + rectangle 2000 * 4000 = 12e6 m²
    r = _run(_sectors([("MobiFone", "4G", X0, Y0 + SIDE / 2, 90.0, 90.0, 6000.0)]))
    assert r.by_operator["MobiFone"]["4G"] == pytest.approx(75.0, abs=0.001)


def test_sector_pointing_away_covers_nothing() -> None:
    r = _run(_sectors([("MobiFone", "4G", X0, Y0 + SIDE / 2, 270.0, 60.0, 3000.0)]))
    assert r.by_operator["MobiFone"]["4G"] == 0.0
    assert r.by_technology["4G"]["none_pct"] == 100.0


@pytest.mark.parametrize(("step", "tol_pct"), [(STEP, 0.005), (10.0, 0.05)])
def test_two_overlapping_operators(step: float, tol_pct: float) -> None:
    # two 1 km discs, centres 1 km apart: lens = 2 r^2 acos(1/2) - 1/2 sqrt(3) r^2;
    # at the default 10 degree arcs the equal-area polygons stay within 0.05 points
    cx, cy = X0 + SIDE / 2, Y0 + SIDE / 2
    r = _run(_sectors([("Viettel", "4G", cx - 500, cy, 0, 360, 1000.0),
                       ("VinaPhone", "4G", cx + 500, cy, 0, 360, 1000.0)]), step=step)
    lens = 2e6 * math.acos(0.5) - 0.5 * math.sqrt(3) * 1e6  # 1,228,370 m²
    disc = math.pi * 1e6
    any_pct, one_pct = 100 * (2 * disc - lens) / SIDE**2, 100 * (2 * disc - 2 * lens) / SIDE**2
    t = r.by_technology["4G"]
    assert t["any_pct"] == pytest.approx(any_pct, abs=tol_pct)  # 31.593 %
    assert t["one_pct"] == pytest.approx(one_pct, abs=tol_pct)  # 23.915 %
    assert t["none_pct"] == pytest.approx(100 - any_pct, abs=tol_pct)


def test_operator_covering_everything_short_circuit_is_exact() -> None:
    cx, cy = X0 + SIDE / 2, Y0 + SIDE / 2
    r = _run(_sectors([("Viettel", "4G", cx, cy, 0, 360, 10_000.0),
                       ("VinaPhone", "4G", cx, cy, 0, 360, 1000.0)]))
    assert r.by_operator["Viettel"]["4G"] == 100.0
    t = r.by_technology["4G"]
    assert t["any_pct"] == 100.0 and t["none_pct"] == 0.0
    assert t["one_pct"] == pytest.approx(100 - 19.635, abs=0.002)
    assert r.gaps["4G"].is_empty


def test_fibre_reach_is_a_clipped_disc() -> None:
    f = FibrePoints(np.array([1, 2], dtype=np.int64), np.array(["VNPT", "FPT"], dtype=object),
                    np.array([X0 + SIDE / 2, X0]), np.array([Y0 + SIDE / 2, Y0]))
    r = _run(_sectors([("Viettel", "4G", X0, Y0, 0, 360, 100.0)]), f, drop=500.0)
    # full disc in the middle + a quarter disc at the corner
    assert r.fibre_reach_pct == pytest.approx(100 * 1.25 * math.pi * 500**2 / SIDE**2, abs=0.002)


def test_areas_agree_with_geodesic_within_half_a_percent() -> None:
    cx, cy = X0 + SIDE / 2, Y0 + SIDE / 2
    r = _run(_sectors([("Viettel", "4G", cx, cy, 30, 120, 1800.0),
                       ("VinaPhone", "4G", cx + 700, cy - 300, 200, 90, 2500.0)]))
    assert r.area_km2 == pytest.approx(geodesic_area_km2(to_wgs84(_square())), rel=1e-12)
    assert r.area_km2 == pytest.approx(SIDE**2 / 1e6, rel=0.005)
    for (op, tech), geom in r.coverage.items():
        km2 = r.by_operator[op][tech] / 100 * r.area_km2
        assert km2 == pytest.approx(geodesic_area_km2(to_wgs84(geom)), rel=0.005)
    gap_km2 = r.by_technology["4G"]["none_pct"] / 100 * r.area_km2
    assert gap_km2 == pytest.approx(geodesic_area_km2(to_wgs84(r.gaps["4G"])), rel=0.005)


def test_unusable_sector_is_left_out_not_fatal() -> None:
    cx, cy = X0 + SIDE / 2, Y0 + SIDE / 2
    s = _sectors([("Viettel", "4G", cx, cy, 0.0, 360.0, float("nan")),
                  ("VinaPhone", "4G", cx, cy, 0.0, 360.0, 1000.0)])
    s.band_mhz[0] = 100.0  # below Okumura-Hata's 150 MHz: no model applies
    r = _run(s)
    assert "Viettel" not in r.by_operator  # its only sector was left out
    assert r.by_operator["VinaPhone"]["4G"] == pytest.approx(19.635, abs=0.002)


def test_sector_touching_the_commune_leaves_no_stray_lines() -> None:
    # a sector whose arc only touches the square's west edge from outside
    r = _run(_sectors([("MobiFone", "4G", X0 - 1000.0, Y0 + SIDE / 2, 90.0, 360.0, 1000.0)]))
    assert r.by_operator["MobiFone"]["4G"] == pytest.approx(0.0, abs=0.001)
    for g in [*r.coverage.values(), *r.gaps.values()]:
        assert g.geom_type in ("Polygon", "MultiPolygon")
