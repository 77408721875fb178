"""`provnet demo` end to end, as a user runs it: real influxd, real SNMP agents, real HTTP API.

One demo process runs for the module: every commune link must show live rates, InfluxDB must
hold the points, a link taken down with --fault must show `down` within two poll intervals,
and Ctrl-C must stop every process the demo started.
"""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from provnet.tsdb.client import InfluxQLReader
from provnet.tsdb.errors import TsdbError
from provnet.tsdb.influxd_auth import ADMIN_USER, admin_password
from tests.support.demo_proc import DemoProcess

pytestmark = pytest.mark.integration
INTERVAL = 3.0
FAULT_SITE = "UB-30544"  # UBND Thị trấn Tri Tôn, single-homed to PoP Tri Tôn
FAULT_AT = 14
RESTORE_AT = 40


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoProcess]:
    state = tmp_path_factory.mktemp("demo")
    d = DemoProcess(state, state / "demo.out", ["--duration", "300", "--interval", str(INTERVAL)],
                    [f"{FAULT_SITE}:link-down@{FAULT_AT}", f"{FAULT_SITE}:link-up@{RESTORE_AT}"])
    try:
        yield d
    finally:
        d.kill()


def _fault_time(state: Path, action: str) -> float | None:
    for line in (state / "simulator.log").read_text(encoding="utf-8").splitlines():
        if line.startswith("FAULT ") and f"{FAULT_SITE} {action}" in line:
            return dt.datetime.fromisoformat(line.split()[1]).timestamp()
    return None


def test_every_link_has_live_rates(demo: DemoProcess) -> None:
    def all_up_with_rates() -> list[dict[str, Any]] | None:
        items = demo.get("/api/v1/links", limit=1000)["items"]
        ok = [lk for lk in items if lk["health"]["status"] == "up"
              and lk["health"]["in_bps"] is not None and lk["health"]["out_bps"] is not None]
        return items if len(ok) == len(items) == 189 else None

    items = demo.wait_for("all 189 links up with rates", all_up_with_rates, 60)
    commune_links = [lk for lk in items if lk["a"]["site_code"].startswith("UB-")]
    assert len(commune_links) == 161  # 155 communes + 6 second uplinks of dual-homed ones
    for lk in commune_links:
        h = lk["health"]
        assert 0 < h["in_bps"] < 100e6 and 0 < h["out_bps"] < 100e6
        assert 0 < h["utilisation_pct"] <= 100
    health = demo.get("/api/v1/health")
    assert health["status"] == "ok" and health["influxdb"]["version"].startswith("1.6")
    assert health["poller"]["targets"] == 184


def test_influxdb_holds_the_points(demo: DemoProcess) -> None:
    url = demo.get("/api/v1/health")["influxdb"]["url"]
    with InfluxQLReader(url, "provnet") as anonymous, pytest.raises(TsdbError):
        anonymous.query("SHOW MEASUREMENTS")  # the managed influxd runs with auth
    assert (demo.state / "influxd.admin").stat().st_mode & 0o777 == 0o600
    reader = InfluxQLReader(url, "provnet", ADMIN_USER, admin_password(demo.state))

    def every_linked_port_has_rates() -> bool:
        rows = reader.query("SELECT count(in_bps) FROM ifstats WHERE time > now() - 10m "
                            "GROUP BY link, \"end\"")
        return len([r for r in rows if r.get("link") and r["count"] > 0]) == 2 * 189

    demo.wait_for("rates of both ends of every link in InfluxDB", every_linked_port_has_rates, 30)
    rows = reader.query("SELECT last(in_bps), last(oper_status) FROM ifstats "
                        "WHERE link = '1' AND \"end\" = 'a'")
    assert rows and rows[0]["last"] > 0
    polls = reader.query("SELECT count(duration_ms) FROM snmp_poll GROUP BY device")
    assert len(polls) == 184


def test_fault_shows_down_within_two_intervals_and_recovers(demo: DemoProcess) -> None:
    link_id = next(lk["id"] for lk in demo.get("/api/v1/links", limit=1000)["items"]
                   if lk["a"]["site_code"] == FAULT_SITE)

    def down() -> float | None:
        st = demo.get(f"/api/v1/links/{link_id}/health")["status"]
        return time.time() if st == "down" else None

    seen_down = demo.wait_for("fault link down", down, FAULT_AT + 40)
    fired = _fault_time(demo.state, "link-down")
    assert fired is not None
    assert seen_down - fired <= 2 * INTERVAL + 1.0, (seen_down - fired)
    # the commune office, cut off, stops answering SNMP; its PoP reports the port down
    def devices() -> dict[str, Any]:
        return {d["site_code"]: d for d in demo.get("/api/v1/devices", limit=1000)["items"]}

    demo.wait_for("commune unreachable", lambda: devices()[FAULT_SITE]["poll_ok"] is False,
                  2 * INTERVAL + 5)
    assert devices()["POP-891"]["poll_ok"] is True
    down_links = demo.get("/api/v1/links", status="down")["items"]
    assert [lk["id"] for lk in down_links] == [link_id]
    demo.wait_for("link restored", lambda: demo.get(f"/api/v1/links/{link_id}/health")["status"]
                  == "up", RESTORE_AT + 30)


def test_ctrl_c_stops_everything(demo: DemoProcess) -> None:
    influxd_pid = int((demo.state / "influxd.pid").read_text().split()[0])
    sim_pids = subprocess.run(["pgrep", "-f", f"provnet.simulator --plan {demo.state}"],
                              capture_output=True, text=True).stdout.split()
    assert sim_pids, "simulator process not found"
    demo.proc.send_signal(signal.SIGINT)
    assert demo.proc.wait(30) == 0
    for pid in [influxd_pid, *map(int, sim_pids)]:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(
            f"/proc/{pid}/status").read_text().lower(), f"pid {pid} still running"
    assert "stopped" in demo.log.read_text()


def test_bad_fault_spec_is_a_clear_error(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "provnet.cli", "demo", "--state-dir", str(tmp_path),
                        "--fault", "UB-30544:explode@10", "--duration", "1"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "explode" in r.stderr
    r = subprocess.run([sys.executable, "-m", "provnet.cli", "demo", "--state-dir", str(tmp_path),
                        "--fault", "UB-99999:link-down@10", "--duration", "1"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "UB-99999" in r.stderr
    assert not (tmp_path / "influxd.pid").exists()
