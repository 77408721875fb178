"""Counter-aware rates from two consecutive interface samples (pure)."""

from __future__ import annotations

from typing import Final

from provnet.pollers.types import IfRates, IfSample

COUNTER32_MODULO: Final = 2**32
#: A rate may exceed the interface speed by this fraction (poll-time jitter) before rejection.
SPEED_TOLERANCE: Final = 0.10
#: Smallest Ethernet frame on the wire (64 B frame + preamble + inter-frame gap), in bits:
#: bounds how many errored/discarded packets per second an interface can possibly see.
MIN_FRAME_BITS: Final = 84 * 8
#: Centiseconds per second (sysUpTime is in TimeTicks).
TICKS_PER_S: Final = 100


def _rebooted(prev_uptime: int | None, cur_uptime: int | None, dt: float) -> bool:
    """True when sysUpTime shows a restart since the previous sample."""
    if prev_uptime is None or cur_uptime is None:
        return False
    if cur_uptime < prev_uptime:
        return True
    # Up for less than the interval (slack for clock skew): restarted in between, even though
    # the new uptime already exceeds the old one (long interval right after a boot).
    return cur_uptime / TICKS_PER_S + 1.0 + 0.05 * dt < dt


def _counter64_delta(prev: int | None, cur: int | None) -> int | None:
    if prev is None or cur is None:
        return None
    return cur - prev  # negative => reset, handled by the caller


def _counter32_delta(prev: int | None, cur: int | None) -> int | None:
    if prev is None or cur is None:
        return None
    delta = cur - prev
    return delta + COUNTER32_MODULO if delta < 0 else delta


def _bps(delta: int | None, dt: float, speed_bps: float | None) -> tuple[float | None, bool]:
    """Bit rate from an octet delta, and whether it was rejected as over-speed."""
    if delta is None:
        return None, False
    rate = delta * 8 / dt
    if speed_bps and rate > speed_bps * (1 + SPEED_TOLERANCE):
        return None, True
    return rate, False


def _pps(delta: int | None, dt: float, speed_bps: float | None) -> tuple[float | None, bool]:
    """Per-second rate of a packet counter, rejected above the minimum-frame packet rate."""
    if delta is None:
        return None, False
    rate = delta / dt
    if speed_bps and rate > speed_bps / MIN_FRAME_BITS * (1 + SPEED_TOLERANCE):
        return None, True
    return rate, False


def _util(bps: float | None, speed_bps: float | None) -> float | None:
    if bps is None or not speed_bps:
        return None
    return bps / speed_bps * 100.0


def compute_rates(
    prev: IfSample | None,
    prev_time: float | None,
    prev_uptime: int | None,
    cur: IfSample,
    cur_time: float,
    cur_uptime: int | None,
) -> IfRates:
    """Rates between two samples of one interface (times in seconds, uptimes in ticks).

    - first sample, missing values or ``cur_time <= prev_time``: ``None`` rates;
    - device reboot (sysUpTime went back, or is shorter than the interval), a change of
      ifCounterDiscontinuityTime, or a 64-bit octet counter going backwards: ``reset=True``
      and no rates at all for this interval (a gap with a flag, never a spike);
    - Counter32 values going backwards without a reboot (errors/discards, and octets of an
      interface without HC counters, ``counter_bits == 32``): a wrap (``+ 2**32``);
    - a rate above the interface speed (``ifHighSpeed`` Mbit/s, +10 %) or, for packet counters,
      above the minimum-frame packet rate: that rate is ``None`` and ``rejected=True``;
    - unknown or zero speed: rates are kept, utilisation is ``None``.
    """
    if prev is None or prev_time is None:
        return IfRates()
    dt = cur_time - prev_time
    if dt <= 0:
        return IfRates()
    if _rebooted(prev_uptime, cur_uptime, dt):
        return IfRates(reset=True)

    if (prev.discontinuity_ticks is not None and cur.discontinuity_ticks is not None
            and prev.discontinuity_ticks != cur.discontinuity_ticks):
        return IfRates(reset=True)  # ifCounterDiscontinuityTime moved: counters restarted
    if prev.counter_bits != cur.counter_bits:
        return IfRates()  # the agent switched counter width: nothing comparable
    octets = _counter32_delta if cur.counter_bits == 32 else _counter64_delta
    d_in = octets(prev.in_octets, cur.in_octets)
    d_out = octets(prev.out_octets, cur.out_octets)
    if (d_in is not None and d_in < 0) or (d_out is not None and d_out < 0):
        return IfRates(reset=True)

    speed = cur.high_speed_mbps if cur.high_speed_mbps is not None else prev.high_speed_mbps
    speed_bps = speed * 1_000_000.0 if speed and speed > 0 else None

    in_bps, rej_in = _bps(d_in, dt, speed_bps)
    out_bps, rej_out = _bps(d_out, dt, speed_bps)
    in_err, rej_ie = _pps(_counter32_delta(prev.in_errors, cur.in_errors), dt, speed_bps)
    out_err, rej_oe = _pps(_counter32_delta(prev.out_errors, cur.out_errors), dt, speed_bps)
    in_dis, rej_id = _pps(_counter32_delta(prev.in_discards, cur.in_discards), dt, speed_bps)
    out_dis, rej_od = _pps(_counter32_delta(prev.out_discards, cur.out_discards), dt, speed_bps)

    return IfRates(
        in_bps=in_bps,
        out_bps=out_bps,
        in_util_pct=_util(in_bps, speed_bps),
        out_util_pct=_util(out_bps, speed_bps),
        in_errors_ps=in_err,
        out_errors_ps=out_err,
        in_discards_ps=in_dis,
        out_discards_ps=out_dis,
        rejected=rej_in or rej_out or rej_ie or rej_oe or rej_id or rej_od,
    )
