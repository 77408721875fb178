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

import os
import random
import shutil
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
from tests.support.demo_proc import wait_until
from tests.support.helpers import InfluxdHandle, free_port, stop_process
from tests.support.snmp_agents import NO_MIBS_ENV, SNMPD

pytestmark = pytest.mark.integration

IP = shutil.which("ip") or "/usr/sbin/ip"
COMMUNITY = "provnet-live"
INTERVAL_S = 2.0
#: router -> (index, site kind); the fifth commune router comes with the second import
ROUTERS = {"core": (0, "core"), "p1": (1, "pop"), "p2": (2, "pop"), "x1": (3, "commune_office"),
           "x2": (4, "commune_office"), "x3": (5, "commune_office"),
           "x4": (6, "commune_office"), "x5": (7, "commune_office")}
#: (downstream router, its uplink port, upstream router, its port)
LINKS = [("p1", "p1-up", "core", "core-p1"), ("p2", "p2-up", "core", "core-p2"),
         ("x1", "x1-up", "p1", "p1-x1"), ("x2", "x2-up", "p1", "p1-x2"),
         ("x3", "x3-up", "p2", "p2-x3"), ("x4", "x4-up", "p2", "p2-x4")]
NEW_LINK = ("x5", "x5-up", "p2", "p2-x5")


def _ip(*args: str, ns: str | None = None) -> None:
    cmd = [IP, "netns", "exec", ns, IP, *args] if ns else [IP, *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)
    assert done.returncode == 0, f"{' '.join(cmd)}: {done.stderr}"


class Lab:
    """The namespace, its veths and the snmpd agents (stopped by PID)."""

    def __init__(self, tmp: Path) -> None:
        tag = f"{os.getpid() % 10000:04d}{random.randrange(100):02d}"
        self.ns, self.host_if, self.ns_if = f"pvlive-{tag}", f"pvlh{tag}", f"pvln{tag}"
        self.octet = random.randrange(16, 250)
        self.tmp = tmp
        self.agents: list[subprocess.Popen[bytes]] = []

    def addr(self, router: str) -> str:
        return f"169.254.{self.octet}.{10 + ROUTERS[router][0]}"

    @property
    def host_addr(self) -> str:
        return f"169.254.{self.octet}.1"

    def up(self) -> None:
        _ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if,
            "netns", self.ns)
        _ip("addr", "add", f"{self.host_addr}/24", "dev", self.host_if)
        _ip("link", "set", self.host_if, "up")
        _ip("link", "set", "lo", "up", ns=self.ns)
        _ip("link", "set", self.ns_if, "up", ns=self.ns)
        for r in ROUTERS:
            _ip("addr", "add", f"{self.addr(r)}/24", "dev", self.ns_if, ns=self.ns)

    def link(self, a_port: str, z_port: str) -> None:
        _ip("link", "add", a_port, "type", "veth", "peer", "name", z_port, ns=self.ns)
        _ip("link", "set", a_port, "up", ns=self.ns)
        _ip("link", "set", z_port, "up", ns=self.ns)

    def agent(self, router: str) -> None:
        work = self.tmp / f"snmpd-{router}"
        work.mkdir()
        conf = work / "snmpd.conf"
        conf.write_text(f"agentAddress udp:{self.addr(router)}:161\n"
                        f"rocommunity {COMMUNITY} {self.host_addr}\n"
                        f"sysName {router}\n")
        env = {**os.environ, **NO_MIBS_ENV, "SNMP_PERSISTENT_DIR": str(work / "persist")}
        self.agents.append(subprocess.Popen(
            [IP, "netns", "exec", self.ns, SNMPD, "-f", "-Lf", str(work / "snmpd.log"), "-C",
             "-c", str(conf), "-p", str(work / "snmpd.pid")],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL))

    def down(self) -> None:
        for p in self.agents:
            stop_process(p)
        subprocess.run([IP, "netns", "del", self.ns], capture_output=True, check=False)
        subprocess.run([IP, "link", "del", self.host_if], capture_output=True, check=False)


@pytest.fixture()
def lab(tmp_path: Path) -> Iterator[Lab]:
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    lab = Lab(tmp_path)
    made = subprocess.run([IP, "netns", "add", lab.ns], capture_output=True, text=True,
                          check=False)
    if made.returncode != 0:
        pytest.skip(f"ip netns add not permitted here: {made.stderr.strip()}")
    try:
        lab.up()
        yield lab
    finally:
        lab.down()


def _write(path: Path, header: str, rows: list[str]) -> None:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def province_files(lab: Lab, directory: Path, routers: list[str],
                   links: list[tuple[str, str, str, str]]) -> None:
    """The province as CSV files (a made-up province 'Tỉnh Thử Nghiệm', codes 9xx)."""
    directory.mkdir()
    _write(directory / "units.csv", "generation,level,code,name,parent",
           ["legacy,province,990,Tỉnh Thử Nghiệm,", "legacy,district,991,Huyện Một,990",
            "legacy,district,992,Huyện Hai,990"]
           + [f"legacy,commune,99{i}0,Xã Số {i},{991 if i < 3 else 992}" for i in range(1, 6)])
    sites, devices, ifaces, lks = [], [], [], []
    for r in routers:
        n, kind = ROUTERS[r]
        district = "" if r == "core" else ("991" if r in ("p1", "x1", "x2") else "992")
        commune = f"99{int(r[1])}0" if r.startswith("x") else ""
        sites.append(f"S-{r.upper()},Trạm {r},{kind},{10.0 + n / 100},{105.0 + n / 100},"
                     f"{district},{commune}")
        devices.append(f"{r},S-{r.upper()},{'core' if r == 'core' else 'router'},"
                       f"{lab.addr(r)}/24,lab")
    for a, a_port, z, z_port in links:
        ifaces += [f"{a},{a_port},1000000", f"{z},{z_port},1000000"]
        lks.append(f"{a},{a_port},{z},{z_port},fibre,1000000,VNPT,CID-{a_port}")
    _write(directory / "sites.csv", "code,name,kind,latitude,longitude,region,commune", sites)
    _write(directory / "devices.csv", "name,site,role,primary_ip4,snmp_profile", devices)
    _write(directory / "interfaces.csv", "device,name,speed", ifaces)
    _write(directory / "links.csv", "side_a_device,side_a_name,side_b_device,side_b_name,"
                                    "kind,commit_rate,provider,cid", lks)


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
