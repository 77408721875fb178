"""Sector polygons: shape, orientation and area against hand formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from provnet.maps.errors import MapsError
from provnet.maps.footprint import point_buffers, sector_area_m2, sector_polygons


@pytest.mark.parametrize(("az", "bw", "r", "step"), [
    (0.0, 65.0, 1000.0, 5.0), (90.0, 120.0, 2500.0, 5.0), (300.0, 30.0, 500.0, 1.0),
    (0.0, 360.0, 1000.0, 5.0), (45.0, 400.0, 800.0, 10.0),
])
def test_area_matches_polygon_formula(az: float, bw: float, r: float, step: float) -> None:
    poly = sector_polygons([500_000.0], [1_100_000.0], [az], [bw], [r], step)[0]
    assert poly.is_valid
    assert poly.area == pytest.approx(sector_area_m2(r, bw, step), rel=1e-9)
    true_sector = math.pi * r**2 * min(bw, 360.0) / 360.0
    assert poly.area == pytest.approx(true_sector, rel=1e-9)  # equal-area arcs
    # arc vertices at r * sqrt(t / sin t), about r * (1 + t^2 / 12): 0.25 % at 10 degrees
    t = math.radians(min(bw, 360.0) / math.ceil(min(bw, 360.0) / step))
    far = max(math.dist((500_000.0, 1_100_000.0), c) for c in poly.exterior.coords)
    assert far == pytest.approx(r * math.sqrt(t / math.sin(t)), rel=1e-9)
    assert far < r * (1 + t**2 / 11)


@pytest.mark.parametrize(("az", "dx", "dy"), [(0.0, 0, 1), (90.0, 1, 0), (180.0, 0, -1),
                                              (270.0, -1, 0)])
def test_azimuth_is_a_compass_bearing(az: float, dx: int, dy: int) -> None:
    poly = sector_polygons([0.0], [0.0], [az], [10.0], [1000.0])[0]
    c = poly.centroid
    assert np.sign(round(c.x, 6)) == dx and np.sign(round(c.y, 6)) == dy
    assert poly.contains(shapely.Point(900 * math.sin(math.radians(az)),
                                       900 * math.cos(math.radians(az))))
    assert poly.touches(shapely.Point(0, 0)) or poly.boundary.distance(shapely.Point(0, 0)) < 1e-9


def test_mixed_groups_keep_input_order() -> None:
    polys = sector_polygons([0, 10_000, 20_000], [0, 0, 0], [0, 0, 0], [65, 360, 30],
                            [1000, 2000, 3000])
    assert [round(p.centroid.x / 1000) for p in polys] == [0, 10, 20]
    assert polys[1].area > polys[2].area


def test_point_buffers() -> None:
    discs = point_buffers([0.0, 5000.0], [0.0, 0.0], 300.0)
    assert len(discs) == 2
    assert discs[0].area == pytest.approx(math.pi * 300**2, rel=1e-9)


@pytest.mark.parametrize("bad", [{"r": 0.0}, {"r": float("nan")}, {"bw": 0.0}])
def test_bad_sector_raises(bad: dict[str, float]) -> None:
    with pytest.raises(MapsError):
        sector_polygons([0.0], [0.0], [0.0], [bad.get("bw", 65.0)], [bad.get("r", 100.0)])
