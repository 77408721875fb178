"""Map GeoJSON API, pages and SVG over a real seeded inventory and the real coverage engine."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from provnet.api.app import create_app
from provnet.api.context import ApiContext
from provnet.api.coverage import coverage_router
from provnet.api.pages import maps_routers
from provnet.config.settings import load_settings
from provnet.demo.seed import seed_demo
from provnet.inventory.store import open_store
from provnet.maps.coverage import CoverageService
from provnet.maps.geojson import MapsContext
from provnet.pollers.live import LiveState

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    d: Path = tmp_path_factory.mktemp("maps-api")
    store = open_store(f"sqlite:///{d / 'inv.sqlite'}")
    seed_demo(store)
    live = LiveState()
    svc = CoverageService(store, load_settings(state_dir=d), persist=False)
    ctx = MapsContext(store, live, coverage=svc)
    app = create_app(ApiContext(store=store, live=live), [coverage_router(svc),
                                                           *maps_routers(ctx)])
    with TestClient(app) as c:
        yield c
    store.close()


@pytest.fixture(autouse=True)
def _fresh_language(client: TestClient) -> None:
    """A page asked with ?lang=en remembers English (cookie); each test starts without it."""
    client.cookies.clear()


def test_communes_of_both_generations(client: TestClient) -> None:
    legacy = client.get("/api/v1/geo/communes").json()
    assert legacy["type"] == "FeatureCollection" and len(legacy["features"]) == 155
    names = {f["properties"]["name"] for f in legacy["features"]}
    assert "Thị trấn Tri Tôn" in names
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in legacy["features"])
    new = client.get("/api/v1/geo/communes", params={"generation": "2025"}).json()
    assert 40 < len(new["features"]) < 102  # the Kiên Giang side has no geometry here
    assert new["without_geometry"] == 102 - len(new["features"])
    assert all(f["properties"]["derived"] for f in new["features"])


def test_one_commune_at_full_detail_and_district_filter(client: TestClient) -> None:
    one = client.get("/api/v1/geo/communes", params={"code": "30544"}).json()["features"]
    assert [f["properties"]["name"] for f in one] == ["Thị trấn Tri Tôn"]
    district = client.get("/api/v1/geo/communes", params={"district": "891"}).json()
    assert district["features"] and all(f["properties"]["parent_code"] == "891"
                                        for f in district["features"])


@pytest.mark.parametrize(("level", "count"), [("province", 1), ("district", 11)])
def test_boundaries(client: TestClient, level: str, count: int) -> None:
    assert len(client.get("/api/v1/geo/boundaries",
                          params={"level": level}).json()["features"]) == count


def test_sites_of_a_commune(client: TestClient) -> None:
    feats = client.get("/api/v1/geo/sites", params={"commune": "30544"}).json()["features"]
    kinds = {f["properties"]["kind"] for f in feats}
    assert kinds == {"bts", "fibre_point", "commune_office"}
    bts = [f["properties"] for f in feats if f["properties"]["kind"] == "bts"]
    assert {b["operator"] for b in bts} <= {"Viettel", "VinaPhone", "MobiFone"}
    assert all(b["sectors"] and b["technologies"] for b in bts)
    only = client.get("/api/v1/geo/sites", params={"commune": "30544", "kind": "fibre_point"})
    assert {f["properties"]["kind"] for f in only.json()["features"]} == {"fibre_point"}
    routers = client.get("/api/v1/geo/routers").json()["features"]
    assert len(routers) == 184 and all(f["properties"]["devices"] for f in routers)


def test_links_with_status_colour(client: TestClient) -> None:
    body = client.get("/api/v1/geo/links").json()
    assert len(body["features"]) == 189
    f = body["features"][0]
    assert f["geometry"]["type"] == "LineString"
    # nothing was polled in this app: every link is unknown, grey
    assert {x["properties"]["state"] for x in body["features"]} == {"unknown"}
    assert f["properties"]["colour"] == body["colours"]["unknown"]
    one = client.get("/api/v1/geo/links", params={"commune": "30544"}).json()["features"]
    assert one and all(x["properties"]["commune_code"] == "30544" for x in one)


@pytest.mark.parametrize(
    ("url", "params", "code", "reason"),
    [
        ("/api/v1/geo/sites", {}, 422, "commune"),
        ("/api/v1/geo/sites", {"commune": "99999"}, 404, "99999"),
        ("/api/v1/geo/links", {"commune": "99999"}, 404, "99999"),
        ("/api/v1/geo/communes", {"code": "99999"}, 404, "99999"),
        ("/api/v1/geo/communes", {"generation": "1990"}, 422, "generation"),
        ("/api/v1/geo/boundaries", {"level": "hamlet"}, 422, "level"),
        ("/maps/communes/99999.svg", {}, 404, "99999"),
        ("/maps/communes/30544.svg", {"technology": "6G"}, 422, "technology"),
        ("/maps/province", {"lang": "fr"}, 422, "lang"),
        ("/maps/province", {"metric": "<script>"}, 422, "metric"),
    ],
)
def test_bad_requests_are_4xx_with_reason(client: TestClient, url: str, params: dict,
                                          code: int, reason: str) -> None:
    r = client.get(url, params=params)
    assert r.status_code == code
    assert reason in r.text


def test_pages_are_html_in_vietnamese_and_english(client: TestClient) -> None:
    vi = client.get("/maps/communes/30544")
    assert vi.status_code == 200 and vi.headers["content-type"].startswith("text/html")
    assert "<h1 id=\"commune-name\">Thị trấn Tri Tôn</h1>" in vi.text and 'lang="vi"' in vi.text
    en = client.get("/maps/province", params={"lang": "en"})
    assert "Coverage and telecom infrastructure map" in en.text and 'lang="en"' in en.text
    assert "/maps/static/vendor/leaflet/leaflet.js" in en.text
    assert "http://" not in en.text.replace('xmlns="http://www.w3.org', "")
    assert client.get("/maps/static/provnet-maps.js").status_code == 200
    assert client.get("/maps/static/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/maps/static/../pages.py").status_code == 404


def test_unknown_commune_page_is_404_html_with_reason(client: TestClient) -> None:
    r = client.get("/maps/communes/99999", params={"lang": "en"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "No commune-level unit with code 99999 (legacy)." in r.text
    r = client.get("/maps/communes/<i>Xã")  # markup in the code is escaped, not rendered
    assert r.status_code == 404 and "<i>Xã" not in r.text and "&lt;i&gt;Xã" in r.text


@pytest.mark.parametrize(("code", "generation"), [("30448", "legacy"), ("30544", "legacy")])
def test_commune_svg(client: TestClient, code: str, generation: str) -> None:
    r = client.get(f"/maps/communes/{code}.svg", params={"generation": generation})
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(r.content)
    ns = {"s": "http://www.w3.org/2000/svg"}
    title = root.find("s:title", ns)
    assert title is not None and "Vùng phủ sóng 4G" in (title.text or "")
    assert len(root.findall(".//s:path[@class='coverage']", ns)) == 3  # one per operator
    assert root.findall(".//s:circle[@class='bts']", ns)


def test_svg_of_a_2025_unit(client: TestClient) -> None:
    code = client.get("/api/v1/geo/communes",
                      params={"generation": "2025"}).json()["features"][0]["id"]
    r = client.get(f"/maps/communes/{code}.svg", params={"generation": "2025", "lang": "en"})
    assert r.status_code == 200 and "4G coverage" in r.text


def test_attach_maps_plugs_into_the_service(tmp_path: Path) -> None:
    from provnet.features import attach_all
    from provnet.service import Service

    store = open_store(f"sqlite:///{tmp_path / 'inv.sqlite'}")
    seed_demo(store)
    service = Service(load_settings(state_dir=tmp_path), store)
    attach_all(service)
    app = create_app(ApiContext(store=store, live=service.live), service.routers)
    with TestClient(app) as c:
        assert c.get("/maps/province").status_code == 200
        assert c.get("/api/v1/geo/communes", params={"code": "30544"}).status_code == 200
        r = c.get("/maps/communes/30544.svg")  # coverage from the service's own engine
        assert r.status_code == 200 and 'class="coverage"' in r.text
    store.close()


def test_2025_sites_are_those_inside_the_unit(client: TestClient) -> None:
    import shapely
    from shapely.geometry import shape

    units = client.get("/api/v1/geo/communes", params={"generation": "2025"}).json()["features"]
    total = 0
    for f in units:
        poly = shape(f["geometry"])
        feats = client.get("/api/v1/geo/sites", params={
            "commune": f["id"], "generation": "2025", "kind": "bts"}).json()["features"]
        total += len(feats)
        pts = [x["geometry"]["coordinates"] for x in feats]
        # simplified outline vs exact filter: allow ~50 m at the edges
        assert all(poly.buffer(5e-4).contains(shapely.Point(p)) for p in pts)
    assert total > 0


def test_2025_unit_without_boundary_is_404_with_reason(client: TestClient) -> None:
    every = client.get("/api/v1/communes", params={"generation": "2025", "limit": 1000}).json()
    drawn = {f["id"] for f in client.get("/api/v1/geo/communes",
                                         params={"generation": "2025"}).json()["features"]}
    code = next(c["code"] for c in every["items"] if c["code"] not in drawn)
    r = client.get(f"/maps/communes/{code}", params={"generation": "2025"})
    assert r.status_code == 404 and f"Đơn vị {code} không có ranh giới" in r.text
    svg = client.get(f"/maps/communes/{code}.svg", params={"generation": "2025", "lang": "en"})
    assert svg.status_code == 404 and "has no boundary" in svg.json()["detail"]
