"""The service on ``tsdb.backend: victoriametrics``: provnet starts one real victoria-metrics per
resolution with that resolution's retention, writes through the same spooling line-protocol
writer, attaches the history feature on them, survives the raw server's restart without
losing a sample (spooled, replayed in order), rebuilds rollups from the CLI and stops every
server it started; an absent server and a refused query are the tsdb package's errors; a
killed managed server is reaped and restarted on its port by the influxd supervisor."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provnet.cli import app as cli_app
from provnet.config.settings import Settings
from provnet.features import history
from provnet.inventory.store import open_store
from provnet.service import Service
from provnet.tsdb.errors import TsdbError, TsdbUnavailable
from provnet.tsdb.measurements import IFSTATS
from provnet.tsdb.points import Point
from provnet.tsdb.spool import SpoolingWriter
from provnet.tsdb.supervise import Backoff, InfluxdSupervisor
from provnet.tsdb.victoria import VictoriaClient, VictoriaHistory, VictoriaWriter
from tests.support.helpers import free_port
from tests.support.vm_server import have_victoria, victoria

pytestmark = pytest.mark.skipif(not have_victoria(), reason="victoria-metrics is not installed")


def _cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


def _iso(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return Path(f"/proc/{pid}").exists() and "victoria" in " ".join(_cmdline(pid))


def test_managed_victoria_servers_retention_writes_restart_and_stop(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state", tsdb={"backend": "victoriametrics"},
                        history={"raw_days": 7, "rollup_5m_days": 400, "rollup_1h_days": 0})
    store = open_store(f"sqlite:///{tmp_path / 'inv.sqlite'}")
    service = Service(settings, store)
    pids: list[int] = []
    try:
        service.start_influx()
        vm = service.victoria
        assert vm is not None and service.reader is None
        pids = vm.pids()
        assert len(pids) == 3 and len(set(vm.urls.values())) == 3
        flags = [next(a for a in _cmdline(p) if a.startswith("-retentionPeriod=")) for p in pids]
        assert flags == ["-retentionPeriod=7d", "-retentionPeriod=400d",
                         "-retentionPeriod=100y"]
        handle = history.attach(service)
        assert handle is not None and len(service.routers) == 1
        raw = vm.readers()[0]
        assert raw.ping().ok
        now = int(time.time()) - 60
        tags = {"device": "Bưu điện Núi Tô", "link": "7", "end": "a"}

        def batch(i: int) -> list[Point]:
            return [Point(IFSTATS, {"in_bps": float(i * 10 + k)}, tags,
                          (now + i * 10 + k) * 10**9) for k in range(10)]

        writer = service.writer
        assert isinstance(writer, SpoolingWriter)
        writer.write(batch(0))
        server = vm.managed[0]
        server.stop()  # the raw samples' server goes away (by PID) ...
        writer.write(batch(1))
        assert writer.pending_points == 10  # ... the batch waits in the spool
        server.start()  # back on its remembered port
        assert server.url == vm.urls[0]
        writer.write(batch(2))  # the spool is replayed first, in order
        assert writer.pending_points == 0
        with VictoriaClient(vm.urls[0]) as c:
            c.force_flush()
        rows = raw.read_series('"ifstats"', ["in_bps"], {"device": "Bưu điện Núi Tô"},
                               now * 10**9, (now + 31) * 10**9)
        assert [r["in_bps"] for r in rows] == [float(i) for i in range(30)]
        # `provnet history rebuild` finds the running servers by their remembered ports
        cfg = tmp_path / "vm.yaml"
        cfg.write_text("tsdb: {backend: victoriametrics}\n")
        hour = now - now % 3600
        pids = vm.pids()  # the raw server has a new PID since its restart
        out = CliRunner().invoke(cli_app, ["history",
            "rebuild", "--from", _iso(hour), "--to", _iso(now + 31), "-c", str(cfg),
            "--state-dir", str(settings.state_dir)])
        assert out.exit_code == 0, out.output
        assert "from 30 raw samples" in out.output
        with VictoriaClient(vm.urls[300]) as c:
            c.force_flush()
        five = vm.readers()[300].read_series('"rollup_5m"', ["in_bps_n", "in_bps_max"],
                                             {"src": "ifstats", "device": "Bưu điện Núi Tô"},
                                             hour * 10**9, (now + 300) * 10**9)
        assert sum(r["in_bps_n"] for r in five) == 30 and max(r["in_bps_max"] for r in five) == 29
        assert vm.pids() == pids  # the command started no server of its own
    finally:
        service.close()
        store.close()
    assert pids and not [p for p in pids if _alive(p)]


def test_an_absent_or_refusing_server_is_a_tsdb_error(tmp_path: Path) -> None:
    away = VictoriaHistory(VictoriaClient(f"http://127.0.0.1:{free_port()}", timeout_s=2), "p")
    assert not away.ping().ok
    with pytest.raises(TsdbUnavailable):
        away.read_series('"ifstats"', ["in_bps"], {}, 0, 10**18)
    away.close()
    with victoria(tmp_path / "vm") as server:
        here = VictoriaHistory(VictoriaClient(server.url), "p")
        assert here.ping().ok
        assert here.read_series('"ifstats"', ["in_bps"], {"link": "1"}, 0, 10**18) == []
        with pytest.raises(TsdbError) as refused:  # a label name MetricsQL cannot parse
            here.read_series('"ifstats"', ["in_bps"], {"bad label": "x"}, 0, 10**18)
        assert not isinstance(refused.value, TsdbUnavailable)
        here.close()


def test_a_killed_managed_server_is_reaped_and_restarted_on_its_port(tmp_path: Path) -> None:
    with victoria(tmp_path / "vm") as server:
        url, first = server.url, server.pid
        assert first is not None
        w = VictoriaWriter(url, "p")
        sup = InfluxdSupervisor(server, Backoff(initial_s=0.0), name=server.name)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while sup.restarts == 0 and time.monotonic() < deadline:
            sup.check()
            time.sleep(0.1)
        assert sup.restarts == 1 and server.pid not in (None, first) and server.url == url
        assert not Path(f"/proc/{first}").exists()  # reaped: no zombie
        w.write([Point(IFSTATS, {"in_bps": 2.0}, {"device": "Ô Lâm"}, 10**18 + 10**9)])
        with VictoriaClient(url) as c:
            c.force_flush()
        rows = VictoriaHistory(VictoriaClient(url), "p").read_series(
            '"ifstats"', ["in_bps"], {"device": "Ô Lâm"}, 0, 2 * 10**18)
        # the server takes writes again (what it held in memory when killed is gone: it
        # writes to disk every few seconds, see docs/history.md)
        assert [r["in_bps"] for r in rows] == [2.0]
        w.close()
