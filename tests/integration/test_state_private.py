"""The state dir is private: directories 0700, files 0600, for everything provnet and its
managed influxd write there; the managed influxd runs with auth and a generated password."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

from provnet.inventory.store import open_store
from provnet.pollers.ssh.hostkeys import KnownHosts
from provnet.statedir import private_state_dir
from provnet.tsdb.client import InfluxQLReader, V1Writer
from provnet.tsdb.errors import TsdbError
from provnet.tsdb.influxd_auth import ADMIN_USER, PASSWORD_FILE
from provnet.tsdb.managed import ManagedInfluxd
from provnet.tsdb.points import Point
from provnet.tsdb.spool import SpoolingWriter
from tests.support.helpers import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def private_umask() -> Iterator[None]:
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)  # private_state_dir sets the process umask: give the session its own back


def _loose(root: Path) -> list[str]:
    """Entries under ``root`` that group or others may access."""
    out = []
    for p in [root, *root.rglob("*")]:
        st = p.lstat()
        if not stat.S_ISLNK(st.st_mode) and st.st_mode & 0o077:
            out.append(f"{oct(stat.S_IMODE(st.st_mode))} {p.relative_to(root)}")
    return out


def test_cli_creates_a_private_sqlite_file(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = {**os.environ, "PROVNET_STATE_DIR": str(state)}
    proc = subprocess.run([sys.executable, "-m", "provnet.cli", "seed-demo", "--state-dir",
                           str(state)], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (state / "inventory.sqlite").stat().st_mode & 0o777 == 0o600
    assert _loose(state) == []


@pytest.mark.usefixtures("private_umask")
def test_everything_under_the_state_dir_is_private(tmp_path: Path) -> None:
    if shutil.which("influxd") is None:
        pytest.skip("influxd is not installed")
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    (state / "old.log").write_text("from an older run\n")
    os.chmod(state / "old.log", 0o644)
    private_state_dir(state)
    assert _loose(state) == []  # an existing loose state dir is tightened

    store = open_store(f"sqlite:///{state / 'inventory.sqlite'}")
    store.close()
    KnownHosts(state / "ssh_known_hosts").pin("ag-pop-880", paramiko.RSAKey.generate(1024))
    # InfluxDB down: points go to the spool on disk
    down = V1Writer(f"http://127.0.0.1:{free_port()}", "provnet", timeout_s=0.5)
    with SpoolingWriter(down, state / "spool", 10**6) as spool:
        spool.write([Point("ifstats", {"in_bps": 1.0}, {"device": "ag-pop-880"}, 1)])
        assert spool.pending_points == 1
    with ManagedInfluxd(state, auth=True, http_port=free_port()) as influxd:
        creds = influxd.credentials
        assert creds is not None and creds[0] == ADMIN_USER
        with InfluxQLReader(influxd.url, "") as anonymous, pytest.raises(TsdbError):
            anonymous.query("SHOW DATABASES")
        with InfluxQLReader(influxd.url, "", *creds) as admin:
            admin.create_database("provnet")
            V1Writer(influxd.url, "provnet", *creds).write(
                [Point("ifstats", {"in_bps": 2.0}, {"device": "ag-pop-880"}, 10**18)])
            assert admin.query("SELECT count(in_bps) FROM provnet..ifstats")[0]["count"] == 1
    # a restart reuses the stored password (the account exists now)
    with ManagedInfluxd(state, auth=True, http_port=free_port()) as influxd, \
            InfluxQLReader(influxd.url, "", *influxd.credentials or ("", "")) as admin:
        assert admin.query("SELECT count(in_bps) FROM provnet..ifstats")[0]["count"] == 1
    assert (state / PASSWORD_FILE).stat().st_mode & 0o777 == 0o600
    for name in ("inventory.sqlite", "ssh_known_hosts", "influxd.conf", "influxd.log",
                 "spool", "influxdb/data/provnet"):
        assert (state / name).exists(), name
    assert _loose(state) == []


def test_private_files_even_without_the_umask(tmp_path: Path) -> None:
    # programmatic use (no CLI, a permissive umask): the files that hold secrets or samples
    # are still created private
    old = os.umask(0o022)
    try:
        state = tmp_path / "state"
        open_store(f"sqlite:///{state / 'inventory.sqlite'}").close()
        KnownHosts(state / "ssh" / "known_hosts").pin("ag-pop-880",
                                                       paramiko.RSAKey.generate(1024))
        down = V1Writer(f"http://127.0.0.1:{free_port()}", "provnet", timeout_s=0.5)
        with SpoolingWriter(down, state / "spool", 10**6) as spool:
            spool.write([Point("ifstats", {"in_bps": 1.0}, {"device": "ag-pop-880"}, 1)])
    finally:
        os.umask(old)
    modes = {p.relative_to(state).as_posix(): stat.S_IMODE(p.stat().st_mode)
             for p in state.rglob("*") if p.name != ".lock"}
    assert modes["inventory.sqlite"] == 0o600
    assert modes["ssh/known_hosts"] == 0o600 and modes["ssh"] == 0o700
    assert modes["spool"] == 0o700
    batches = [m for k, m in modes.items() if k.startswith("spool/") and k.endswith(".lp")]
    assert batches and all(m == 0o600 for m in batches)
