"""Coverage API over the seeded demo province (real SQLite store, real engine)."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from provnet.api.app import create_app
from provnet.api.context import ApiContext
from provnet.api.coverage import coverage_router
from provnet.config.settings import load_settings
from provnet.demo.seed import seed_demo
from provnet.features import coverage as coverage_feature
from provnet.inventory.store import Store, open_store
from provnet.maps.coverage import CoverageService
from provnet.pollers.live import LiveState
from provnet.service import Service


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Path]]:
    d: Path = tmp_path_factory.mktemp("cov")
    store = open_store(f"sqlite:///{d / 'inv.sqlite'}")
    seed_demo(store)
    yield store, d
    store.close()


@pytest.fixture(scope="module")
def client(seeded: tuple[Store, Path]) -> Iterator[TestClient]:
    store, d = seeded
    svc = CoverageService(store, load_settings(state_dir=d))
    app = create_app(ApiContext(store=store, live=LiveState()), [coverage_router(svc)])
    with TestClient(app) as c:
        yield c


def test_attach_computes_in_the_background_without_blocking(seeded: tuple[Store, Path],
                                                             tmp_path: Path) -> None:
    store, _ = seeded
    service = Service(load_settings(state_dir=tmp_path), store)
    cov = coverage_feature.attach(service)
    paths = {getattr(r, "path", "") for router in service.routers for r in router.routes}
    assert "/api/v1/communes/{code}/coverage" in paths
    task_fn = dict(service.background)["coverage"]

    async def run() -> int:
        stop = asyncio.Event()
        task = asyncio.create_task(task_fn(stop))
        ticks = 0
        while cov.last is None:  # the event loop keeps turning while the thread computes
            await asyncio.sleep(0.05)
            ticks += 1
        assert not task.done()  # it waits for stop: the service ends when a task returns
        stop.set()
        await asyncio.wait_for(task, 5)
        return ticks

    assert asyncio.run(run()) > 5
    assert cov.commune("30280") is not None


def test_commune_coverage_shape(client: TestClient) -> None:
    body = client.get("/api/v1/communes/30280/coverage").json()
    assert body["code"] == "30280" and body["name"] == "Phường Mỹ Bình"
    assert set(body["by_technology"]) == {"3G", "4G", "5G"}
    assert set(body["by_operator"]) == {"Viettel", "VinaPhone", "MobiFone"}
    for t in body["by_technology"].values():
        assert t["any_pct"] + t["none_pct"] == pytest.approx(100.0, abs=0.01)
        assert 0 <= t["one_pct"] <= t["any_pct"]
    assert body["inventory_version"] and body["computed_at"]


def test_2025_units_have_statistics(client: TestClient) -> None:
    rows = client.get("/api/v1/coverage/communes", params={"generation": "2025"}).json()
    assert len(rows) > 40
    one = client.get(f"/api/v1/communes/{rows[0]['code']}/coverage",
                     params={"generation": "2025"}).json()
    assert one["generation"] == "2025" and one["boundary_derived"] is True


@pytest.mark.parametrize(("url", "status"), [
    ("/api/v1/communes/nope/coverage", 404),
    ("/api/v1/communes/30280/coverage?generation=1990", 422),
    ("/api/v1/coverage/gaps?technology=6G", 404),
    ("/api/v1/coverage/layers?commune=99999", 404),
])
def test_bad_requests_are_4xx_with_reason(client: TestClient, url: str, status: int) -> None:
    r = client.get(url)
    assert r.status_code == status
    assert r.json()["detail"]


def test_layers_and_gaps(client: TestClient) -> None:
    fc = client.get("/api/v1/coverage/layers",
                    params={"commune": "30280", "technology": "5G", "operator": "Viettel"}).json()
    layers = {(f["properties"]["layer"], f["properties"]["operator"]) for f in fc["features"]}
    assert ("coverage", "Viettel") in layers and ("gap", None) in layers
    lon, lat = fc["features"][0]["geometry"]["coordinates"][0][0][:2] \
        if fc["features"][0]["geometry"]["type"] == "Polygon" \
        else fc["features"][0]["geometry"]["coordinates"][0][0][0][:2]
    assert 104 < lon < 106.5 and 9.5 < lat < 11.5
    gaps = client.get("/api/v1/coverage/gaps", params={"technology": "5G"}).json()
    assert gaps["features"] and all(f["properties"]["layer"] == "gap" for f in gaps["features"])


def test_gaps_as_kml_keep_vietnamese_names(client: TestClient) -> None:
    r = client.get("/api/v1/coverage/gaps", params={"technology": "5G", "format": "kml",
                                                     "commune": "30280"})
    assert r.status_code == 200 and "kml" in r.headers["content-type"]
    root = ET.fromstring(r.content)
    names = [e.text for e in root.iter("{http://www.opengis.net/kml/2.2}name")]
    assert "Vùng lõm sóng 5G 30280" in names
    assert any(n and "Phường Mỹ Bình" in n for n in names)


def test_infill_ranks_positions_in_a_5g_gap(client: TestClient) -> None:
    rows = client.get("/api/v1/coverage/infill",
                      params={"commune": "30280", "technology": "5G", "top": 3}).json()
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert rows[0]["closes_km2"] >= rows[1]["closes_km2"] >= rows[2]["closes_km2"] > 0
    assert rows[0]["nearest_fibre_m"] is not None
    assert client.get("/api/v1/coverage/infill", params={"commune": "nope"}).status_code == 404


def test_unreadable_boundary_is_a_503_with_the_reason(tmp_path: Path) -> None:
    from provnet.inventory.model import AdminUnit

    store = open_store(f"sqlite:///{tmp_path / 'bad.sqlite'}")
    with store.session() as s:
        s.add(AdminUnit(generation="legacy", level="commune", code="1", name="Xã Hỏng",
                        short_name="Hỏng", unit_type="Xã", name_folded="xa hong",
                        boundary_wkt="POLYGON((105 10, 105.1 10"))
    svc = CoverageService(store, load_settings(state_dir=tmp_path))
    app = create_app(ApiContext(store=store, live=LiveState()), [coverage_router(svc)])
    with TestClient(app) as c:
        r = c.get("/api/v1/communes/1/coverage")
    assert r.status_code == 503 and "unreadable commune boundary" in r.json()["detail"]
    store.close()


def test_communes_coverage_walks_by_cursor_in_link_headers(client: TestClient) -> None:
    """A bare list kept for compatibility; with ``limit`` the next page is a ``Link``."""
    whole = client.get("/api/v1/coverage/communes", params={"generation": "2025"})
    assert "link" not in whole.headers
    codes, r = [], client.get("/api/v1/coverage/communes",
                              params={"generation": "2025", "limit": 17})
    while True:
        assert r.status_code == 200 and 0 < len(r.json()) <= 17
        codes += [c["code"] for c in r.json()]
        link = r.headers.get("link")
        if link is None:
            break
        assert link.endswith('>; rel="next"') and f"cursor={codes[-1]}" in link
        r = client.get(link[1:link.index(">")])
    assert codes == [c["code"] for c in whole.json()]
