"""LLDP discovery (pure parsing, and the walk adapter): what a device says about itself
(system group, ifName/ifDescr) and about its neighbours (LLDP-MIB ``lldpRemTable``), and the
import rows that follow (interfaces and links between discovered devices).

``lldpRemTable`` rows are indexed ``timeMark.localPortNum.index``; the local port is named by
``lldpLocPortTable`` (port id when its subtype is an interface name, else the description),
else by ifName of the same number (lldpd and most agents number ports by ifIndex). The remote
port is its port id when that is an interface name or local name (subtypes 5, 7), else its
description; the remote device is its ``lldpRemSysName``; its management address (to follow
the network hop by hop) is the first IPv4 ``lldpRemManAddrTable`` row of the same index.

A device with no LLDP rows may still speak CISCO-CDP-MIB: ``cdpCacheTable`` (index
``ifIndex.deviceIndex``) gives the local port (ifName of that ifIndex), the neighbour
(``cdpCacheDeviceId``), its port (``cdpCacheDevicePort``) and IPv4 address (``cdpCacheAddress``
when ``cdpCacheAddressType`` is ip).
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from provnet.inventory.io_spec import KINDS, Row
from provnet.pollers import oids
from provnet.pollers.fastv2c import FastV2cTransport
from provnet.pollers.ifmib import Oid, Value, VarBind, walk_step
from provnet.pollers.types import SnmpTarget

SYS_DESCR: Oid = (1, 3, 6, 1, 2, 1, 1, 1, 0)
SYS_OBJECT_ID: Oid = (1, 3, 6, 1, 2, 1, 1, 2, 0)
SYS_NAME: Oid = (1, 3, 6, 1, 2, 1, 1, 5, 0)
IF_DESCR: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
IF_NAME: Oid = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1)
LLDP_LOC_PORT: Oid = oids.LLDP_LOC_PORT  # .2 id subtype .3 id .4 desc
LLDP_REM: Oid = oids.LLDP_REM  # .6 port subtype .7 port id .8 desc .9 name
LLDP_MAN: Oid = oids.LLDP_REM_MAN_ADDR  # .3 if subtype (index carries the address)
CDP: Oid = oids.CDP_CACHE  # .3 address type .4 address .6 device id .7 device port
NAME_SUBTYPES = (5, 7)  # interfaceName, local
COLUMNS: tuple[Oid, ...] = (IF_NAME, IF_DESCR, (*LLDP_LOC_PORT, 2), (*LLDP_LOC_PORT, 3),
                            (*LLDP_LOC_PORT, 4), (*LLDP_REM, 6), (*LLDP_REM, 7),
                            (*LLDP_REM, 8), (*LLDP_REM, 9), (*LLDP_MAN, 3), (*CDP, 3),
                            (*CDP, 4), (*CDP, 6), (*CDP, 7))


@dataclass(frozen=True)
class Neighbour:
    """One LLDP neighbour seen on a local port."""

    local_port: str
    remote_name: str
    remote_port: str
    address: str = ""  # the neighbour's management IPv4 address, when it says one


@dataclass
class DeviceFacts:
    """What one device said about itself and its neighbours."""

    address: str
    sys_name: str = ""
    sys_descr: str = ""
    sys_object_id: str = ""
    ifnames: dict[int, str] = field(default_factory=dict)
    neighbours: list[Neighbour] = field(default_factory=list)
    error: str | None = None


def _text(v: Value) -> str:
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace").strip("\x00").strip()
    if isinstance(v, tuple):
        return ".".join(map(str, v))
    return "" if v is None else str(v)


def _column(varbinds: Iterable[VarBind], col: Oid) -> dict[tuple[int, ...], Value]:
    n = len(col)
    return {oid[n:]: v for oid, v in varbinds if oid[:n] == col and len(oid) > n}


def parse_facts(address: str, scalars: Sequence[VarBind], rows: Sequence[VarBind]
                ) -> DeviceFacts:
    """A device's answers -> its facts."""
    sv = dict(scalars)
    facts = DeviceFacts(address, _text(sv.get(SYS_NAME)), _text(sv.get(SYS_DESCR)),
                        _text(sv.get(SYS_OBJECT_ID)))
    names = {i[0]: _text(v) for i, v in _column(rows, IF_NAME).items() if _text(v)}
    for i, v in _column(rows, IF_DESCR).items():
        names.setdefault(i[0], _text(v))
    facts.ifnames = names
    loc_sub = _column(rows, (*LLDP_LOC_PORT, 2))
    loc_id = _column(rows, (*LLDP_LOC_PORT, 3))
    loc_desc = _column(rows, (*LLDP_LOC_PORT, 4))

    def local(port: int) -> str:
        if loc_sub.get((port,)) in NAME_SUBTYPES and _text(loc_id.get((port,))):
            return _text(loc_id[(port,)])
        return names.get(port) or _text(loc_desc.get((port,))) or str(port)

    sub = _column(rows, (*LLDP_REM, 6))
    pid = _column(rows, (*LLDP_REM, 7))
    desc = _column(rows, (*LLDP_REM, 8))
    man: dict[tuple[int, ...], str] = {}
    for i in sorted(_column(rows, (*LLDP_MAN, 3))):  # rem index, subtype, length, address
        if len(i) == 9 and i[3:5] == (1, 4):
            man.setdefault(i[:3], ".".join(map(str, i[5:])))
    for idx, name in sorted(_column(rows, (*LLDP_REM, 9)).items()):
        remote = _text(pid.get(idx)) if sub.get(idx) in NAME_SUBTYPES else ""
        remote = remote or _text(desc.get(idx))
        if len(idx) >= 2 and _text(name) and remote:
            facts.neighbours.append(Neighbour(local(idx[1]), _text(name), remote,
                                              man.get(idx, "")))
    if not facts.neighbours:
        facts.neighbours = _cdp(rows, names)
    return facts


def _ipv4(v: Value) -> str:
    if isinstance(v, str) and len(v) == 4 and all(ord(c) < 256 for c in v):
        v = bytes(map(ord, v))  # octets already decoded to text by a reader
    if isinstance(v, bytes) and len(v) == 4:
        return str(ipaddress.IPv4Address(v))
    text = _text(v)  # some agents (and snmpwalk text) give it as "0A 59 00 01" hex
    try:
        raw = bytes.fromhex(text.replace(" ", "").replace(":", ""))
    except ValueError:
        return ""
    return str(ipaddress.IPv4Address(raw)) if len(raw) == 4 else ""


def _cdp(rows: Sequence[VarBind], names: dict[int, str]) -> list[Neighbour]:
    """CISCO-CDP-MIB cdpCacheTable neighbours (used when a device has no LLDP rows)."""
    kind = _column(rows, (*CDP, 3))
    addr = _column(rows, (*CDP, 4))
    port = _column(rows, (*CDP, 7))
    out: list[Neighbour] = []
    for idx, dev in sorted(_column(rows, (*CDP, 6)).items()):
        remote = _text(port.get(idx))
        if len(idx) == 2 and _text(dev) and remote:
            ip = _ipv4(addr[idx]) if kind.get(idx) == 1 and idx in addr else ""
            out.append(Neighbour(names.get(idx[0], str(idx[0])), _text(dev), remote, ip))
    return out


def next_hops(facts: Sequence[DeviceFacts], walked: Iterable[str]) -> list[str]:
    """Management addresses of neighbours not walked yet (by address or by name), in the
    order they were seen: the next ring of discovery outwards."""
    seen = set(walked)
    names = {f.sys_name for f in facts if f.sys_name}
    out: list[str] = []
    for f in facts:
        for nb in f.neighbours:
            if nb.address and nb.address not in seen and nb.remote_name not in names:
                seen.add(nb.address)
                out.append(nb.address)
    return out


def _row(kind: str, n: int, values: dict[str, str]) -> Row:
    return Row(kind, "lldp", n, {c: values.get(c, "") for c in KINDS[kind].names})


def discovery_rows(facts: Sequence[DeviceFacts], site: str | None = None,
                   role: str = "router", snmp_profile: str = "") -> list[Row]:
    """Import rows of what discovery found: each device (when ``site`` is given, for devices
    not yet in the store the import then adds), the interfaces at both ends of each link, and
    the links between discovered devices (the device found later is the downstream end A:
    give the seeds from the core outwards)."""
    rows: list[Row] = []
    order = {f.sys_name: i for i, f in enumerate(facts) if f.sys_name and f.error is None}
    if site:
        for f in facts:
            if f.sys_name in order:
                rows.append(_row("devices", order[f.sys_name] + 1, {
                    "name": f.sys_name, "site": site, "role": role,
                    "primary_ip4": f.address, "snmp_profile": snmp_profile}))
    seen: set[frozenset[tuple[str, str]]] = set()
    ifaces: set[tuple[str, str]] = set()
    n = 0
    for f in facts:
        if f.sys_name not in order:
            continue
        for nb in f.neighbours:
            if nb.remote_name not in order:
                continue  # a neighbour not walked: shown, not linked
            ends = ((f.sys_name, nb.local_port), (nb.remote_name, nb.remote_port))
            if frozenset(ends) in seen:
                continue
            seen.add(frozenset(ends))
            a, z = sorted(ends, key=lambda e: -order[e[0]])  # later-found end is downstream
            n += 1
            for dev, port in (a, z):
                if (dev, port) not in ifaces:
                    ifaces.add((dev, port))
                    rows.append(_row("interfaces", n, {"device": dev, "name": port}))
            rows.append(_row("links", n, {
                "side_a_device": a[0], "side_a_name": a[1], "side_b_device": z[0],
                "side_b_name": z[1], "kind": "lldp", "commit_rate": "1000000"}))
    return rows


async def walk(transport: FastV2cTransport, target: SnmpTarget, columns: Sequence[Oid],
               max_repetitions: int = 20) -> list[VarBind]:
    """GETBULK walk of several columns at once."""
    request = {c: c for c in columns}
    out: list[VarBind] = []
    while request:
        answer = await transport.get_bulk(target, [], list(request.values()), max_repetitions)
        step = walk_step(request, answer)
        out.extend(step.rows)
        if not step.progressed:
            break
        request = step.pending
    return out


async def discover_device(transport: FastV2cTransport, target: SnmpTarget) -> DeviceFacts:
    """Walk one device; a device that does not answer is a result with ``error`` set."""
    try:
        scalars = await transport.get(target, [SYS_NAME, SYS_DESCR, SYS_OBJECT_ID])
        rows = await walk(transport, target, COLUMNS)
    except Exception as exc:  # timeouts and SNMP errors: this device's result, not a crash
        return DeviceFacts(target.address, error=f"{type(exc).__name__}: {exc}")
    return parse_facts(target.address, scalars, rows)


async def discover(transport: FastV2cTransport, target: Callable[[int, str], SnmpTarget],
                   seeds: Sequence[str], follow: int = 0) -> list[DeviceFacts]:
    """Walk the seeds, then up to ``follow`` rings of their neighbours' management addresses
    (each ring concurrently); facts in the order found, core first."""
    facts: list[DeviceFacts] = []
    ring = list(dict.fromkeys(seeds))
    walked: set[str] = set()
    for hop in range(follow + 1):
        if not ring:
            break
        walked.update(ring)
        facts += await asyncio.gather(*(discover_device(transport, target(len(facts) + i, a))
                                        for i, a in enumerate(ring)))
        ring = next_hops(facts, walked) if hop < follow else []
    return facts
