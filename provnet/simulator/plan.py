"""Simulation plan: the JSON contract between the demo seeder and the simulator.

Parsing is strict about what the simulator needs (types, unique ids and addresses, links
that point at existing interfaces, loopback-only addresses) and ignores unknown keys so the
seeder may add fields. Every error is a :class:`PlanError` naming the offending path,
e.g. ``devices[3].interfaces[0].speed_mbps: expected a number > 0``.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


class PlanError(ValueError):
    """The plan is malformed; the message names the bad part."""


@dataclass(frozen=True, slots=True)
class PlanInterface:
    """One interface; ``link`` is the id of the link it terminates (None: LAN port)."""

    ifindex: int
    name: str
    speed_mbps: int
    in_bps: float = 0.0
    out_bps: float = 0.0
    link: int | None = None
    descr: str | None = None
    alias: str | None = None
    admin_up: bool = True
    in_errors_ps: float | None = None
    out_errors_ps: float | None = None
    in_discards_ps: float | None = None
    out_discards_ps: float | None = None


@dataclass(frozen=True, slots=True)
class PlanDevice:
    """One router answering SNMP on its own loopback address."""

    id: int
    site: str
    address: str
    sys_name: str
    sys_descr: str = ""
    sys_object_id: tuple[int, ...] | None = None
    uptime_s: float | None = None
    interfaces: tuple[PlanInterface, ...] = ()
    latency_s: float = 0.0  # answer this much later (a slow agent / far-away device)


@dataclass(frozen=True, slots=True)
class PlanLink:
    """A point-to-point link; ``a`` is the downstream end, ``z`` the upstream end."""

    id: int
    a_device: int
    a_ifindex: int
    z_device: int
    z_ifindex: int


@dataclass(frozen=True, slots=True)
class Plan:
    """The whole simulated network plus agent limits and traffic shape knobs."""

    port: int
    community: str
    core_device: int
    devices: tuple[PlanDevice, ...]
    links: tuple[PlanLink, ...] = ()
    write_community: str | None = None
    max_bulk_varbinds: int = 1000
    max_message_bytes: int = 60000
    day_s: float = 86400.0
    daily_amplitude: float = 0.15
    noise_amplitude: float = 0.08

    @property
    def set_community(self) -> str:
        """Community accepted for SET (defaults to the read community)."""
        return self.write_community if self.write_community is not None else self.community


def _get(obj: Mapping[str, Any], key: str, path: str, kind: type | tuple[type, ...],
         default: Any = ...) -> Any:
    """``obj[key]`` checked against ``kind``; ``default`` when absent (``...``: required)."""
    if key not in obj or obj[key] is None:
        if default is ...:
            raise PlanError(f"{path}.{key}: missing")
        return default
    value = obj[key]
    if isinstance(value, bool) and kind is not bool:
        raise PlanError(f"{path}.{key}: expected {_kind_name(kind)}, got {value!r}")
    if not isinstance(value, kind):
        raise PlanError(f"{path}.{key}: expected {_kind_name(kind)}, got {value!r}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    if isinstance(kind, tuple):
        return "a number" if float in kind else " or ".join(k.__name__ for k in kind)
    return {int: "an integer", str: "a string", bool: "a boolean", list: "a list",
            dict: "an object"}.get(kind, kind.__name__)


def _number(obj: Mapping[str, Any], key: str, path: str, default: Any = ...,
            minimum: float = 0.0, strict: bool = False) -> Any:
    value = _get(obj, key, path, (int, float), default)
    if value is None:
        return None
    if value < minimum or (strict and value == minimum):
        raise PlanError(f"{path}.{key}: expected a number {'>' if strict else '>='} {minimum}, "
                        f"got {value!r}")
    return float(value)


def _oid(text: str, path: str) -> tuple[int, ...]:
    try:
        arcs = tuple(int(p) for p in text.strip(".").split("."))
    except ValueError:
        raise PlanError(f"{path}: bad OID {text!r}") from None
    if len(arcs) < 2 or any(a < 0 for a in arcs):
        raise PlanError(f"{path}: bad OID {text!r}")
    return arcs


def _interface(obj: Any, path: str) -> PlanInterface:
    if not isinstance(obj, Mapping):
        raise PlanError(f"{path}: expected an object")
    ifindex = _get(obj, "ifindex", path, int)
    if ifindex < 1 or ifindex > 2**31 - 1:
        raise PlanError(f"{path}.ifindex: expected 1..2147483647, got {ifindex}")
    speed = _number(obj, "speed_mbps", path, strict=True)
    admin = _get(obj, "admin", path, str, "up")
    if admin not in ("up", "down"):
        raise PlanError(f"{path}.admin: expected 'up' or 'down', got {admin!r}")
    return PlanInterface(
        ifindex=ifindex,
        name=_get(obj, "name", path, str),
        speed_mbps=max(1, round(speed)),
        in_bps=_number(obj, "in_bps", path, 0.0),
        out_bps=_number(obj, "out_bps", path, 0.0),
        link=_get(obj, "link", path, int, None),
        descr=_get(obj, "descr", path, str, None),
        alias=_get(obj, "alias", path, str, None),
        admin_up=admin == "up",
        in_errors_ps=_number(obj, "in_errors_ps", path, None),
        out_errors_ps=_number(obj, "out_errors_ps", path, None),
        in_discards_ps=_number(obj, "in_discards_ps", path, None),
        out_discards_ps=_number(obj, "out_discards_ps", path, None),
    )


def _device(obj: Any, path: str) -> PlanDevice:
    if not isinstance(obj, Mapping):
        raise PlanError(f"{path}: expected an object")
    address = _get(obj, "address", path, str)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise PlanError(f"{path}.address: bad IP address {address!r}") from None
    if ip not in LOOPBACK:
        raise PlanError(f"{path}.address: {address} is not in 127.0.0.0/8 (loopback only)")
    sys_oid = _get(obj, "sys_object_id", path, str, None)
    raw_ifaces = _get(obj, "interfaces", path, list, [])
    ifaces = tuple(_interface(o, f"{path}.interfaces[{i}]") for i, o in enumerate(raw_ifaces))
    seen: set[int] = set()
    for i, iface in enumerate(ifaces):
        if iface.ifindex in seen:
            raise PlanError(f"{path}.interfaces[{i}].ifindex: duplicate {iface.ifindex}")
        seen.add(iface.ifindex)
    return PlanDevice(
        id=_get(obj, "id", path, int),
        site=_get(obj, "site", path, str),
        address=str(ip),
        sys_name=_get(obj, "sys_name", path, str),
        sys_descr=_get(obj, "sys_descr", path, str, ""),
        sys_object_id=_oid(sys_oid, f"{path}.sys_object_id") if sys_oid else None,
        uptime_s=_number(obj, "uptime_s", path, None),
        interfaces=tuple(sorted(ifaces, key=lambda f: f.ifindex)),
        latency_s=_number(obj, "latency_s", path, 0.0),
    )


def _link(obj: Any, path: str) -> PlanLink:
    if not isinstance(obj, Mapping):
        raise PlanError(f"{path}: expected an object")
    return PlanLink(*(_get(obj, k, path, int) for k in
                      ("id", "a_device", "a_ifindex", "z_device", "z_ifindex")))


def _check_links(devices: tuple[PlanDevice, ...], links: tuple[PlanLink, ...]) -> None:
    by_id = {d.id: d for d in devices}
    used: dict[tuple[int, int], int] = {}
    link_ids: set[int] = set()
    for i, link in enumerate(links):
        path = f"links[{i}]"
        if link.id in link_ids:
            raise PlanError(f"{path}.id: duplicate link id {link.id}")
        link_ids.add(link.id)
        for end in ("a", "z"):
            dev_id, ifindex = getattr(link, f"{end}_device"), getattr(link, f"{end}_ifindex")
            dev = by_id.get(dev_id)
            if dev is None:
                raise PlanError(f"{path}.{end}_device: no device with id {dev_id}")
            if ifindex not in {f.ifindex for f in dev.interfaces}:
                raise PlanError(f"{path}.{end}_ifindex: device {dev_id} has no ifindex {ifindex}")
            if (dev_id, ifindex) in used:
                raise PlanError(f"{path}: interface {dev_id}/{ifindex} already used by link "
                                f"{used[(dev_id, ifindex)]}")
            used[(dev_id, ifindex)] = link.id
        if link.a_device == link.z_device:
            raise PlanError(f"{path}: both ends on device {link.a_device}")
    for d_i, dev in enumerate(devices):
        for f_i, iface in enumerate(dev.interfaces):
            if iface.link is None:
                continue
            if iface.link not in link_ids:
                raise PlanError(f"devices[{d_i}].interfaces[{f_i}].link: no link {iface.link}")
            if used.get((dev.id, iface.ifindex)) != iface.link:
                raise PlanError(f"devices[{d_i}].interfaces[{f_i}].link: link {iface.link} does "
                                f"not end on device {dev.id} ifindex {iface.ifindex}")


def plan_from_dict(data: Any) -> Plan:
    """Validate and convert the seeder's JSON object into a :class:`Plan`."""
    if not isinstance(data, Mapping):
        raise PlanError("plan: expected a JSON object")
    devices = tuple(_device(o, f"devices[{i}]")
                    for i, o in enumerate(_get(data, "devices", "plan", list)))
    if not devices:
        raise PlanError("plan.devices: empty")
    ids: set[int] = set()
    addresses: set[str] = set()
    for i, dev in enumerate(devices):
        if dev.id in ids:
            raise PlanError(f"devices[{i}].id: duplicate device id {dev.id}")
        if dev.address in addresses:
            raise PlanError(f"devices[{i}].address: duplicate address {dev.address}")
        ids.add(dev.id)
        addresses.add(dev.address)
    links = tuple(_link(o, f"links[{i}]") for i, o in enumerate(_get(data, "links", "plan",
                                                                     list, [])))
    _check_links(devices, links)
    port = _get(data, "port", "plan", int)
    if not 1 <= port <= 65535:
        raise PlanError(f"plan.port: expected 1..65535, got {port}")
    core = _get(data, "core_device", "plan", int)
    if core not in ids:
        raise PlanError(f"plan.core_device: no device with id {core}")
    community = _get(data, "community", "plan", str, "public")
    if not community:
        raise PlanError("plan.community: empty")
    daily = _number(data, "daily_amplitude", "plan", 0.15)
    noise = _number(data, "noise_amplitude", "plan", 0.08)
    if daily + noise >= 1.0:
        raise PlanError("plan: daily_amplitude + noise_amplitude must be < 1")
    return Plan(
        port=port, community=community, core_device=core, devices=devices, links=links,
        write_community=_get(data, "write_community", "plan", str, None),
        max_bulk_varbinds=max(1, int(_number(data, "max_bulk_varbinds", "plan", 1000, 1.0))),
        max_message_bytes=min(65507, int(_number(data, "max_message_bytes", "plan", 60000,
                                                 484.0))),
        day_s=_number(data, "day_s", "plan", 86400.0, strict=True),
        daily_amplitude=daily, noise_amplitude=noise,
    )


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan JSON file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PlanError(f"{path}: not valid JSON ({exc})") from None
    return plan_from_dict(data)
