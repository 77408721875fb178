"""Users, tokens and settings over HTTP for admins (issue 13), on the service's app with the
real authenticator, SQLite and PostgreSQL: create a user (password never echoed), issue a
token that works and is shown once, scope and disable the user, revoke the token, CSRF for
cookie sessions, settings with secrets hidden, a reload of the settings file; every change
in the audit log."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from provnet.api.app import create_app
from provnet.api.context import ApiContext
from provnet.config.settings import load_settings
from provnet.features import attach_all
from provnet.inventory import auth
from provnet.inventory.store import Store
from provnet.service import Service
from tests.support.pg_server import BACKENDS, backend_store

pytestmark = pytest.mark.integration
CANARY = "canary-c0mmunity-7f3a"
PASSWORD = "mật khẩu rất dài 2026"


@dataclass
class World:
    client: TestClient
    admin: dict[str, str]
    store: Store
    cfg: Path
    svc: Service


def _write_cfg(path: Path, state: Path, url: str, profiles: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump({
        "state_dir": str(state), "database_url": url, "alerts": {"enabled": False},
        "coverage": {"compute_on_start": False}, "snmp_profiles": profiles}))


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[World]:
    state = tmp_path_factory.mktemp(f"admin-{request.param}")
    with backend_store(request.param, state) as store:
        cfg = state / "provnet.yaml"
        _write_cfg(cfg, state, store.url, {"default": {"community": CANARY}})
        settings = load_settings(cfg)
        svc = Service(settings, store)
        svc.settings_loader = lambda: load_settings(cfg)
        attach_all(svc)
        assert svc.api_auth is not None
        # the authenticator keeps answers 5 s; 0.5 s here so the test waits less
        svc.api_auth.authenticator.ttl_s = 0.5  # type: ignore[attr-defined]
        auth.add_user(store, "root", "admin", (), "root password 1")
        token = auth.create_token(store, auth.server_secret(settings.state_dir), "root")[1]
        app = create_app(ApiContext(store=store, live=svc.live, auth=svc.api_auth),
                         svc.routers)
        with TestClient(app, follow_redirects=False) as client:
            yield World(client, {"Authorization": f"Bearer {token}"}, store, cfg, svc)
        for close in svc.closers:
            close()


def _until(check: Callable[[], bool], timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout  # the authenticator keeps answers a while
    while not check():
        assert time.monotonic() < deadline, "not within the authenticator's cache time"
        time.sleep(0.25)


def _audit(w: World, action: str) -> list[dict[str, Any]]:
    r = w.client.get("/api/v1/audit", headers=w.admin, params={"action": action})
    return list(r.json()["items"])


def test_users_and_tokens_lifecycle(world: World) -> None:
    c, w = world.client, world
    r = c.post("/api/v1/users", headers=w.admin, json={
        "name": "bình", "role": "operator", "password": PASSWORD})
    assert r.status_code == 201, r.text
    assert r.json() == {"id": r.json()["id"], "name": "bình", "role": "operator",
                        "districts": [], "disabled": False, "has_password": True}
    assert c.post("/api/v1/users", headers=w.admin, json={
        "name": "bình", "role": "viewer"}).status_code == 409
    assert c.post("/api/v1/users", headers=w.admin, json={
        "name": "x", "role": "root"}).status_code == 422
    assert c.post("/api/v1/users", headers=w.admin, json={
        "name": "<script>", "role": "viewer"}).status_code == 422
    r = c.post("/api/v1/users/bình/tokens", headers=w.admin, json={"expires": "90d"})
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    made = r.json()
    token = made["token"]
    assert token.startswith(made["prefix"]) and made["expires_at"]
    mine = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/v1/devices", headers=mine).status_code == 200  # it works
    assert c.get("/api/v1/users", headers=mine).status_code == 403  # an operator
    listed = c.get("/api/v1/tokens", headers=w.admin)
    assert token not in listed.text and made["prefix"] in listed.text
    users = c.get("/api/v1/users", headers=w.admin).text
    assert PASSWORD not in users and "argon2" not in users
    # district scope and role
    r = c.put("/api/v1/users/bình", headers=w.admin, json={"districts": ["886", "887"],
                                                            "role": "viewer"})
    assert r.status_code == 200 and r.json()["districts"] == ["886", "887"]
    _until(lambda: c.post("/api/v1/alerts/silences", headers=mine, json={
        "created_by": "x", "rule": "link_down", "district": "886",
        "duration_s": 60}).status_code == 403)  # a viewer now
    # disable: its token stops working
    r = c.put("/api/v1/users/bình", headers=w.admin, json={"disabled": True})
    assert r.status_code == 200 and r.json()["disabled"] is True
    _until(lambda: c.get("/api/v1/health", headers=mine).status_code == 401)
    c.put("/api/v1/users/bình", headers=w.admin, json={"disabled": False})
    _until(lambda: c.get("/api/v1/health", headers=mine).status_code == 200)
    r = c.get("/api/v1/devices", headers=mine)  # two districts: it must name one
    assert r.status_code == 403 and "886, 887" in r.json()["detail"]
    # revoke
    assert c.delete(f"/api/v1/tokens/{made['id']}", headers=w.admin).status_code == 204
    _until(lambda: c.get("/api/v1/health", headers=mine).status_code == 401)
    assert c.delete("/api/v1/tokens/2147480000", headers=w.admin).status_code == 404
    assert c.put("/api/v1/users/nobody", headers=w.admin,
                 json={"disabled": True}).status_code == 404
    # an admin cannot lock itself out
    r = c.put("/api/v1/users/root", headers=w.admin, json={"disabled": True})
    assert r.status_code == 409 and "another admin" in r.json()["detail"]
    assert c.put("/api/v1/users/root", headers=w.admin,
                 json={"role": "viewer"}).status_code == 409
    # audited: who, and never a password or a token
    added = _audit(w, "user.add")[0]
    assert added["actor"] == "root" and added["after"]["name"] == "bình"
    assert [e["after"]["disabled"] for e in _audit(w, "user.disable")] == [True]
    assert _audit(w, "token.create")[0]["after"]["prefix"] == made["prefix"]
    assert _audit(w, "token.revoke")[0]["target"] == f"token {made['id']}"
    every = json.dumps(c.get("/api/v1/audit", headers=w.admin,
                             params={"limit": 1000}).json(), ensure_ascii=False)
    assert PASSWORD not in every and token not in every


def test_cookie_sessions_need_the_csrf_header(world: World) -> None:
    c = TestClient(world.client.app, follow_redirects=False)
    csrf = (c.get("/login"), c.cookies["provnet_csrf"])[1]
    r = c.post("/login", data={"username": "root", "password": "root password 1",
                               "csrf": csrf, "next": "/maps/province"})
    assert r.status_code == 303
    body = {"name": "an", "role": "viewer"}
    r = c.post("/api/v1/users", json=body)
    assert r.status_code == 403 and "X-CSRF-Token" in r.json()["detail"]
    assert c.post("/api/v1/users", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201


def test_settings_hide_secrets_and_reload(world: World, tmp_path: Path) -> None:
    c, w = world.client, world
    r = c.get("/api/v1/settings", headers=w.admin)
    assert r.status_code == 200 and CANARY not in r.text
    assert r.json()["snmp_profiles"]["default"]["community"] == "**********"
    _write_cfg(w.cfg, w.svc.settings.state_dir, w.store.url,
               {"default": {"community": CANARY}, "extra": {"community": "x", "port": 1161}})
    r = c.post("/api/v1/settings/reload", headers=w.admin)
    assert r.status_code == 200, r.text
    assert set(w.svc.settings.snmp_profiles) == {"default", "extra"}
    event = _audit(w, "settings.reload")[0]
    assert event["actor"] == "root" and event["after"]["snmp_profiles"] == ["default", "extra"]
    w.cfg.write_text("snmp_profiles: {default: {no_such_key: 1}}\n")
    r = c.post("/api/v1/settings/reload", headers=w.admin)
    assert r.status_code == 422 and "running ones are kept" in r.json()["detail"][0]["msg"]
    assert set(w.svc.settings.snmp_profiles) == {"default", "extra"}
    assert c.post("/api/v1/settings/reload",
                  headers={"Authorization": "Bearer pn_x"}).status_code == 401
