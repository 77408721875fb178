"""The running service follows the inventory: an API change reaches the poll plan and the
alert topology at the next check, an ifIndex learnt from a poll is stored, and SIGHUP's
settings reload (SNMP profiles) rebuilds the plan. In process, on a real SQLite store."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

from provnet.config.settings import load_settings
from provnet.features import attach_all
from provnet.features.inventory import InventoryWatch
from provnet.inventory import ifindex
from provnet.inventory.records import create
from provnet.inventory.store import open_store
from provnet.inventory.transfer import import_files
from provnet.pollers.types import IfSample, PollResult
from provnet.service import Service

FILES = {
    "sites.csv": "code,name,kind,latitude,longitude\nCORE,Lõi,core,10.5,105.1\n"
                 "POP,PoP,pop,10.4,105.0\n",
    "devices.csv": "name,site,role,primary_ip4,snmp_profile\ncore1,CORE,core,127.0.0.1,lab\n"
                   "pop1,POP,router,127.0.0.1,lab\n",
    "interfaces.csv": "device,name\ncore1,eth1\npop1,eth0\n",
    "links.csv": "side_a_device,side_a_name,side_b_device,side_b_name,kind,commit_rate\n"
                 "pop1,eth0,core1,eth1,fibre,1000000\n",
}


def test_changes_reach_plan_alerts_and_sighup(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name, text in FILES.items():
        (src / name).write_text(text, encoding="utf-8")
    cfg = tmp_path / "provnet.yaml"
    cfg.write_text(f"state_dir: {tmp_path}\ncoverage: {{compute_on_start: false}}\n"
                   "traps: {enabled: false}\nicmp: {enabled: false}\n"
                   "snmp_profiles: {lab: {community: a, port: 1161}}\n", encoding="utf-8")
    settings = load_settings(cfg)
    store = open_store(settings.sql_url())
    assert import_files(store, [src]).ok
    service = Service(settings, store)
    service.settings_loader = lambda: load_settings(cfg)
    service.load_plan()
    attach_all(service)
    watch = next(c for c in service.consumers if isinstance(c, InventoryWatch))
    assert watch.check() is True  # first look: names loaded, nothing rebuilt
    assert [t.name for t in service.plan.targets] == ["core1", "pop1"]

    # an API change: the plan and the alert topology follow at the next check
    create(store, "devices", {"name": "x1", "site": "POP", "role": "router",
                              "primary_ip4": "127.0.0.2", "snmp_profile": "lab"}, "test")
    assert watch.check() is True and watch.reloads == 1
    assert [t.name for t in service.plan.targets] == ["core1", "pop1", "x1"]
    alerting = watch.alerting
    assert alerting is not None
    x1 = next(t.device_id for t in service.plan.targets if t.name == "x1")
    assert x1 in alerting.book.view.devices

    # a poll names pop1's interfaces: eth0's ifIndex is stored and the version moves
    pop1 = next(t for t in service.plan.targets if t.name == "pop1")
    watch.on_result(PollResult(pop1, time.time(), 0.1, interfaces={
        7: IfSample(7, "eth0"), 1: IfSample(1, "lo")}), {})
    assert watch.check() is True
    with store.session() as s:
        assert ifindex.device_ifindexes(s)[pop1.device_id] == {"eth0": 7}
    assert service.plan.if_tags[pop1.device_id][7] == {"link": "1", "end": "a"}

    # SIGHUP: the SNMP profile's port changes without a restart
    cfg.write_text(cfg.read_text().replace("port: 1161", "port: 1162"), encoding="utf-8")

    async def hup() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(watch.run(stop))
        await asyncio.sleep(0.2)
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(50):
            await asyncio.sleep(0.1)
            if service.plan.targets[0].port == 1162:
                break
        stop.set()
        await task

    asyncio.run(hup())
    assert {t.port for t in service.plan.targets} == {1162}
    service.close()
    store.close()
