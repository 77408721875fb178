"""The simulated ports' state as a JSON file, for the demo's SSH devices (``provnet.sshsim``).

The SNMP simulator writes it (atomically) when it starts and after every change of an
interface's oper status (faults, control commands, SETs); the SSH simulator reads it at
every command, so its ``display transceiver`` / ``show interfaces`` say what the SNMP agent
says: a port whose link is down reads no light over SSH too. Format::

    {"devices": {"<sys_name>": {"<ifName>": {"up": true, "admin_up": true,
                                              "rx_dbm": -12.31, "tx_dbm": -2.9}}}}

``rx_dbm``/``tx_dbm`` are given for optical ports (those whose SNMP agent reports optics,
:func:`~provnet.simulator.vendor.optical_ports`), as computed when the file was written (a
healthy level's slow wobble, +-0.15 dB, is not followed between writes).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provnet.simulator.vendor import optical_ports, rx_dbm, tx_dbm

if TYPE_CHECKING:  # the model pulls in networkx: the SSH simulator only reads the file
    from provnet.simulator.model import Network

#: The file's name next to the simulator's plan and log (``provnet demo``'s state dir).
PORT_STATES_FILE = "simulator-ports.json"


@dataclass(frozen=True, slots=True)
class PortState:
    """One simulated interface as the SNMP agent shows it."""

    up: bool
    admin_up: bool = True
    rx_dbm: float | None = None
    tx_dbm: float | None = None


def port_states(network: Network, now: float) -> dict[str, Any]:
    """Every device's interfaces (JSON-ready, see the module docstring) at ``now``."""
    u = network.model_time(now)
    devices: dict[str, dict[str, dict[str, Any]]] = {}
    for dev in network.devices.values():
        optical = {f.ifindex for f in optical_ports(dev)}
        ports: dict[str, dict[str, Any]] = {}
        for f in dev.ifaces.values():
            entry: dict[str, Any] = {"up": f.oper_up, "admin_up": f.admin_up}
            if f.ifindex in optical:
                entry["rx_dbm"] = round(rx_dbm(f, u), 2)
                entry["tx_dbm"] = round(tx_dbm(f, u), 2)
            ports[f.plan.name] = entry
        devices[dev.plan.sys_name] = ports
    return {"devices": devices}


def write_port_states(path: Path, states: Mapping[str, Any]) -> None:
    """Replace ``path`` atomically (readers never see half a file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(states, ensure_ascii=False, separators=(",", ":")),
                   encoding="utf-8")
    os.replace(tmp, path)


def parse_port_states(data: Any) -> dict[str, dict[str, PortState]]:
    """sys_name -> ifName -> :class:`PortState` from the file's JSON (bad entries skipped)."""
    out: dict[str, dict[str, PortState]] = {}
    devices = data.get("devices") if isinstance(data, dict) else None
    if not isinstance(devices, dict):
        return out
    for name, ports in devices.items():
        if not isinstance(ports, dict):
            continue
        out[str(name)] = {
            str(ifname): PortState(bool(p.get("up", True)), bool(p.get("admin_up", True)),
                                   _number(p.get("rx_dbm")), _number(p.get("tx_dbm")))
            for ifname, p in ports.items() if isinstance(p, dict)}
    return out


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class PortStateFile:
    """Reads the file when it changed (by mtime and size); missing or bad: nothing known."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._states: dict[str, dict[str, PortState]] = {}

    def device(self, sys_name: str) -> dict[str, PortState]:
        """ifName -> state of one device (empty when the file does not know it)."""
        return self.read().get(sys_name, {})

    def read(self) -> dict[str, dict[str, PortState]]:
        """Every device's ports, as last written."""
        if self.path is None:
            return {}
        try:
            st = self.path.stat()
        except OSError:
            self._stamp, self._states = None, {}
            return {}
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return self._states  # being replaced: keep the last good read
            self._stamp, self._states = stamp, parse_port_states(data)
        return self._states
