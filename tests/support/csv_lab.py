"""A small non-demo province in a network namespace: real ``snmpd`` per router, links as veth
pairs named after the routers' ports, and the province as CSV files (issue 11's live test and
the API front's test use it)."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.helpers import stop_process
from tests.support.snmp_agents import NO_MIBS_ENV, SNMPD

IP = shutil.which("ip") or "/usr/sbin/ip"
COMMUNITY = "provnet-live"
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
        # a /24 no other lab on this machine uses (parallel test workers)
        used = subprocess.run([IP, "-4", "addr"], capture_output=True, text=True,
                              check=False).stdout
        free = [o for o in range(16, 250) if f"169.254.{o}." not in used]
        self.octet = random.choice(free or [random.randrange(16, 250)])
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


@contextlib.contextmanager
def netns_lab(tmp_path: Path) -> Iterator[Lab]:
    """A lab namespace for one test (skipped where namespaces are not permitted)."""
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
