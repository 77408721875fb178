"""Real net-snmp ``snmpd`` agents on loopback for tests and benchmarks (stopped by PID)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from provnet.tsdb.ports import free_port
from tests.support.helpers import stop_process

SNMPD = shutil.which("snmpd") or "/usr/sbin/snmpd"
SNMPGET = shutil.which("snmpget") or "/usr/bin/snmpget"
SNMPBULKWALK = shutil.which("snmpbulkwalk") or "/usr/bin/snmpbulkwalk"

#: net-snmp tools without MIB files (Debian ships none): silence the loader, numeric OIDs only.
NO_MIBS_ENV = {"MIBS": "", "MIBDIRS": "/nonexistent"}


def free_udp_port(host: str = "127.0.0.1") -> int:
    """A UDP port with nothing bound on ``host`` right now."""
    return free_port(host, socket.SOCK_DGRAM)


def tool_env() -> dict[str, str]:
    """Environment for net-snmp command-line tools."""
    return {**os.environ, **NO_MIBS_ENV}


@dataclass
class SnmpdAgent:
    """A running ``snmpd`` answering SNMPv2c on ``host:port``."""

    host: str
    port: int
    community: str
    process: subprocess.Popen[bytes]
    workdir: Path
    extra_config: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        """PID of the snmpd process we started."""
        return self.process.pid

    @property
    def peer(self) -> str:
        """``host:port`` as net-snmp tools want it."""
        return f"{self.host}:{self.port}"

    def log_text(self) -> str:
        """The agent's log so far."""
        path = self.workdir / "snmpd.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop this agent by its PID (TERM, then KILL) and remove its work directory."""
        stop_process(self.process)
        shutil.rmtree(self.workdir, ignore_errors=True)


def snmp_answers(host: str, port: int, community: str, timeout_s: float = 0.3) -> bool:
    """True when ``snmpget sysUpTime.0`` succeeds against ``host:port``."""
    proc = subprocess.run(
        [SNMPGET, "-v2c", "-c", community, "-On", "-t", str(timeout_s), "-r", "0",
         f"{host}:{port}", "1.3.6.1.2.1.1.3.0"],
        capture_output=True,
        env=tool_env(),
        check=False,
    )
    return proc.returncode == 0


def start_snmpd(
    host: str = "127.0.0.1",
    port: int | None = None,
    community: str = "public",
    extra_config: list[str] | None = None,
    view: list[str] | None = None,
    startup_timeout_s: float = 15.0,
) -> SnmpdAgent:
    """Start ``snmpd -f`` with a generated config on ``host:port`` and wait until it answers.

    ``view``: OID subtrees to expose (default: everything). ``extra_config``: more snmpd.conf
    lines (e.g. ``maxGetbulkResponses 13``).
    """
    port = port or free_udp_port(host)
    workdir = Path(tempfile.mkdtemp(prefix="provnet-snmpd-"))
    lines = [f"agentAddress udp:{host}:{port}"]
    if view:
        lines += [f"view provnet included {oid}" for oid in view]
        lines.append(f"rocommunity {community} {host} -V provnet")
    else:
        lines.append(f"rocommunity {community} {host}")
    lines += ["sysLocation provnet test agent", "sysContact noc@example.invalid"]
    lines += extra_config or []
    conf = workdir / "snmpd.conf"
    conf.write_text("\n".join(lines) + "\n")
    env = {**os.environ, **NO_MIBS_ENV, "SNMP_PERSISTENT_DIR": str(workdir / "persist")}
    process = subprocess.Popen(
        [SNMPD, "-f", "-Lf", str(workdir / "snmpd.log"), "-C", "-c", str(conf),
         "-p", str(workdir / "snmpd.pid")],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    agent = SnmpdAgent(host, port, community, process, workdir, list(extra_config or []))
    deadline = time.monotonic() + startup_timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = agent.log_text()
            agent.stop()
            raise RuntimeError(f"snmpd exited with {process.returncode}: {log[-2000:]}")
        if snmp_answers(host, port, community):
            return agent
        time.sleep(0.1)
    log = agent.log_text()
    agent.stop()
    raise RuntimeError(f"snmpd on {host}:{port} did not answer within {startup_timeout_s} s: {log}")


def bulkwalk(agent: SnmpdAgent, oid: str, community: str | None = None) -> dict[str, str]:
    """``snmpbulkwalk -On`` of ``oid``: numeric OID (no leading dot) -> value text."""
    proc = subprocess.run(
        [SNMPBULKWALK, "-v2c", "-c", community or agent.community, "-On", "-Cr25",
         agent.peer, oid],
        capture_output=True,
        text=True,
        env=tool_env(),
        check=True,
    )
    out: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        name, sep, value = line.partition(" = ")
        if sep:
            out[name.lstrip(".")] = value
    return out
