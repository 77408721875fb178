"""Choosing a free port for a listener another process binds a moment later (the managed
``influxd`` and ``victoria-metrics``, the simulators, a test's ``nats-server``).

``bind(("", 0))`` returns a port from the kernel's ephemeral range, and until the other
process binds it, the kernel may hand that same port to any outgoing connection on the
machine (every HTTP client, every SNMP socket): the listener then fails with "address
already in use". Ports here come from below that range, where only explicit binds go.

Within a process, ports are handed out in turn from a random start, so two asked one after
the other are never the same. ``PROVNET_PORT_RANGE=low-high`` narrows the range: the test
suite gives each parallel worker (and the processes it starts) a slice of its own."""

from __future__ import annotations

import os
import random
import socket
import threading
from collections.abc import Sequence
from pathlib import Path

#: lowest port chosen; below are the well-known and registered services a machine may run
LOW = 10000
RANGE_ENV = "PROVNET_PORT_RANGE"

_lock = threading.Lock()
_next: dict[tuple[int, int], int] = {}


def ephemeral_low() -> int:
    """The lowest port the kernel hands out by itself (bind to 0, connect)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def port_range() -> tuple[int, int]:
    """``[low, high)`` to choose from: ``PROVNET_PORT_RANGE`` if set and valid, else from
    :data:`LOW` to the start of the ephemeral range."""
    text = os.environ.get(RANGE_ENV, "")
    low_s, _, high_s = text.partition("-")
    if low_s.isdigit() and high_s.isdigit() and 1024 <= int(low_s) < int(high_s) <= 65536:
        return int(low_s), int(high_s)
    return LOW, ephemeral_low()


def _take(low: int, high: int) -> int:
    """The next port of this process's turn through ``[low, high)``."""
    with _lock:
        port = _next.get((low, high))
        if port is None:
            port = random.randrange(low, high)
        _next[(low, high)] = low + (port - low + 1) % (high - low)
    return port


def free_ports(hosts: Sequence[str], kind: int = socket.SOCK_STREAM) -> list[int]:
    """One port per host, free on that host right now and all different (some servers refuse
    a port twice whatever the address). The probe sockets stay open until every port is
    chosen; ``kind`` is ``SOCK_STREAM`` (TCP) or ``SOCK_DGRAM`` (UDP)."""
    low, high = port_range()
    if high - low < 100:  # no room below the ephemeral range: let the kernel choose
        low, high = 0, 0
    socks: list[socket.socket] = []
    ports: list[int] = []
    try:
        for host in hosts:
            for _attempt in range(200 if high else 1):
                port = _take(low, high) if high else 0
                s = socket.socket(socket.AF_INET, kind)
                try:
                    s.bind((host, port))
                except OSError:
                    s.close()
                    continue
                socks.append(s)
                ports.append(int(s.getsockname()[1]))
                break
            else:
                raise OSError(f"no free port for {host} in {low}-{high}")
        return ports
    finally:
        for s in socks:
            s.close()


def free_port(host: str = "127.0.0.1", kind: int = socket.SOCK_STREAM) -> int:
    """One port free right now on ``host`` (see :func:`free_ports`)."""
    return free_ports([host], kind)[0]
