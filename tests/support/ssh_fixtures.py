"""Helpers for SSH integration tests: a few fakenos devices and targets pointing at them."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from provnet.pollers.ssh.collector import SshCollector
from provnet.pollers.ssh.hostkeys import KnownHosts
from provnet.pollers.ssh.platforms import load_platforms
from provnet.pollers.ssh.session import NetmikoRunner
from provnet.pollers.ssh.types import SshLogin, SshTarget
from provnet.sshsim import SimDevice
from tests.support.helpers import free_port

HUAWEI_IFS = (("GigabitEthernet0/0/0", "uplink AG-CORE"),
              ("GigabitEthernet0/1/1", "UBND Xã Vĩnh Gia"))
CISCO_IFS = (("GigabitEthernet0/0/0", "uplink POP-891"), ("TenGigabitEthernet0/0/24", "LAN"))


def sim_devices(n_huawei: int = 1, n_cisco: int = 1) -> list[SimDevice]:
    """``n`` Huawei VRP and Cisco IOS fakenos devices on free loopback ports."""
    devs = [SimDevice(f"ag-pop-{880 + i}", "huawei_vrp", free_port(), interfaces=HUAWEI_IFS)
            for i in range(n_huawei)]
    devs += [SimDevice(f"ag-dept-{i + 1:02d}", "cisco_ios", free_port(), interfaces=CISCO_IFS)
             for i in range(n_cisco)]
    return devs


def target(dev: SimDevice, device_id: int, password: str | None = None,
           host: str = "127.0.0.1", port: int | None = None) -> SshTarget:
    """An SSH target for a simulated device (optionally with a wrong password or address)."""
    return SshTarget(device_id, dev.name, host, port or dev.port, dev.platform,
                     SshLogin(dev.username, password or dev.password))


def collector(tmp: Path, policy: str = "pin_first_use", concurrency: int = 8,
              connect_timeout_s: float = 5.0) -> SshCollector:
    """A real collector (netmiko) with its own known-hosts file under ``tmp``."""
    runner = NetmikoRunner(KnownHosts(tmp / "known_hosts"), policy, connect_timeout_s, 20.0)
    return SshCollector(runner, load_platforms(), concurrency)


@contextmanager
def silent_listener() -> Iterator[int]:
    """A loopback TCP port that completes the handshake (backlog) but never speaks."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])
