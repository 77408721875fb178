"""SSH at the poller node (issue 16): the optics and configuration messages (round trips,
ids, subjects, bad input refused, a configuration over the message size refused), the plan's
SSH part (round trip, old 7-value rows still read), the node's target list (credentials from
its own ``ssh:`` section), the agent's outbox, the centre's CollectFeed and wiring into the
config store, and the centre's own SSH jobs skipping the nodes' devices."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import SecretStr

from provnet.config.cluster import AgentSettings
from provnet.config.errors import ConfigError
from provnet.config.ssh import SshCredential, SshSettings
from provnet.features import ssh as ssh_feature
from provnet.features.cluster import NodeCollect
from provnet.inventory.configs import versions
from provnet.pollers.cluster.agent import NodeAgent, Outbox
from provnet.pollers.cluster.agent_ssh import ssh_targets
from provnet.pollers.cluster.collect import decode_any, subject_of
from provnet.pollers.cluster.collectfeed import CollectFeed
from provnet.pollers.cluster.messages import (
    MessageError,
    NodePlan,
    PlannedDevice,
    PlannedSsh,
    decode,
    decode_plan,
    dump_object,
    encode_plan,
)
from provnet.pollers.cluster.sshmsg import (
    MAX_MESSAGE_BYTES,
    ConfigNote,
    OpticsNote,
    encode_config,
    encode_optics,
)
from provnet.pollers.live import LiveState
from provnet.pollers.ssh.plan import SshPlan
from provnet.pollers.ssh.types import OpticReading, SshLogin, SshResult, SshTarget
from provnet.pollers.types import SnmpTarget
from tests.support.ssh_store import seed_devices, sqlite_store_at
from tests.unit.test_cluster_agent import FakeLeaf

GE = OpticReading("GigabitEthernet0/0/1", rx_dbm=-7.25, tx_dbm=-2.5, rx_low_dbm=-23.0,
                  temperature_c=41.0)
TE = OpticReading("TenGigabitEthernet0/0/24", rx_dbm=None, tx_dbm=-3.0, ifindex=24)
OPTICS = OpticsNote("pop1", 7, 1_700_000_000.125, (GE, TE), 4)
CONFIG = ConfigNote("pop1", 7, 1_700_000_100.5, "sysname AG-POP-880\n#\n"
                    "interface GigabitEthernet0/0/1\n description UBND Xã Vĩnh Gia\n", 4)


@pytest.mark.parametrize("msg", [
    OPTICS, OpticsNote("pop-2", 1, 5.0, (OpticReading("xe-0/0/0"),)), CONFIG,
    ConfigNote("pop-2", 1, 5.0, "hostname x\n"),
])
def test_round_trip_subject_and_id(msg: OpticsNote | ConfigNote) -> None:
    data = encode_optics(msg) if isinstance(msg, OpticsNote) else encode_config(msg)
    assert decode_any(data) == msg
    kind = "optics" if isinstance(msg, OpticsNote) else "config"
    assert subject_of(msg, "tq") == f"prov.tq.{msg.node}.{kind}"
    assert msg.msg_id == f"{msg.node}:{kind}:{msg.device_id}:{round(msg.started * 1000)}"
    with pytest.raises(MessageError, match="version 2"):  # a version-1 reader refuses it
        decode(data)


def _optics(**change: Any) -> dict[str, Any]:
    return {**json.loads(encode_optics(OPTICS)), **change}


def _config(**change: Any) -> dict[str, Any]:
    return {**json.loads(encode_config(CONFIG)), **change}


@pytest.mark.parametrize(("obj", "reason"), [
    (_optics(v=1), "version 1"),
    (_optics(v=3), "version 3"),
    (_optics(k="x"), "unknown message kind"),
    (_optics(node="pop 1"), "node"),
    (_optics(d="7"), "device"),
    (_optics(d=True), "device"),
    (_optics(t="now"), "session start"),
    (_optics(r=[]), "without readings"),
    (_optics(r=[["Gi0/0/1", -7.0]]), "expected 11 values"),
    (_optics(r=[[None, -7.0, -2.0, None, None, None, None, None, None, None, None]]),
     "no port name"),
    (_optics(r=[["Gi0/0/1", "-7", -2.0, None, None, None, None, None, None, None, None]]),
     "rx_dbm"),
    (_optics(r=[["Gi0/0/1", 1e999, -2.0, None, None, None, None, None, None, None, None]]),
     "finite"),
    (_optics(r=[["Gi0/0/1", -7.0, -2.0, None, None, None, None, None, None, None, 1.5]]),
     "ifindex"),
    ({k: v for k, v in _optics().items() if k != "r"}, "malformed"),
    (_config(c=""), "empty"),
    (_config(c=["a"]), "not text"),
    ({k: v for k, v in _config().items() if k != "c"}, "malformed"),
])
def test_bad_input_refused(obj: dict[str, Any], reason: str) -> None:
    data = json.dumps(obj).encode()  # 1e999 becomes Infinity: what a broken node could send
    with pytest.raises(MessageError, match=reason):
        decode_any(data)


def test_a_configuration_over_the_message_size_is_refused_not_cut() -> None:
    big = ConfigNote("pop1", 9, 1.0, "x" * MAX_MESSAGE_BYTES)
    with pytest.raises(MessageError, match=r"device 9 is \d+ bytes.*not published"):
        encode_config(big)
    fits = ConfigNote("pop1", 9, 1.0, "x" * (MAX_MESSAGE_BYTES - 200))
    assert len(encode_config(fits)) <= MAX_MESSAGE_BYTES


SSH_A = PlannedSsh("10.0.0.1", 2222, "huawei_vrp", None, "pop")
PLAN = NodePlan("pop1", 3, 60.0, 1, (
    PlannedDevice(1, "a", "10.0.0.1", ssh=SSH_A),
    PlannedDevice(2, "b", "10.0.0.2", ssh=PlannedSsh("10.0.0.2", 22, "cisco_ios", "dept",
                                                     "department")),
    PlannedDevice(3, "c", "10.0.0.3"),
    PlannedDevice(4, "d", "10.0.0.4", ssh=PlannedSsh("10.0.0.4", 22, "junos", None, "pop")),
    PlannedDevice(5, "e", "10.0.0.5", ssh=PlannedSsh("10.0.0.5", 22, "cisco_ios", "gone",
                                                     "pop")),
))


def test_plan_carries_ssh_without_secrets_and_old_rows_still_read() -> None:
    data = encode_plan(PLAN)
    assert decode_plan(data) == PLAN
    assert b"password" not in data and b"secret" not in data
    old = dump_object({"v": 1, "k": "p", "node": "pop1", "pv": 1, "iv": 60.0, "ns": 1,
                       "dv": [[1, "a", "10.0.0.1", 161, 0, "default", ""]]})
    assert decode_plan(old).devices == (PlannedDevice(1, "a", "10.0.0.1"),)
    bad = json.loads(data)
    bad["dv"][0][7] = ["10.0.0.1", 22]
    with pytest.raises(MessageError, match="malformed plan"):
        decode_plan(json.dumps(bad).encode())
    bad["dv"][0] = bad["dv"][0][:5]
    with pytest.raises(MessageError, match="7 or 8 values"):
        decode_plan(json.dumps(bad).encode())


def test_node_targets_take_credentials_from_the_nodes_own_section() -> None:
    cfg = SshSettings(credentials={
        "ops": SshCredential(username="ops", password=SecretStr("p1")),
        "dept": SshCredential(username="dept", password=SecretStr("p2"))},
        credential_by_role={"pop": "ops"})
    targets, skipped = ssh_targets(PLAN, cfg, frozenset({"huawei_vrp", "cisco_ios"}))
    assert targets == [
        SshTarget(1, "a", "10.0.0.1", 2222, "huawei_vrp", SshLogin("ops", "p1")),
        SshTarget(2, "b", "10.0.0.2", 22, "cisco_ios", SshLogin("dept", "p2"))]
    assert skipped == ["d: no SSH platform 'junos'",
                       "e: no SSH credential 'gone' on this node"]


def test_agent_settings_ssh_section_is_strict(tmp_path: Path) -> None:
    from provnet.config.cluster import load_agent_settings

    assert AgentSettings(node="pop1").ssh.enabled is False
    path = tmp_path / "agent.yaml"
    path.write_text("node: pop1\nssh:\n  enabled: true\n  credentail_by_role: {}\n")
    with pytest.raises(ConfigError, match=r"(?s)agent\.yaml.*ssh\.credentail_by_role"):
        load_agent_settings(path)
    path.write_text("node: pop1\nssh:\n  enabled: true\n  credentials:\n    ops:\n"
                    "      username: ops\n      password: s3cret\n")
    got = load_agent_settings(path)
    assert "s3cret" not in repr(got) and got.ssh.credentials["ops"].username == "ops"


def test_agent_outbox_keeps_and_republishes_ssh_notes(tmp_path: Path) -> None:
    leaf = FakeLeaf(PLAN)
    outbox = Outbox(tmp_path / "outbox")
    agent = NodeAgent("pop1", "tq", leaf, outbox, lambda _p: None,  # type: ignore[arg-type]
                      lambda i, n, a, p: SnmpTarget(i, n, a, p))
    agent.emit(OPTICS)
    agent.emit(CONFIG)
    with pytest.raises(MessageError, match="not published"):
        agent.emit(ConfigNote("pop1", 9, 2.0, "x" * MAX_MESSAGE_BYTES))
    names = sorted(p.name for p in outbox.pending())
    assert names == ["0001700000000125-optics-7.json", "0001700000100500-config-7.json"]
    # a restarted agent re-publishes what it finds, on the right subjects and ids
    again = NodeAgent("pop1", "tq", leaf, outbox, lambda _p: None,  # type: ignore[arg-type]
                      lambda i, n, a, p: SnmpTarget(i, n, a, p))

    async def go() -> None:
        assert await again.replay_outbox() == 2
        items = [again._queue.get_nowait() for _ in range(2)]
        assert [(s, i) for s, _, i, _ in items] == [
            ("prov.tq.pop1.optics", OPTICS.msg_id), ("prov.tq.pop1.config", CONFIG.msg_id)]
    asyncio.run(go())


def test_collect_feed_hands_each_note_on_once_and_never_an_older_one() -> None:
    optics: list[OpticsNote] = []
    configs: list[ConfigNote] = []
    feed = CollectFeed(lambda s: None, lambda n: None, on_optics=optics.append,
                       on_config=configs.append)
    older = OpticsNote("pop2", 7, OPTICS.started - 60, (GE,))
    for note in (OPTICS, OPTICS, older):
        feed.optics(note)
    for cfg in (CONFIG, CONFIG, ConfigNote("pop1", 7, CONFIG.started - 1, "old\n")):
        feed.config(cfg)
    assert optics == [OPTICS] and configs == [CONFIG]
    assert (feed.counts.optics, feed.counts.configs, feed.counts.redelivered,
            feed.counts.old_notes) == (1, 1, 2, 2)


class Alerts:
    def __init__(self) -> None:
        self.nodes = None
        self.optics: list[tuple[int, list[OpticReading], float]] = []

    def on_optics(self, device_id: int, readings: list[OpticReading], t: float) -> None:
        self.optics.append((device_id, readings, t))


def test_centre_stores_a_nodes_backup_once_and_its_optics_as_its_own(tmp_path: Path) -> None:
    with sqlite_store_at(tmp_path) as store:
        ids = seed_devices(store, ["ag-pop-880"])
        dev = ids["ag-pop-880"]
        points: list[Any] = []
        alerts = Alerts()
        wiring = NodeCollect(LiveState(), points.extend, lambda d: {"device": "ag-pop-880"},
                             alerts, store)  # type: ignore[arg-type]
        feed = CollectFeed(wiring.sweep, wiring.trap, on_optics=wiring.optics,
                           on_config=wiring.config)
        first = ConfigNote("pop1", dev, 100.0, "sysname A\n")
        feed.config(first)
        feed.config(first)  # redelivered
        feed.config(ConfigNote("pop1", dev, 200.0, "sysname A\n"))  # fetched again: same
        with store.session() as s:
            assert versions(s, dev) == []  # stored at the commit, before the ack
        asyncio.run(wiring.commit())
        with store.session() as s:
            assert len(versions(s, dev)) == 1
        assert points == []  # the first version is not a change
        feed.config(ConfigNote("pop1", dev, 300.0, "sysname B\n"))
        asyncio.run(wiring.commit())
        with store.session() as s:
            assert len(versions(s, dev)) == 2
        assert [p.measurement for p in points] == ["config_change"]
        assert points[0].tags["device"] == "ag-pop-880"
        assert wiring.config_versions == 2
        points.clear()
        feed.optics(OpticsNote("pop1", dev, 400.0, (GE, TE)))
        assert sorted(p.tags["ifname"] for p in points if p.measurement == "optics") == [
            GE.name, TE.name]
        assert all(p.time_ns == 400 * 10**9 for p in points)
        assert alerts.optics == [(dev, [GE, TE], 400.0)]


class FakeCollector:
    def __init__(self, stop: asyncio.Event) -> None:
        self.platforms: dict[str, Any] = {}
        self.stop = stop
        self.asked: list[list[int]] = []

    async def collect(self, targets: list[SshTarget], purposes: Any) -> list[SshResult]:
        self.asked.append([t.device_id for t in targets])
        self.stop.set()
        return []


@pytest.mark.parametrize("job", ["ssh-collect", "ssh-backup"])
def test_centre_runs_no_ssh_job_for_a_nodes_devices(job: str) -> None:
    login = SshLogin("u", "p")
    plan = SshPlan([SshTarget(i, f"d{i}", "127.0.0.1", 22, "huawei_vrp", login)
                    for i in (1, 2, 3)])
    assert ssh_feature.local_targets(plan, frozenset()) == plan.targets
    service = SimpleNamespace(background=[], remote_devices=frozenset({2}),
                              queue_points=lambda pts: None, store=None)

    async def go() -> list[list[int]]:
        stop = asyncio.Event()
        col = FakeCollector(stop)
        ssh_feature.schedule(service, col, plan, 60.0, 60.0)  # type: ignore[arg-type]
        loop = dict(service.background)[job]
        await asyncio.wait_for(loop(stop), 10)
        return col.asked
    assert asyncio.run(go()) == [[1, 3]]
