"""The incident console over the service's own wiring (``attach_all``, real authenticator):
the list and its filters, the incident page against ``GET /api/v1/alerts/incidents/{id}``
(root cause in both languages, cut-off sites, timeline), forms for operators only, scoped
users limited to their district, a 404 page for an unknown id."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from provnet.alerts.model import Incident, IncidentEvent
from provnet.api.app import create_app
from provnet.api.context import ApiContext
from provnet.config.settings import load_settings
from provnet.demo.seed import seed_demo
from provnet.features import attach_all
from provnet.inventory import auth
from provnet.inventory.store import open_store
from provnet.service import Service

pytestmark = pytest.mark.integration
AFFECTED = [{"site_code": "POP-891", "site_name": "PoP Tri Tôn", "site_kind": "pop",
             "commune": None, "district": "Huyện Tri Tôn", "alert": "device_down"},
            {"site_code": "UB-30544", "site_name": "UBND Thị trấn Tri Tôn",
             "site_kind": "commune_office", "commune": "Thị trấn Tri Tôn",
             "district": "Huyện Tri Tôn", "alert": "cut_off"}]


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str]
    ids: tuple[int, int, int]  # open (891), resolved old (883), open (883)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    state = tmp_path_factory.mktemp("console")
    settings = load_settings(state_dir=state)
    store = open_store(settings.sql_url())
    seed_demo(store)
    now = time.time()
    with store.session() as s:
        a = Incident(group_key="device:ag-pop-891", title="Mất kết nối PoP Tri Tôn",
                     root_cause="PoP Tri Tôn is down", root_site_code="POP-891", district="891",
                     severity="critical", status="open", started_at=now - 600,
                     labels={}, affected=AFFECTED)
        b = Incident(group_key="g2", title="Cũ", root_cause="old", root_site_code="POP-883",
                     district="883", severity="minor", status="resolved",
                     started_at=now - 10 * 86400, resolved_at=now - 9 * 86400)
        c = Incident(group_key="g3", title="Khác", root_cause="other", root_site_code="POP-883",
                     district="883", severity="major", status="open", started_at=now - 60)
        s.add_all([a, b, c])
        s.flush()
        s.add(IncidentEvent(incident_id=a.id, time=now - 600, kind="created", detail="root"))
        ids = (a.id, b.id, c.id)
    svc = Service(settings, store)
    attach_all(svc)
    assert svc.api_auth is not None
    secret = auth.server_secret(state)
    tokens = {}
    for name, role, scope in (("viewer", "viewer", ()), ("operator", "operator", ()),
                              ("op883", "operator", ("883",))):
        auth.add_user(store, name, role, scope)
        tokens[name] = auth.create_token(store, secret, name)[1]
    app = create_app(ApiContext(store=store, live=svc.live, auth=svc.api_auth), svc.routers)
    with TestClient(app) as client:
        yield World(client, tokens, ids)
    for close in svc.closers:
        close()
    store.close()


def _get(w: World, who: str, path: str) -> str:
    r = w.client.get(path, headers={"Authorization": f"Bearer {w.tokens[who]}"})
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    return r.text


def _rows(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr data-id="(\d+)"', html)]


def test_list_and_filters(world: World) -> None:
    a, b, c = world.ids
    assert _rows(_get(world, "viewer", "/incidents?lang=vi")) == [c, b, a]
    assert _rows(_get(world, "viewer", "/incidents?status=open")) == [c, a]
    assert _rows(_get(world, "viewer", "/incidents?severity=critical")) == [a]
    assert _rows(_get(world, "viewer", "/incidents?district=883")) == [c, b]
    assert _rows(_get(world, "viewer", "/incidents?since=7d")) == [c, a]
    html = _get(world, "viewer", "/incidents?status=resolved&since=24h")
    assert _rows(html) == [] and "Không có sự cố nào khớp bộ lọc." in html
    assert "Huyện Tri Tôn" in _get(world, "viewer", "/incidents")  # district names
    en = _get(world, "viewer", "/incidents?lang=en")
    assert "3 incidents" in en and "Severity" in en and "critical" in en
    # a district-scoped operator sees its district only (forced by the guard)
    assert _rows(_get(world, "op883", "/incidents")) == [c, b]
    r = world.client.get("/incidents?status=bogus",
                         headers={"Authorization": f"Bearer {world.tokens['viewer']}"})
    assert r.status_code == 422


def test_incident_page_matches_the_api(world: World) -> None:
    a = world.ids[0]
    h = {"Authorization": f"Bearer {world.tokens['viewer']}"}
    api = world.client.get(f"/api/v1/alerts/incidents/{a}", headers=h).json()
    html = _get(world, "viewer", f"/incidents/{a}?lang=vi")
    assert api["root_cause_vi"] in html and api["root_cause"] in html  # both languages
    assert re.findall(r'<tr data-site="([^"]+)"', html) == [x["site_code"] for x in
                                                             api["affected"]]
    assert re.findall(r'<tr data-kind="(\w+)"', html) == [e["kind"] for e in api["history"]]
    assert "mở sự cố" in html  # the event in Vietnamese
    assert '"cut_communes": ["30544"]' in html  # highlighted on the map (not the root)
    en = _get(world, "viewer", f"/incidents/{a}?lang=en")
    assert "Sites cut off" in en and "Timeline" in en


def test_forms_for_operators_only(world: World) -> None:
    a = world.ids[0]
    viewer = _get(world, "viewer", f"/incidents/{a}?lang=vi")
    assert 'id="ack-form"' not in viewer and 'id="silence-form"' not in viewer
    assert 'id="maint-form"' not in viewer and 'id="viewer-note"' in viewer
    op = _get(world, "operator", f"/incidents/{a}")
    assert 'id="ack-form"' in op and 'id="silence-form"' in op and 'id="maint-form"' in op
    resolved = _get(world, "operator", f"/incidents/{world.ids[1]}")
    assert 'id="ack-form"' not in resolved and 'id="silence-form"' not in resolved


def test_scope_and_unknown(world: World) -> None:
    h = {"Authorization": f"Bearer {world.tokens['op883']}"}
    assert world.client.get(f"/incidents/{world.ids[0]}", headers=h).status_code == 403
    r = world.client.get("/incidents/999999?lang=vi",
                         headers={"Authorization": f"Bearer {world.tokens['viewer']}"})
    assert r.status_code == 404 and "Không có sự cố #999999." in r.text


def test_home_and_overview_show_a_scoped_user_its_district_only(world: World) -> None:
    a, _, c = world.ids
    every = world.client.get("/api/v1/overview", headers={
        "Authorization": f"Bearer {world.tokens['viewer']}"}).json()
    assert [i["id"] for i in every["incidents"]["items"]] == [c, a]
    scoped = world.client.get("/api/v1/overview", headers={
        "Authorization": f"Bearer {world.tokens['op883']}"}).json()
    assert [i["id"] for i in scoped["incidents"]["items"]] == [c]
    assert scoped["incidents"]["open"] == 1
    assert scoped["communes"]["total"] == 155  # the network figures stay province-wide
    home = _get(world, "op883", "/?lang=vi")
    assert f'href="/incidents/{c}"' in home and f'href="/incidents/{a}"' not in home
