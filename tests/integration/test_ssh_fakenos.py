"""SSH collection against fakenos devices on loopback (real SSH, real netmiko)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from provnet.inventory.configs import changes_since, diff_versions, version_text, versions
from provnet.inventory.store import Store
from provnet.pollers.ssh.jobs import parse_collection, store_backups
from provnet.pollers.ssh.parse import parse_interfaces
from provnet.simulator.portstate import write_port_states
from provnet.sshsim import SimDevice, SshSimulatorProcess
from tests.support.helpers import free_port
from tests.support.ssh_fixtures import collector, silent_listener, sim_devices, target
from tests.support.ssh_store import seed_devices, sqlite_store_at

# fakenos runs in a child process: a connection it never closes (its server thread waits in
# paramiko's accept() without a timeout after a refused host key) dies with the child
pytestmark = pytest.mark.integration


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    with sqlite_store_at(tmp_path) as store:
        yield store


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshSimulatorProcess]:
    devs = sim_devices(n_huawei=2, n_cisco=2)
    with SshSimulatorProcess(devs, tmp_path_factory.mktemp("sshsim")) as s:
        yield s


def test_optics_and_interfaces_both_platforms(sim: SshSimulatorProcess, tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    col = collector(tmp_path)
    try:
        targets = [target(d, i) for i, d in enumerate(sim.devices)]
        with caplog.at_level(logging.WARNING, "provnet.pollers.ssh.hostkeys"):
            results = col.collect_sync(targets, ("optics", "interfaces"))
    finally:
        col.close()
    assert [r.error for r in results] == [None] * len(results)
    pins = [r.getMessage() for r in caplog.records if "pinned on first use" in r.getMessage()]
    assert len(pins) == len(sim.devices) and "SHA256:" in pins[0]
    # Vietnamese descriptions survive the SSH session and the parser
    ifs = parse_interfaces(col.platforms["huawei_vrp"], results[0].outputs["interfaces"])
    assert ifs[1].description == "UBND Xã Vĩnh Gia"
    rep = parse_collection(results, col.platforms, {})
    assert all(o.ok and o.optics == 2 and o.interfaces == 2 for o in rep.outcomes)
    optics = [p for p in rep.points if p.measurement == "optics"]
    names = {(p.tags["device"], p.tags["ifname"]) for p in optics}
    assert ("ag-pop-880", "GigabitEthernet0/1/1") in names
    assert ("ag-dept-01", "TenGigabitEthernet0/0/24") in names  # "Te0/0/24" expanded
    for p in optics:
        assert -15 < float(p.fields["rx_dbm"]) < -5 and -7 < float(p.fields["tx_dbm"]) < -4
    huawei = next(p for p in optics if p.tags["device"] == "ag-pop-880")
    assert huawei.fields["rx_low_dbm"] == -23.01 and huawei.fields["tx_high_dbm"] == 0.0
    ifstate = [p for p in rep.points if p.measurement == "ifstate"]
    assert len(ifstate) == 8 and all(p.fields["link_up"] is True for p in ifstate)
    # the known-hosts file now pins each device, and the next session is checked against it
    assert len((tmp_path / "known_hosts").read_text().splitlines()) == len(sim.devices)


def test_optics_and_state_follow_the_snmp_simulator(sim: SshSimulatorProcess,
                                                    tmp_path: Path) -> None:
    """The SNMP simulator publishes its ports' state; the SSH devices read it at every
    command: the Huawei uplink whose link is down reads no light over SSH too."""
    dev = sim.devices[0]
    uplink = dev.interfaces[0][0]
    write_port_states(sim.port_states, {"devices": {dev.name: {
        uplink: {"up": False, "admin_up": True, "rx_dbm": -40.0, "tx_dbm": -2.9}}}})
    col = collector(tmp_path)
    try:
        (res,) = col.collect_sync([target(dev, 1)], ("optics", "interfaces"))
    finally:
        col.close()
        sim.port_states.unlink()
    rep = parse_collection([res], col.platforms, {})
    optics = {p.tags["ifname"]: p.fields for p in rep.points if p.measurement == "optics"}
    assert optics[uplink]["rx_dbm"] == -40.0 and optics[uplink]["tx_dbm"] == -2.9
    assert -15 < float(optics[dev.interfaces[1][0]]["rx_dbm"]) < -5  # not published: healthy
    state = {p.tags["ifname"]: p.fields for p in rep.points if p.measurement == "ifstate"}
    assert state[uplink]["link_up"] is False and state[dev.interfaces[1][0]]["link_up"] is True


def test_failures_are_per_device_and_bounded(sim: SshSimulatorProcess, tmp_path: Path) -> None:
    good = [target(d, i) for i, d in enumerate(sim.devices)]
    wrong_pw = target(sim.devices[0], 10, password="not-the-password")
    unreachable = target(sim.devices[1], 11, host="127.0.0.1", port=_closed_port())
    col = collector(tmp_path, connect_timeout_s=3.0)
    t0 = time.perf_counter()
    try:
        with silent_listener() as mute_port:  # accepts TCP, never says a word of SSH
            mute = target(sim.devices[1], 12, port=mute_port)
            results = col.collect_sync([wrong_pw, *good, unreachable, mute], ("optics",))
    finally:
        col.close()
    elapsed = time.perf_counter() - t0
    by_id = {r.target.device_id: r for r in results}
    assert by_id[10].error_kind == "auth" and "authentication failed" in (by_id[10].error or "")
    assert by_id[11].error_kind == "unreachable"
    assert by_id[12].error_kind == "unreachable"
    assert all(by_id[t.device_id].ok for t in good)
    assert elapsed < 30, f"failures must be bounded by the timeouts, took {elapsed:.1f}s"


def test_changed_host_key_is_refused(sim: SshSimulatorProcess, tmp_path: Path) -> None:
    import paramiko

    key_file = tmp_path / "impostor_key"
    paramiko.RSAKey.generate(2048).write_private_key_file(str(key_file))
    impostor = SimDevice("ag-pop-880", "huawei_vrp", free_port(), host_key_file=key_file)
    col = collector(tmp_path)
    try:
        # the device was pinned with the key every other fakenos device uses ...
        assert col.run_one(target(sim.devices[0], 1), ("optics",)).ok
        pinned = (tmp_path / "known_hosts").read_text().split(" ", 1)[1]
        (tmp_path / "known_hosts").write_text(f"[127.0.0.1]:{impostor.port} {pinned}")
        # ... and now answers at that address with another key
        with SshSimulatorProcess([impostor], tmp_path / "cfg"):
            res = col.run_one(target(impostor, 1), ("optics",))
    finally:
        col.close()
    assert res.error_kind == "host_key" and "HOST KEY CHANGED" in (res.error or ""), res.error


def test_strict_mode_refuses_unknown_hosts(sim: SshSimulatorProcess, tmp_path: Path) -> None:
    col = collector(tmp_path, policy="strict")
    try:
        res = col.run_one(target(sim.devices[0], 1), ("optics",))
    finally:
        col.close()
    assert res.error_kind == "host_key" and "strict" in (res.error or "")
    assert not (tmp_path / "known_hosts").exists()


def test_backup_versions_and_diff(sim: SshSimulatorProcess, tmp_path: Path,
                                  sqlite_store: Store) -> None:
    ids = seed_devices(sqlite_store, [d.name for d in sim.devices])
    targets = [target(d, ids[d.name]) for d in sim.devices]
    col = collector(tmp_path)
    try:
        first = store_backups(col.collect_sync(targets, ("running_config",)), col.platforms,
                              sqlite_store, {})
        again = store_backups(col.collect_sync(targets, ("running_config",)), col.platforms,
                              sqlite_store, {})
        cfg = sim.config_path("ag-pop-880")
        cfg.write_text(cfg.read_text().replace("ntp-service unicast-server 10.0.0.1",
                                               "ntp-service unicast-server 10.0.0.2"))
        changed = store_backups(col.collect_sync(targets[:1], ("running_config",)),
                                col.platforms, sqlite_store, {})
    finally:
        col.close()
    assert all(o.ok and o.first for o in first.outcomes)
    # timestamps and byte counts differ between fetches: scrubbed away, no new version
    assert all(o.ok and not o.changed for o in again.outcomes)
    (out,) = changed.outcomes
    assert out.changed and (out.lines_added, out.lines_removed) == (1, 1)
    assert [p.measurement for p in changed.points] == ["ssh_poll", "config_change"]
    dev_id = ids["ag-pop-880"]
    with sqlite_store.session() as s:
        vers = versions(s, dev_id)
        diff = diff_versions(s, dev_id, vers[1].id, vers[0].id)
        text = version_text(s, dev_id, vers[0].id).text
        changes = changes_since(s, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
    assert [v.changed for v in vers] == [True, False]
    assert "-ntp-service unicast-server 10.0.0.1\n+ntp-service unicast-server 10.0.0.2" in diff
    assert "irreversible-cipher <removed>" in text and "$1c$" not in text
    assert [(c.hostname, c.lines_added) for c in changes] == [("ag-pop-880", 1)]


def _closed_port() -> int:
    return free_port()  # nothing listens there once the probe socket is closed
