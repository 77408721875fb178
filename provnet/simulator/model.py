"""Pure network model: devices, links, faults, reachability and SNMP values over time.

No I/O and no clock of its own: every call takes ``now`` (seconds on any monotonic clock,
the agent uses ``time.monotonic()``); model time ``u`` is ``now`` minus the time the network
was built, never going backwards. The wall clock only sets the phase of the daily wave.

Semantics:
- a link is up when it is not faulted and both end devices are up with the interface
  admin up; an interface is oper up when its device is up, it is admin up and its link
  (if any) is up. Counters run only while oper up.
- a device answers SNMP when it is up and reaches ``core_device`` over links that are up,
  upwards from A to Z as ``inventory.topology`` defines paths (no transit through a commune
  router; management traffic rides the same network: a dual-homed site stays reachable while one
  uplink is up).
- ``device_up`` after ``device_down`` is a power-on: the device boots (sysUpTime and
  counters restart from zero), as does ``reboot``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from provnet.inventory.topology import Edge, Topology
from provnet.simulator.device import Device, Iface
from provnet.simulator.faults import LINK_ACTIONS, Fault
from provnet.simulator.mib import Oid, Value
from provnet.simulator.plan import Plan, PlanLink

#: ``on_event(kind, device, ifindex)``: kind is ``link-down``/``link-up`` (an interface's oper
#: status changed, ifindex set) or ``cold-start`` (the device booted, ifindex None).
EventHook = Callable[[str, Device, int | None], None]


@dataclass(frozen=True, slots=True)
class Change:
    """What one applied action did, for logs and control replies."""

    action: str
    devices: tuple[int, ...] = ()
    links: tuple[int, ...] = ()
    unreachable: tuple[int, ...] = ()
    reachable_again: tuple[int, ...] = ()

    def describe(self) -> str:
        """One human-readable line."""
        parts = [self.action]
        if self.devices:
            parts.append(f"devices={list(self.devices)}")
        if self.links:
            parts.append(f"links={list(self.links)}")
        if self.unreachable:
            parts.append(f"now unreachable={list(self.unreachable)}")
        if self.reachable_again:
            parts.append(f"reachable again={list(self.reachable_again)}")
        return " ".join(parts)


class Network:
    """The simulated network built from a plan."""

    def __init__(self, plan: Plan, now: float, wall_time: float) -> None:
        self.plan = plan
        self._t0 = now
        self._last_u = 0.0
        self.devices = {d.id: Device(d, plan, wall_time) for d in plan.devices}
        self.by_address = {d.address: d for d in self.devices.values()}
        self.links = {lk.id: lk for lk in plan.links}
        self.faulted: set[int] = set()
        #: called after each state change (traps hook in here); never during construction
        self.on_event: EventHook | None = None
        self._link_up: dict[int, bool] = {}
        # the inventory's own topology: paths run upwards (A -> Z), never through a commune
        self.topology = Topology(plan.core_device,
                                 [Edge(lk.id, lk.a_device, lk.z_device) for lk in plan.links],
                                 self.devices)
        for lk in plan.links:
            a, z = self._ends(lk)
            a.link_id = z.link_id = lk.id
            a.far, z.far = z, a
            for near, far in ((a, z), (z, a)):
                if not near.alias:
                    near.alias = f"link {lk.id} to {far.device.plan.sys_name}"
        for dev in self.devices.values():
            dev.build_index()
        self.reachable: frozenset[int] = frozenset()
        self._refresh(0.0)
        for dev in self.devices.values():
            for f in dev.ifaces.values():
                f.last_change = min(f.initial_last_change, dev.ticks(0.0))

    # -- time ---------------------------------------------------------------------------
    def model_time(self, now: float) -> float:
        """Model time ``u`` for clock reading ``now`` (monotonic)."""
        u = now - self._t0
        if u < self._last_u:
            return self._last_u
        self._last_u = u
        return u

    # -- queries ------------------------------------------------------------------------
    def answers(self, device_id: int) -> bool:
        """True when the device would answer SNMP now."""
        return device_id in self.reachable

    def iface(self, device_id: int, ifindex: int) -> Iface:
        """The interface or KeyError."""
        try:
            return self.devices[device_id].ifaces[ifindex]
        except KeyError:
            raise KeyError(f"no interface {device_id}/{ifindex}") from None

    def link_is_up(self, link_id: int) -> bool:
        """Effective state of a link."""
        return self._link_up[link_id]

    def value_at(self, device_id: int, oid: Oid, now: float) -> Value | None:
        """Value of one OID (None when not served), whether or not the device answers."""
        dev = self.devices[device_id]
        i = dev.lookup(tuple(oid))
        return None if i is None else dev.read(i, self.model_time(now))

    def next_after(self, device_id: int, oid: Oid, now: float) -> tuple[Oid, Value] | None:
        """GETNEXT semantics: the first served OID after ``oid`` with its value."""
        dev = self.devices[device_id]
        i = dev.after(tuple(oid))
        if i >= len(dev.oids):
            return None
        return dev.oids[i], dev.read(i, self.model_time(now))

    def site_devices(self, site: str) -> list[Device]:
        """Devices of a site (exact code, else case-insensitive code or sys_name)."""
        found = [d for d in self.devices.values() if d.site == site]
        if not found:
            key = site.casefold()
            found = [d for d in self.devices.values()
                     if key in (d.site.casefold(), d.plan.sys_name.casefold())]
        if not found:
            raise ValueError(f"unknown site {site!r}")
        return found

    def uplinks(self, site: str) -> list[int]:
        """Links whose downstream (``a``) end is at the site."""
        ids = {d.id for d in self.site_devices(site)}
        return [lk.id for lk in self.links.values() if lk.a_device in ids]

    # -- actions ------------------------------------------------------------------------
    def link_down(self, link_id: int, now: float) -> Change:
        """Cut a link (fibre break)."""
        self._check_link(link_id)
        self.faulted.add(link_id)
        return self._commit("link-down", now, links=(link_id,))

    def link_up(self, link_id: int, now: float) -> Change:
        """Repair a link."""
        self._check_link(link_id)
        self.faulted.discard(link_id)
        return self._commit("link-up", now, links=(link_id,))

    def device_down(self, device_id: int, now: float) -> Change:
        """Power off: stops answering, far ends of its links go down."""
        self.devices[device_id].up = False
        return self._commit("device-down", now, devices=(device_id,))

    def device_up(self, device_id: int, now: float) -> Change:
        """Power on (a boot if it was down; nothing if it was up)."""
        dev = self.devices[device_id]
        if not dev.up:
            dev.up = True
            dev.reboot(self.model_time(now))
            self._emit("cold-start", dev, None)
        return self._commit("device-up", now, devices=(device_id,))

    def reboot(self, device_id: int, now: float) -> Change:
        """Boot now: sysUpTime and counters restart from zero."""
        dev = self.devices[device_id]
        dev.up = True
        dev.reboot(self.model_time(now))
        self._emit("cold-start", dev, None)
        return self._commit("reboot", now, devices=(device_id,))

    def set_admin_status(self, device_id: int, ifindex: int, up: bool, now: float) -> Change:
        """SET ifAdminStatus: oper follows, and so does the far end of the link."""
        self.iface(device_id, ifindex).admin_up = up
        return self._commit(f"admin-{'up' if up else 'down'} {device_id}/{ifindex}", now,
                            devices=(device_id,))

    def reset_counters(self, device_id: int, ifindex: int, now: float) -> Change:
        """Counters of one interface restart from zero without a reboot (discontinuity)."""
        self.iface(device_id, ifindex).reset_counters(self.model_time(now))
        return Change(f"reset-counters {device_id}/{ifindex}", devices=(device_id,))

    def set_rates(self, device_id: int, ifindex: int, in_bps: float | None,
                  out_bps: float | None, now: float) -> Change:
        """Change the mean traffic of one interface (counters stay monotonic)."""
        self.iface(device_id, ifindex).set_rates(in_bps, out_bps, self.model_time(now))
        return Change(f"set-rate {device_id}/{ifindex}", devices=(device_id,))

    def apply(self, fault: Fault, now: float) -> Change:
        """Apply a site-level fault (link actions act on the site's uplinks)."""
        if fault.action in LINK_ACTIONS:
            ids = self.uplinks(fault.site)
            if not ids:
                raise ValueError(f"site {fault.site!r} has no uplinks")
            target = self.faulted.update if fault.action == "link-down" else \
                self.faulted.difference_update
            target(ids)
            return self._commit(fault.action, now, links=tuple(ids))
        devs = tuple(d.id for d in self.site_devices(fault.site))
        u = self.model_time(now)
        for dev_id in devs:
            dev = self.devices[dev_id]
            if fault.action == "device-down":
                dev.up = False
            elif fault.action == "reboot" or not dev.up:
                dev.up = True
                dev.reboot(u)
                self._emit("cold-start", dev, None)
        return self._commit(fault.action, now, devices=devs)

    # -- internals ----------------------------------------------------------------------
    def _emit(self, kind: str, dev: Device, ifindex: int | None) -> None:
        if self.on_event is not None:
            self.on_event(kind, dev, ifindex)

    def _ends(self, lk: PlanLink) -> tuple[Iface, Iface]:
        return self.iface(lk.a_device, lk.a_ifindex), self.iface(lk.z_device, lk.z_ifindex)

    def _check_link(self, link_id: int) -> None:
        if link_id not in self.links:
            raise ValueError(f"unknown link {link_id}")

    def _commit(self, action: str, now: float, *, devices: tuple[int, ...] = (),
                links: tuple[int, ...] = ()) -> Change:
        before = self.reachable
        self._refresh(self.model_time(now))
        return Change(action, devices, links, tuple(sorted(before - self.reachable)),
                      tuple(sorted(self.reachable - before)))

    def _refresh(self, u: float) -> None:
        """Recompute link and oper states (folding counters) and reachability."""
        for lk in self.links.values():
            a, z = self._ends(lk)
            self._link_up[lk.id] = (lk.id not in self.faulted and a.device.up and z.device.up
                                    and a.admin_up and z.admin_up)
        for dev in self.devices.values():
            for f in dev.ifaces.values():
                link_ok = f.link_id is None or self._link_up[f.link_id]
                was = f.oper_up
                f.set_oper(dev.up and f.admin_up and link_ok, u)
                if f.oper_up != was and dev.up:
                    self._emit("link-up" if f.oper_up else "link-down", dev, f.ifindex)
        self.reachable = frozenset(self._reachable_from_core())

    def _reachable_from_core(self) -> set[int]:
        down_links = [lid for lid, up in self._link_up.items() if not up]
        off = [d for d, dev in self.devices.items() if not dev.up]
        return self.topology.reachable(down_links, off)
