"""SSH collection against a real OpenSSH server (netmiko ``linux`` device type).

sshd runs as root on 127.0.0.1 on a free port with its own config, host key and
authorized_keys under a temporary directory; login is by a key made for the test.
The host key is pre-seeded in the known-hosts file and checked strictly.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from provnet.inventory.configs import versions
from provnet.pollers.ssh.collector import SshCollector
from provnet.pollers.ssh.hostkeys import KnownHosts
from provnet.pollers.ssh.jobs import store_backups
from provnet.pollers.ssh.platforms import load_platforms
from provnet.pollers.ssh.session import NetmikoRunner
from provnet.pollers.ssh.types import SshLogin, SshTarget
from tests.support.helpers import free_port, stop_process
from tests.support.ssh_store import seed_devices, sqlite_store_at

pytestmark = pytest.mark.integration
SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
LINUX_PLATFORM = """\
name: linux
netmiko_device_type: linux
commands:
  running_config: cat {config}
"""


@dataclass
class Sshd:
    port: int
    client_key: Path
    host_pub: tuple[str, str]  # key type, base64 key
    config_file: Path


def _keygen(path: Path, kind: str = "ed25519") -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-f", str(path)], check=True)


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    if not os.path.exists(SSHD) or shutil.which("ssh-keygen") is None:
        pytest.skip("openssh-server is not installed (apt-get install openssh-server)")
    if os.geteuid() != 0:
        pytest.skip("sshd must start as root")
    d = tmp_path_factory.mktemp("sshd")
    _keygen(d / "host_key")
    _keygen(d / "client_key")
    (d / "authorized_keys").write_text((d / "client_key.pub").read_text())
    port = free_port()
    (d / "sshd_config").write_text(f"""\
ListenAddress 127.0.0.1
Port {port}
HostKey {d / 'host_key'}
PidFile {d / 'sshd.pid'}
AuthorizedKeysFile {d / 'authorized_keys'}
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel ERROR
""")
    os.makedirs("/run/sshd", exist_ok=True)  # privilege separation directory
    with open(d / "sshd.log", "wb") as log:
        proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(d / "sshd_config")], stderr=log)
    try:
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        else:
            pytest.fail(f"sshd did not listen: {(d / 'sshd.log').read_text()}")
        kind, key = (d / "host_key.pub").read_text().split(" ")[:2]
        yield Sshd(port, d / "client_key", (kind, key), d / "sshd_config")
    finally:
        stop_process(proc)


def _collector(tmp: Path, sshd: Sshd, config: Path) -> SshCollector:
    (tmp / "platforms").mkdir(exist_ok=True)
    (tmp / "platforms" / "linux.yaml").write_text(LINUX_PLATFORM.format(config=config))
    kind, key = sshd.host_pub
    (tmp / "known_hosts").write_text(f"[127.0.0.1]:{sshd.port} {kind} {key}\n")
    runner = NetmikoRunner(KnownHosts(tmp / "known_hosts"), "strict", 5.0, 10.0)
    return SshCollector(runner, load_platforms(tmp / "platforms"), 2)


def test_backup_from_openssh(sshd: Sshd, tmp_path: Path) -> None:
    config = tmp_path / "router.conf"
    config.write_text("hostname ag-linux-01\nntp server 10.0.0.1\n")
    col = _collector(tmp_path, sshd, config)
    with sqlite_store_at(tmp_path) as store:
        dev = seed_devices(store, ["ag-linux-01"], {"ag-linux-01": "linux"})["ag-linux-01"]
        good = SshTarget(dev, "ag-linux-01", "127.0.0.1", sshd.port, "linux",
                         SshLogin("root", key_file=sshd.client_key))
        bad = SshTarget(dev, "ag-linux-01", "127.0.0.1", sshd.port, "linux",
                        SshLogin("root", password="guess"))
        try:
            first, refused = col.collect_sync([good, bad], ("running_config",))
            config.write_text("hostname ag-linux-01\nntp server 10.0.0.2\n")
            (second,) = col.collect_sync([good], ("running_config",))
        finally:
            col.close()
        assert first.ok, first.error
        assert "ntp server 10.0.0.1" in first.outputs["running_config"]
        assert refused.error_kind == "auth"
        store_backups([first], col.platforms, store, {})
        rep = store_backups([second], col.platforms, store, {})
        with store.session() as s:
            vers = versions(s, dev)
    assert rep.outcomes[0].changed and len(vers) == 2
    assert vers[0].fetched_at <= dt.datetime.now(dt.UTC)
