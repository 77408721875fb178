"""Issue 11 must-show: a small non-demo province loaded entirely from CSV files, polled live.

A network namespace holds the province's links as veth pairs named after the ports of each
router (``core-p1`` <-> ``p1-up``, ...) and one real net-snmp ``snmpd`` per router, each on its
own management address behind one management veth from our namespace. The inventory is a
core, 2 PoPs and 4 commune routers with their links given by interface **name** only (no
ifIndex anywhere in the files). ``provnet serve`` must resolve every link end's ifIndex from
ifName, and ``GET /api/v1/links`` must show every link with live rates. Then a second import
adds a fifth commune router while serving: it must be polled within two poll intervals.
Skipped only when network namespaces are not permitted.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from provnet.config.settings import load_settings
from tests.support.api_auth import admin_headers
from tests.support.csv_lab import (
    COMMUNITY,
    LINKS,
    NEW_LINK,
    ROUTERS,
    Lab,
    netns_lab,
    province_files,
)
from tests.support.demo_proc import wait_until
from tests.support.helpers import InfluxdHandle, free_port, stop_process

pytestmark = pytest.mark.integration

INTERVAL_S = 2.0


@pytest.fixture()
def lab(tmp_path: Path) -> Iterator[Lab]:
    with netns_lab(tmp_path) as made:
        yield made


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provnet.cli", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def wait_for(what: str, check: Callable[[], Any], timeout: float,
             proc: subprocess.Popen[bytes], log: Path) -> Any:
    return wait_until(what, check, timeout, proc, log, every_s=0.2)


def test_csv_province_polled_live_and_grows_while_serving(
        lab: Lab, tmp_path: Path, influx_database: InfluxdHandle) -> None:
    for _, a_port, _, z_port in [*LINKS, NEW_LINK]:
        lab.link(a_port, z_port)
    for r in list(ROUTERS)[:7]:
        lab.agent(r)
    port = free_port()
    state = tmp_path / "state"
    cfg = tmp_path / "provnet.yaml"
    cfg.write_text(
        f"state_dir: {state}\n"
        f"influx: {{url: '{influx_database.url}', database: {influx_database.database}}}\n"
        f"poller: {{interval_s: {INTERVAL_S}}}\n"
        f"api: {{port: {port}}}\n"
        "traps: {enabled: false}\n"
        "icmp: {enabled: false}\n"
        f"snmp_profiles: {{lab: {{community: {COMMUNITY}, timeout_s: 1.0, retries: 1}}}}\n",
        encoding="utf-8")
    first = tmp_path / "first"
    province_files(lab, first, list(ROUTERS)[:7], LINKS)
    done = cli("inventory", "import", str(first), "--config", str(cfg))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "devices: 7 to add" in done.stdout and "links: 6 to add" in done.stdout

    log = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    headers = admin_headers(load_settings(cfg))
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "provnet.cli", "serve", "--config",
                                 str(cfg)], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    try:
        def links_live(expected: int) -> list[dict[str, Any]] | None:
            items = httpx.get(f"{base}/api/v1/links", headers=headers,
                              timeout=5).json()["items"]
            live = [lk for lk in items if lk["health"]["status"] == "up"
                    and lk["health"]["in_bps"] is not None
                    and lk["health"]["out_bps"] is not None]
            return items if len(items) == expected and len(live) == expected else None

        items = wait_for("every link up with live rates", lambda: links_live(6), 60, proc, log)
        assert {lk["circuit_id"] for lk in items} == {f"CID-{a}" for _, a, _, _ in LINKS}
        # the ifIndexes came from SNMP (ifName), none from the files
        exported = tmp_path / "export"
        got = cli("inventory", "export", str(exported), "--config", str(cfg))
        assert got.returncode == 0, got.stderr
        rows = (exported / "interfaces.csv").read_text(encoding="utf-8").splitlines()[1:]
        assert len(rows) == 12 and all(r.rsplit(",", 1)[1].isdigit() for r in rows), rows

        # a fifth commune router, added by a second import while serving
        lab.agent("x5")
        second = tmp_path / "second"
        province_files(lab, second, ["x5"], [NEW_LINK])
        (second / "units.csv").unlink()
        (second / "devices.csv").write_text(
            "name,site,role,primary_ip4,snmp_profile\n"
            f"x5,S-X5,router,{lab.addr('x5')},lab\n", encoding="utf-8")
        (second / "interfaces.csv").write_text(
            "device,name,speed\nx5,x5-up,1000000\np2,p2-x5,1000000\n", encoding="utf-8")
        done = cli("inventory", "import", str(second), "--config", str(cfg))
        imported_at = time.time()
        assert done.returncode == 0, done.stdout + done.stderr
        assert "devices: 1 to add" in done.stdout

        def x5_polled() -> dict[str, Any] | None:
            devs = httpx.get(f"{base}/api/v1/devices", headers=headers,
                             timeout=5).json()["items"]
            x5 = next((d for d in devs if d["hostname"] == "x5"), None)
            return x5 if x5 and x5["poll_ok"] else None

        x5 = wait_for("x5 polled", x5_polled, 4 * INTERVAL_S + 5, proc, log)
        polled_after = time.time() - imported_at
        assert polled_after <= 2 * INTERVAL_S + 1.0, f"x5 first polled {polled_after:.1f} s after"
        assert x5["site_code"] == "S-X5"
        wait_for("seven links up with live rates", lambda: links_live(7), 6 * INTERVAL_S,
                 proc, log)
    finally:
        stop_process(proc, timeout_s=20)
    text = log.read_text()
    assert "applied without restart" in text and "ifIndex of" in text
