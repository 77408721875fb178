"""`provnet demo` with its managed influxd SIGKILLed while polling: the service reaps it,
restarts it on the same port, replays the spool, and no poll of the outage is missing."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from provnet.tsdb.client import InfluxQLReader
from provnet.tsdb.influxd_auth import ADMIN_USER, admin_password
from tests.support.demo_proc import DemoProcess

pytestmark = pytest.mark.integration
INTERVAL = 5


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoProcess]:
    d = DemoProcess(tmp_path, tmp_path / "demo.out",
                    ["--duration", "150", "--interval", str(INTERVAL)])
    try:
        yield d
    finally:
        if d.proc.poll() is None:
            d.stop()  # SIGTERM: the demo stops its simulators and influxd
        d.kill()


def _pid(state: Path) -> int | None:
    try:
        return int((state / "influxd.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def test_killed_influxd_is_restarted_and_every_poll_is_kept(demo: DemoProcess) -> None:
    health = demo.wait_for("influxdb and two cycles", lambda: (
        h := demo.get("/api/v1/health"))["poller"]["cycles"] >= 2 and h, 90)
    url = health["influxdb"]["url"]
    first = _pid(demo.state)
    assert first is not None
    time.sleep(2 * INTERVAL)
    killed_at = time.time()
    os.kill(first, signal.SIGKILL)  # the demo's own influxd, started by this test's process

    def restarted() -> bool:
        pid = _pid(demo.state)
        return pid is not None and pid != first and demo.get("/api/v1/health")[
            "influxdb"]["ok"]

    demo.wait_for("influxd restarted", restarted, 60)
    assert not Path(f"/proc/{first}").exists()  # reaped: no zombie
    assert demo.get("/api/v1/health")["influxdb"]["url"] == url  # same port
    time.sleep(3 * INTERVAL)
    demo.wait_for("spool replayed", lambda: demo.get("/api/v1/health")["poller"][
        "spooled_points"] == 0, 30)
    lo, hi = int((killed_at - 3 * INTERVAL) * 1e9), int((killed_at + 4 * INTERVAL) * 1e9)
    # the managed influxd runs with auth (issue 13): its generated admin account
    with InfluxQLReader(url, "provnet", ADMIN_USER, admin_password(demo.state)) as r:
        rows = r.query(f"SELECT count(duration_ms) FROM snmp_poll WHERE time >= {lo} AND "
                       f"time < {hi} GROUP BY device")
    counts = [row["count"] for row in rows]
    assert len(counts) == 184  # every device has polls in the window around the kill
    assert min(counts) >= 6  # 7 intervals: at most one poll short at the window's edges
    log = demo.log.read_text()
    assert "influxd restarted" in log
    assert demo.stop() == 0
