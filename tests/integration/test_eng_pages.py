"""The engineer's pages and their routes over the demo inventory, on SQLite and a real
PostgreSQL, without a history store: the pages carry the inventory's facts (ends, ports,
links per interface, BTS) in both languages, unknown objects are a 404 page with the reason,
the optics routes answer from the live state, and what needs history says so (503), never 500.
The same pages against the real demo, with history, in Chromium: test_engineer_journey.py."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from provnet.api.app import create_app
from provnet.api.context import ApiContext
from provnet.api.eng_api import eng_api_router
from provnet.api.ui.eng_pages import eng_pages_router
from provnet.demo.seed import seed_demo
from provnet.inventory import queries
from provnet.pollers.live import LiveState
from provnet.pollers.readings import OpticReading
from provnet.pollers.types import IfSample, PollResult, SnmpTarget
from tests.support.pg_server import BACKENDS, backend_store

pytestmark = pytest.mark.integration
COMMUNE = "30448"  # Xã Phú Thọ: one link, one office, 7 BTS


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[dict[str, Any]]:
    with backend_store(request.param, tmp_path_factory.mktemp("eng")) as store:
        seed_demo(store)
        with store.session() as s:
            links = queries.links(s)
        link = next(x for x in links if x.commune_code == COMMUNE)
        live = LiveState()
        optic = OpticReading("1", ifindex=link.z_ifindex, name=link.z_ifname, rx_dbm=-14.2,
                             tx_dbm=-2.9, rx_low_dbm=-20.0, rx_high_dbm=-3.0)
        live.update(PollResult(SnmpTarget(link.z_device_id, link.z_device, "127.0.0.1"),
                               time.time(), 0.01, 100,
                               {link.z_ifindex: IfSample(link.z_ifindex, oper_status=1)},
                               readings=(optic,)), {})
        app = create_app(ApiContext(store=store, live=live),
                         [eng_pages_router(store), eng_api_router(store, live, None,
                                                                  lambda: links)])
        yield {"client": TestClient(app, raise_server_exceptions=False), "link": link,
               "store": store}


def _page_data(html: str) -> dict[str, Any]:
    m = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html, re.S)
    assert m, "no page-data block"
    return json.loads(m.group(1))


def test_link_page_has_both_ends_in_both_languages(world: dict[str, Any]) -> None:
    c, link = world["client"], world["link"]
    r = c.get(f"/links/{link.id}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert f"Kênh truyền {link.circuit_id}" in r.text and "Hai đầu kênh" in r.text
    assert f'href="/devices/{link.a_device_id}"' in r.text
    assert f'href="/devices/{link.z_device_id}"' in r.text
    assert 'href="/communes/30448">Xã Phú Thọ</a>' in r.text
    assert "<script>" not in r.text and "onclick" not in r.text  # CSP: no inline script
    data = _page_data(r.text)
    assert data["kind"] == "link" and data["lang"] == "vi"
    assert data["link"]["a"]["device"] == link.a_device and data["text"]["r_30d"] == "30 ngày"
    en = c.get(f"/links/{link.id}", params={"lang": "en"})
    assert "Both ends" in en.text and _page_data(en.text)["text"]["r_30d"] == "30 days"
    assert en.cookies.get("provnet_lang") == "en"  # remembered


def test_device_page_lists_interfaces_with_their_links(world: dict[str, Any]) -> None:
    c, link = world["client"], world["link"]
    r = c.get(f"/devices/{link.a_device_id}", params={"lang": "vi"})  # en is remembered
    assert r.status_code == 200
    data = _page_data(r.text)
    on = [i for i in data["interfaces"] if i["link"]]
    assert any(i["link"]["id"] == link.id and i["link"]["peer"]["device"] == link.z_device
               for i in on)
    assert f'<a href="/links/{link.id}">' in r.text
    assert "Thay đổi cấu hình gần đây" in r.text


def test_commune_page_lists_links_devices_bts_and_map(world: dict[str, Any]) -> None:
    c, link = world["client"], world["link"]
    r = c.get(f"/communes/{COMMUNE}", params={"lang": "vi"})
    assert r.status_code == 200
    data = _page_data(r.text)
    assert data["name"] == "Xã Phú Thọ" and [x["id"] for x in data["links"]] == [link.id]
    assert [d["hostname"] for d in data["devices"]] == [link.a_device]
    assert r.text.count('<tr><td>') >= 7  # BTS rows (MobiFone, VinaPhone, Viettel)
    assert f'src="/maps/communes/{COMMUNE}.svg' in r.text
    assert f'href="/maps/communes/{COMMUNE}"' in r.text


@pytest.mark.parametrize(("path", "reason"), [
    ("/links/999999?lang=vi", "Không có kênh truyền mã 999999."),
    ("/devices/999999", "Không có thiết bị mã 999999."),
    ("/communes/99999", "Không có xã/phường/thị trấn mã 99999."),
    ("/communes/99999?lang=en", "No commune with code 99999."),
])
def test_unknown_objects_are_a_404_page_with_the_reason(world: dict[str, Any], path: str,
                                                        reason: str) -> None:
    r = world["client"].get(path)
    assert r.status_code == 404 and f'<p id="reason">{reason}</p>' in r.text


@pytest.mark.parametrize("path", [
    "/links/-1", "/links/abc", "/links/1?range=30d", "/communes/x'y", "/devices/99999999999",
    "/api/v1/links/1/optics?from=yesterday", "/api/v1/links/1/optics?from=2026-12-02&to=2026-12-01",
])
def test_bad_input_is_4xx(world: dict[str, Any], path: str) -> None:
    r = world["client"].get(path)
    assert 400 <= r.status_code < 500, (path, r.status_code, r.text[:200])


def test_optics_from_the_live_state(world: dict[str, Any]) -> None:
    c, link = world["client"], world["link"]
    ends = c.get(f"/api/v1/links/{link.id}/optics").json()["ends"]
    assert [e["end"] for e in ends] == ["a", "z"]
    assert ends[0]["now"] is None  # the commune office has no transceiver read
    assert ends[1]["now"] == {"rx_dbm": -14.2, "tx_dbm": -2.9, "rx_low_dbm": -20.0,
                              "rx_high_dbm": -3.0, "tx_low_dbm": None, "tx_high_dbm": None}
    assert ends[1]["series"] == {"rx_dbm": [], "tx_dbm": []}  # no history store here
    dev = c.get(f"/api/v1/devices/{link.z_device_id}/optics").json()
    assert dev["items"][0]["port"] == link.z_ifname and dev["items"][0]["rx_dbm"] == -14.2
    r = c.get(f"/api/v1/devices/{link.a_device_id}/optics")
    assert r.status_code == 404 and "not been polled" in r.json()["detail"]


def test_availability_needs_the_history_store(world: dict[str, Any]) -> None:
    c, link = world["client"], world["link"]
    for path in (f"/api/v1/links/{link.id}/availability",
                 f"/api/v1/communes/{COMMUNE}/availability"):
        r = c.get(path)
        assert r.status_code == 503 and "history store" in r.json()["detail"]


def test_engineer_guide_is_served_with_its_screenshots(world: dict[str, Any]) -> None:
    from provnet.api.ui.help import help_router

    c = TestClient(create_app(ApiContext(store=world["store"], live=LiveState()),
                              [help_router()]))
    vi = c.get("/help/engineer?lang=vi")
    assert vi.status_code == 200 and "<h1>Hướng dẫn cho kỹ sư mạng</h1>" in vi.text
    en = c.get("/help/engineer?lang=en")
    assert "<h1>Guide for network engineers</h1>" in en.text
    for shot in ("link.png", "device.png", "commune-page.png"):
        assert f'src="/help/screenshots/{shot}"' in vi.text
        r = c.get(f"/help/screenshots/{shot}")
        assert r.status_code == 200 and len(r.content) > 20_000
