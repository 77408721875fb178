"""LLDP discovery against real LLDP: Debian's ``lldpd`` with its SNMP AgentX subagent under
real ``snmpd``, one network namespace per device (core, PoP, commune), joined by veth pairs.

``provnet inventory discover`` walks the three management addresses (core first) and must
propose the two links with the right interface names at both ends, then apply them on
``--yes``: the exported inventory holds exactly those links. Skipped only when network
namespaces are not permitted or lldpd is not installed.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provnet.cli import app
from provnet.inventory.store import open_store
from provnet.inventory.transfer import export
from tests.support.helpers import stop_process
from tests.support.snmp_agents import NO_MIBS_ENV, SNMPD

pytestmark = pytest.mark.integration
IP = shutil.which("ip") or "/usr/sbin/ip"
LLDPD = shutil.which("lldpd") or "/usr/sbin/lldpd"
LLDPCLI = shutil.which("lldpcli") or "/usr/sbin/lldpcli"
COMMUNITY = "provnet-lldp"
DEVICES = ("core", "pop", "xa")


def _run(*cmd: str) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=15, check=False)
    assert done.returncode == 0, f"{' '.join(cmd)}: {done.stderr}"


class Lab:
    def __init__(self, tmp: Path) -> None:
        self.tag = f"{os.getpid() % 1000:03d}{random.randrange(100):02d}"
        self.octet = random.randrange(16, 250)
        self.tmp = tmp
        self.procs: list[subprocess.Popen[bytes]] = []
        self.made: list[str] = []
        self.sockets = Path(tempfile.mkdtemp(prefix="provnet-lldp-"))
        self.sockets.chmod(0o755)

    def ns(self, dev: str) -> str:
        return f"pvlldp-{dev}-{self.tag}"

    def addr(self, dev: str, host: bool = False) -> str:
        return f"169.254.{self.octet}.{DEVICES.index(dev) * 4 + (1 if host else 2)}"

    def port(self, dev: str, n: int) -> str:
        return f"{dev}{n}-{self.tag}"

    def exec(self, dev: str, *cmd: str) -> None:
        _run(IP, "netns", "exec", self.ns(dev), *cmd)

    def build(self) -> None:
        for dev in DEVICES:
            _run(IP, "netns", "add", self.ns(dev))
            self.made.append(self.ns(dev))
            host_if, ns_if = f"pvlh{dev}{self.tag}"[:15], f"pvln{dev}{self.tag}"[:15]
            _run(IP, "link", "add", host_if, "type", "veth", "peer", "name", ns_if, "netns",
                 self.ns(dev))
            _run(IP, "addr", "add", f"{self.addr(dev, True)}/30", "dev", host_if)
            _run(IP, "link", "set", host_if, "up")
            self.exec(dev, IP, "addr", "add", f"{self.addr(dev)}/30", "dev", ns_if)
            self.exec(dev, IP, "link", "set", ns_if, "up")
            self.exec(dev, IP, "link", "set", "lo", "up")
        for (a, an), (b, bn) in ((("core", 1), ("pop", 1)), (("pop", 2), ("xa", 1))):
            pa, pb = self.port(a, an), self.port(b, bn)
            _run(IP, "link", "add", pa, "type", "veth", "peer", "name", pb)
            _run(IP, "link", "set", pa, "netns", self.ns(a))
            _run(IP, "link", "set", pb, "netns", self.ns(b))
            self.exec(a, IP, "link", "set", pa, "up")
            self.exec(b, IP, "link", "set", pb, "up")

    def start(self, dev: str) -> None:
        work = self.tmp / dev
        work.mkdir()
        sock = work / "agentx.sock"
        (work / "snmpd.conf").write_text(
            f"agentAddress udp:{self.addr(dev)}:161\n"
            f"rocommunity {COMMUNITY} {self.addr(dev, True)}\n"
            f"sysName {dev}\nmaster agentx\nagentXSocket {sock}\nagentXPerms 0777 0777\n")
        env = {**os.environ, **NO_MIBS_ENV, "SNMP_PERSISTENT_DIR": str(work / "persist")}
        self.procs.append(subprocess.Popen(
            [IP, "netns", "exec", self.ns(dev), SNMPD, "-f", "-Lf", str(work / "snmpd.log"),
             "-C", "-c", str(work / "snmpd.conf"), "-p", str(work / "snmpd.pid")],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 10
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        # lldpcli drops root: the control socket must sit where _lldpd can reach it
        ctl = self.sockets / f"{dev}.ctl"
        ports = ",".join(self.port(dev, n) for n in (1, 2))
        with (work / "lldpd.log").open("wb") as log:
            self.procs.append(subprocess.Popen(
                [IP, "netns", "exec", self.ns(dev), LLDPD, "-d", "-u", str(ctl), "-x", "-X",
                 str(sock), "-I", ports], stdin=subprocess.DEVNULL, stdout=log, stderr=log))
        deadline = time.monotonic() + 10
        while not ctl.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        for conf in (("system", "hostname", dev), ("lldp", "portidsubtype", "ifname"),
                     ("lldp", "tx-interval", "1")):
            _run(LLDPCLI, "-u", str(ctl), "configure", *conf)

    def stop(self) -> None:
        for p in reversed(self.procs):
            stop_process(p)
        for ns in self.made:
            subprocess.run([IP, "netns", "del", ns], capture_output=True, check=False)
        for dev in DEVICES:
            subprocess.run([IP, "link", "del", f"pvlh{dev}{self.tag}"[:15]],
                           capture_output=True, check=False)
        shutil.rmtree(self.sockets, ignore_errors=True)


@pytest.fixture()
def lab(tmp_path: Path) -> Iterator[Lab]:
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    if not Path(LLDPD).exists():
        pytest.skip("lldpd is not installed (apt-get install lldpd)")
    lab = Lab(tmp_path)
    try:
        lab.build()
        for dev in DEVICES:
            lab.start(dev)
        yield lab
    finally:
        lab.stop()


def test_lldp_discovery_finds_the_links(lab: Lab, tmp_path: Path) -> None:
    cfg = tmp_path / "provnet.yaml"
    cfg.write_text(f"state_dir: {tmp_path / 'state'}\n"
                   f"snmp_profiles: {{lab: {{community: {COMMUNITY}, timeout_s: 1.0}}}}\n",
                   encoding="utf-8")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "sites.csv").write_text(
        "code,name,kind,latitude,longitude\nLAB,Phòng thí nghiệm,core,10.5,105.1\n")
    cli = CliRunner()
    assert cli.invoke(app, ["inventory", "import", str(tmp_path / "in"), "--config",
                            str(cfg)]).exit_code == 0
    seeds = [lab.addr(d) for d in DEVICES]
    args = ["inventory", "discover", *seeds, "--snmp-profile", "lab", "--site", "LAB",
            "--config", str(cfg)]
    want = {f"pop,{lab.port('pop', 1)},core,{lab.port('core', 1)}",
            f"xa,{lab.port('xa', 1)},pop,{lab.port('pop', 2)}"}
    deadline = time.monotonic() + 30
    out = ""
    while time.monotonic() < deadline:  # lldpd sends every second once configured
        res = cli.invoke(app, [*args, "--dry-run"])
        out = res.output
        if res.exit_code == 0 and "links: 2 to add" in out and \
                all(f"{a.split(',')[0]}/{a.split(',')[1]}" in out for a in want):
            break
        time.sleep(1)
    else:
        pytest.fail(f"LLDP links not found:\n{out}\n"
                    + (lab.tmp / "pop" / "lldpd.log").read_text(errors="replace")[-2000:])
    assert "devices: 3 to add" in out and "dry run: nothing was written" in out
    res = cli.invoke(app, [*args, "--yes"])
    assert res.exit_code == 0, res.output
    store = open_store(f"sqlite:///{(tmp_path / 'state' / 'inventory.sqlite').resolve()}")
    export(store, tmp_path / "out")
    store.close()
    links = (tmp_path / "out" / "links.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert {",".join(line.split(",")[:4]) for line in links} == want
    devices = (tmp_path / "out" / "devices.csv").read_text(encoding="utf-8")
    assert all(f"{d},LAB,router,,,{lab.addr(d)},lab," in devices for d in DEVICES), devices
