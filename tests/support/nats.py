"""Real ``nats-server`` processes for the scale-out tests and the bench: hub servers (one or a
cluster of three) and leaf servers, optionally inside a network namespace; configurations
from :mod:`provnet.pollers.cluster.natsconf` (the ones docs/deploy.md shows)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from provnet.pollers.cluster.natsconf import Tls, hub_conf, leaf_conf
from tests.support.helpers import free_port, kill_process, stop_process

IP = shutil.which("ip") or "/usr/sbin/ip"
#: the oldest server with ``sync_interval`` and the leaf resync fixes we rely on
MIN_VERSION = (2, 10, 0)


def nats_server_binary() -> str:
    """The pinned ``nats-server`` (the hash-pinned wheel in the venv, else on PATH); skips
    the test when none or too old."""
    here = Path(sys.executable).parent / "nats-server"
    binary = str(here) if here.exists() else shutil.which("nats-server")
    if binary is None:
        pytest.skip("nats-server not installed (make deps-test installs the pinned wheel)")
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    m = re.search(r"v(\d+)\.(\d+)\.(\d+)", out.stdout + out.stderr)
    if m is None or tuple(int(x) for x in m.groups()) < MIN_VERSION:
        pytest.skip(f"nats-server {out.stdout.strip()} is older than 2.10")
    return binary


class NatsServer:
    """One server process from a configuration text; ``netns`` runs it in that namespace."""

    def __init__(self, name: str, conf: str, workdir: Path, netns: str | None = None) -> None:
        self.name, self.conf, self.netns = name, conf, netns
        self.dir = workdir / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.conf_path = self.dir / "server.conf"
        self.conf_path.write_text(conf, encoding="utf-8")
        self.log_path = self.dir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 20.0) -> NatsServer:
        """Start and wait for "Server is ready" in its log."""
        cmd = [nats_server_binary(), "-c", str(self.conf_path)]
        if self.netns:
            cmd = [IP, "netns", "exec", self.netns, *cmd]
        start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nats-server {self.name} exited: {self.tail()}")
            with self.log_path.open("rb") as f:
                f.seek(start)
                if b"Server is ready" in f.read():
                    return self
            time.sleep(0.1)
        raise RuntimeError(f"nats-server {self.name} not ready: {self.tail()}")

    def stop(self) -> None:
        """SIGTERM (then SIGKILL) by PID."""
        if self.proc is not None:
            stop_process(self.proc, timeout_s=10)
            self.proc = None

    def kill(self) -> None:
        """SIGKILL by PID (a crash)."""
        kill_process(self.proc)
        self.proc = None

    def tail(self, n: int = 3000) -> str:
        """The end of its log."""
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""


class Hub:
    """One hub server or a cluster of three (JetStream domain ``hub``); leafnode listeners on
    ``leaf_host``."""

    def __init__(self, workdir: Path, size: int = 1, leaf_host: str = "127.0.0.1",
                 tls: Tls | None = None) -> None:
        self.client_ports = [free_port() for _ in range(size)]
        self.leaf_ports = [free_port(leaf_host) for _ in range(size)]
        cluster_ports = [free_port() for _ in range(size)]
        self.leaf_host = leaf_host
        self.servers = []
        for i in range(size):
            routes = [f"127.0.0.1:{p}" for j, p in enumerate(cluster_ports) if j != i]
            conf = hub_conf(f"hub{i + 1}", str(workdir / f"hub{i + 1}" / "js"),
                            f"127.0.0.1:{self.client_ports[i]}",
                            f"{leaf_host}:{self.leaf_ports[i]}",
                            f"127.0.0.1:{cluster_ports[i]}" if size > 1 else None, routes,
                            tls=tls)
            self.servers.append(NatsServer(f"hub{i + 1}", conf, workdir))

    @property
    def urls(self) -> list[str]:
        """Client URLs of every hub server."""
        return [f"nats://127.0.0.1:{p}" for p in self.client_ports]

    @property
    def leaf_urls(self) -> list[str]:
        """``host:port`` of every leafnode listener."""
        return [f"{self.leaf_host}:{p}" for p in self.leaf_ports]

    def start(self) -> Hub:
        """Start every server (a cluster forms once all are up); if one fails, the ones
        already started are stopped before the error goes on."""
        try:
            for s in self.servers:
                s.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every server."""
        for s in self.servers:
            s.stop()


def leaf(workdir: Path, node: str, hub_leaf_urls: Sequence[str], client_port: int = 4222,
         netns: str | None = None, tls: Tls | None = None) -> NatsServer:
    """A poller node's leaf server (domain = node, ``sync_interval: always``)."""
    conf = leaf_conf(node, str(workdir / node / "js"), f"127.0.0.1:{client_port}",
                     list(hub_leaf_urls), tls=tls)
    return NatsServer(node, conf, workdir, netns)
