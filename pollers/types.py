"""Plain types of the polling path: targets in, results and rates out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from provnet.pollers.readings import Reading


@dataclass(frozen=True, slots=True)
class V3Credentials:
    """SNMPv3 USM user (authPriv when ``priv_protocol`` is set). Keys are secrets."""

    user: str
    auth_protocol: str = "SHA"  # SHA | SHA224 | SHA256 | SHA384 | SHA512 | MD5 | none
    auth_key: str = field(default="", repr=False)
    priv_protocol: str = "AES"  # AES (AES-128) | AES192 | AES256 | DES | 3DES | none
    priv_key: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class SnmpTarget:
    """One device to poll (SNMPv2c, or v3 when ``v3`` is set). Secrets are never logged."""

    device_id: int
    name: str
    address: str
    port: int = 161
    community: str = field(default="public", repr=False)
    timeout_s: float = 2.0
    retries: int = 1
    version: str = "2c"  # "2c" | "3"
    v3: V3Credentials | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class IfSample:
    """One interface row as read from IF-MIB/ifXTable; ``None`` where the agent had no value."""

    ifindex: int
    name: str | None = None
    oper_status: int | None = None
    admin_status: int | None = None
    in_octets: int | None = None
    out_octets: int | None = None
    in_errors: int | None = None
    out_errors: int | None = None
    in_discards: int | None = None
    out_discards: int | None = None
    high_speed_mbps: int | None = None
    alias: str | None = None
    if_type: int | None = None
    #: ifCounterDiscontinuityTime (sysUpTime ticks); a change means the counters restarted
    discontinuity_ticks: int | None = None
    #: width of the octet counters: 64 (ifHCIn/OutOctets) or 32 (ifIn/OutOctets, wraps)
    counter_bits: int = 64


#: ``PollResult.error_kind`` values: what kind of failure a device poll had.
ERROR_KINDS = ("timeout", "auth", "protocol", "unreachable", "internal")


@dataclass(frozen=True, slots=True)
class PollResult:
    """Outcome of polling one device once. A failing device is a result with ``error`` set."""

    target: SnmpTarget
    started: float
    duration_s: float
    sys_uptime_ticks: int | None = None
    interfaces: dict[int, IfSample] = field(default_factory=dict)
    varbinds: int = 0
    error: str | None = None
    requests: int = 0  # SNMP requests sent for this poll
    readings: tuple[Reading, ...] = ()  # optics, health... from the profile's groups
    error_kind: str | None = None  # one of ERROR_KINDS when ``error`` is set
    discovered: str | None = None  # why the interface table was (re)walked, if it was
    warnings: tuple[str, ...] = ()  # non-fatal failures (a group that could not be read)

    @property
    def ok(self) -> bool:
        """True when the device answered and the table was read."""
        return self.error is None


@dataclass(frozen=True, slots=True)
class IfRates:
    """Rates derived from two consecutive samples of one interface.

    ``None`` rates mean "no valid rate for this interval" (first sample, counter reset,
    impossible rate); ``reset`` flags a discontinuity so a gap is shown, never a spike.
    """

    in_bps: float | None = None
    out_bps: float | None = None
    in_util_pct: float | None = None
    out_util_pct: float | None = None
    in_errors_ps: float | None = None
    out_errors_ps: float | None = None
    in_discards_ps: float | None = None
    out_discards_ps: float | None = None
    reset: bool = False
    rejected: bool = False
