"""Export coverage as GeoJSON (RFC 7946, WGS84) and KML 2.2 (QGIS, Google Earth).

The KML writer is small and uses ``xml.etree`` so escaping and UTF-8 (Vietnamese names)
are the XML library's job, not string formatting.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any

import numpy as np
import shapely
from shapely import Geometry

from provnet.maps.crs import to_wgs84
from provnet.maps.engine import CommuneCoverage

KML_NS = "http://www.opengis.net/kml/2.2"
LAYER_COLOURS = {"coverage": "7f00aa00", "gap": "7f0000ff", "fibre_reach": "7fff7f00"}  # aabbggrr


def display_geometry(geom_utm: Geometry, decimals: int = 6) -> Geometry:
    """UTM -> WGS84 rounded to ~0.1 m, for display and export."""
    g = to_wgs84(geom_utm)
    return shapely.transform(g, lambda c: np.round(c, decimals))


def layer_features(r: CommuneCoverage, technology: str | None, operator: str | None,
                   kinds: Iterable[str] = ("coverage", "gap", "fibre_reach")
                   ) -> list[dict[str, Any]]:
    """GeoJSON features of one unit's layers, filtered by technology/operator."""
    kinds = tuple(kinds)
    base = {"commune": r.code, "commune_name": r.name, "generation": r.generation}
    out: list[dict[str, Any]] = []

    def add(layer: str, geom: Geometry, op: str | None, tech: str | None, pct: float) -> None:
        if geom.is_empty:
            return
        out.append({"type": "Feature",
                    "properties": {**base, "layer": layer, "operator": op, "technology": tech,
                                   "area_pct": pct},
                    "geometry": json.loads(shapely.to_geojson(display_geometry(geom)))})

    if "coverage" in kinds:
        for (op, tech), g in sorted(r.coverage.items()):
            if (technology in (None, tech)) and (operator in (None, op)):
                add("coverage", g, op, tech, r.by_operator.get(op, {}).get(tech, 0.0))
    if "gap" in kinds:
        for tech, g in sorted(r.gaps.items()):
            if technology in (None, tech):
                add("gap", g, None, tech, r.by_technology[tech]["none_pct"])
    if "fibre_reach" in kinds and technology is None and operator is None:
        add("fibre_reach", r.fibre_reach, None, None, r.fibre_reach_pct)
    return out


def feature_collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    """Wrap features."""
    return {"type": "FeatureCollection", "features": features}


def _coords_text(coords: Any) -> str:
    return " ".join(f"{x:.6f},{y:.6f}" for x, y in coords)


def _kml_polygon(parent: ET.Element, poly: shapely.Polygon) -> None:
    p = ET.SubElement(parent, "Polygon")
    outer = ET.SubElement(ET.SubElement(p, "outerBoundaryIs"), "LinearRing")
    ET.SubElement(outer, "coordinates").text = _coords_text(poly.exterior.coords)
    for ring in poly.interiors:
        inner = ET.SubElement(ET.SubElement(p, "innerBoundaryIs"), "LinearRing")
        ET.SubElement(inner, "coordinates").text = _coords_text(ring.coords)


def _kml_geometry(parent: ET.Element, geom: Geometry) -> None:
    polys = [g for g in shapely.get_parts(geom) if isinstance(g, shapely.Polygon)]
    if len(polys) == 1:
        _kml_polygon(parent, polys[0])
        return
    multi = ET.SubElement(parent, "MultiGeometry")
    for poly in polys:
        _kml_polygon(multi, poly)


def to_kml(collection: dict[str, Any], name: str) -> bytes:
    """KML document (UTF-8 bytes) of a FeatureCollection built by :func:`layer_features`."""
    kml = ET.Element("kml", xmlns=KML_NS)
    doc = ET.SubElement(kml, "Document")
    ET.SubElement(doc, "name").text = name
    for layer, colour in LAYER_COLOURS.items():
        style = ET.SubElement(doc, "Style", id=layer)
        ET.SubElement(ET.SubElement(style, "PolyStyle"), "color").text = colour
    for f in collection["features"]:
        props = f["properties"]
        pm = ET.SubElement(doc, "Placemark")
        label = " · ".join(str(v) for v in (props.get("commune_name"), props.get("layer"),
                                            props.get("operator"), props.get("technology")) if v)
        ET.SubElement(pm, "name").text = label
        ET.SubElement(pm, "styleUrl").text = f"#{props['layer']}"
        ext = ET.SubElement(pm, "ExtendedData")
        for k, v in props.items():
            data = ET.SubElement(ext, "Data", name=k)
            ET.SubElement(data, "value").text = "" if v is None else str(v)
        _kml_geometry(pm, shapely.from_geojson(json.dumps(f["geometry"])))
    return bytes(ET.tostring(kml, encoding="utf-8", xml_declaration=True))
