"""The API over a real seeded SQLite inventory (demo province) and a live state fed with results."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from provnet.api.app import create_app
from provnet.api.context import ApiContext
from provnet.demo.seed import seed_demo
from provnet.inventory import queries
from provnet.inventory.store import Store, open_store
from provnet.pollers.live import LiveState
from provnet.pollers.types import IfRates, IfSample, PollResult, SnmpTarget


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    path: Path = tmp_path_factory.mktemp("inv") / "inventory.sqlite"
    st = open_store(f"sqlite:///{path}")
    seed_demo(st)
    return st


def _feed(live: LiveState, store: Store, down_link: int) -> None:
    """One successful poll of every device: all linked ports up except both ends of one link."""
    now = time.time()
    with store.session() as s:
        links = queries.links(s)
        devices = queries.devices(s)
    ports: dict[int, dict[int, int]] = {d.id: {} for d in devices}
    for r in links:
        oper = 2 if r.id == down_link else 1
        ports[r.a_device_id][r.a_ifindex] = oper
        ports[r.z_device_id][r.z_ifindex] = oper
    for d in devices:
        samples = {i: IfSample(i, oper_status=o, high_speed_mbps=100)
                   for i, o in ports[d.id].items()}
        rates = {i: IfRates(in_bps=20e6, out_bps=5e6, in_errors_ps=0.0, out_errors_ps=0.5)
                 for i in samples}
        live.update(PollResult(SnmpTarget(d.id, d.hostname, d.mgmt_address), now, 0.02, 1234,
                               samples, 10), rates)


@pytest.fixture(scope="module")
def client(store: Store) -> TestClient:
    live = LiveState()
    _feed(live, store, down_link=189)
    ctx = ApiContext(store=store, live=live, stale_after_s=25)
    return TestClient(create_app(ctx))


def test_health_without_influx_is_degraded_not_500(client: TestClient) -> None:
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "degraded" and body["influxdb"]["ok"] is False


@pytest.mark.parametrize(
    ("params", "expect_code"),
    [
        ({"q": "tri ton"}, "30544"),  # Thị trấn Tri Tôn, typed without accents
        ({"q": "Tri Tôn"}, "30544"),
        ({"q": "TRI TÔN"}, "30544"),
        ({"q": "chau doc", "generation": "2025"}, None),  # checked below by name
    ],
)
def test_commune_search(client: TestClient, params: dict, expect_code: str | None) -> None:
    r = client.get("/api/v1/communes", params=params)
    assert r.status_code == 200
    items = r.json()["items"]
    assert items, params
    if expect_code:
        assert expect_code in [c["code"] for c in items]
        assert any(c["name"] == "Thị trấn Tri Tôn" for c in items)
    else:
        assert all("Châu Đốc" in c["name"] for c in items)


def test_communes_by_district_and_paging(client: TestClient) -> None:
    r = client.get("/api/v1/communes", params={"district": "891", "limit": 5})
    body = r.json()
    assert body["total"] == 15  # Huyện Tri Tôn had 15 commune-level units
    assert len(body["items"]) == 5
    assert {c["district_name"] for c in body["items"]} == {"Huyện Tri Tôn"}
    r2 = client.get("/api/v1/communes", params={"district": "891", "limit": 5, "offset": 5})
    assert {c["code"] for c in r2.json()["items"]}.isdisjoint(c["code"] for c in body["items"])
    everything = client.get("/api/v1/communes", params={"limit": 1000}).json()
    assert everything["total"] == 155
    assert client.get("/api/v1/communes", params={"generation": "2025"}).json()["total"] == 102


def test_links_with_live_health(client: TestClient) -> None:
    body = client.get("/api/v1/links", params={"limit": 1000}).json()
    assert body["total"] == 189
    by_id = {lk["id"]: lk for lk in body["items"]}
    assert by_id[189]["health"]["status"] == "down"
    # down: 0 bit/s measured while down, not the last interval's traffic
    assert (by_id[189]["health"]["in_bps"], by_id[189]["health"]["out_bps"],
            by_id[189]["health"]["utilisation_pct"]) == (0.0, 0.0, 0.0)
    up = [lk for lk in body["items"] if lk["health"]["status"] == "up"]
    assert len(up) == 188
    h = up[0]["health"]
    assert h["in_bps"] == 20e6 and h["out_bps"] == 5e6 and h["last_polled"]
    down = client.get("/api/v1/links", params={"status": "down"}).json()
    assert [lk["id"] for lk in down["items"]] == [189]
    tri_ton = client.get("/api/v1/links", params={"district": "891", "limit": 1000}).json()
    assert tri_ton["total"] >= 15
    assert all(lk["district_code"] == "891" for lk in tri_ton["items"])


def test_link_health_one(client: TestClient) -> None:
    r = client.get("/api/v1/links/189/health")
    assert r.status_code == 200 and r.json()["status"] == "down"
    down = r.json()  # a down link carries no traffic, and says why in both languages
    assert (down["in_bps"], down["out_bps"], down["utilisation_pct"]) == (0.0, 0.0, 0.0)
    assert down["reason_code"] == "down_both" and down["reason"] != down["reason_vi"]
    assert down["reason_vi"] and any(ch in down["reason_vi"] for ch in "ạảãàáâậầấẩẫăắằặẳẵđơớờợởỡ")
    ok = client.get("/api/v1/links/1/health").json()
    assert ok["status"] == "up" and ok["utilisation_pct"] == pytest.approx(2.0)  # 20 Mb/s of 1 G


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/v1/links/999999/health", 404),
        ("/api/v1/links/abc/health", 422),
        ("/api/v1/links?status=sideways", 422),
        ("/api/v1/links?limit=0", 422),
        ("/api/v1/links?offset=-1", 422),
        ("/api/v1/communes?generation=1990", 422),
        ("/api/v1/communes?limit=100000", 422),
        ("/api/v1/nowhere", 404),
    ],
)
def test_bad_requests_are_4xx_with_reason(client: TestClient, path: str, code: int) -> None:
    r = client.get(path)
    assert r.status_code == code
    assert r.json()["detail"]


def test_openapi_lists_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/api/v1/health", "/api/v1/communes", "/api/v1/links",
              "/api/v1/links/{link_id}/health"):
        assert p in paths


def test_docs_work_offline(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "swagger" in page.text.lower()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/") for a in assets), assets  # no CDN
    for a in assets:
        assert client.get(a).status_code == 200, a


@pytest.mark.parametrize(("params", "check"), [
    ({"commune": "30544"}, lambda r: r.commune_code == "30544"),
    ({"district": "891"}, lambda r: r.district_code == "891"),
    ({"site": "POP-891"}, lambda r: "POP-891" in (r.a_site_code, r.z_site_code)),
])
def test_link_filters_narrow_the_list(client: TestClient, store: Store, params: dict,
                                      check: object) -> None:
    """Each filter returns exactly the links the inventory says match (was: all 189)."""
    with store.session() as s:
        expected = sorted(r.id for r in queries.links(s) if check(r))  # type: ignore[operator]
    assert 0 < len(expected) < 189
    body = client.get("/api/v1/links", params={**params, "limit": 1000}).json()
    assert sorted(i["id"] for i in body["items"]) == expected and body["total"] == len(expected)


def test_link_filter_by_device_matches_either_end(client: TestClient, store: Store) -> None:
    with store.session() as s:
        links = queries.links(s)
    host = links[0].z_device  # an upstream router: several links end there
    expected = sorted(r.id for r in links if host in (r.a_device, r.z_device))
    body = client.get("/api/v1/links", params={"device": host, "limit": 1000}).json()
    assert sorted(i["id"] for i in body["items"]) == expected and len(expected) > 1


@pytest.mark.parametrize("path", ["/api/v1/links?commune=30544&comune=1",
                                  "/api/v1/links?foo=bar", "/api/v1/devices?site_code=x",
                                  "/api/v1/communes?distrct=891", "/api/v1/reachability?x=1",
                                  "/api/v1/links/1/health?verbose=1"])
def test_unknown_query_parameter_is_422_naming_it(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    bad = path.rsplit("&", 1)[-1].split("?")[-1].split("=")[0]
    assert any(d["loc"] == ["query", bad] and bad in d["msg"] for d in detail), detail


@pytest.mark.parametrize(("path", "status"), [
    ("/api/v1/links?cursor=0.0", 422), ("/api/v1/links?limit=1e3", 422),
    ("/api/v1/links?limit=%2010", 422), ("/api/v1/devices?offset=1.5", 422),
    ("/api/v1/links?cursor=3&limit=%2B5", 200), ("/api/v1/links?limit=10", 200),
])
def test_integer_parameters_are_digits(client: TestClient, path: str, status: int) -> None:
    """pydantic alone reads "0.0" and "1e3" as integers; an id or a count is digits."""
    r = client.get(path)
    assert r.status_code == status, r.text
    if status == 422:
        assert "whole number" in r.json()["detail"][0]["msg"]


def test_device_status_agrees_between_devices_and_reachability(store: Store) -> None:
    """One device pinged but not yet polled, one lossy: both routes give the same status,
    and both honour the configured degraded_loss_pct (the devices route used to ignore it)."""
    from provnet.pollers.icmp import summarise

    with store.session() as s:
        devs = queries.devices(s)[:3]
    live = LiveState()
    now = time.time()
    live.update_icmp(devs[0].id, summarise(devs[0].mgmt_address, 4, [0.2] * 4), now)
    live.update(PollResult(SnmpTarget(devs[1].id, devs[1].hostname, devs[1].mgmt_address),
                           now, 0.02, 1234, {}, 10), {})
    live.update_icmp(devs[1].id, summarise(devs[1].mgmt_address, 4, [0.2] * 3), now)  # 25 % loss
    targets = [SnmpTarget(d.id, d.hostname, d.mgmt_address) for d in devs]
    for loss_limit, second in ((25.0, "degraded"), (50.0, "up")):
        ctx = ApiContext(store=store, live=live, targets=lambda: targets,
                         degraded_loss_pct=loss_limit)
        c = TestClient(create_app(ctx))
        by_id = {d["id"]: d["status"] for d in c.get("/api/v1/devices?limit=1000").json()["items"]}
        reach = {d["device_id"]: d["status"]
                 for d in c.get("/api/v1/reachability").json()["items"]}
        assert reach == {d.id: by_id[d.id] for d in devs}
        assert reach[devs[0].id] == "up"  # answers ping, not polled yet: not snmp_not_answering
        assert reach[devs[1].id] == second
        assert reach[devs[2].id] == "unknown"
