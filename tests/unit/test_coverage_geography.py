"""2025 units derived from legacy communes: whole parts, split parts, no parts."""

from __future__ import annotations

import pytest
import shapely

from maps.coverage_data import NewUnit, make_areas
from maps.crs import to_wgs84, utm_to_lonlat
from maps.geography import derive_2025, split_legacy

SQ = 4000.0


def _box(x: float) -> shapely.Polygon:
    return shapely.box(500_000 + x, 1_150_000, 500_000 + x + SQ, 1_150_000 + SQ)


def test_split_by_nearest_receiver_centre() -> None:
    parts = split_legacy(_box(0), [("A", (500_000 + 1000, 1_152_000)),
                                   ("B", (500_000 + 3000, 1_152_000))], "A")
    assert parts["A"].area == pytest.approx(SQ * SQ / 2) == parts["B"].area
    assert parts["A"].centroid.x < parts["B"].centroid.x


@pytest.mark.parametrize("receivers", [[("A", None), ("B", None)],
                                       [("A", (1.0, 1.0)), ("B", (1.0, 1.0))],
                                       [("A", (1.0, 1.0))]])
def test_split_falls_back_to_the_default(receivers: list) -> None:  # type: ignore[type-arg]
    assert list(split_legacy(_box(0), receivers, "B")) == ["B"]


def test_derive_2025_unions_whole_and_split_parts() -> None:
    legacy = make_areas(["L1", "L2", "L3"], ["Xã Một", "Xã Hai", "Xã Ba"], "legacy",
                        [to_wgs84(_box(i * SQ)) for i in range(3)])
    # L1 whole -> N1; L2 split between N1 and N2 (N2 default); L3 whole -> N2; N3 has no land
    c1 = utm_to_lonlat(500_000 + SQ + 1000, 1_152_000)
    c2 = utm_to_lonlat(500_000 + SQ + 3000, 1_152_000)
    units = [NewUnit("N1", "Phường Một", None, [("L1", True, True), ("L2", False, False)], c1),
             NewUnit("N2", "Phường Hai", None, [("L2", False, True), ("L3", True, True)], c2),
             NewUnit("N3", "Xã Đảo", None, [], None)]
    d = derive_2025(legacy, units)
    assert d.areas.codes == ["N1", "N2"] and d.without_geometry == ["N3"]
    assert d.derived == {"N1", "N2"}
    a = dict(zip(d.areas.codes, d.areas.geoms, strict=True))
    assert a["N1"].area == pytest.approx(1.5 * SQ * SQ, rel=1e-6)
    assert a["N2"].area == pytest.approx(1.5 * SQ * SQ, rel=1e-6)
    assert sum(d.areas.area_km2) == pytest.approx(sum(legacy.area_km2), rel=1e-6)
    assert d.areas.names[0] == "Phường Một"
