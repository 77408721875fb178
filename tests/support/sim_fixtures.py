"""Helpers for simulator integration tests: subprocess control and net-snmp CLI wrappers."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provnet.tsdb.ports import free_port
from tests.support.helpers import stop_process

SNMP_TIMEOUT = ("-t", "0.5", "-r", "1")


def free_udp_port(host: str = "127.77.0.1") -> int:
    """A UDP port free right now on ``host`` (loopback)."""
    return free_port(host, socket.SOCK_DGRAM)


@dataclass
class SimProcess:
    """A running ``python -m provnet.simulator`` and what it printed."""

    proc: subprocess.Popen[str]
    port: int
    control: tuple[str, int] | None = None
    lines: list[str] = field(default_factory=list)
    eof: bool = False
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self.eof = True
            self._cond.notify_all()

    def wait_line(self, prefix: str, timeout: float = 10.0) -> str:
        """The first stdout line starting with ``prefix`` (AssertionError on timeout)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines:
                    if line.startswith(prefix):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or self.eof:
                    raise AssertionError(f"no {prefix!r} line; got {self.lines}, "
                                         f"exit={self.proc.poll()}")
                self._cond.wait(min(left, 0.2))

    def command(self, **cmd: Any) -> dict[str, Any]:
        """Send one JSON-line request to the control port and return the reply."""
        assert self.control is not None, "started without --control-port"
        with socket.create_connection(self.control, timeout=5) as sock:
            sock.sendall(json.dumps(cmd).encode() + b"\n")
            reply = sock.makefile("r", encoding="utf-8").readline()
        return dict(json.loads(reply))

    def stop(self) -> None:
        """SIGTERM by PID, then SIGKILL if it does not exit."""
        stop_process(self.proc)


def start_simulator(workdir: Path, plan: dict[str, Any], faults: Sequence[str] = (),
                    control: bool = True, args: Sequence[str] = ()) -> SimProcess:
    """Write the plan, start the simulator on a free port and wait for READY (``args``: more
    command-line options)."""
    port = free_udp_port()
    plan_path = workdir / f"plan-{port}.json"
    plan_path.write_text(json.dumps({**plan, "port": port}), encoding="utf-8")
    cmd = [sys.executable, "-m", "provnet.simulator", "--plan", str(plan_path),
           "--log-level", "WARNING"]
    for fault in faults:
        cmd += ["--fault", fault]
    if control:
        cmd += ["--control-port", "0"]
    cmd += args
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            cwd=Path(__file__).resolve().parents[2])
    sim = SimProcess(proc, port)
    threading.Thread(target=sim._pump, name=f"sim-stdout-{proc.pid}", daemon=True).start()
    try:
        sim.wait_line("READY", timeout=20)
        if control:
            host, _, cport = sim.wait_line("CONTROL").split()[1].rpartition(":")
            sim.control = (host, int(cport))
    except BaseException:
        sim.stop()
        raise
    return sim


def _run(tool: str, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool, "-v2c", "-On", "-Oqt", *args], capture_output=True, text=True,
                          timeout=30, check=False)


def _parse(stdout: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in stdout.splitlines():
        oid, _, value = line.partition(" ")
        out.setdefault(oid.lstrip("."), value.strip().strip('"'))
    return out


def snmpget(address: str, port: int, *oids: str, community: str = "public"
            ) -> dict[str, str] | None:
    """OID -> value text with net-snmp's snmpget, or None when the agent stays silent."""
    res = _run("snmpget", [*SNMP_TIMEOUT, "-c", community, f"{address}:{port}", *oids])
    if "Timeout" in res.stderr:
        return None
    assert res.returncode == 0, res.stderr
    return _parse(res.stdout)


def snmpwalk(address: str, port: int, root: str = "", *options: str,
             community: str = "public") -> dict[str, str]:
    """snmpbulkwalk under ``root`` (whole MIB-2 by default)."""
    args = [*SNMP_TIMEOUT, "-c", community, *options, f"{address}:{port}"]
    res = _run("snmpbulkwalk", args + ([root] if root else []))
    assert res.returncode == 0, res.stderr
    return _parse(res.stdout)


def snmpbulkget(address: str, port: int, *oids: str, non_rep: int = 0, max_rep: int = 10
                ) -> list[tuple[str, str]]:
    """One GETBULK; the varbinds in order."""
    res = _run("snmpbulkget", [*SNMP_TIMEOUT, "-c", "public", f"-Cn{non_rep}", f"-Cr{max_rep}",
                               f"{address}:{port}", *oids])
    assert res.returncode == 0, res.stderr
    return [(o.lstrip("."), v.strip().strip('"'))
            for o, _, v in (ln.partition(" ") for ln in res.stdout.splitlines())]


def snmpset_int(address: str, port: int, oid: str, value: int, community: str = "public"
                ) -> subprocess.CompletedProcess[str]:
    """snmpset of one INTEGER."""
    return _run("snmpset", [*SNMP_TIMEOUT, "-c", community, f"{address}:{port}", oid, "i",
                            str(value)])
