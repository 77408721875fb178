"""Plain types of the SSH collector: targets, results, parsed records."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: What a session is asked to do; each platform maps a purpose to a CLI command.
PURPOSES = ("optics", "interfaces", "running_config")


@dataclass(frozen=True)
class SshLogin:
    """Resolved credentials for one device (secrets as plain str: adapter use only)."""

    username: str
    password: str | None = field(default=None, repr=False)
    key_file: Path | None = None
    enable_secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SshTarget:
    """One device to reach over SSH."""

    device_id: int
    name: str
    host: str
    port: int
    platform: str
    login: SshLogin


@dataclass(frozen=True)
class SshResult:
    """Outcome of one session: outputs per purpose or command, or an error of a known kind."""

    target: SshTarget
    started: float
    duration_s: float
    outputs: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    error_kind: str | None = None

    @property
    def ok(self) -> bool:
        """True when the session ran every command."""
        return self.error is None


@dataclass(frozen=True)
class OpticReading:
    """Optical levels of one port read from the CLI. Field names match the SNMP optics
    reading (measurement ``optics``) so both sources line up in InfluxDB. ``ifindex`` is not
    in CLI output: set when another source told it (see ``alerts.readings.OpticPrecedence``)."""

    name: str
    rx_dbm: float | None = None
    tx_dbm: float | None = None
    rx_low_dbm: float | None = None
    rx_high_dbm: float | None = None
    tx_low_dbm: float | None = None
    tx_high_dbm: float | None = None
    bias_ma: float | None = None
    temperature_c: float | None = None
    voltage_v: float | None = None
    ifindex: int | None = None


@dataclass(frozen=True)
class IfState:
    """Interface state and error counters read from the CLI."""

    name: str
    link_up: bool
    protocol_up: bool
    description: str | None = None
    in_errors: int | None = None
    crc_errors: int | None = None
    out_errors: int | None = None
