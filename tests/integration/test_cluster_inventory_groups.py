"""Issue 16: the planner assigns devices to poller nodes from the inventory.

A small province (not the demo's) is imported from CSV files with ``poller_group`` on its
sites (and one device); a real ``provnet serve`` (``cluster.enabled``) against a real
``nats-server`` hub writes the nodes' plans into the ``PLAN`` bucket: each site's devices go to
the nodes of its group, a device's own group wins over its site's, and the inventory wins
over a settings group naming the same site. Then an import moves one site to the other group
while serving: its devices' plan moves (both plans get a new version), the rest stays.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from provnet.cli import app
from provnet.pollers.cluster.messages import NodePlan
from provnet.pollers.cluster.natslink import HubLink, connect
from tests.support.helpers import InfluxdHandle, free_port, stop_process
from tests.support.nats import Hub

pytestmark = [pytest.mark.integration, pytest.mark.scaleout]

UNITS = ("generation,level,code,name,parent\nlegacy,province,990,Tỉnh Thử,\n"
         "legacy,district,991,Huyện Đông,990\nlegacy,district,992,Huyện Tây,990\n")
SITES = ("code,name,kind,latitude,longitude,region,poller_group\n"
         "CORE,Trung tâm,core,10.5,105.1,,\n"
         "PA,PoP Đông,pop,10.6,105.2,991,east\n"
         "XA,UBND xã Đông,commune_office,10.61,105.21,991,east\n"
         "PB,PoP Tây,pop,10.4,104.9,992,west\n")
DEVICES = ("name,site,role,primary_ip4,snmp_profile,poller_group\n"
           "core1,CORE,core,127.81.0.1,lab,\n"
           "pa1,PA,router,127.81.1.1,lab,\npa2,PA,router,127.81.1.2,lab,\n"
           "xa1,XA,router,127.81.2.1,lab,\n"
           "pb1,PB,router,127.81.3.1,lab,\npb2,PB,router,127.81.3.2,lab,east\n")


def _plans(urls: list[str]) -> dict[str, NodePlan]:
    async def read() -> dict[str, NodePlan]:
        nc = await connect(urls, "test-reader")
        try:
            return await HubLink(nc).read_plans()
        finally:
            await nc.close()
    return asyncio.run(read())


def _wait_plans(urls: list[str], want: dict[str, set[str]], timeout: float,
                centre_log: Path) -> dict[str, NodePlan]:
    deadline = time.monotonic() + timeout
    got: dict[str, set[str]] = {}
    while time.monotonic() < deadline:
        try:
            plans = _plans(urls)
        except Exception:  # the bucket is made by the centre once it is up
            plans = {}
        got = {n: {d.name for d in p.devices} for n, p in plans.items()}
        if got == want:
            return plans
        time.sleep(0.5)
    raise AssertionError(f"plans {got} != {want}\n"
                         f"{centre_log.read_text(errors='replace')[-4000:]}")


def test_inventory_groups_plan_the_nodes_and_follow_an_import(
        influx_database: InfluxdHandle, tmp_path: Path) -> None:
    state = tmp_path / "centre"
    state.mkdir(mode=0o700)
    src = tmp_path / "network"
    src.mkdir()
    for name, text in (("units", UNITS), ("sites", SITES), ("devices", DEVICES)):
        (src / f"{name}.csv").write_text(text, encoding="utf-8")
    hub = Hub(tmp_path).start()
    conf = tmp_path / "provnet.yaml"
    settings: dict[str, Any] = {
        "state_dir": str(state),
        "influx": {"url": influx_database.url, "database": influx_database.database},
        "poller": {"interval_s": 2.0},
        "api": {"port": free_port()},
        "icmp": {"enabled": False},
        "traps": {"enabled": False},
        "snmp_profiles": {"lab": {"community": "x", "timeout_s": 0.2, "retries": 0,
                                  "port": free_port(kind=socket.SOCK_DGRAM)}},
        "cluster": {"enabled": True, "province": "tq", "hub_urls": hub.urls,
                    "plan_every_s": 30.0, "failover_delay_s": 600.0,
                    # the settings also name site PB for east: the inventory (west) wins
                    "groups": [{"name": "east", "nodes": ["east-1"], "sites": ["PB"]},
                               {"name": "west", "nodes": ["west-1"]}]},
    }
    conf.write_text(json.dumps(settings), encoding="utf-8")
    cli = CliRunner()
    res = cli.invoke(app, ["inventory", "import", str(src), "--config", str(conf)])
    assert res.exit_code == 0, res.output
    centre: subprocess.Popen[bytes] | None = None
    log = tmp_path / "centre.log"
    try:
        with log.open("wb") as out:
            centre = subprocess.Popen(
                [sys.executable, "-m", "provnet.cli", "serve", "--config", str(conf)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        before = _wait_plans(hub.urls, {"east-1": {"pa1", "pa2", "xa1", "pb2"},
                                        "west-1": {"pb1"}}, 90, log)
        # site PA moves to the other group: an import while serving (plan_every_s is 30 s,
        # so only the inventory change can re-plan within the wait)
        (src / "sites.csv").write_text(SITES.replace("991,east\nXA", "991,west\nXA"),
                                       encoding="utf-8")
        t0 = time.monotonic()
        res = cli.invoke(app, ["inventory", "import", str(src / "sites.csv"), "--config",
                               str(conf)])
        assert res.exit_code == 0 and "sites: 0 to add, 1 to change" in res.output, res.output
        after = _wait_plans(hub.urls, {"east-1": {"xa1", "pb2"},
                                       "west-1": {"pa1", "pa2", "pb1"}}, 20, log)
        took = time.monotonic() - t0
        assert after["east-1"].version == before["east-1"].version + 1
        assert after["west-1"].version == before["west-1"].version + 1
        print(f"\nre-planned {took:.1f} s after the import")
        # an unknown group is refused by the import (the centre's settings define groups)
        (src / "sites.csv").write_text(SITES.replace("992,west", "992,north"),
                                       encoding="utf-8")
        res = cli.invoke(app, ["inventory", "import", str(src / "sites.csv"), "--config",
                               str(conf)])
        assert res.exit_code == 1
        assert (f"{src / 'sites.csv'}:5:7: poller_group: unknown poller group 'north' "
                "(cluster.groups: east, west)") in res.output, res.output
        assert _plans(hub.urls) == after
    finally:
        if centre is not None:
            stop_process(centre)
        hub.stop()
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-4000:]
