"""OpenCelliD CSV and GeoJSON boundary imports (into a real SQLite store), KML export."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import shapely
from sqlalchemy import func, select

from provnet.inventory.model import AdminUnit, Bts, Sector, Site
from provnet.inventory.store import Store, open_store
from provnet.maps.errors import ImportFormatError
from provnet.maps.io_export import to_kml
from provnet.maps.io_geojson import parse_boundaries, write_boundaries
from provnet.maps.io_opencellid import parse_opencellid, write_cells

HEADER = "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated," \
         "averageSignal"
GOOD = [
    "LTE,452,4,10101,2345678,0,105.4351,10.3862,1200,15,1,1459692000,1600000000,-95",
    "LTE,452,1,10102,2345679,0,105.4351,10.3862,0,3,1,1459692000,1600000000,0",
    "UMTS,452,2,20,30,0,105.4400,10.3900,2500,7,1,1459692000,1600000000,0",
    "GSM,452,8,21,31,0,105.4500,10.3950,900,2,1,1459692000,1600000000,0",
    "LTE,310,260,1,1,0,-122.4,37.7,500,5,1,1459692000,1600000000,0",
]
SQUARE = shapely.box(105.40, 10.35, 105.48, 10.42)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    st = open_store(f"sqlite:///{tmp_path / 'inv.sqlite'}")
    with st.session() as s:
        s.add(AdminUnit(generation="legacy", level="commune", code="30280", name="Phường Mỹ Bình",
                        short_name="Mỹ Bình", unit_type="Phường", name_folded="phuong my binh",
                        boundary_wkt=SQUARE.wkt, boundary_synthetic=True))
    return st


def test_parse_good_file_with_header() -> None:
    p = parse_opencellid([HEADER, *GOOD])
    assert p.skipped_other_mcc == 1
    assert [c.operator for c in p.cells] == ["Viettel", "MobiFone", "VinaPhone", "I-Telecom"]
    assert p.cells[0].line == 2 and p.cells[0].range_m == 1200
    other = parse_opencellid(GOOD, operators={8: "iTel", 4: "Viettel"}).cells
    assert [c.operator for c in other] == ["Viettel", "452-01", "452-02", "iTel"]


@pytest.mark.parametrize(("row", "reason"), [
    ("LTE,452,4,1,2,0,105.4,10.3,1200,15,1,1459692000,1600000000", "expected 14 columns"),
    ("WIMAX,452,4,1,2,0,105.4,10.3,1200,15,1,1,1,0", "unknown radio"),
    ("LTE,452,x4,1,2,0,105.4,10.3,1200,15,1,1,1,0", "net is not an integer"),
    ("LTE,452,4,1,2,0,205.4,10.3,1200,15,1,1,1,0", "lon 205.4 outside"),
    ("LTE,452,4,1,2,0,105.4,abc,1200,15,1,1,1,0", "lat is not a number"),
    ("LTE,452,4,1,2,0,105.4,10.3,-5,15,1,1,1,0", "negative range"),
])
def test_malformed_row_names_its_line(row: str, reason: str) -> None:
    with pytest.raises(ImportFormatError) as err:
        parse_opencellid([HEADER, GOOD[0], row, GOOD[1]], "vn.csv")
    assert err.value.where == "line 3"
    assert reason in str(err.value) and str(err.value).startswith("vn.csv: line 3")


def test_write_cells_makes_sites_bts_omni_sectors_and_reimport_replaces(store: Store) -> None:
    cells = parse_opencellid(GOOD).cells
    with store.session() as s:
        counts = write_cells(s, cells)
    assert counts == {"sites": 3, "bts": 4, "sectors": 4}
    with store.session() as s:
        site = s.scalars(select(Site).where(Site.code == "OCID-10.3862-105.4351")).one()
        assert site.commune is not None and site.commune.code == "30280"
        ops = sorted(s.scalars(select(Bts.operator).where(Bts.site_id == site.id)))
        assert ops == ["MobiFone", "Viettel"]
        sectors = s.scalars(select(Sector).order_by(Sector.id)).all()
        assert [x.technology for x in sectors] == ["4G", "4G", "3G", "2G"]
        assert sectors[0].range_m == 1200 and sectors[1].range_m is None
        assert all(x.beamwidth_deg == 360 for x in sectors)
    with store.session() as s:
        write_cells(s, cells[:1])
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Sector)) == 1
        assert s.scalar(select(func.count()).select_from(Site)) == 1


def _fc(*features: dict) -> str:  # type: ignore[type-arg]
    return json.dumps({"type": "FeatureCollection", "features": list(features)},
                      ensure_ascii=False)


def _feat(code: object, geom: dict) -> dict:  # type: ignore[type-arg]
    return {"type": "Feature", "properties": {"ma_xa": code, "ten": "Phường Mỹ Bình"},
            "geometry": geom}


def test_geojson_boundaries_replace_synthetic_ones(store: Store) -> None:
    new = shapely.box(105.41, 10.36, 105.47, 10.41)
    b = parse_boundaries(_fc(_feat("30280", json.loads(shapely.to_geojson(new)))),
                         code_property="ma_xa")
    with store.session() as s:
        assert write_boundaries(s, b, "legacy") == 1
    with store.session() as s:
        u = s.scalars(select(AdminUnit)).one()
        assert not u.boundary_synthetic and shapely.from_wkt(u.boundary_wkt).equals(new)
        # 0.06 deg lon * 111.32 km * cos(10.385) = 6.570 km; 0.05 deg lat * 110.60 km = 5.530 km
        assert u.area_km2 == pytest.approx(6.570 * 5.530, rel=0.002)


POLY = {"type": "Polygon", "coordinates": [[[105.4, 10.3], [105.5, 10.3], [105.5, 10.4],
                                            [105.4, 10.3]]]}


@pytest.mark.parametrize(("features", "where", "reason"), [
    ([_feat("30280", POLY), {"type": "Feature", "properties": {}, "geometry": POLY}],
     "feature 1", "property 'ma_xa' missing"),
    ([_feat("30280", {"type": "Point", "coordinates": [105.4, 10.3]})],
     "feature 0 (ma_xa=30280)", "must be a Polygon"),
    ([_feat("30280", {"type": "Polygon", "coordinates": [[[580000, 1140000], [581000, 1140000],
                                                          [581000, 1141000], [580000, 1140000]]]})],
     "feature 0 (ma_xa=30280)", "not WGS84"),
    ([_feat("30280", POLY), _feat("30280", POLY)], "feature 1", "already given by feature 0"),
])
def test_bad_geojson_names_the_feature(features: list, where: str, reason: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ImportFormatError) as err:
        parse_boundaries(_fc(*features), code_property="ma_xa")
    assert err.value.where == where and reason in err.value.reason


def test_unknown_code_writes_nothing(store: Store) -> None:
    b = parse_boundaries(_fc(_feat("30280", POLY), _feat("99999", POLY)), code_property="ma_xa")
    with pytest.raises(ImportFormatError, match="no legacy commune with code 99999"), \
            store.session() as s:
        write_boundaries(s, b, "legacy")
    with store.session() as s:
        assert shapely.from_wkt(s.scalars(select(AdminUnit.boundary_wkt)).one()).equals(SQUARE)


def test_kml_is_xml_with_vietnamese_names_holes_and_multipolygons() -> None:
    holed = shapely.box(105.0, 10.0, 105.1, 10.1).difference(shapely.box(105.02, 10.02,
                                                                         105.04, 10.04))
    multi = shapely.MultiPolygon([shapely.box(105.2, 10.0, 105.3, 10.1),
                                  shapely.box(105.4, 10.0, 105.5, 10.1)])
    feats = [{"type": "Feature", "geometry": json.loads(shapely.to_geojson(g)),
              "properties": {"layer": "gap", "commune_name": "Xã Vĩnh Tế & <Núi Sam>",
                             "operator": None, "technology": "5G"}} for g in (holed, multi)]
    root = ET.fromstring(to_kml({"type": "FeatureCollection", "features": feats}, "Vùng lõm"))
    ns = "{http://www.opengis.net/kml/2.2}"
    names = [e.text for e in root.iter(f"{ns}name")]
    assert names[0] == "Vùng lõm" and names[1] == "Xã Vĩnh Tế & <Núi Sam> · gap · 5G"
    assert len(list(root.iter(f"{ns}innerBoundaryIs"))) == 1
    assert len(list(root.iter(f"{ns}MultiGeometry"))) == 1
