"""The home page and ``GET /api/v1/overview`` over the demo inventory with a PoP down, the real
coverage engine and an open incident: the page shows exactly the API's numbers, and the
numbers are right (the communes single-homed to the failed PoP are cut off, the dual-homed
ones are not)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient

from provnet.alerts.model import Incident
from provnet.api.app import create_app
from provnet.api.context import ApiContext
from provnet.api.overview import overview_router
from provnet.api.ui.home import home_router
from provnet.config.settings import load_settings
from provnet.demo.seed import seed_demo
from provnet.inventory import queries
from provnet.inventory.store import Store, open_store
from provnet.maps.coverage import CoverageService
from provnet.maps.overview import OverviewSource
from provnet.pollers.live import LiveState
from provnet.pollers.types import IfRates, IfSample, PollResult, SnmpTarget

pytestmark = pytest.mark.integration
FAILED_POP = "ag-pop-891"  # PoP Tri Tôn
BUSY_LINK = 12


def feed(live: LiveState, store: Store, failed: str) -> None:
    """One poll of every device: the failed PoP does not answer, its ports' far ends go
    down; every other port up, one link at 90 %."""
    now = time.time()
    with store.session() as s:
        links, devices = queries.links(s), queries.devices(s)
    ports: dict[int, dict[int, tuple[int, float]]] = {d.id: {} for d in devices}
    for r in links:
        oper = 2 if failed in (r.a_device, r.z_device) else 1
        bps = (0.9 if r.id == BUSY_LINK else 0.1) * r.capacity_mbps * 1e6
        ports[r.a_device_id][r.a_ifindex] = (oper, bps)
        ports[r.z_device_id][r.z_ifindex] = (oper, bps)
    for d in devices:
        target = SnmpTarget(d.id, d.hostname, d.mgmt_address)
        if d.hostname == failed:
            live.update(PollResult(target, now, 2.0, error="timeout", error_kind="timeout"), {})
            continue
        samples = {i: IfSample(i, oper_status=o) for i, (o, _) in ports[d.id].items()}
        rates = {i: IfRates(in_bps=b, out_bps=b / 4, in_errors_ps=0.0, out_errors_ps=0.0)
                 for i, (_, b) in ports[d.id].items()}
        live.update(PollResult(target, now, 0.02, 1234, samples, 10), rates)


def single_homed_to(store: Store, pop: str) -> set[str]:
    """Commune codes whose office's every uplink ends on ``pop`` (independent of the
    topology code: read from the link list)."""
    ups: dict[str, set[str]] = {}
    with store.session() as s:
        for r in queries.links(s):
            if r.a_device.startswith("ag-ub-"):
                ups.setdefault(r.a_device.removeprefix("ag-ub-"), set()).add(r.z_device)
    return {c for c, far in ups.items() if far == {pop}}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Store]]:
    d = tmp_path_factory.mktemp("home")
    store = open_store(f"sqlite:///{d / 'inv.sqlite'}")
    seed_demo(store)
    live = LiveState()
    feed(live, store, FAILED_POP)
    cov = CoverageService(store, load_settings(state_dir=d))
    cov.refresh()
    with store.session() as s:
        s.add(Incident(group_key="device:ag-pop-891", title="Mất kết nối PoP Tri Tôn",
                       root_cause="PoP Tri Tôn down", root_site_code="POP-891",
                       district="891", severity="critical", status="open",
                       started_at=time.time() - 120,
                       affected=[{"site_code": "UB-30544", "site_name": "UBND Thị trấn Tri Tôn",
                                  "site_kind": "commune_office", "commune": "Thị trấn Tri Tôn",
                                  "district": "Huyện Tri Tôn", "alert": "cut_off"}]))
    src = OverviewSource(store, live, stale_after_s=600, coverage=cov)
    app = create_app(ApiContext(store=store, live=live), [overview_router(src), home_router(src)])
    yield TestClient(app, raise_server_exceptions=False), store
    store.close()


def _get(obj: object, path: str) -> object:
    for k in path.split("."):
        obj = obj[k] if isinstance(obj, dict) else None  # type: ignore[index]
    return obj


def test_figures_are_right(world: tuple[TestClient, Store]) -> None:
    client, store = world
    ov = client.get("/api/v1/overview").json()
    cut = single_homed_to(store, FAILED_POP)
    assert cut, "the demo has communes behind one PoP only"
    assert {c for c, st in ov["commune_states"].items() if st == "cut_off"} == cut
    assert ov["communes"] == {"connected": 155 - len(cut), "cut_off": len(cut), "no_data": 0,
                              "total": 155}
    assert ov["agencies"]["connected"] == ov["agencies"]["total"] == 17
    assert ov["units_2025"]["total"] == 102
    assert ov["units_2025"]["connected"] + ov["units_2025"]["cut_off"] + ov["units_2025"][
        "unmapped"] == 102
    with store.session() as s:
        pop_links = sum(1 for r in queries.links(s) if FAILED_POP in (r.a_device, r.z_device))
    assert ov["links"]["down"] == pop_links
    assert ov["links"]["degraded"] == 1  # the busy link
    assert ov["links"]["up"] == ov["links"]["total"] - pop_links - 1
    cov = ov["coverage"]
    assert 0 < cov["fibre_centre"] <= 155
    assert set(cov["mobile"]) >= {"Viettel", "VinaPhone", "MobiFone"}
    assert all(0 <= n <= 155 for row in cov["mobile"].values() for n in row.values())
    assert cov["mobile_any"]["4G"] >= max(r["4G"] for r in cov["mobile"].values())
    assert ov["incidents"]["open"] == 1
    inc = ov["incidents"]["items"][0]
    assert inc["title"] == "Mất kết nối PoP Tri Tôn" and inc["communes_cut_off"] == 1
    assert ov["availability_month"]["pct"] is None  # no history in this app


def test_page_shows_exactly_the_api_numbers(world: tuple[TestClient, Store]) -> None:
    client, _ = world
    html = client.get("/?lang=vi").text
    api = client.get("/api/v1/overview").json()
    figs = re.findall(r'data-fig="([^"]+)"[^>]*>([^<]*)<', html)
    assert len(figs) >= 20, figs
    for path, shown in figs:
        want = _get(api, unescape(path))
        if path == "availability_month.pct":
            assert shown == "chưa có" and want is None
            continue
        assert unescape(shown) == str(want), (path, shown, want)
    assert "Mất kết nối PoP Tri Tôn" in html and "Tổng quan mạng tỉnh" in html
    en = client.get("/?lang=en").text
    assert "Province network overview" in en and "Communes connected (155 legacy)" in en
