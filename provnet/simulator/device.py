"""Simulated devices and interfaces: counters, statuses and the sorted OID index.

Each device keeps its served OIDs in one sorted list (tuples compare like OIDs), so GET is
a bisect and GETNEXT/GETBULK walk forward by position. Static values (names, speeds) are
stored once; dynamic ones (counters, statuses, uptime) are computed from model time ``u``.
"""

from __future__ import annotations

import bisect
import random
import zlib
from collections.abc import Callable
from typing import Any

from provnet.simulator import mib
from provnet.simulator.lldp import lldp_rows
from provnet.simulator.mib import Kind, Oid, Value
from provnet.simulator.plan import Plan, PlanDevice, PlanInterface
from provnet.simulator.traffic import Channel, RateProfile, traffic_profile
from provnet.simulator.vendor import vendor_rows


def seeded(*parts: object) -> random.Random:
    """A deterministic RNG for one simulated object."""
    return random.Random(zlib.crc32(":".join(map(str, parts)).encode()))


def _error_rate(rng: random.Random, given: float | None, p_zero: float, hi: float) -> float:
    if given is not None:
        return given
    return 0.0 if rng.random() < p_zero else rng.uniform(hi / 20.0, hi)


class Iface:
    """One interface: admin/oper status, last change, six piecewise counters."""

    __slots__ = ("admin_up", "alias", "device", "discontinuity", "far", "in_disc", "in_err",
                 "in_oct",
                 "initial_last_change", "last_change", "link_id", "mac", "oper_up", "out_disc",
                 "out_err", "out_oct", "pkt_size", "plan", "rng", "shape")

    def __init__(self, device: Device, p: PlanInterface, shape: dict[str, float],
                 age_s: float) -> None:
        self.device = device
        self.plan = p
        self.link_id = p.link
        self.far: Iface | None = None
        self.admin_up = p.admin_up
        self.oper_up = False
        self.alias = p.alias or ""
        self.rng = seeded("iface", device.id, p.ifindex)
        self.shape = shape
        rng = self.rng
        self.mac = bytes([0x00, 0xE0, 0xFC, device.id >> 8 & 0xFF, device.id & 0xFF,
                          p.ifindex & 0xFF])
        self.pkt_size = rng.uniform(450.0, 950.0)
        busy = p.in_bps + p.out_bps > 0
        rates = (_error_rate(rng, p.in_errors_ps, 0.5 if busy else 1.0, 0.05),
                 _error_rate(rng, p.out_errors_ps, 0.7 if busy else 1.0, 0.01),
                 _error_rate(rng, p.in_discards_ps, 0.6 if busy else 1.0, 0.1),
                 _error_rate(rng, p.out_discards_ps, 0.6 if busy else 1.0, 0.05))
        fill = rng.uniform(0.3, 0.9) * age_s
        self.in_oct: Channel = Channel(self._octets(p.in_bps), p.in_bps / 8.0 * fill)
        self.out_oct: Channel = Channel(self._octets(p.out_bps), p.out_bps / 8.0 * fill)
        self.in_err: Channel = Channel(RateProfile(rates[0]), rates[0] * fill)
        self.out_err: Channel = Channel(RateProfile(rates[1]), rates[1] * fill)
        self.in_disc: Channel = Channel(RateProfile(rates[2]), rates[2] * fill)
        self.out_disc: Channel = Channel(RateProfile(rates[3]), rates[3] * fill)
        self.last_change: int = 0
        self.discontinuity: int = 0  # ifCounterDiscontinuityTime (ticks)
        self.initial_last_change = int(rng.uniform(30.0, max(31.0, min(age_s, 3 * 86400.0)))
                                       * 100)

    def _octets(self, bps: float) -> RateProfile:
        return traffic_profile(bps / 8.0, self.plan.speed_mbps * 1e6 / 8.0, self.rng,
                               day_s=self.shape["day_s"], wall_at_zero=self.shape["wall"],
                               daily=self.shape["daily"], noise=self.shape["noise"])

    @property
    def ifindex(self) -> int:
        """The interface's ifIndex."""
        return self.plan.ifindex

    @property
    def channels(self) -> tuple[Channel, ...]:
        """All counters of this interface."""
        return (self.in_oct, self.out_oct, self.in_err, self.out_err, self.in_disc,
                self.out_disc)

    def set_oper(self, up: bool, u: float) -> None:
        """Change oper status at ``u``: counters run only while up."""
        if up == self.oper_up:
            return
        self.oper_up = up
        for ch in self.channels:
            (ch.start if up else ch.stop)(u)
        self.last_change = self.device.ticks(u)

    def set_rates(self, in_bps: float | None, out_bps: float | None, u: float) -> None:
        """Change mean traffic from ``u`` on; counters stay monotonic."""
        if in_bps is not None:
            self.in_oct.set_profile(self._octets(in_bps), u)
        if out_bps is not None:
            self.out_oct.set_profile(self._octets(out_bps), u)

    def reboot(self, u: float) -> None:
        """Counters to zero, admin status back to the startup configuration."""
        for ch in self.channels:
            ch.reset(u)
        self.admin_up = self.plan.admin_up
        self.last_change = 0
        self.discontinuity = 0

    def reset_counters(self, u: float) -> None:
        """Counters restart from zero without a reboot (line card reset, ``clear counters``)."""
        for ch in self.channels:
            ch.reset(u)
        self.discontinuity = self.device.ticks(u)


def _c32(ch: Channel, u: float) -> Value:
    return Kind.COUNTER32, ch.value(u) % mib.WRAP32


def _pkts(iface: Iface, ch: Channel, u: float, wrap: int) -> int:
    return int(ch.value(u) / iface.pkt_size) % wrap


_IF_DYNAMIC: dict[Oid, Callable[[Iface, float], Value]] = {
    (*mib.IF_ENTRY, mib.IF_ADMIN_STATUS): lambda f, u: (Kind.INTEGER, 1 if f.admin_up else 2),
    (*mib.IF_ENTRY, mib.IF_OPER_STATUS): lambda f, u: (Kind.INTEGER, 1 if f.oper_up else 2),
    (*mib.IF_ENTRY, mib.IF_LAST_CHANGE): lambda f, u: (Kind.TIMETICKS, f.last_change),
    (*mib.IFX_ENTRY, mib.IFX_DISCONTINUITY): lambda f, u: (Kind.TIMETICKS, f.discontinuity),
    (*mib.IF_ENTRY, mib.IF_IN_OCTETS): lambda f, u: _c32(f.in_oct, u),
    (*mib.IF_ENTRY, mib.IF_IN_UCAST): lambda f, u: (Kind.COUNTER32,
                                                    _pkts(f, f.in_oct, u, mib.WRAP32)),
    (*mib.IF_ENTRY, mib.IF_IN_DISCARDS): lambda f, u: _c32(f.in_disc, u),
    (*mib.IF_ENTRY, mib.IF_IN_ERRORS): lambda f, u: _c32(f.in_err, u),
    (*mib.IF_ENTRY, mib.IF_OUT_OCTETS): lambda f, u: _c32(f.out_oct, u),
    (*mib.IF_ENTRY, mib.IF_OUT_UCAST): lambda f, u: (Kind.COUNTER32,
                                                     _pkts(f, f.out_oct, u, mib.WRAP32)),
    (*mib.IF_ENTRY, mib.IF_OUT_DISCARDS): lambda f, u: _c32(f.out_disc, u),
    (*mib.IF_ENTRY, mib.IF_OUT_ERRORS): lambda f, u: _c32(f.out_err, u),
    (*mib.IFX_ENTRY, mib.IFX_HC_IN_OCTETS): lambda f, u: (Kind.COUNTER64,
                                                          f.in_oct.value(u) % mib.WRAP64),
    (*mib.IFX_ENTRY, mib.IFX_HC_IN_UCAST): lambda f, u: (Kind.COUNTER64,
                                                         _pkts(f, f.in_oct, u, mib.WRAP64)),
    (*mib.IFX_ENTRY, mib.IFX_HC_OUT_OCTETS): lambda f, u: (Kind.COUNTER64,
                                                           f.out_oct.value(u) % mib.WRAP64),
    (*mib.IFX_ENTRY, mib.IFX_HC_OUT_UCAST): lambda f, u: (Kind.COUNTER64,
                                                          _pkts(f, f.out_oct, u, mib.WRAP64)),
}


def _if_static(f: Iface) -> dict[Oid, Value]:
    p = f.plan
    return {
        (*mib.IF_ENTRY, mib.IF_INDEX): (Kind.INTEGER, p.ifindex),
        (*mib.IF_ENTRY, mib.IF_DESCR): (Kind.OCTETS, (p.descr or p.name).encode()),
        (*mib.IF_ENTRY, mib.IF_TYPE): (Kind.INTEGER, mib.ETHERNET_CSMACD),
        (*mib.IF_ENTRY, mib.IF_MTU): (Kind.INTEGER, 1500),
        (*mib.IF_ENTRY, mib.IF_SPEED): (Kind.GAUGE32, min(p.speed_mbps * 1_000_000,
                                                          mib.GAUGE_MAX)),
        (*mib.IF_ENTRY, mib.IF_PHYS_ADDRESS): (Kind.OCTETS, f.mac),
        (*mib.IFX_ENTRY, mib.IFX_NAME): (Kind.OCTETS, p.name.encode()),
        (*mib.IFX_ENTRY, mib.IFX_LINK_UP_DOWN_TRAP): (Kind.INTEGER, 1 if p.link else 2),
        (*mib.IFX_ENTRY, mib.IFX_HIGH_SPEED): (Kind.GAUGE32, min(p.speed_mbps, mib.GAUGE_MAX)),
        (*mib.IFX_ENTRY, mib.IFX_ALIAS): (Kind.OCTETS, f.alias.encode()),
    }


class Device:
    """One simulated router: state plus its sorted OID index."""

    def __init__(self, p: PlanDevice, plan: Plan, wall_at_zero: float) -> None:
        self.plan = p
        self.net = plan
        self.id = p.id
        self.up = True
        rng = seeded("device", p.id)
        age = p.uptime_s if p.uptime_s is not None else rng.uniform(3 * 86400.0, 120 * 86400.0)
        self.boot_u = -age
        shape = {"day_s": plan.day_s, "wall": wall_at_zero, "daily": plan.daily_amplitude,
                 "noise": plan.noise_amplitude}
        self.ifaces = {f.ifindex: Iface(self, f, shape, age) for f in p.interfaces}
        self.oids: list[Oid] = []
        self.static: list[Value | None] = []
        self._funcs: list[Callable[[Any, float], Value] | None] = []
        self._args: list[Any] = []

    @property
    def address(self) -> str:
        """The loopback address this device answers on."""
        return self.plan.address

    @property
    def site(self) -> str:
        """The site code from the plan."""
        return self.plan.site

    def ticks(self, u: float) -> int:
        """sysUpTime in hundredths of a second at ``u`` (wraps at 2^32 like TimeTicks)."""
        return int((u - self.boot_u) * 100.0) % mib.WRAP32

    def build_index(self) -> None:
        """(Re)build the sorted OID index; call after aliases are final."""
        p = self.plan
        rows: list[tuple[Oid, Value | None, Callable[[Any, float], Value] | None, Any]] = [
            (mib.SYS_DESCR, (Kind.OCTETS, p.sys_descr.encode()), None, None),
            (mib.SYS_OBJECT_ID, (Kind.OID, p.sys_object_id
                                 or mib.vendor_object_id(p.sys_descr)), None, None),
            (mib.SYS_UPTIME, None, lambda d, u: (Kind.TIMETICKS, d.ticks(u)), self),
            (mib.SYS_CONTACT, (Kind.OCTETS, b"NOC provnet"), None, None),
            (mib.SYS_NAME, (Kind.OCTETS, p.sys_name.encode()), None, None),
            (mib.SYS_LOCATION, (Kind.OCTETS, p.site.encode()), None, None),
            (mib.SYS_SERVICES, (Kind.INTEGER, 6), None, None),
            (mib.IF_NUMBER, (Kind.INTEGER, len(self.ifaces)), None, None),
            (mib.IF_TABLE_LAST_CHANGE, (Kind.TIMETICKS, 0), None, None),
        ]
        for f in self.ifaces.values():
            for col, val in _if_static(f).items():
                rows.append(((*col, f.ifindex), val, None, None))
            for col, func in _IF_DYNAMIC.items():
                rows.append(((*col, f.ifindex), None, func, f))
        rows += vendor_rows(self)
        rows += [(oid, val, None, None) for oid, val in lldp_rows(p, self.net)]
        rows.sort(key=lambda r: r[0])
        self.oids = [r[0] for r in rows]
        self.static = [r[1] for r in rows]
        self._funcs = [r[2] for r in rows]
        self._args = [r[3] for r in rows]

    def lookup(self, oid: Oid) -> int | None:
        """Position of ``oid`` in the index, or None."""
        i = bisect.bisect_left(self.oids, oid)
        return i if i < len(self.oids) and self.oids[i] == oid else None

    def after(self, oid: Oid) -> int:
        """Position of the first OID greater than ``oid`` (``len(oids)`` at the end)."""
        return bisect.bisect_right(self.oids, oid)

    def read(self, i: int, u: float) -> Value:
        """Value at position ``i`` at model time ``u``."""
        v = self.static[i]
        if v is not None:
            return v
        func = self._funcs[i]
        assert func is not None
        return func(self._args[i], u)

    def reboot(self, u: float) -> None:
        """Boot now: uptime and every counter restart from zero."""
        self.boot_u = u
        for f in self.ifaces.values():
            f.reboot(u)
