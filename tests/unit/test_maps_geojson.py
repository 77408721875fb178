"""Pure GeoJSON builders of maps.geojson: geometry rounding/simplification, features, colours."""

from __future__ import annotations

import json

import pytest
from shapely import Point, box
from shapely.geometry import shape

from provnet.maps.geo_data import UnitGeo
from provnet.maps.geojson import (
    BUSY_PCT,
    SIMPLIFY_DEG,
    STATUS_COLOURS,
    collection,
    geometry_json,
    link_colour,
    unit_feature,
)


@pytest.mark.parametrize(
    ("status", "util", "state"),
    [("up", 10.0, "up"), ("up", None, "up"), ("up", BUSY_PCT - 0.01, "up"),
     ("up", BUSY_PCT, "busy"), ("down", 95.0, "down"), ("down", None, "down"),
     ("unknown", None, "unknown"), ("weird", 50.0, "unknown")],
)
def test_link_colour(status: str, util: float | None, state: str) -> None:
    assert link_colour(status, util) == (state, STATUS_COLOURS[state])


@pytest.mark.parametrize(
    ("geom", "simplify", "max_vertices"),
    [
        (box(105.1, 10.5, 105.2, 10.6), 0.0, 5),
        (Point(105.15, 10.55).buffer(0.05, quad_segs=64), 0.0, 258),
        (Point(105.15, 10.55).buffer(0.05, quad_segs=64), SIMPLIFY_DEG, 60),
    ],
    ids=["square", "circle-full", "circle-simplified"],
)
def test_geometry_json(geom: object, simplify: float, max_vertices: int) -> None:
    out = geometry_json(geom, simplify)  # type: ignore[arg-type]
    ring = out["coordinates"][0]
    assert out["type"] == "Polygon" and 4 <= len(ring) <= max_vertices
    assert all(round(v, 5) == pytest.approx(v, abs=1e-9) for xy in ring for v in xy)  # ~1 m
    assert shape(out).area == pytest.approx(geom.area, rel=0.01)  # type: ignore[attr-defined]


def test_unit_feature_keeps_diacritics_and_serialises() -> None:
    u = UnitGeo("30544", "Thị trấn Tri Tôn", "Tri Tôn", "Thị trấn", "commune", "legacy", "891",
                "Huyện Tri Tôn", 12.34567, True, False, box(105.0, 10.4, 105.1, 10.5))
    f = unit_feature(u)
    assert f["id"] == "30544" and f["properties"]["name"] == "Thị trấn Tri Tôn"
    assert f["properties"]["area_km2"] == 12.346
    text = json.dumps(collection([f]), ensure_ascii=False)
    assert "Thị trấn Tri Tôn" in text
    empty = unit_feature(UnitGeo("1", "Xã Ồ", "Ồ", "Xã", "commune", "2025", None, None, None,
                                 False, False, None))
    assert empty["geometry"] is None and empty["properties"]["area_km2"] is None
