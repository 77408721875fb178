"""Who may do what, crawled: every route of the OpenAPI document and every page, as anonymous,
viewer, operator and admin, against the role this test's own table gives it.

The app is the service's (``attach_all`` over a demo-seeded SQLite store) with the real
authenticator (tokens made through ``inventory.auth``, checked as keyed hashes). A route
missing from ``EXPECTED`` fails ``test_every_route_has_a_role``; a route whose answer does not
follow its role fails the crawl.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from provnet.alerts.model import Incident
from provnet.api.app import create_app
from provnet.api.context import ApiContext
from provnet.api.roles import ROUTE_ROLES
from provnet.config.settings import load_settings
from provnet.demo.seed import seed_demo
from provnet.features import attach_all
from provnet.inventory import auth
from provnet.inventory.model import AdminUnit
from provnet.inventory.store import open_store
from provnet.service import Service
from provnet.tsdb.client import InfluxQLReader
from tests.support.helpers import free_port

pytestmark = pytest.mark.integration
V, O, A, P = "viewer", "operator", "admin", "public"  # noqa: E741
#: the test's own statement of every route's role (independent of api/roles.py)
EXPECTED: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/health"): V, ("GET", "/metrics"): V,
    ("GET", "/api/v1/links"): V, ("GET", "/api/v1/links/{link_id}/health"): V,
    ("GET", "/api/v1/devices"): V, ("GET", "/api/v1/communes"): V,
    ("GET", "/api/v1/reachability"): V, ("GET", "/api/v1/reachability/{device_id}"): V,
    ("GET", "/api/v1/stream"): V, ("GET", "/api/v1/stream/status"): V,
    ("GET", "/api/v1/inventory/{kind}"): V, ("GET", "/api/v1/inventory/{kind}/{key}"): V,
    ("POST", "/api/v1/inventory/{kind}"): A, ("PUT", "/api/v1/inventory/{kind}/{key}"): A,
    ("DELETE", "/api/v1/inventory/{kind}/{key}"): A, ("GET", "/api/v1/inventory-changes"): A,
    ("GET", "/api/v1/alerts/incidents"): V, ("GET", "/api/v1/alerts/incidents/{incident_id}"): V,
    ("POST", "/api/v1/alerts/incidents/{incident_id}/ack"): O,
    ("GET", "/api/v1/alerts/alerts"): V,
    ("GET", "/api/v1/alerts/nodes"): V,
    ("GET", "/api/v1/alerts/silences"): V, ("POST", "/api/v1/alerts/silences"): O,
    ("DELETE", "/api/v1/alerts/silences/{silence_id}"): O,
    ("GET", "/api/v1/alerts/maintenance"): V, ("POST", "/api/v1/alerts/maintenance"): O,
    ("DELETE", "/api/v1/alerts/maintenance/{window_id}"): O,
    ("GET", "/api/v1/communes/{code}/coverage"): V, ("GET", "/api/v1/coverage/communes"): V,
    ("GET", "/api/v1/coverage/layers"): V, ("GET", "/api/v1/coverage/gaps"): V,
    ("GET", "/api/v1/coverage/infill"): V,
    ("GET", "/api/v1/geo/communes"): V, ("GET", "/api/v1/geo/boundaries"): V,
    ("GET", "/api/v1/geo/sites"): V, ("GET", "/api/v1/geo/routers"): V,
    ("GET", "/api/v1/geo/links"): V,
    ("GET", "/maps/province"): V, ("GET", "/maps/communes/{code}.svg"): V,
    ("GET", "/maps/communes/{code}"): V,
    ("GET", "/api/v1/communes/{code}/history"): V,
    ("GET", "/api/v1/devices/{device_id}/history"): V,
    ("GET", "/api/v1/devices/{device_id}/interfaces/{ifindex}/history"): V,
    ("GET", "/api/v1/links/{link_id}/history"): V,
    ("GET", "/api/v1/links/{link_id}/percentile"): V,
    ("GET", "/api/v1/links/{link_id}/timeline"): V, ("GET", "/api/v1/reports/availability"): V,
    ("GET", "/api/v1/devices/{device_id}/config"): O,
    ("GET", "/api/v1/devices/{device_id}/config/diff"): O,
    ("GET", "/api/v1/devices/{device_id}/config/{version_id}"): O,
    ("GET", "/api/v1/config-changes"): O,
    ("GET", "/api/v1/audit"): A,
    ("GET", "/login"): P, ("POST", "/login"): P, ("POST", "/logout"): P,
}
#: pages and documents outside the OpenAPI paths
EXTRA = {("GET", "/openapi.json"): V, ("GET", "/docs"): V, ("GET", "/redoc"): V}
RANK = {None: 0, P: 0, V: 1, O: 2, A: 3}


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str]
    communes: tuple[str, str]  # a commune code in district 1 and district 2
    districts: tuple[str, str]
    incidents: tuple[int, int]  # one open incident in each district


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    state = tmp_path_factory.mktemp("roles")
    settings = load_settings(state_dir=state)
    store = open_store(settings.sql_url())
    seed_demo(store)
    with store.session() as s:
        units = s.query(AdminUnit).filter(AdminUnit.level == "district").order_by(
            AdminUnit.code).all()
        d1, d2 = units[0].code, units[1].code
        communes = []
        for d in (units[0], units[1]):
            c = s.query(AdminUnit).filter(AdminUnit.parent_id == d.id).order_by(
                AdminUnit.code).first()
            assert c is not None
            communes.append(c.code)
        incs = [Incident(group_key=f"g{d}", title="t", root_cause="c", root_site_code=None,
                         district=d, severity="major", status="open", started_at=time.time())
                for d in (d1, d2)]
        s.add_all(incs)
        s.flush()
        inc_ids = (incs[0].id, incs[1].id)
    svc = Service(settings, store)
    # no InfluxDB answers there: the history routes exist and answer 503 with the reason
    svc.reader = InfluxQLReader(f"http://127.0.0.1:{free_port()}", "provnet")
    attach_all(svc)
    assert svc.api_auth is not None
    secret = auth.server_secret(state)
    tokens = {}
    for name, role, scope in (("viewer", V, ()), ("operator", O, ()), ("admin", A, ()),
                              ("op1", O, (d1,))):
        auth.add_user(store, name, role, scope)
        tokens[name] = auth.create_token(store, secret, name)[1]
    app = create_app(ApiContext(store=store, live=svc.live, auth=svc.api_auth), svc.routers)
    _STORE[:] = [store, svc]
    with TestClient(app) as client:
        yield World(client, tokens, (communes[0], communes[1]), (d1, d2), inc_ids)
    for close in svc.closers:
        close()
    store.close()


def _operations(client: TestClient) -> dict[tuple[str, str], dict[str, Any]]:
    doc = client.get("/openapi.json", headers=_h(None)).json()
    return {(m.upper(), p): op for p, ops in doc["paths"].items() for m, op in ops.items()}


_ADMIN: dict[str, str] = {}
_STORE: list[Any] = []


def _h(token: str | None) -> dict[str, str]:
    token = token or _ADMIN.get("t")
    return {"Authorization": f"Bearer {token}"} if token else {}


def _concrete(path: str, op: dict[str, Any], w: World) -> str:
    for p in op.get("parameters", []):
        if p["in"] != "path":
            continue
        schema = p.get("schema", {})
        value = (schema.get("enum") or [None])[0] or (
            "1" if schema.get("type") == "integer" else
            w.communes[0] if p["name"] == "code" else "x")
        path = path.replace("{" + p["name"] + "}", str(value))
    return path


def test_every_route_has_a_role(world: World) -> None:
    _ADMIN["t"] = world.tokens["admin"]
    ops = set(_operations(world.client))
    assert ops == set(EXPECTED), (f"routes without a role in this test: {ops - set(EXPECTED)}; "
                                  f"gone: {set(EXPECTED) - ops}")
    declared = {(m, p.replace(":path", "")): r for (m, p), r in ROUTE_ROLES.items()}
    for key, role in {**EXPECTED, **EXTRA}.items():
        assert declared.get(key) == role, f"{key}: api/roles.py says {declared.get(key)}"


def test_openapi_declares_security(world: World) -> None:
    _ADMIN["t"] = world.tokens["admin"]
    doc = world.client.get("/openapi.json", headers=_h(None)).json()
    assert set(doc["components"]["securitySchemes"]) == {"bearer", "session"}
    for (method, path), op in _operations(world.client).items():
        assert op["x-provnet-role"] == EXPECTED[(method, path)]
        if EXPECTED[(method, path)] == P:
            assert op["security"] == [], (method, path)
            continue
        assert op["security"] == [{"bearer": []}, {"session": []}], (method, path)
        assert {"401", "403"} <= set(op["responses"])


@pytest.mark.parametrize("who", [None, "viewer", "operator", "admin"])
def test_crawl_every_route(world: World, who: str | None) -> None:
    _ADMIN["t"] = world.tokens["admin"]
    ops = _operations(world.client)
    targets = [(m, p, _concrete(p, op, world)) for (m, p), op in ops.items()]
    targets += [(m, p, p) for (m, p) in EXTRA]
    table = {**EXPECTED, **EXTRA}
    seen = []
    for method, template, path in targets:
        role = table[(method, template)]
        if template == "/api/v1/stream" and who is not None and RANK[who] >= RANK[role]:
            continue  # endless when allowed; its refusal is what this crawl checks
        body = {} if method in ("POST", "PUT") else None
        headers = {"Authorization": f"Bearer {world.tokens[who]}"} if who else {}
        r = world.client.request(method, path, headers=headers, json=body,
                                 follow_redirects=False)
        seen.append((method, path, r.status_code))
        if role == P:  # login pages: answered to all (a form POST without CSRF is refused)
            assert r.status_code < 500 and r.status_code != 401, (method, path, r.status_code)
        elif who is None:
            want = (303,) if path.startswith("/maps/") else (401,)
            assert r.status_code in want, (method, path, r.status_code, r.text[:200])
        elif RANK[who] < RANK[role]:
            assert r.status_code == 403, (method, path, r.status_code, r.text[:200])
            assert f"needs role {role}" in r.json()["detail"]
        else:
            # 503 only from the history routes: no InfluxDB here, said so in the detail
            ok = r.status_code < 500 or (r.status_code == 503 and "history" in r.text)
            assert r.status_code not in (401, 403) and ok, (
                method, path, r.status_code, r.text[:300])
    assert len(seen) >= len(EXPECTED)


def test_viewer_cannot_change_anything(world: World) -> None:
    _ADMIN["t"] = world.tokens["admin"]
    h = {"Authorization": f"Bearer {world.tokens['viewer']}"}
    writes = [(m, p) for (m, p) in _operations(world.client)
              if m != "GET" and EXPECTED[(m, p)] != P]
    assert len(writes) == 8
    for method, template in writes:
        path = template.replace("{kind}", "devices").replace("{key}", "x")
        for name in ("incident_id", "silence_id", "window_id"):
            path = path.replace("{" + name + "}", "1")
        r = world.client.request(method, path, headers=h, json={"owner": "x", "name": "x"})
        assert r.status_code == 403, (method, path, r.status_code)
    with_auth = world.client.get("/api/v1/alerts/incidents", headers=h).json()
    assert all(i["status"] == "open" for i in with_auth["items"])


def test_scoped_operator_acts_on_its_district_only(world: World) -> None:
    h = {"Authorization": f"Bearer {world.tokens['op1']}"}
    mine, other = world.incidents
    d1, d2 = world.districts
    r = world.client.post(f"/api/v1/alerts/incidents/{other}/ack", headers=h,
                          json={"owner": "someone else"})
    assert r.status_code == 403 and d1 in r.json()["detail"]
    assert world.client.get(f"/api/v1/alerts/incidents/{other}", headers=h).status_code == 403
    r = world.client.post(f"/api/v1/alerts/incidents/{mine}/ack", headers=h,
                          json={"owner": "free text ignored"})
    assert r.status_code == 200 and r.json()["acked_by"] == "op1"
    listed = world.client.get("/api/v1/alerts/incidents", headers=h).json()["items"]
    assert {i["district"] for i in listed} == {d1}
    assert world.client.get("/api/v1/alerts/incidents", headers=h,
                            params={"district": d2}).status_code == 403
    devices = world.client.get("/api/v1/devices", headers=h, params={"limit": 500}).json()
    assert devices["items"] and {d["district_code"] for d in devices["items"]} == {d1}
    links = world.client.get("/api/v1/links", headers=h, params={"limit": 500}).json()
    assert {x["district_code"] for x in links["items"]} <= {d1}
    everyone = world.client.get("/api/v1/devices", headers=_h(world.tokens["operator"]),
                                params={"limit": 500}).json()
    assert len({d["district_code"] for d in everyone["items"]}) > 1
    # a province-wide silence is outside a district scope; one in its district is not
    r = world.client.post("/api/v1/alerts/silences", headers=h,
                          json={"created_by": "x", "rule": "link_down", "duration_s": 60})
    assert r.status_code == 403
    r = world.client.post("/api/v1/alerts/silences", headers=h, json={
        "created_by": "x", "rule": "link_down", "district": d1, "duration_s": 60})
    assert r.status_code == 201 and r.json()["created_by"] == "op1"


def test_bad_revoked_and_expired_tokens_are_anonymous(world: World, tmp_path: Path) -> None:
    c = world.client
    assert c.get("/api/v1/devices", headers=_h("pn_00000000_" + "a" * 43)).status_code == 401
    assert c.get("/api/v1/devices", headers={"Authorization": "Basic eDp5"}).status_code == 401
    r = c.get("/api/v1/health")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")


def test_audit_log_says_who_what_where(world: World) -> None:
    c = world.client
    admin = _h(world.tokens["admin"])
    site = c.get("/api/v1/inventory/sites", headers=admin, params={"limit": 1}).json()
    code = site["items"][0]["code"]
    made = c.post("/api/v1/inventory/devices", headers={**admin, "X-Actor": "somebody-else"},
                  json={"name": "audit-r1", "site": code, "role": "router",
                        "primary_ip4": "10.250.0.1/24"})
    assert made.status_code == 201, made.text
    changes = c.get("/api/v1/inventory-changes", headers=admin).json()["items"]
    assert changes[0]["actor"] == "admin"  # the identity, not the free-text header
    assert c.delete("/api/v1/inventory/devices/audit-r1", headers=admin).status_code == 204
    events = c.get("/api/v1/audit", headers=admin, params={"limit": 1000}).json()["items"]
    by_action = {e["action"]: e for e in reversed(events)}  # the newest of each
    ack = by_action["incident.ack"]
    assert ack["actor"] == "op1" and ack["address"] == "testclient"
    assert ack["before"] == {"status": "open"} and ack["after"]["status"] == "acknowledged"
    assert by_action["silence.add"]["actor"] == "op1"
    assert by_action["silence.add"]["after"]["district"] == world.districts[0]
    created = by_action["inventory.devices.create"]
    assert created["actor"] == "admin" and created["after"]["name"] == "audit-r1"
    deleted = by_action["inventory.devices.delete"]
    assert deleted["before"]["name"] == "audit-r1" and deleted["after"] is None
    assert c.get("/api/v1/audit", headers=_h(world.tokens["operator"])).status_code == 403
    only = c.get("/api/v1/audit", headers=admin, params={"actor": "op1"}).json()
    assert only["total"] >= 2 and {e["actor"] for e in only["items"]} == {"op1"}


def _csrf(c: TestClient, lang: str = "vi") -> str:
    r = c.get(f"/login?lang={lang}")
    assert r.status_code == 200 and "script" not in r.text.lower()
    token = c.cookies["provnet_csrf"]
    assert f'name="csrf" value="{token}"' in r.text
    return token


def test_login_session_csrf_and_lockout(world: World) -> None:
    c = TestClient(world.client.app, follow_redirects=False)
    r = c.get("/maps/province")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/maps/province"
    assert "Đăng nhập" in c.get("/login").text and "Log in" in c.get("/login?lang=en").text
    token = _csrf(c)
    form = {"username": "lan", "password": "mật khẩu dài", "csrf": token,
            "next": "/maps/province"}
    assert c.post("/login", data={**form, "csrf": "forged"}).status_code == 403
    assert c.post("/login", data=form).status_code == 401  # no such user yet
    auth.add_user(_STORE[0], "lan", O, (), "mật khẩu dài")
    r = c.post("/login", data=form)
    assert r.status_code == 303 and r.headers["location"] == "/maps/province"
    cookie = r.headers["set-cookie"].lower()
    assert "provnet_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    assert "secure" not in cookie  # plain HTTP here; HTTPS: test_tls_serve.py
    assert c.get("/maps/province").status_code == 200
    assert c.get("/api/v1/devices").status_code == 200  # the session works for the API too
    # a write with the session cookie needs the CSRF header (another site cannot send it)
    body = {"created_by": "x", "rule": "link_down", "duration_s": 60}
    assert c.post("/api/v1/alerts/silences", json=body).status_code == 403
    r = c.post("/api/v1/alerts/silences", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 201 and r.json()["created_by"] == "lan"
    assert c.post("/logout", data={"csrf": "forged"}).status_code == 403
    assert c.post("/logout", data={"csrf": token}).status_code == 303
    assert c.get("/maps/province").status_code == 303


def test_login_lockout(world: World) -> None:
    auth.add_user(_STORE[0], "minh", V, (), "đúng rồi")
    c = TestClient(world.client.app, follow_redirects=False)
    token = _csrf(c)
    for _ in range(5):
        r = c.post("/login?lang=en", data={"username": "minh", "password": "sai",
                                           "csrf": token})
        assert r.status_code == 401 and "Wrong user name" in r.text
    r = c.post("/login?lang=en", data={"username": "minh", "password": "đúng rồi",
                                       "csrf": token})
    assert r.status_code == 429 and "Locked" in r.text  # even the right password, for now


def test_health_and_metrics_open_only_by_setting(world: World) -> None:
    from dataclasses import replace

    store, svc = _STORE
    guard = replace(svc.api_auth, public_health=True, public_metrics=True)
    app = create_app(ApiContext(store=store, live=svc.live, auth=guard), svc.routers)
    c = TestClient(app)
    r = c.get("/api/v1/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}  # minimal: no figures
    assert "poller" in c.get("/api/v1/health", headers=_h(world.tokens["viewer"])).json()
    assert c.get("/metrics").status_code == 200
    assert c.get("/api/v1/links").status_code == 401  # nothing else opens
    assert c.get("/openapi.json").status_code == 401
    closed = world.client  # the settings' defaults: both need a token
    assert closed.get("/api/v1/health").status_code == 401
    assert closed.get("/metrics").status_code == 401
