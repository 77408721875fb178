"""The managed influxd is supervised: SIGKILLed while samples keep coming, it is reaped,
restarted on the same port, and every sample written meanwhile (spooled) reaches it."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from provnet.tsdb.client import InfluxQLReader, V1Writer
from provnet.tsdb.managed import ManagedInfluxd
from provnet.tsdb.points import Point
from provnet.tsdb.spool import SpoolingWriter
from provnet.tsdb.supervise import Backoff, InfluxdSupervisor

pytestmark = pytest.mark.skipif(shutil.which("influxd") is None, reason="influxd not installed")


def test_killed_influxd_is_restarted_and_no_sample_is_lost(tmp_path: Path) -> None:
    server = ManagedInfluxd(tmp_path / "influxd").start()
    try:
        url, first_pid = server.url, server.pid
        assert first_pid is not None
        with InfluxQLReader(url, "") as admin:
            admin.create_database("sup")
        sup = InfluxdSupervisor(server, Backoff(initial_s=0.2, max_s=2.0))
        writer = SpoolingWriter(V1Writer(url, "sup", timeout_s=2.0), tmp_path / "spool",
                                16 * 2**20)
        base = time.time_ns()
        sent = 0
        killed_at = None
        for i in range(120):  # a "poll" every 50 ms; influxd is killed at the 20th
            writer.write([Point("ifstats", {"in_bps": float(i * 10 + k)}, {"ifindex": str(k)},
                                base + (i * 10 + k) * 1000) for k in range(10)])
            sent += 10
            if i == 20:
                os.kill(first_pid, signal.SIGKILL)
                killed_at = time.monotonic()
            sup.check()  # what the service's watch task does every second
            time.sleep(0.05)
        assert killed_at is not None and sup.restarts == 1 and sup.last_exit == -signal.SIGKILL
        assert server.running and server.pid != first_pid and server.url == url
        # no zombie left behind: the killed process was reaped
        assert not Path(f"/proc/{first_pid}").exists()
        deadline = time.monotonic() + 20
        while writer.pending_points and time.monotonic() < deadline:
            writer.replay()
            time.sleep(0.2)
        assert writer.pending_points == 0
        writer.close()
        with InfluxQLReader(url, "sup") as r:
            rows = r.query('SELECT count("in_bps") FROM "ifstats"')
        assert rows[0]["count"] == sent
    finally:
        server.stop()
