"""SSH at the poller node over real nats-server processes and a real SSH device (fakenos).

A node in its own network namespace (leaf server, a fakenos Huawei device on the namespace's
loopback, ``provnet agent`` with an ``ssh:`` section) joined to the hub by a veth pair. The
plan names the device's SSH endpoint, platform and role; the credential is the node's. The
node collects optics every 2 s and backs the configuration up every 3 s; its WAN is cut for
20 s. Afterwards the centre (an in-process consumer with the real feed and wiring into a
SQLite configuration store) has every optic reading of the node once, at its session time,
and the configuration stored once: the identical backups of the cut are no new version.
A change made on the device then is one new version and one ``config_change`` point.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import pytest

from provnet.inventory.configs import versions
from provnet.pollers.cluster.messages import PlannedSsh
from provnet.pollers.cluster.planner import DeviceSpec
from provnet.pollers.cluster.sshmsg import ConfigNote, OpticsNote
from provnet.pollers.ssh.types import OpticReading
from provnet.sshsim import SshSimulatorProcess
from tests.support.cluster_fixtures import (
    AgentProc,
    InProcessCentre,
    read_stream,
    until_async,
    write_agent_config,
)
from tests.support.helpers import free_port
from tests.support.nats import IP, Hub, leaf
from tests.support.netns import wan
from tests.support.ssh_fixtures import sim_devices
from tests.support.ssh_store import seed_devices, sqlite_store_at

pytestmark = [pytest.mark.integration, pytest.mark.scaleout]
INTERVAL = 1.0
CUT_S = 20.0


class Alerts:
    """Records the optics handed to the alerts (the local SSH path's entry)."""

    nodes = None

    def __init__(self) -> None:
        self.optics: list[tuple[int, list[OpticReading], float]] = []

    def on_optics(self, device_id: int, readings: list[OpticReading], t: float) -> None:
        self.optics.append((device_id, list(readings), t))


def newest_optics(centre: InProcessCentre) -> float:
    return max((t for _, _, t in centre.alerts.optics), default=0.0)


def test_node_ssh_optics_and_backup_through_a_wan_cut(tmp_path: Path) -> None:
    (dev,) = sim_devices(n_huawei=1, n_cisco=0)
    with sqlite_store_at(tmp_path) as store, wan(["pop1"]) as net:
        dev_id = seed_devices(store, [dev.name])[dev.name]
        snmp_port = free_port()  # nothing answers SNMP there: a failing device is a result
        devices = [DeviceSpec(dev_id, dev.name, "127.0.0.1", snmp_port,
                              ssh=PlannedSsh("127.0.0.1", dev.port, dev.platform, None,
                                             "pop"))]
        site = net.sites["pop1"]
        hub = Hub(tmp_path, leaf_host=net.hub_address).start()
        pop1 = leaf(tmp_path, "pop1", hub.leaf_urls, 4222, site.ns).start()
        sim = SshSimulatorProcess([dev], tmp_path / "sshsim",
                                  prefix=[IP, "netns", "exec", site.ns]).start()
        cfg = write_agent_config(tmp_path / "pop1.json", "pop1", "nats://127.0.0.1:4222",
                                 ssh={"enabled": True, "default_credential": "ops",
                                      "credentials": {"ops": {"username": dev.username,
                                                              "password": dev.password}},
                                      "optics_interval_s": 2.0, "backup_interval_s": 3.0,
                                      "connect_timeout_s": 5.0})
        agent = AgentProc("pop1", cfg, tmp_path / "state", tmp_path / "agent.log", site.ns)
        centre = InProcessCentre(hub.urls, devices, Alerts(), INTERVAL, store)

        async def scenario() -> tuple[float, float]:
            await centre.start()
            try:
                agent.start()
                await until_async("optics and a backup at the centre",
                                  lambda: centre.feed.counts.optics >= 2
                                  and centre.feed.counts.configs >= 1, 120)
                cut_at = time.time()
                site.wan(False)
                await asyncio.sleep(3)
                during = centre.feed.counts.optics
                await asyncio.sleep(CUT_S - 3)
                assert centre.feed.counts.optics <= during + 1, "nothing crosses a cut WAN"
                site.wan(True)
                back_at = time.time()
                await until_async("the optics of the cut",
                                  lambda: newest_optics(centre) > back_at + 1, 120)
                path = sim.config_path(dev.name)
                path.write_text(path.read_text().replace(
                    "ntp-service unicast-server 10.0.0.1", "ntp-service unicast-server 10.0.0.2"))
                await until_async("the changed configuration",
                                  lambda: centre.wiring.config_versions >= 2, 60)
                agent.stop()
                await asyncio.sleep(3)
                return cut_at, back_at
            finally:
                await centre.close()

        try:
            cut_at, back_at = asyncio.run(scenario())
            hub_msgs = asyncio.run(read_stream(hub.urls, "ALL"))
        finally:
            agent.kill()
            sim.stop()
            pop1.stop()
            hub.stop()
        with store.session() as s:
            stored = versions(s, dev_id)
    optics = [m for _, _, m in hub_msgs if isinstance(m, OpticsNote)]
    configs = [m for _, _, m in hub_msgs if isinstance(m, ConfigNote)]
    ids = [m.msg_id for m in optics + configs]
    assert len(ids) == len(set(ids)), "each note once in the hub stream"
    during = [m for m in optics if cut_at + 1 < m.started < back_at - 1]
    assert len(during) >= 4, (len(during), len(optics))
    # every optic reading of the node once at the centre, at its session's time
    assert centre.feed.counts.optics == len(optics) and centre.feed.counts.redelivered == 0
    assert [t for _, _, t in centre.alerts.optics] == [m.started for m in optics]
    got = Counter((p.tags["ifname"], p.time_ns) for p in centre.points
                  if p.measurement == "optics")
    want = Counter((r.name, round(m.started * 1e6) * 1000) for m in optics for r in m.readings)
    assert got == want and max(got.values()) == 1
    assert {p.tags["device"] for p in centre.points if p.measurement == "optics"} == {dev.name}
    # every backup reached the store once; identical ones made no version, the change one
    assert len(configs) >= 4 and centre.feed.counts.configs == len(configs)
    assert [v.changed for v in stored] == [True, False]  # newest first: the change, the first
    assert len(stored) == 2
    changes = [p for p in centre.points if p.measurement == "config_change"]
    assert len(changes) == 1 and changes[0].tags["device"] == dev.name
    assert "$1c$" not in configs[0].text  # scrubbed on the node: secrets never left it
    print(f"\n{len(optics)} optics notes ({len(during)} during the {back_at - cut_at:.0f} s "
          f"cut), {len(configs)} backups, {len(stored)} stored versions")
