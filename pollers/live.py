"""The service's memory of "now": latest sample, rates and poll outcome per device/interface.

The API answers "is the link healthy right now" from here, never by reading InfluxDB back.
``link_health`` is pure: it derives a link's state from its two ends, with a reason code
whose Vietnamese and English texts are in :mod:`pollers.reasons`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from provnet.pollers import reasons
from provnet.pollers.readings import HealthReading, IcmpReading, OpticReading
from provnet.pollers.types import IfRates, IfSample, PollResult

OPER_UP = 1
OPER_DOWN = 2


@dataclass(frozen=True, slots=True)
class IfState:
    """Latest reading of one interface."""

    sample: IfSample
    rates: IfRates
    time: float
    trap_time: float | None = None  # when a trap last set ``sample.oper_status``


@dataclass(frozen=True, slots=True)
class DeviceState:
    """Outcome of the latest poll of one device."""

    time: float
    ok: bool
    error: str | None
    duration_s: float
    sys_uptime_ticks: int | None
    error_kind: str | None = None
    health: HealthReading | None = None  # from the latest poll that read health
    health_time: float | None = None
    optics: tuple[OpticReading, ...] = ()  # from the latest poll that read optics
    icmp: IcmpReading | None = None  # latest ICMP probe (fed by pollers.icmp)
    icmp_time: float | None = None
    polled: bool = True  # False: only ICMP has seen the device so far


@dataclass(frozen=True, slots=True)
class LinkHealth:
    """Health of a link derived from both ends; rates seen from the A (downstream) end.

    A down link carries no traffic: its ``in_bps``/``out_bps`` are 0.0 and its
    ``utilisation_pct`` 0.0 (what is measured while it is down), not the last interval's
    rates (which may predate the failure: a linkDown trap changes the oper status between
    polls). Error rates stay those of the last interval. Unknown links have no numbers.
    """

    status: str  # "up" | "down" | "unknown"
    reason: str  # English text of ``reason_code`` (see :mod:`pollers.reasons`)
    in_bps: float | None = None
    out_bps: float | None = None
    utilisation_pct: float | None = None
    in_errors_ps: float | None = None
    out_errors_ps: float | None = None
    last_polled: float | None = None
    a_oper_status: int | None = None
    z_oper_status: int | None = None
    counter_reset: bool = False
    reason_code: str = ""  # stable code: reason_text(reason_code, "vi", reason_detail)
    reason_detail: str | None = None  # device errors behind ``both_unreachable``


class LiveState:
    """Thread-safe store of the latest state, fed by the poll loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ifs: dict[tuple[int, int], IfState] = {}
        self._devices: dict[int, DeviceState] = {}
        self.trap_changes = 0  # interfaces changed by traps since start

    def update(self, result: PollResult, rates: dict[int, IfRates]) -> None:
        """Record one poll result (and its rates, when the device answered).

        Health and optics are kept from the last poll that read them (with their time), so a
        failed poll does not erase them; ICMP state is kept as fed by :meth:`update_icmp`.
        """
        health = next((r for r in reversed(result.readings) if isinstance(r, HealthReading)),
                      None)
        optics = tuple(r for r in result.readings if isinstance(r, OpticReading))
        with self._lock:
            prev = self._devices.get(result.target.device_id)
            dev = DeviceState(
                result.started, result.ok, result.error, result.duration_s,
                result.sys_uptime_ticks, result.error_kind,
                health if health else (prev.health if prev else None),
                result.started if health else (prev.health_time if prev else None),
                optics if optics else (prev.optics if prev else ()),
                prev.icmp if prev else None, prev.icmp_time if prev else None)
            self._devices[result.target.device_id] = dev
            if result.ok:
                dev_id = result.target.device_id
                for idx, sample in result.interfaces.items():
                    self._ifs[(dev_id, idx)] = _newer(
                        self._ifs.get((dev_id, idx)),
                        IfState(sample, rates.get(idx, IfRates()), result.started))

    def apply_trap(self, device_id: int, ifindex: int, up: bool, at: float) -> bool:
        """A linkUp/linkDown trap: set the interface's oper status now, until the next poll.

        Only interfaces already polled are changed (returns False otherwise), and only by a
        trap newer than the poll they come from; the sample time is kept so freshness still
        follows the device's polls. A poll that started before the trap does not undo it.
        """
        with self._lock:
            state = self._ifs.get((device_id, ifindex))
            if state is None or at < state.time:
                return False
            sample = replace(state.sample, oper_status=OPER_UP if up else OPER_DOWN)
            self._ifs[(device_id, ifindex)] = IfState(sample, state.rates, state.time, at)
            self.trap_changes += 1  # read by the API's answer cache: a trap shows at once
            return True

    def update_icmp(self, device_id: int, reading: IcmpReading, at: float) -> None:
        """Record an ICMP probe of a device (creates its state if it was never polled)."""
        with self._lock:
            prev = self._devices.get(device_id)
            if prev is None:
                prev = DeviceState(at, False, None, 0.0, None, polled=False)
            self._devices[device_id] = replace(prev, icmp=reading, icmp_time=at)

    def interface(self, device_id: int, ifindex: int) -> IfState | None:
        """Latest state of one interface, if ever polled."""
        with self._lock:
            return self._ifs.get((device_id, ifindex))

    def device(self, device_id: int) -> DeviceState | None:
        """Latest poll outcome of one device, if ever polled."""
        with self._lock:
            return self._devices.get(device_id)

    def devices(self) -> dict[int, DeviceState]:
        """Snapshot of every device's latest poll outcome."""
        with self._lock:
            return dict(self._devices)


def _newer(prev: IfState | None, polled: IfState) -> IfState:
    """The polled state, except that a trap newer than the poll's start keeps its status."""
    if prev is None or prev.trap_time is None or prev.trap_time <= polled.time:
        return polled
    sample = replace(polled.sample, oper_status=prev.sample.oper_status)
    return IfState(sample, polled.rates, polled.time, prev.trap_time)


def _fresh(end: IfState | None, dev: DeviceState | None, now: float, stale_s: float) -> bool:
    return (end is not None and dev is not None and dev.ok and end.time == dev.time
            and now - end.time <= stale_s)


def _util(a: float | None, b: float | None, capacity_mbps: int) -> float | None:
    vals = [v for v in (a, b) if v is not None]
    if not vals or capacity_mbps <= 0:
        return None
    return round(100.0 * max(vals) / (capacity_mbps * 1e6), 3)


def link_health(
    a: IfState | None, z: IfState | None, a_dev: DeviceState | None, z_dev: DeviceState | None,
    capacity_mbps: int, now: float, stale_s: float,
) -> LinkHealth:
    """Derive a link's health: any fresh end not oper-up means down; no fresh end, unknown."""
    fa, fz = _fresh(a, a_dev, now, stale_s), _fresh(z, z_dev, now, stale_s)
    a_oper = a.sample.oper_status if a and fa else None
    z_oper = z.sample.oper_status if z and fz else None
    if not fa and not fz:
        code, detail = reasons.NO_FRESH_DATA, None
        if a_dev and not a_dev.ok and z_dev and not z_dev.ok:
            code, detail = reasons.BOTH_UNREACHABLE, f"{a_dev.error}; {z_dev.error}"
        return LinkHealth("unknown", reasons.reason_text(code, "en", detail),
                          reason_code=code, reason_detail=detail)
    down = [n for n, o in (("A", a_oper), ("Z", z_oper)) if o is not None and o != OPER_UP]
    if down:
        status, code = "down", reasons.down_code("+".join(down))
    else:
        status, code = "up", reasons.UP if fa and fz else reasons.UP_ONE_END
    reason = reasons.reason_text(code, "en")
    if fa and a is not None:
        r, in_bps, out_bps = a.rates, a.rates.in_bps, a.rates.out_bps
        in_err, out_err = r.in_errors_ps, r.out_errors_ps
    else:
        assert z is not None
        r, in_bps, out_bps = z.rates, z.rates.out_bps, z.rates.in_bps
        in_err, out_err = r.out_errors_ps, r.in_errors_ps
    if status == "down":
        in_bps = out_bps = 0.0  # nothing flows over a down link, whatever the last interval
    last = max(s.time for s, f in ((a, fa), (z, fz)) if s is not None and f)
    return LinkHealth(status, reason, in_bps, out_bps, _util(in_bps, out_bps, capacity_mbps),
                      in_err, out_err, last, a_oper, z_oper, r.reset, code)
