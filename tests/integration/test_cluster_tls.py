"""TLS between leaves and hub (issue 16, docs/deploy.md), over real nats-servers on loopback.

The certificates are made by the test with ``openssl`` (the commands of docs/deploy.md); the
server configurations come from the settings (``cluster.leaf_tls`` at the centre, the agent's
``leaf_tls``) through ``pollers/cluster/natsconf.py``. A node whose certificate comes from the
provnet CA polls and its results reach the centre; a node presenting a certificate of another
CA (while trusting the hub) is refused by the hub (``verify: true``): what it stores on its
leaf never reaches the hub stream.
"""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest

from provnet.config.cluster import AgentSettings, ClusterSettings, LeafTls, NodeGroup
from provnet.pollers.cluster.centre import Centre, FeedStats, ResultFeed
from provnet.pollers.cluster.messages import Heartbeat, encode_heartbeat, heartbeat_subject
from provnet.pollers.cluster.natsconf import Tls
from provnet.pollers.cluster.natslink import HubLink, NodeLink, connect, node_stream
from provnet.pollers.cluster.planner import DeviceSpec
from provnet.pollers.types import IfRates, PollResult
from provnet.simulator.example import example_plan
from tests.support.certs import Ca
from tests.support.cluster_fixtures import (
    AgentProc,
    read_stream,
    start_simulator,
    write_agent_config,
)
from tests.support.helpers import free_port, stop_process
from tests.support.nats import Hub, leaf

pytestmark = [pytest.mark.integration, pytest.mark.scaleout]
INTERVAL = 0.5
PROVINCE = "tq"


def _tls_settings(tmp: Path) -> tuple[LeafTls, LeafTls, LeafTls]:
    """(hub, good node, rogue node): the rogue's certificate is of another CA, but it trusts
    the provnet CA (so only the hub's check can refuse it)."""
    certs = tmp / "certs"
    ca = Ca.make(certs, "provnet-leafnode-ca")
    other = Ca.make(certs, "some-other-ca")
    hub_pem, hub_key = ca.issue(certs, "hub1", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                "extendedKeyUsage=serverAuth,clientAuth")
    good_pem, good_key = ca.issue(certs, "good", "extendedKeyUsage=clientAuth")
    bad_pem, bad_key = other.issue(certs, "rogue", "extendedKeyUsage=clientAuth")
    return (LeafTls(cert_file=hub_pem, key_file=hub_key, ca_file=ca.pem),
            LeafTls(cert_file=good_pem, key_file=good_key, ca_file=ca.pem),
            LeafTls(cert_file=bad_pem, key_file=bad_key, ca_file=ca.pem))


def test_leafnode_tls_data_flows_and_a_foreign_certificate_is_refused(tmp_path: Path) -> None:
    hub_tls, good_tls, rogue_tls = _tls_settings(tmp_path)
    sim_port = free_port(kind=socket.SOCK_DGRAM)
    plan = example_plan(port=sim_port, net="127.79")
    devices = [DeviceSpec(d["id"], d["sys_name"], d["address"], sim_port)
               for d in plan["devices"]]
    settings = ClusterSettings(
        enabled=True, province=PROVINCE, interval_s=INTERVAL, plan_every_s=0.5,
        failover_delay_s=60, leaf_tls=hub_tls,
        groups=[NodeGroup(name="good", nodes=["good"], devices=[d.device_id for d in devices]),
                NodeGroup(name="rogue", nodes=["rogue"])])
    hub = Hub(tmp_path, tls=Tls.of(settings.leaf_tls))
    assert "verify: true" in hub.servers[0].conf and "tls {" in hub.servers[0].conf
    hub.start()
    settings = settings.model_copy(update={"hub_urls": hub.urls})
    servers = list(hub.servers)
    sim = start_simulator(plan, tmp_path, "tls")
    agent: AgentProc | None = None
    nodes: dict[str, str] = {}
    for node, tls in (("good", good_tls), ("rogue", rogue_tls)):
        port = free_port()
        cfg = write_agent_config(tmp_path / f"{node}.json", node, f"nats://127.0.0.1:{port}",
                                 leaf_tls=json.loads(tls.model_dump_json()))
        agent_settings = AgentSettings.model_validate_json(cfg.read_text(encoding="utf-8"))
        server = leaf(tmp_path, node, hub.leaf_urls, port, tls=Tls.of(agent_settings.leaf_tls))
        assert "tls://127.0.0.1:" in server.conf and "verify" not in server.conf
        servers.append(server.start())
        nodes[node] = f"nats://127.0.0.1:{port}"
    results: list[int] = []
    seen_nodes: set[str] = set()

    def on_result(result: PollResult, rates: dict[int, IfRates]) -> None:
        results.append(result.target.device_id)

    class Nodes:
        def accept(self, batch) -> None:  # type: ignore[no-untyped-def]
            seen_nodes.add(batch.node)

        def heartbeat(self, hb) -> None:  # type: ignore[no-untyped-def]
            seen_nodes.add(hb.node)

    async def commit() -> None:
        return None

    async def scenario() -> None:
        nonlocal agent
        stop = asyncio.Event()
        nc = await connect(hub.urls, "test-centre", stop)
        stats = FeedStats()
        centre = Centre(HubLink(nc), settings, [ResultFeed(on_result, stats), Nodes()], commit,
                        lambda: devices, INTERVAL, stats)
        task = asyncio.create_task(centre.run(stop))
        # the rogue node stores heartbeats on its own leaf, as an agent would
        rc = await connect([nodes["rogue"]], "rogue")
        rogue = NodeLink(rc, "rogue")
        await rogue.ensure(PROVINCE, 1.0, 2**26, "hub")
        try:
            agent = AgentProc("good", tmp_path / "good.json", tmp_path / "good-state",
                              tmp_path / "good.log").start()
            tick = 0

            async def results_from_every_device() -> None:
                nonlocal tick
                want = {d.device_id for d in devices}
                for _ in range(int(90 / INTERVAL)):
                    tick += 1
                    hb = Heartbeat("rogue", tick, tick * INTERVAL, INTERVAL, 1, 1, 0)
                    await rogue.publish(heartbeat_subject(PROVINCE, "rogue"),
                                        encode_heartbeat(hb), hb.msg_id)
                    if want <= set(results) and tick >= 20:
                        return
                    await asyncio.sleep(INTERVAL)
                raise AssertionError(f"no results over TLS: {sorted(set(results))}; "
                                     f"{agent.text()[-2000:] if agent else ''}")

            await results_from_every_device()
            await asyncio.sleep(3 * INTERVAL)  # anything in flight from the rogue would be in
            assert "good" in seen_nodes and "rogue" not in seen_nodes
            assert "rogue" not in centre.last_seen and "good" in centre.last_seen
            info = await rogue.js.stream_info(node_stream("rogue"))
            assert info.state.messages >= 20  # stored on its leaf, never at the hub
        finally:
            stop.set()
            await task
            await rc.close()
            await nc.close()

    try:
        asyncio.run(scenario())
        hub_msgs = asyncio.run(read_stream(hub.urls, settings.stream))
        subjects = {s for s, _, _ in hub_msgs}
        assert any(".good." in s for s in subjects), subjects
        assert not any(".rogue." in s for s in subjects), subjects
        assert not any(m.node == "rogue" for _, _, m in hub_msgs)
        hub_log = hub.servers[0].tail(200_000)
        # Go's TLS client offers no certificate the hub's CA list does not name: refused
        assert "TLS leafnode handshake error" in hub_log, hub_log[-3000:]
    finally:
        if agent is not None:
            agent.kill()
        stop_process(sim)
        for s in reversed(servers):
            s.stop()
