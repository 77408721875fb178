"""District scope on the read side (issue 13): a user scoped to one district sees only its
communes, links, devices and sites in geography, coverage, history, reachability and the map
pages, and gets a 403 with the reason for another district's object (SQLite and PostgreSQL:
the district index is read from the store). The app is the service's (``attach_all`` over the
demo inventory) with the real authenticator."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import aliased

from provnet.api.app import create_app
from provnet.api.context import ApiContext
from provnet.config.settings import load_settings
from provnet.demo.seed import seed_demo
from provnet.features import attach_all
from provnet.inventory import auth, model
from provnet.service import Service
from provnet.tsdb.client import InfluxQLReader
from tests.support.helpers import free_port
from tests.support.pg_server import BACKENDS, backend_store

pytestmark = pytest.mark.integration


@dataclass
class World:
    svc: Service
    client: TestClient
    scoped: dict[str, str]  # Authorization headers of the scoped user
    everyone: dict[str, str]  # an unscoped operator
    d1: str
    communes: dict[str, str]  # commune code -> district
    devices: dict[int, str | None]
    links: dict[int, str | None]
    sites: dict[str, str | None]


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[World]:
    state = tmp_path_factory.mktemp(f"scope-{request.param}")
    with backend_store(request.param, state) as store:
        seed_demo(store)
        settings = load_settings(state_dir=state)
        svc = Service(settings, store)
        svc.reader = InfluxQLReader(f"http://127.0.0.1:{free_port()}", "provnet")
        svc.load_plan()
        attach_all(svc)
        assert svc.api_auth is not None
        district, site = aliased(model.AdminUnit), aliased(model.Site)
        with store.session() as s:
            units = s.execute(select(model.AdminUnit.code, model.AdminUnit.level,
                                     district.code).outerjoin(
                district, model.AdminUnit.parent_id == district.id)
                .where(model.AdminUnit.generation == "legacy")).all()
            communes = {c: p for c, lv, p in units if lv == "commune"}
            d1 = sorted(c for c, lv, _ in units if lv == "district")[0]
            sites = {c: d for c, d in s.execute(select(site.code, district.code).outerjoin(
                district, site.district_id == district.id))}
            devices = {i: sites[c] for i, c in s.execute(
                select(model.Device.id, model.Site.code).join(model.Site))}
            links = {i: devices[d] for i, d in s.execute(
                select(model.Link.id, model.Interface.device_id).join(
                    model.Interface, model.Link.a_interface_id == model.Interface.id))}
        secret = auth.server_secret(state)
        auth.add_user(store, "lan", "operator", (d1,))
        auth.add_user(store, "planner", "operator")
        h = {n: {"Authorization": f"Bearer {auth.create_token(store, secret, n)[1]}"}
             for n in ("lan", "planner")}
        app = create_app(ApiContext(store=store, live=svc.live, auth=svc.api_auth,
                                    targets=lambda: svc.plan.targets), svc.routers)
        with TestClient(app, follow_redirects=False) as client:
            yield World(svc, client, h["lan"], h["planner"], d1, communes, devices, links,
                        sites)
        for close in svc.closers:
            close()


def _other(w: World, table: dict[str, str | None] | dict[int, str | None]) -> object:
    return next(k for k, d in sorted(table.items()) if d is not None and d != w.d1)


def _mine(w: World, table: dict[str, str | None] | dict[int, str | None]) -> object:
    return next(k for k, d in sorted(table.items()) if d == w.d1)


def test_geography_shows_the_district_only(world: World) -> None:
    c, w = world.client, world
    mine = c.get("/api/v1/geo/communes", headers=w.scoped).json()["features"]
    codes = {f["properties"]["code"] for f in mine}
    assert codes and all(w.communes[x] == w.d1 for x in codes)
    assert codes == {x for x, d in w.communes.items() if d == w.d1} & {
        f["properties"]["code"] for f in c.get("/api/v1/geo/communes",
                                               headers=w.everyone).json()["features"]}
    other = _other(w, w.communes)  # type: ignore[arg-type]
    r = c.get("/api/v1/geo/communes", headers=w.scoped, params={"code": other})
    assert r.status_code == 403 and f"commune {other} is outside them" in r.json()["detail"]
    routers = c.get("/api/v1/geo/routers", headers=w.scoped).json()["features"]
    assert routers and {w.sites[f["properties"]["code"]] for f in routers} == {w.d1}
    assert len(c.get("/api/v1/geo/routers", headers=w.everyone).json()["features"]) > len(
        routers)
    links = c.get("/api/v1/geo/links", headers=w.scoped).json()["features"]
    assert links and {w.links[f["properties"]["id"]] for f in links} == {w.d1}
    assert c.get("/api/v1/geo/sites", headers=w.scoped,
                 params={"commune": other}).status_code == 403
    assert c.get("/api/v1/geo/sites", headers=w.scoped,
                 params={"commune": _mine(w, w.communes)}).status_code == 200
    listed = c.get("/api/v1/communes", headers=w.scoped, params={"limit": 500}).json()
    assert listed["items"] and all(x["district_code"] == w.d1 for x in listed["items"])


def test_objects_of_another_district_are_refused(world: World) -> None:
    c, w = world.client, world
    dev, link = _other(w, w.devices), _other(w, w.links)
    commune = _other(w, w.communes)  # type: ignore[arg-type]
    for path in (f"/api/v1/devices/{dev}/history", f"/api/v1/devices/{dev}/interfaces/1/history",
                 f"/api/v1/reachability/{dev}", f"/api/v1/devices/{dev}/config",
                 f"/api/v1/links/{link}/history", f"/api/v1/links/{link}/percentile",
                 f"/api/v1/links/{link}/timeline", f"/api/v1/links/{link}/health",
                 f"/api/v1/communes/{commune}/history", f"/api/v1/communes/{commune}/coverage",
                 f"/maps/communes/{commune}", f"/maps/communes/{commune}.svg",
                 f"/api/v1/coverage/infill?commune={commune}",
                 f"/api/v1/coverage/layers?commune={commune}",
                 "/api/v1/coverage/gaps", "/api/v1/reports/availability"):
        r = c.get(path, headers=w.scoped)
        assert r.status_code == 403, (path, r.status_code, r.text[:200])
        assert f"limited to district(s) {w.d1}" in r.json()["detail"], path
        assert c.get(path, headers=w.everyone).status_code != 403, path
    # its own objects pass the scope (the history routes then say InfluxDB is not there)
    mine_dev, mine_link = _mine(w, w.devices), _mine(w, w.links)
    assert c.get(f"/api/v1/reachability/{mine_dev}", headers=w.scoped).status_code == 200
    assert c.get(f"/api/v1/links/{mine_link}/health", headers=w.scoped).status_code == 200
    assert c.get(f"/api/v1/devices/{mine_dev}/history", headers=w.scoped).status_code == 503
    r = c.get(f"/maps/communes/{_mine(w, w.communes)}", headers=w.scoped)  # type: ignore[arg-type]
    assert r.status_code == 200
    # an unknown object is the route's 404, not a hint about another district
    assert c.get("/api/v1/reachability/999999", headers=w.scoped).status_code == 404


def test_reachability_lists_the_district_only(world: World) -> None:
    c, w = world.client, world
    items = c.get("/api/v1/reachability", headers=w.scoped,
                  params={"limit": 1000}).json()["items"]
    assert items and {w.devices[i["device_id"]] for i in items} == {w.d1}
    everyone = c.get("/api/v1/reachability", headers=w.everyone,
                     params={"limit": 1000}).json()["items"]
    assert len({w.devices[i["device_id"]] for i in everyone}) > 1


def test_the_stream_carries_the_district_only(world: World) -> None:
    w = world
    hub = next(c.hub for c in w.svc.consumers if hasattr(c, "hub"))
    mine, other = _mine(w, w.links), _other(w, w.links)
    portal = w.client.portal
    assert portal is not None
    got: dict[str, list[str]] = {}
    for who, headers in (("scoped", w.scoped), ("everyone", w.everyone)):
        with w.client.stream("GET", "/api/v1/stream", headers=headers) as r:
            assert r.status_code == 200
            lines = r.iter_lines()
            assert next(lines).startswith("retry:")
            portal.call(hub.publish, "links", [{"link_id": other, "status": "down"},
                                               {"link_id": mine, "status": "down"}])
            portal.call(hub.publish, "links", [{"link_id": other, "status": "up"}])
            portal.call(hub.publish, "cycle", {"cycle": 1})
            data = []
            for line in lines:
                if line.startswith("data: "):
                    data.append(line.removeprefix("data: "))
                if line.startswith("event: cycle"):
                    data.append(next(lines))
                    break
            got[who] = data
    assert got["scoped"] == [f'[{{"link_id":{mine},"status":"down"}}]',
                             'data: {"cycle":1}']
    assert len(got["everyone"]) == 3
