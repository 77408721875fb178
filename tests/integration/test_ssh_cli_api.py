"""``provnet ssh`` commands and the configuration API against fakenos devices on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from provnet.api.app import create_app
from provnet.api.configs import config_router
from provnet.api.context import ApiContext
from provnet.cli import app
from provnet.inventory.configs import set_ssh_endpoint
from provnet.inventory.store import Store
from provnet.pollers.live import LiveState
from provnet.sshsim import SshSimulatorProcess
from tests.support.helpers import InfluxdHandle
from tests.support.ssh_fixtures import sim_devices
from tests.support.ssh_store import seed_devices, sqlite_store_at

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[tuple[Path, Store, SshSimulatorProcess]]:
    """State dir with a config file, an inventory of 3 SSH devices (one with a wrong
    password), and the fakenos devices."""
    state = tmp_path_factory.mktemp("state")
    devs = sim_devices(n_huawei=2, n_cisco=1)
    cfg = {"state_dir": str(state), "database_url": f"sqlite:///{state / 'inv.sqlite'}", "ssh": {
        "credentials": {"noc": {"username": "provnet", "password": "provnet"},
                        "stale": {"username": "provnet", "password": "wrong"}},
        "default_credential": "noc", "credential_by_role": {"department": "stale"}}}
    (state / "provnet.yaml").write_text(yaml.safe_dump(cfg))
    with sqlite_store_at(state) as store, SshSimulatorProcess(devs, state / "sim") as sim:
        ids = seed_devices(store, [d.name for d in devs])
        with store.session() as s:
            for d in devs:
                set_ssh_endpoint(s, ids[d.name], d.port, "127.0.0.1")
            from provnet.inventory.model import Device

            s.get(Device, ids["ag-pop-881"]).role = "department"  # type: ignore[union-attr]
        yield state, store, sim


def _cli(state: Path, *args: str, config: str = "provnet.yaml") -> tuple[int, str]:
    res = CliRunner().invoke(app, ["ssh", *args, "--config", str(state / config)])
    return res.exit_code, res.output


def test_ssh_run(env: tuple[Path, Store, SshSimulatorProcess]) -> None:
    state, _, _ = env
    code, out = _cli(state, "run", "ag-pop-880", "display version")
    assert code == 0, out
    assert "Huawei Versatile Routing Platform" in out
    code, out = _cli(state, "run", "ag-pop-881", "display version")
    assert code == 1 and "auth" in out and "authentication failed" in out
    code, out = _cli(state, "run", "no-such-router", "display version")
    assert code == 2 and "no SSH device 'no-such-router'" in out


def test_backup_then_api(env: tuple[Path, Store, SshSimulatorProcess]) -> None:
    state, store, sim = env
    code, out = _cli(state, "backup")
    assert code == 1  # one device refuses our password ...
    assert "ag-pop-881" in out and "FAILED (auth)" in out
    assert out.count("stored first version") == 2  # ... the others are backed up
    cfg = sim.config_path("ag-dept-01")
    cfg.write_text(cfg.read_text().replace("ntp server 10.0.0.1", "ntp server 10.0.0.9\n"
                                           "logging host 10.0.0.7"))
    code, out = _cli(state, "backup", "ag-dept-01")
    assert code == 0 and "CHANGED" in out and "(+2 -1 lines)" in out, out

    client = TestClient(create_app(ApiContext(store=store, live=LiveState()),
                                   [config_router(store)]))
    dev_id = next(i for i, d in enumerate(sim.devices, 1) if d.name == "ag-dept-01")
    page = client.get(f"/api/v1/devices/{dev_id}/config").json()
    assert page["total"] == 2 and [v["changed"] for v in page["items"]] == [True, False]
    newest, oldest = page["items"][0]["id"], page["items"][1]["id"]
    one = client.get(f"/api/v1/devices/{dev_id}/config", params={"limit": 1}).json()
    assert [v["id"] for v in one["items"]] == [newest] and one["next"].endswith(
        f"cursor={newest}")
    two = client.get(one["next"]).json()  # newest first: the cursor counts down
    assert [v["id"] for v in two["items"]] == [oldest] and two["next"] is None
    diff = client.get(f"/api/v1/devices/{dev_id}/config/diff")
    assert diff.status_code == 200 and "+logging host 10.0.0.7" in diff.text
    explicit = client.get(f"/api/v1/devices/{dev_id}/config/diff",
                          params={"from": oldest, "to": newest})
    assert explicit.text == diff.text
    text = client.get(f"/api/v1/devices/{dev_id}/config/{newest}").text
    assert "hostname ag-dept-01" in text and "Sc0mmV1et" not in text and "<removed>" in text
    changes = client.get("/api/v1/config-changes").json()
    assert [c["hostname"] for c in changes["items"]] == ["ag-dept-01"]
    assert changes["next"] is None
    after = client.get("/api/v1/config-changes",
                       params={"cursor": changes["items"][0]["id"]}).json()
    assert after["items"] == [] and after["total"] == 1
    assert client.get("/api/v1/devices/999/config").status_code == 404
    r = client.get(f"/api/v1/devices/{dev_id}/config/diff", params={"from": 999999})
    assert r.status_code == 404 and "no configuration version 999999" in r.json()["detail"]
    assert client.get(f"/api/v1/devices/{dev_id}/config/diff",
                      params={"from": "x"}).status_code == 422
    first_only = next(i for i, d in enumerate(sim.devices, 1) if d.name == "ag-pop-880")
    r = client.get(f"/api/v1/devices/{first_only}/config/diff")
    assert r.status_code == 404 and "no earlier version" in r.json()["detail"]


def test_cli_backup_sends_change_events_to_influxdb(env: tuple[Path, Store, SshSimulatorProcess],
                                                   influx_database: InfluxdHandle) -> None:
    state, _, sim = env
    cfg = yaml.safe_load((state / "provnet.yaml").read_text())
    cfg["influx"] = {"url": influx_database.url, "database": influx_database.database}
    (state / "influx.yaml").write_text(yaml.safe_dump(cfg))
    assert _cli(state, "backup", "ag-pop-880", config="influx.yaml")[0] == 0
    path = sim.config_path("ag-pop-880")
    path.write_text(path.read_text().replace("clock timezone ICT add 07:00:00",
                                             "clock timezone ICT add 07:00:00\ninfo-center enable"))
    code, out = _cli(state, "backup", "ag-pop-880", config="influx.yaml")
    assert code == 0 and "CHANGED" in out, out
    with influx_database.reader() as r:
        rows = r.query("SELECT lines_added, lines_removed, device FROM config_change")
    assert [(row["device"], row["lines_added"], row["lines_removed"]) for row in rows] == [
        ("ag-pop-880", 1, 0)]
