"""Operator actions on a non-demo network (issue 13): ``provnet serve`` over an inventory of
its own (two routers answering SNMP through a real ``snmpd`` and SSH through fakenos), then
``POST /api/v1/devices/{id}/poll`` and ``POST /api/v1/devices/{id}/config/backup`` as an
operator: the poll reaches the live state, the backup stores the changed configuration;
viewers and operators of another district are refused, every action is audited."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from provnet.config.settings import load_settings
from provnet.inventory.configs import set_ssh_endpoint
from provnet.inventory.model import Device, Site
from provnet.sshsim import SshSimulatorProcess
from tests.support.api_auth import admin_headers
from tests.support.demo_proc import wait_until
from tests.support.helpers import InfluxdHandle, free_port, stop_process
from tests.support.snmp_agents import SnmpdAgent, start_snmpd
from tests.support.ssh_fixtures import sim_devices
from tests.support.ssh_store import seed_devices, sqlite_store_at

pytestmark = pytest.mark.integration


class Serve:
    def __init__(self, base: str, proc: subprocess.Popen[bytes], log: Path,
                 ids: dict[str, int], sim: SshSimulatorProcess,
                 tokens: dict[str, dict[str, str]]) -> None:
        self.base, self.proc, self.log, self.ids, self.sim = base, proc, log, ids, sim
        self.tokens = tokens

    def call(self, method: str, path: str, who: str, **kw: Any) -> httpx.Response:
        return httpx.request(method, self.base + path, headers=self.tokens[who], timeout=60,
                             **kw)


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory, influxd: InfluxdHandle) -> Iterator[Serve]:
    state = tmp_path_factory.mktemp("actions")
    agent: SnmpdAgent = start_snmpd()
    devs = sim_devices(n_huawei=1, n_cisco=1)
    port = free_port()
    cfg = {"state_dir": str(state), "database_url": f"sqlite:///{state / 'inv.sqlite'}",
           "influx": {"url": influxd.url, "database": "provnet_actions"},
           "poller": {"interval_s": 300}, "api": {"port": port},
           "traps": {"port": free_port()}, "icmp": {"enabled": False},
           "alerts": {"enabled": False}, "coverage": {"compute_on_start": False},
           "snmp_profiles": {"default": {"community": "public", "port": agent.port,
                                         "timeout_s": 1, "retries": 1}},
           "ssh": {"credentials": {"noc": {"username": "provnet", "password": "provnet"}},
                   "default_credential": "noc", "backup_interval_s": 3600,
                   "optics_interval_s": 3600}}
    cfg_path = state / "provnet.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    with sqlite_store_at(state) as store, SshSimulatorProcess(devs, state / "sim") as sim:
        names = [d.name for d in devs] + ["ag-nossh-01"]
        ids = seed_devices(store, names, {"ag-nossh-01": "no_such_os"})
        with store.session() as s:
            for d in devs:
                set_ssh_endpoint(s, ids[d.name], d.port, "127.0.0.1")
                s.get(Device, ids[d.name]).snmp_profile = "default"  # type: ignore[union-attr]
            site = s.get(Device, ids[devs[0].name]).site  # type: ignore[union-attr]
            site.kind = "core"
            s.add(Site(code="AG-OTHER", name="Trạm khác", name_folded="tram khac", kind="pop",
                        lat=10.4, lon=105.4))
        settings = load_settings(cfg_path)
        tokens = {"op": admin_headers(settings, "op", "operator"),
                  "viewer": admin_headers(settings, "viewer", "viewer")}
        from provnet.inventory import auth
        auth.add_user(store, "op886", "operator", ("886",))
        tokens["op886"] = {"Authorization": "Bearer " + auth.create_token(
            store, auth.server_secret(state), "op886")[1]}
        log = state / "serve.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "provnet.cli", "serve", "--config",
                                     str(cfg_path)], stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        try:
            srv = Serve(f"http://127.0.0.1:{port}", proc, log, ids, sim, tokens)
            wait_until("the API", lambda: srv.call("GET", "/api/v1/health", "op").status_code
                       == 200, 60, proc, log)
            # the scheduled backup at start (5 s in) must not race the test's own backups
            wait_until("the scheduled backup", lambda: "SSH backup:" in log.read_text(), 60,
                       proc, log)
            yield srv
        finally:
            stop_process(proc, timeout_s=20)
            agent.stop()


def test_poll_now_goes_through_the_data_path(serve: Serve) -> None:
    dev = serve.ids["ag-pop-880"]
    before = {d["id"]: d for d in serve.call("GET", "/api/v1/devices", "op").json()["items"]}
    t0 = time.time()
    r = serve.call("POST", f"/api/v1/devices/{dev}/poll", "op")
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["ok"] and out["name"] == "ag-pop-880" and out["error"] is None
    assert out["interfaces"] > 0 and out["interfaces_up"] >= 1  # snmpd's lo at least
    assert out["polled_at"] >= t0 and out["sys_uptime_ticks"] > 0
    # the live state has this poll (scheduled polls start at their offset in 300 s)
    assert before[dev]["last_poll"] is None and before[dev]["poll_ok"] is None
    after = {d["id"]: d for d in serve.call("GET", "/api/v1/devices", "op").json()["items"]}
    assert after[dev]["poll_ok"] is True and after[dev]["last_poll"] is not None
    assert after[dev]["status"] != "unknown"
    assert serve.call("POST", "/api/v1/devices/999999/poll", "op").status_code == 404
    r = serve.call("POST", f"/api/v1/devices/{dev}/poll", "viewer")
    assert r.status_code == 403 and "needs role operator" in r.json()["detail"]
    r = serve.call("POST", f"/api/v1/devices/{dev}/poll", "op886")
    assert r.status_code == 403 and "limited to district(s) 886" in r.json()["detail"]
    r = httpx.post(f"{serve.base}/api/v1/devices/{dev}/poll", timeout=10)
    assert r.status_code == 401


def test_backup_now_stores_the_changed_configuration(serve: Serve) -> None:
    dev = serve.ids["ag-dept-01"]
    first = serve.call("POST", f"/api/v1/devices/{dev}/config/backup", "op")
    assert first.status_code == 200, first.text
    assert first.json()["ok"], first.json()
    cfg = serve.sim.config_path("ag-dept-01")
    cfg.write_text(cfg.read_text().replace("ntp server 10.0.0.1",
                                           "ntp server 10.0.0.9\nlogging host 10.0.0.7"))
    r = serve.call("POST", f"/api/v1/devices/{dev}/config/backup", "op")
    out = r.json()
    assert r.status_code == 200 and out["ok"] and out["changed"] and not out["first"], out
    assert out["lines_added"] == 2 and out["lines_removed"] == 1
    versions = serve.call("GET", f"/api/v1/devices/{dev}/config", "op").json()["items"]
    assert versions[0]["id"] == out["version_id"]
    diff = serve.call("GET", f"/api/v1/devices/{dev}/config/diff", "op")
    assert "+logging host 10.0.0.7" in diff.text
    r = serve.call("POST", f"/api/v1/devices/{serve.ids['ag-nossh-01']}/config/backup", "op")
    assert r.status_code == 409 and "no SSH endpoint or SSH profile" in r.json()["detail"]
    r = serve.call("POST", f"/api/v1/devices/{dev}/config/backup", "viewer")
    assert r.status_code == 403


def test_actions_are_audited(serve: Serve) -> None:
    admin = admin_headers(load_settings(Path(serve.log.parent / "provnet.yaml")))
    events = httpx.get(serve.base + "/api/v1/audit", headers=admin, timeout=10,
                       params={"limit": 100}).json()["items"]
    polls = [e for e in events if e["action"] == "device.poll"]
    backups = [e for e in events if e["action"] == "config.backup"]
    assert polls and polls[0]["actor"] == "op" and polls[0]["target"] == "device ag-pop-880"
    assert polls[0]["after"]["ok"] is True and polls[0]["address"] == "127.0.0.1"
    assert len(backups) == 2 and backups[0]["after"]["changed"] is True


def test_trap_figures_are_on_metrics(serve: Serve) -> None:
    text = serve.call("GET", "/metrics", "op").text
    assert "provnet_traps_received_total 0.0" in text
    assert "provnet_traps_refused_total" in text
