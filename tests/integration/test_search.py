"""``/api/v1/search`` and the ``/search`` page over the demo inventory, on SQLite and a real
PostgreSQL: communes, sites, devices, circuit ids and addresses, with or without diacritics;
the page lists exactly what the API answers; bad input is a 4xx."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from provnet.api.app import create_app
from provnet.api.context import ApiContext
from provnet.api.search import search_router
from provnet.api.ui.search_page import search_page_router
from provnet.demo.seed import seed_demo
from provnet.pollers.live import LiveState
from tests.support.pg_server import BACKENDS, backend_store

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=BACKENDS)
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[TestClient]:
    with backend_store(request.param, tmp_path_factory.mktemp("search")) as store:
        seed_demo(store)
        app = create_app(ApiContext(store=store, live=LiveState()),
                         [search_router(store), search_page_router(store)])
        yield TestClient(app, raise_server_exceptions=False)


def _find(c: TestClient, q: str, limit: int = 20) -> dict:
    r = c.get("/api/v1/search", params={"q": q, "limit": limit})
    assert r.status_code == 200, r.text
    return r.json()


def test_commune_with_or_without_diacritics(client: TestClient) -> None:
    bare, marked = _find(client, "tri ton"), _find(client, "Tri Tôn")
    assert bare["items"][0] == {"kind": "commune", "key": "30544", "label": "Thị trấn Tri Tôn",
                                "detail": "Huyện Tri Tôn · 30544", "url": "/communes/30544"}
    assert bare["total"] == marked["total"] > 5  # communes, the 2025 unit, PoP, BTS sites
    kinds = {i["kind"] for i in _find(client, "tri ton", 100)["items"]}
    assert {"commune", "unit2025", "site"} <= kinds  # the PoP and BTS sites too
    assert _find(client, "Trí Tôn")["total"] == 0  # marks typed are marks meant
    duc = _find(client, "duc", 200)
    assert any(i["label"] == "Xã Mỹ Đức" for i in duc["items"])  # đ -> d


def test_circuit_address_device_site(client: TestClient) -> None:
    link = _find(client, "ag-tsl-30280-1")["items"][0]
    assert link["kind"] == "link" and link["label"] == "AG-TSL-30280-1"
    assert re.fullmatch(r"/links/\d+", link["url"]) and "ag-ub-30280" in link["detail"]
    addr = _find(client, "127.10.3.1")["items"][0]
    assert addr["kind"] == "device" and addr["label"] == "ag-ub-30280"
    assert addr["detail"].startswith("127.10.3.1 ·")
    pop = _find(client, "POP-891")["items"][0]
    assert pop["kind"] == "site" and re.fullmatch(r"/devices/\d+", pop["url"])
    host = _find(client, "ag-core-01")["items"][0]
    assert host["kind"] == "device" and host["label"] == "ag-core-01"


def test_paging_and_bad_input(client: TestClient) -> None:
    every = _find(client, "ubnd", 1000)
    assert every["total"] == len(every["items"])
    assert sum(i["key"].startswith("UB-") for i in every["items"]) == 155  # a UBND per commune
    first = client.get("/api/v1/search", params={"q": "ubnd", "limit": 10, "offset": 10}).json()
    assert first["items"] == every["items"][10:20]
    for params in ({"q": ""}, {}, {"q": "x" * 101}, {"q": "a", "limit": 0},
                   {"q": "a", "bogus": 1}):
        r = client.get("/api/v1/search", params=params)
        assert r.status_code == 422, (params, r.status_code)
    for q in ("%", "_", "\\", "'; drop table site; --", "\x7f", "   "):
        r = client.get("/api/v1/search", params={"q": q})
        assert r.status_code == 200 and r.json()["total"] == 0, (q, r.text)


def test_page_lists_what_the_api_answers(client: TestClient) -> None:
    api = _find(client, "long xuyen", 100)
    html = client.get("/search", params={"q": "long xuyen"}).text
    rows = re.findall(r'<tr data-kind="(\w+)"><td>[^<]*</td>\s*<td><a href="([^"]+)">([^<]+)</a>',
                      html)
    assert rows == [(i["kind"], i["url"].replace("&", "&amp;"), i["label"]) for i in api["items"]]
    assert f"{api['total']} kết quả" in html
    en = client.get("/search", params={"q": "zzzz", "lang": "en"}).text
    assert "Nothing found for “zzzz”." in en
    assert "Xã, trạm, thiết bị" in client.get("/search?lang=vi").text  # en was remembered
