"""What a device told us besides interface counters: optics, health, ICMP (plain types).

Group parsers (:mod:`pollers.optics`, :mod:`pollers.health`) turn a :class:`GroupData` into
readings; :func:`reading_points` turns readings into tsdb points (pure).

One optic, one series: SNMP (here) and SSH (:mod:`pollers.ssh.samples`) write the
measurement ``optics`` with the same tag set, so one port is one series whoever read it:

* tags: the device tags (``device``, ``site``, ``role``, ``district``, ``commune``) and
  ``ifname``, the port key of :func:`optic_port`: the full interface name
  (``GigabitEthernet0/0/1``; short prefixes like Cisco's ifName ``Gi0/0/1`` or Huawei's
  ``GE0/0/1`` are expanded with :data:`IFNAME_ALIASES`), else ``if<ifIndex>``, else
  ``sensor<row index>``. The alert entity ``optic:<device id>:<port>`` uses the same key.
* fields: the levels (``rx_dbm``, ``tx_dbm``, thresholds, ``bias_ma``, ``temperature_c``,
  SSH also ``voltage_v``), ``source`` (``"snmp"`` or ``"ssh"``), and where the reader knows
  them ``ifindex`` (integer) and ``sensor`` (the SNMP vendor row index, text); ``alarm`` when
  a level is outside its thresholds (SNMP).

``ifindex`` is a field, not a tag: SSH output names ports but does not number them, so a
tag known to one reader only would split the port into two series again. (Data written
before this change has ``sensor``/``ifindex`` tags and the name as a ``name`` field; in
InfluxQL ask for ``ifindex::field`` or ``ifindex::tag`` when both exist.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from provnet.pollers.ifmib import EndOfMib, Value
from provnet.tsdb.measurements import DEVICE_HEALTH, ICMP, OPTICS
from provnet.tsdb.points import FieldValue, Point

RowIndex = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class GroupData:
    """What was read for one group: scalar values by name, and table columns by name.

    ``columns[name]`` maps the row index suffix (the OID part after the column OID) to the
    value, e.g. ``{(67108992,): -312}``.
    """

    scalars: dict[str, Value] = field(default_factory=dict)
    columns: dict[str, dict[RowIndex, Value]] = field(default_factory=dict)

    def column(self, name: str) -> dict[RowIndex, Value]:
        """One column (empty when the agent had none)."""
        return self.columns.get(name, {})


@dataclass(frozen=True, slots=True)
class OpticReading:
    """One transceiver's optical levels in dBm (``None`` where unknown or not readable).

    ``index`` is the vendor's row index as dotted text (entPhysicalIndex, ...); ``ifindex``
    the interface it belongs to when it could be mapped; ``name`` the interface/port name.
    """

    index: str
    ifindex: int | None = None
    name: str | None = None
    rx_dbm: float | None = None
    tx_dbm: float | None = None
    rx_low_dbm: float | None = None
    rx_high_dbm: float | None = None
    tx_low_dbm: float | None = None
    tx_high_dbm: float | None = None
    bias_ma: float | None = None
    temperature_c: float | None = None


@dataclass(frozen=True, slots=True)
class HealthReading:
    """Device health: CPU and memory use, uptime, chassis temperature."""

    cpu_pct: float | None = None
    mem_used_pct: float | None = None
    mem_total_bytes: int | None = None
    uptime_s: float | None = None
    temperature_c: float | None = None


@dataclass(frozen=True, slots=True)
class IcmpReading:
    """Outcome of one ICMP probe (several echo requests) to one address."""

    address: str
    sent: int
    received: int
    loss_pct: float
    rtt_min_ms: float | None = None
    rtt_avg_ms: float | None = None
    rtt_max_ms: float | None = None

    @property
    def answered(self) -> bool:
        """True when at least one echo reply came back."""
        return self.received > 0


Reading = OpticReading | HealthReading | IcmpReading


# --- value helpers shared by the parsers ------------------------------------------------------
def as_int(value: Value) -> int | None:
    """An SNMP integer value, ``None`` for anything else (text, noSuch*, endOfMibView)."""
    if isinstance(value, bool | EndOfMib):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str | bytes):
        # some agents (Huawei DisplayString power columns) send numbers as text
        text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
        try:
            return int(text.strip())
        except ValueError:
            return None
    return None


def as_float(value: Value) -> float | None:
    """A number from an integer or a numeric text value (``"-3.52"``), else ``None``."""
    number = as_int(value)
    if number is not None:
        return float(number)
    if isinstance(value, str | bytes):
        text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
        try:
            result = float(text.strip())
        except ValueError:
            return None
        return result if math.isfinite(result) else None
    return None


def as_text(value: Value) -> str | None:
    """A text value (bytes decoded as UTF-8), ``None`` for non-text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return None


def index_text(index: RowIndex) -> str:
    """Dotted text of a row index suffix: ``(1, 2)`` -> ``"1.2"``."""
    return ".".join(str(part) for part in index)


# --- optic ports -------------------------------------------------------------------------------
#: Short interface-name prefixes -> full names (Cisco IOS ifName ``Gi0/1``, Huawei ``GE0/0/1``),
#: the union of the SSH platforms' ``ifname_aliases``.
IFNAME_ALIASES: Mapping[str, str] = {
    "Gi": "GigabitEthernet", "Te": "TenGigabitEthernet", "Fo": "FortyGigabitEthernet",
    "Hu": "HundredGigE", "Fa": "FastEthernet", "GE": "GigabitEthernet",
    "XGE": "XGigabitEthernet",
}


def expand_ifname(name: str, aliases: Mapping[str, str] = IFNAME_ALIASES) -> str:
    """``Gi0/0/1`` -> ``GigabitEthernet0/0/1`` (longest alias first; full names unchanged)."""
    for short in sorted(aliases, key=len, reverse=True):
        full = aliases[short]
        if name.startswith(short) and not name.startswith(full) and name[len(short):][:1].isdigit():
            return full + name[len(short):]
    return name


def optic_port(name: str | None, ifindex: int | None = None, sensor: str | None = None) -> str:
    """The key of an optic port (``ifname`` tag, alert entity suffix): the full interface
    name, else ``if<ifindex>``, else ``sensor<index>``."""
    if name and name.strip():
        return expand_ifname(name.strip())
    if ifindex is not None:
        return f"if{ifindex}"
    return f"sensor{sensor}"


def optic_tags(device_tags: Mapping[str, str], port: str) -> dict[str, str]:
    """The tags of an ``optics`` point (SNMP and SSH alike): the device's and ``ifname``."""
    return {**device_tags, "ifname": port}


# --- points -----------------------------------------------------------------------------------
def _put(fields: dict[str, FieldValue], name: str, value: float | int | None) -> None:
    if value is None:
        return
    if isinstance(value, float) and not math.isfinite(value):
        return
    fields[name] = value


def optic_alarms(r: OpticReading) -> list[str]:
    """Which levels are outside the module's alarm thresholds: ``rx_low``, ``rx_high``,
    ``tx_low``, ``tx_high`` (a bound that is unknown raises nothing)."""
    out: list[str] = []
    for side in ("rx", "tx"):
        value = getattr(r, f"{side}_dbm")
        low, high = getattr(r, f"{side}_low_dbm"), getattr(r, f"{side}_high_dbm")
        if value is None:
            continue
        if low is not None and value < low:
            out.append(f"{side}_low")
        if high is not None and value > high:
            out.append(f"{side}_high")
    return out


def _optic_point(r: OpticReading, tags: Mapping[str, str], time_ns: int | None) -> Point | None:
    fields: dict[str, FieldValue] = {}
    for name in ("rx_dbm", "tx_dbm", "rx_low_dbm", "rx_high_dbm", "tx_low_dbm", "tx_high_dbm",
                 "bias_ma", "temperature_c"):
        value = getattr(r, name)
        _put(fields, name, None if value is None else float(value))
    if not fields:
        return None
    alarms = optic_alarms(r)
    if alarms:
        fields["alarm"] = ",".join(alarms)
    fields["source"] = "snmp"
    if r.ifindex is not None:
        fields["ifindex"] = r.ifindex
    fields["sensor"] = r.index
    return Point(OPTICS, fields, optic_tags(tags, optic_port(r.name, r.ifindex, r.index)),
                 time_ns)


def _health_point(r: HealthReading, tags: Mapping[str, str], time_ns: int | None) -> Point | None:
    fields: dict[str, FieldValue] = {}
    for name in ("cpu_pct", "mem_used_pct", "uptime_s", "temperature_c"):
        value = getattr(r, name)
        _put(fields, name, None if value is None else float(value))
    _put(fields, "mem_total_bytes", r.mem_total_bytes)
    return Point(DEVICE_HEALTH, fields, dict(tags), time_ns) if fields else None


def _icmp_point(r: IcmpReading, tags: Mapping[str, str], time_ns: int | None) -> Point:
    fields: dict[str, FieldValue] = {
        "sent": r.sent,
        "received": r.received,
        "loss_pct": float(r.loss_pct),
        "address": r.address,
    }
    for name in ("rtt_min_ms", "rtt_avg_ms", "rtt_max_ms"):
        value = getattr(r, name)
        _put(fields, name, None if value is None else float(value))
    return Point(ICMP, fields, dict(tags), time_ns)


def reading_points(
    readings: Iterable[Reading], tags: Mapping[str, str], time_ns: int | None
) -> list[Point]:
    """Points of ``readings``: measurements ``optics``, ``device_health`` and ``icmp``.

    ``tags`` are the device tags; an optic point adds the ``ifname`` tag and the ``source``,
    ``ifindex`` and ``sensor`` fields (see the module docstring) and, when a level is outside
    its thresholds, ``alarm`` (e.g. ``"rx_low"``). Readings without any value give no point.
    """
    points: list[Point] = []
    for r in readings:
        point: Point | None
        if isinstance(r, OpticReading):
            point = _optic_point(r, tags, time_ns)
        elif isinstance(r, HealthReading):
            point = _health_point(r, tags, time_ns)
        else:
            point = _icmp_point(r, tags, time_ns)
        if point is not None:
            points.append(point)
    return points
