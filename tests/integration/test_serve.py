"""`provnet serve` on a configured (external) InfluxDB with an inventory whose devices are dead.

Every device answers nothing: each poll must end as an error result written to InfluxDB,
none may raise, and a cycle of 184 dead devices stays bounded by timeout x concurrency.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.helpers import InfluxdHandle, free_port

pytestmark = pytest.mark.integration


def test_serve_with_dead_devices_records_errors(influx_database: InfluxdHandle,
                                                tmp_path: Path) -> None:
    state = tmp_path / "state"
    seed = subprocess.run([sys.executable, "-m", "provnet.cli", "seed-demo", "--state-dir",
                           str(state)], capture_output=True, text=True, timeout=120)
    assert seed.returncode == 0, seed.stderr
    dead_port = free_port(kind=socket.SOCK_DGRAM)
    # the trap port is taken: the receiver fails, monitoring must go on without it
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    trap_port = taken.getsockname()[1]
    cfg = tmp_path / "provnet.yaml"
    cfg.write_text(
        f"state_dir: {state}\n"
        f"influx: {{url: '{influx_database.url}', database: {influx_database.database}}}\n"
        f"poller: {{interval_s: 2, concurrency: 64}}\n"
        f"api: {{port: {free_port()}}}\n"
        f"traps: {{port: {trap_port}}}\n"
        f"snmp_profiles: {{demo: {{community: nope, port: {dead_port}, timeout_s: 0.3,"
        f" retries: 0}}}}\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "provnet.cli", "serve", "--config", str(cfg),
                          "--duration", "7"], capture_output=True, text=True, timeout=60)
    taken.close()
    assert run.returncode == 0, run.stderr[-3000:]
    assert "nope" not in run.stderr  # the community is a secret
    cycles = [line for line in run.stderr.splitlines() if "cycle" in line and "devices" in line]
    assert cycles and all("(0 ok, 184 failed)" in line for line in cycles), run.stderr[-3000:]
    assert "traps disabled" in run.stderr and len(cycles) >= 2  # ran on to --duration
    with influx_database.reader() as r:
        rows = r.query("SELECT count(duration_ms) FROM snmp_poll WHERE ok = false GROUP BY device")
        assert len(rows) == 184
        errors = r.query("SELECT last(error) FROM snmp_poll")
        assert errors[0]["last"] in ("timeout", "deadline exceeded")
        assert r.query("SELECT count(in_bps) FROM ifstats") == []
    assert not (state / "influxd.pid").exists()  # an external InfluxDB: nothing was started
