"""The inventory object API on SQLite and a real PostgreSQL: list with filters (diacritics or
not), detail, create/update/delete with the import's checks, 4xx never 500, audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from provnet.api.app import create_app
from provnet.api.audit import audit_router
from provnet.api.context import ApiContext
from provnet.api.inventory_routes import inventory_objects_router
from provnet.inventory import version
from provnet.inventory.store import Store
from provnet.inventory.transfer import import_files
from provnet.pollers.live import LiveState
from tests.support.pg_server import BACKENDS, backend_store

pytestmark = pytest.mark.integration

FILES = {
    "units.csv": "generation,level,code,name,parent\nlegacy,province,990,Tỉnh Thử,\n"
                 "legacy,district,991,Huyện Tri Tôn,990\nlegacy,commune,9910,Xã Lương Phi,991\n",
    "sites.csv": "code,name,kind,latitude,longitude,region,commune\n"
                 "CORE,Trung tâm Tỉnh,core,10.5,105.1,,\nPOP,PoP Tri Tôn,pop,10.4,105.0,991,\n"
                 "LP,UBND xã Lương Phi,commune_office,10.3,104.9,991,9910\n",
    "devices.csv": "name,site,role,primary_ip4\ncore1,CORE,core,10.0.0.1\npop1,POP,router,"
                   "10.0.0.2\nlp1,LP,router,10.0.0.3\n",
    "interfaces.csv": "device,name\ncore1,ge-0/0/1\npop1,ge-0/0/0\npop1,ge-0/0/1\n"
                      "lp1,ge-0/0/0\n",
    "links.csv": "side_a_device,side_a_name,side_b_device,side_b_name,kind,commit_rate,cid\n"
                 "pop1,ge-0/0/0,core1,ge-0/0/1,fibre,1000000,C1\n",
}


@pytest.fixture(scope="module", params=BACKENDS)
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[TestClient, Store]]:
    tmp = tmp_path_factory.mktemp("api")
    with backend_store(request.param, tmp) as store:
        src = Path(tmp) / "in"
        src.mkdir()
        for name, text in FILES.items():
            (src / name).write_text(text, encoding="utf-8")
        assert import_files(store, [src]).ok
        app: FastAPI = create_app(ApiContext(store=store, live=LiveState()),
                                  [inventory_objects_router(store, ["tri-ton", "chau-doc"]),
                                   audit_router(store)])
        yield TestClient(app, raise_server_exceptions=False), store


def test_lists_and_filters(client: tuple[TestClient, Store]) -> None:
    c, _ = client
    sites = c.get("/api/v1/inventory/sites").json()
    assert sites["total"] == 3 and sites["items"][0]["code"] == "CORE"
    assert sites["items"][0]["latitude"] == 10.5
    for q in ("luong phi", "Lương Phi", "LUONG"):
        got = c.get("/api/v1/inventory/sites", params={"q": q}).json()["items"]
        assert [s["code"] for s in got] == ["LP"], q
    assert c.get("/api/v1/inventory/sites", params={"q": "Lưong"}).json()["total"] == 0
    devs = c.get("/api/v1/inventory/devices", params={"district": "991"}).json()["items"]
    assert [d["name"] for d in devs] == ["lp1", "pop1"]
    assert [d["name"] for d in c.get("/api/v1/inventory/devices", params={
        "commune": "9910"}).json()["items"]] == ["lp1"]
    assert c.get("/api/v1/inventory/devices", params={"role": "core"}).json()["total"] == 1
    assert c.get("/api/v1/inventory/sites", params={"kind": "pop"}).json()["total"] == 1
    ifs = c.get("/api/v1/inventory/interfaces", params={"device": "pop1"}).json()["items"]
    assert [i["name"] for i in ifs] == ["ge-0/0/0", "ge-0/0/1"]
    units = c.get("/api/v1/inventory/units", params={"q": "tri ton"}).json()["items"]
    assert [u["code"] for u in units] == ["991"]
    one = c.get("/api/v1/inventory/interfaces/pop1/ge-0/0/0").json()
    assert one == {"device": "pop1", "name": "ge-0/0/0", "speed": None, "description": None,
                   "ifindex": None}
    link = c.get("/api/v1/inventory/links/pop1/ge-0/0/0").json()
    assert link["cid"] == "C1" and link["commit_rate"] == 1000000


def test_create_update_delete_with_import_checks(client: tuple[TestClient, Store]) -> None:
    c, store = client
    with store.session() as s:
        v0 = version.current(s)
    bad = c.post("/api/v1/inventory/devices", json={
        "name": "lp2", "site": "NOWHERE", "role": "router", "primary_ip4": "10.0.0.300"})
    assert bad.status_code == 422
    assert bad.json()["detail"] == ["site: unknown site 'NOWHERE'",
                                    "primary_ip4: '10.0.0.300' is not an IP address"]
    assert c.post("/api/v1/inventory/devices", json={"name": "x", "colour": "red"}
                  ).status_code == 422
    assert c.post("/api/v1/inventory/devices", json={"name": ["a"]}).status_code == 422
    ok = c.post("/api/v1/inventory/devices", headers={"X-Actor": quote("Nguyễn Văn A")}, json={
        "name": "lp2", "site": "LP", "role": "router", "primary_ip4": "10.0.0.4/24"})
    assert ok.status_code == 201, ok.text
    assert ok.json()["primary_ip4"] == "10.0.0.4"
    dup = c.post("/api/v1/inventory/devices", json={
        "name": "lp2", "site": "LP", "role": "router", "primary_ip4": "10.0.0.4"})
    assert dup.status_code == 409
    same_tag = c.post("/api/v1/inventory/devices", json={
        "name": "LP2", "site": "LP", "role": "router", "primary_ip4": "10.0.0.5"})
    assert same_tag.status_code == 422 and "same InfluxDB tag" in same_tag.text
    up = c.put("/api/v1/inventory/devices/lp2", json={"platform": "ios-xe"})
    assert up.status_code == 200 and up.json()["platform"] == "ios-xe"
    assert c.put("/api/v1/inventory/devices/lp2", json={"name": "lp3"}).status_code == 422
    assert c.put("/api/v1/inventory/devices/nope", json={}).status_code == 404
    # an interface used by a link cannot go; a used site neither
    used = c.delete("/api/v1/inventory/interfaces/core1/ge-0/0/1")
    assert used.status_code == 409 and "unknown interface" in used.text
    assert c.delete("/api/v1/inventory/sites/LP").status_code == 409
    link = c.post("/api/v1/inventory/links", json={
        "side_a_device": "lp1", "side_a_name": "ge-0/0/0", "side_b_device": "pop1",
        "side_b_name": "ge-0/0/0", "kind": "fibre", "commit_rate": 100000})
    assert link.status_code == 422 and "already an end of link pop1/ge-0/0/0" in link.text
    assert c.delete("/api/v1/inventory/devices/lp2", headers={"X-Actor": "B"}
                    ).status_code == 204
    assert c.get("/api/v1/inventory/devices/lp2").status_code == 404
    assert c.delete("/api/v1/inventory/devices/lp2").status_code == 404
    assert c.get("/api/v1/inventory/castles").status_code == 422
    assert c.get("/api/v1/inventory/units/990").status_code == 404  # key is generation/code
    assert c.get("/api/v1/inventory/units/legacy/990").json()["name"] == "Tỉnh Thử"
    with store.session() as s:
        assert version.current(s) == v0 + 3
    trail = c.get("/api/v1/inventory-changes", params={"kind": "devices"}).json()["items"]
    assert [(t["action"], t["actor"]) for t in trail[:3]] == [
        ("remove", "B"), ("change", "api"), ("add", "Nguyễn Văn A")]
    assert trail[1]["before"]["platform"] == "" and trail[1]["after"]["platform"] == "ios-xe"


def test_poller_group_set_and_checked(client: tuple[TestClient, Store]) -> None:
    """Issue 16: a site's / a device's ``poller_group`` over the API, checked against the
    centre's ``cluster.groups``; each change moves the inventory version (a running centre
    re-plans)."""
    c, store = client
    with store.session() as s:
        v0 = version.current(s)
    r = c.put("/api/v1/inventory/sites/POP", json={"poller_group": "tri-ton"})
    assert r.status_code == 200, r.text
    assert r.json()["poller_group"] == "tri-ton"
    assert c.get("/api/v1/inventory/sites/POP").json()["poller_group"] == "tri-ton"
    r = c.put("/api/v1/inventory/devices/lp1", json={"poller_group": "nowhere"})
    assert r.status_code == 422
    assert "poller_group: unknown poller group 'nowhere' (cluster.groups: chau-doc, " \
           "tri-ton)" in r.text
    r = c.put("/api/v1/inventory/devices/lp1", json={"poller_group": "bad name"})
    assert r.status_code == 422 and "is not a group name" in r.text
    assert c.get("/api/v1/inventory/devices/lp1").json()["poller_group"] is None
    r = c.put("/api/v1/inventory/devices/lp1", json={"poller_group": "chau-doc"})
    assert r.status_code == 200 and r.json()["poller_group"] == "chau-doc"
    with store.session() as s:
        assert version.current(s) == v0 + 2
    for kind, key in (("sites", "POP"), ("devices", "lp1")):  # back as they were
        r = c.put(f"/api/v1/inventory/{kind}/{key}", json={"poller_group": None})
        assert r.status_code == 200 and r.json()["poller_group"] is None


def _walk(c: TestClient, path: str, **params: object) -> list[dict[str, object]]:
    """Every item of a list, following ``next`` from a page of one."""
    items: list[dict[str, object]] = []
    page = c.get(path, params={**params, "limit": 1}).json()
    while True:
        items += page["items"]
        if not page["next"]:
            return items
        page = c.get(page["next"]).json()


def test_cursor_pages_are_stable_under_inserts(client: tuple[TestClient, Store]) -> None:
    c, _ = client
    every = c.get("/api/v1/inventory/interfaces").json()["items"]
    assert [(i["device"], i["name"]) for i in _walk(c, "/api/v1/inventory/interfaces")] == [
        (i["device"], i["name"]) for i in every]
    first = c.get("/api/v1/inventory/interfaces", params={"limit": 2}).json()
    assert "cursor=lp1%2Fge-0%2F0%2F0" in first["next"]
    # an interface inserted before the cursor does not shift the next page
    assert c.post("/api/v1/inventory/interfaces", json={"device": "core1",
                                                       "name": "ge-0/0/0"}).status_code == 201
    second = c.get(first["next"]).json()
    assert [(i["device"], i["name"]) for i in second["items"]] == [
        (i["device"], i["name"]) for i in every[2:4]]
    assert c.get("/api/v1/inventory/interfaces", params={"cursor": "x" * 501}).status_code == 422
    # the audit trail and the audit log: newest first, by id
    changes = _walk(c, "/api/v1/inventory-changes")
    ids = [ch["id"] for ch in changes]
    assert ids == sorted(ids, reverse=True) and len(ids) == len(set(ids)) >= 1
    events = _walk(c, "/api/v1/audit")
    eids = [e["id"] for e in events]
    assert eids == sorted(eids, reverse=True) and len(eids) >= 1
    assert c.get("/api/v1/audit", params={"cursor": -1}).status_code == 422
    assert c.delete("/api/v1/inventory/interfaces/core1/ge-0/0/0").status_code == 204
