"""Discovery vs polling (pure): what to walk at first contact, what to GET every cycle.

Discovery walks the interface table (names, aliases, speeds, types, which counters exist) and
remembers it per device in a :class:`DeviceMemo`. A regular cycle then GETs only the counters
and statuses of the known ifIndexes by explicit instance OIDs, plus sysUpTime and
ifTableLastChange. The table is walked again when :func:`rediscovery_reason` says so: the
device rebooted (sysUpTime went back), ifTableLastChange moved (rows created/deleted), the
memo is older than ``discovery_every_s``, or a known row vanished.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from provnet.pollers.ifmib import Value, VarBind
from provnet.pollers.oids import (
    IF_ADMIN_STATUS,
    IF_ALIAS,
    IF_COUNTER_DISCONTINUITY,
    IF_DESCR,
    IF_HC_IN_OCTETS,
    IF_HC_OUT_OCTETS,
    IF_HIGH_SPEED,
    IF_IN_DISCARDS,
    IF_IN_ERRORS,
    IF_IN_OCTETS,
    IF_NAME,
    IF_OPER_STATUS,
    IF_OUT_DISCARDS,
    IF_OUT_ERRORS,
    IF_OUT_OCTETS,
    IF_TABLE_LAST_CHANGE,
    IF_TYPE,
    SYS_UPTIME,
    Oid,
)
from provnet.pollers.types import IfSample

#: Columns walked at discovery (the poll columns too, so a discovery cycle is also a sample).
DISCOVERY_COLUMNS: Final[tuple[Oid, ...]] = (
    IF_NAME, IF_DESCR, IF_ALIAS, IF_TYPE, IF_HIGH_SPEED, IF_ADMIN_STATUS, IF_OPER_STATUS,
    IF_HC_IN_OCTETS, IF_HC_OUT_OCTETS, IF_IN_OCTETS, IF_OUT_OCTETS, IF_IN_ERRORS,
    IF_OUT_ERRORS, IF_IN_DISCARDS, IF_OUT_DISCARDS, IF_COUNTER_DISCONTINUITY,
)
#: Per-interface columns read every cycle (octets: HC or 32-bit, chosen per interface).
POLL_COLUMNS: Final[tuple[Oid, ...]] = (
    IF_ADMIN_STATUS, IF_OPER_STATUS, IF_IN_ERRORS, IF_OUT_ERRORS, IF_IN_DISCARDS,
    IF_OUT_DISCARDS, IF_COUNTER_DISCONTINUITY,
)
_HC: Final = (IF_HC_IN_OCTETS, IF_HC_OUT_OCTETS)
_C32: Final = (IF_IN_OCTETS, IF_OUT_OCTETS)
#: Scalars sent first in every request set.
SCALARS: Final[tuple[Oid, ...]] = (SYS_UPTIME, IF_TABLE_LAST_CHANGE)
#: ifNumber.0: asked at first contact to size the discovery GETBULK.

_INT_FIELDS: Final[Mapping[Oid, str]] = {
    IF_ADMIN_STATUS: "admin_status", IF_OPER_STATUS: "oper_status",
    IF_IN_ERRORS: "in_errors", IF_OUT_ERRORS: "out_errors", IF_IN_DISCARDS: "in_discards",
    IF_OUT_DISCARDS: "out_discards", IF_COUNTER_DISCONTINUITY: "discontinuity_ticks",
    IF_HIGH_SPEED: "high_speed_mbps", IF_TYPE: "if_type",
}


@dataclass(frozen=True, slots=True)
class IfMeta:
    """What discovery learnt about one interface."""

    ifindex: int
    name: str | None = None
    alias: str | None = None
    if_type: int | None = None
    high_speed_mbps: int | None = None
    hc: bool = True  # ifHCIn/OutOctets answered; else the 32-bit ifIn/OutOctets are polled


@dataclass(slots=True)
class DeviceMemo:
    """Per-device memory between cycles (discovery result and the last scalars seen)."""

    ifaces: dict[int, IfMeta] = field(default_factory=dict)
    discovered_at: float = 0.0
    uptime: int | None = None
    last_change: int | None = None
    group_rows: int | None = None  # most rows per column in the last group walk (sizes GETBULK)


def _int(value: Value) -> int | None:
    return value if type(value) is int else None


def _text(value: Value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return None


def int_of(oid: Oid, varbinds: Iterable[VarBind]) -> int | None:
    """The integer value of ``oid`` among ``varbinds`` (None when absent or not an integer)."""
    for o, value in varbinds:
        if o == oid:
            return _int(value)
    return None


def most_rows(columns: Sequence[Oid], rows: Iterable[VarBind]) -> int:
    """The largest number of rows any of ``columns`` had in a walk."""
    counts = dict.fromkeys(columns, 0)
    for oid, _ in rows:
        for col in columns:
            if oid[:len(col)] == col:
                counts[col] += 1
                break
    return max(counts.values(), default=0)


def scalars_of(varbinds: Iterable[VarBind]) -> tuple[int | None, int | None]:
    """``(sysUpTime, ifTableLastChange)`` found among ``varbinds`` (None when absent)."""
    uptime = last_change = None
    for oid, value in varbinds:
        if oid == SYS_UPTIME:
            uptime = _int(value)
        elif oid == IF_TABLE_LAST_CHANGE:
            last_change = _int(value)
    return uptime, last_change


def rediscovery_reason(memo: DeviceMemo | None, now: float, uptime: int | None,
                       last_change: int | None, every_s: float) -> str | None:
    """Why the interface table must be walked again now, or None to keep the memo."""
    if memo is None:
        return "first contact"
    if uptime is not None and memo.uptime is not None and uptime < memo.uptime:
        return "reboot"
    if last_change is not None and memo.last_change is not None \
            and last_change != memo.last_change:
        return "ifTableLastChange"
    if now - memo.discovered_at >= every_s:
        return "periodic"
    return None


def _rows(columns: Sequence[Oid], varbinds: Iterable[VarBind]) -> dict[int, dict[Oid, Value]]:
    """Single-index table rows: ifindex -> {column: value} for the given columns."""
    wanted = {len(c) for c in columns}
    cols = set(columns)
    rows: dict[int, dict[Oid, Value]] = {}
    for oid, value in varbinds:
        n = len(oid) - 1
        if n in wanted and oid[:n] in cols and value is not None:
            rows.setdefault(oid[n], {})[oid[:n]] = value
    return rows


def _sample(meta: IfMeta, row: Mapping[Oid, Value]) -> IfSample:
    ints = {fld: _int(row.get(col)) for col, fld in _INT_FIELDS.items()
            if col not in (IF_HIGH_SPEED, IF_TYPE)}
    octets = _HC if meta.hc else _C32
    return IfSample(
        ifindex=meta.ifindex, name=meta.name, alias=meta.alias, if_type=meta.if_type,
        high_speed_mbps=meta.high_speed_mbps, in_octets=_int(row.get(octets[0])),
        out_octets=_int(row.get(octets[1])), counter_bits=64 if meta.hc else 32,
        **ints)  # type: ignore[arg-type]


def parse_discovery(varbinds: Iterable[VarBind]) -> tuple[dict[int, IfMeta], dict[int, IfSample]]:
    """Discovery walk -> (interface metadata, a full sample of every interface)."""
    rows = _rows(DISCOVERY_COLUMNS, varbinds)
    metas: dict[int, IfMeta] = {}
    samples: dict[int, IfSample] = {}
    for ifindex in sorted(rows):
        row = rows[ifindex]
        hc = _int(row.get(IF_HC_IN_OCTETS)) is not None or _int(row.get(IF_IN_OCTETS)) is None
        meta = IfMeta(ifindex, name=_text(row.get(IF_NAME)) or _text(row.get(IF_DESCR)),
                      alias=_text(row.get(IF_ALIAS)), if_type=_int(row.get(IF_TYPE)),
                      high_speed_mbps=_int(row.get(IF_HIGH_SPEED)), hc=hc)
        metas[ifindex] = meta
        samples[ifindex] = _sample(meta, row)
    return metas, samples


def poll_oids(memo: DeviceMemo) -> list[Oid]:
    """Instance OIDs to GET in a regular cycle, interface by interface."""
    oids: list[Oid] = []
    for ifindex, meta in memo.ifaces.items():
        for col in (*(_HC if meta.hc else _C32), *POLL_COLUMNS):
            oids.append((*col, ifindex))
    return oids


def parse_poll(memo: DeviceMemo, varbinds: Iterable[VarBind]) -> tuple[dict[int, IfSample], bool]:
    """Regular-cycle GET answers -> samples of the known interfaces.

    The flag is True when a known interface answered nothing at all (noSuchInstance on every
    column: the row is gone, the table must be walked again).
    """
    columns = (*_HC, *_C32, *POLL_COLUMNS)
    rows = _rows(columns, varbinds)
    samples: dict[int, IfSample] = {}
    vanished = False
    for ifindex, meta in memo.ifaces.items():
        row = rows.get(ifindex)
        if not row:
            vanished = True
            continue
        samples[ifindex] = _sample(meta, row)
    return samples, vanished


def chunks(oids: Sequence[Oid], size: int) -> list[list[Oid]]:
    """Split a GET into requests of at most ``size`` varbinds (one UDP datagram each)."""
    return [list(oids[i:i + size]) for i in range(0, len(oids), size)]
