"""Round trips between WGS84 and UTM 48N, geodesic areas."""

import pytest
from shapely import Polygon, box

from provnet.maps.crs import geodesic_area_km2, lonlat_to_utm, to_utm, to_wgs84, utm_to_lonlat


def test_point_round_trip() -> None:
    x, y = lonlat_to_utm(105.4356, 10.3872)  # Long Xuyên
    assert 500_000 < x < 600_000 and 1_100_000 < y < 1_200_000
    lon, lat = utm_to_lonlat(x, y)
    assert (lon, lat) == pytest.approx((105.4356, 10.3872), abs=1e-9)


def test_polygon_round_trip_and_area() -> None:
    sq = box(550_000, 1_140_000, 560_000, 1_150_000)  # 10 km x 10 km in UTM
    wgs = to_wgs84(sq)
    assert isinstance(wgs, Polygon)
    assert to_utm(wgs).area == pytest.approx(100e6, rel=1e-9)
    # geodesic area differs from the UTM plane by the scale factor (< 0.4 % here)
    assert geodesic_area_km2(wgs) == pytest.approx(100.0, rel=4e-3)
