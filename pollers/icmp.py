"""ICMP reachability: several echo requests per probe, and the device status it implies.

:func:`icmp_loop` probes every polled device's management address each interval (one ICMP
socket per sweep, paced: :mod:`provnet.pollers.icmp_sweep`); the service keeps the latest
reading per device in its live state (``LiveState.update_icmp``, the one place it is
stored; wiring: ``provnet.features.icmp``). :func:`device_status` combines ICMP with the
SNMP poll outcome so that
"unreachable" (nothing answers) and "SNMP not answering" (the box pings, the agent is silent)
are told apart.

Raw ICMP sockets need root (``privileged``); otherwise icmplib uses unprivileged datagram
ICMP sockets, which need ``net.ipv4.ping_group_range`` to include the process's group.

In the demo every simulated router lives on 127.10.x.y: the kernel answers ICMP for the whole
of 127/8, so a "dead" simulated device still pings. Its status is therefore
``snmp_not_answering`` (true: the address answers, the agent does not), never "up".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

from provnet.config.icmp import IcmpSettings
from provnet.pollers.icmp_sweep import IcmpError, SocketSweeper, tally
from provnet.pollers.readings import IcmpReading

if TYPE_CHECKING:
    from provnet.pollers.live import DeviceState

__all__ = ["IcmpError", "IcmpSettings", "device_status", "device_status_of", "summarise"]

log = logging.getLogger(__name__)

UP = "up"
DEGRADED = "degraded"
SNMP_NOT_ANSWERING = "snmp_not_answering"
UNREACHABLE = "unreachable"
DOWN = "down"  # SNMP fails and there is no ICMP verdict (yet): cannot say which
UNKNOWN = "unknown"


# --- pure -----------------------------------------------------------------------------------
def summarise(address: str, sent: int, rtts_ms: Sequence[float]) -> IcmpReading:
    """One probe's outcome from the round-trip times of the replies that came back."""
    received = min(len(rtts_ms), sent)
    loss = 100.0 if sent <= 0 else round(100.0 * (sent - received) / sent, 2)
    if not received:
        return IcmpReading(address, sent, 0, loss)
    rtts = list(rtts_ms)[:received]
    return IcmpReading(
        address, sent, received, loss,
        rtt_min_ms=round(min(rtts), 3),
        rtt_avg_ms=round(sum(rtts) / received, 3),
        rtt_max_ms=round(max(rtts), 3),
    )


def device_status(icmp: IcmpReading | None, snmp_ok: bool | None,
                  degraded_loss_pct: float = 25.0) -> str:
    """Combine the latest ICMP probe and SNMP poll outcome into one status word.

    ===================  ===========  =====================
    ICMP                 SNMP         status
    ===================  ===========  =====================
    all/most answered    ok / none    up
    all/most answered    failing      snmp_not_answering
    lossy (some lost)    any          degraded
    nothing answered     failing/none unreachable
    nothing answered     ok           up (ICMP filtered)
    no probe yet         ok           up
    no probe yet         failing      down
    no probe yet         none         unknown
    ===================  ===========  =====================
    """
    if icmp is None:
        return UNKNOWN if snmp_ok is None else (UP if snmp_ok else DOWN)
    if icmp.received == 0:
        return UP if snmp_ok else UNREACHABLE
    if icmp.loss_pct >= degraded_loss_pct:
        return DEGRADED
    return SNMP_NOT_ANSWERING if snmp_ok is False else UP


def device_status_of(state: DeviceState | None, degraded_loss_pct: float) -> str:
    """The status of one device from its live state: the single rule every route uses.

    A device that was not polled yet counts as "no SNMP verdict" (``None``), not as failing.
    """
    if state is None:
        return UNKNOWN
    return device_status(state.icmp, state.ok if state.polled else None, degraded_loss_pct)


# --- adapter --------------------------------------------------------------------------------
class Pinger(Protocol):
    """Probes every target once (``settings.count`` echo requests each)."""

    async def sweep(self, targets: Sequence[tuple[int, str]],
                    settings: IcmpSettings) -> dict[int, IcmpReading]: ...


def running_as_root() -> bool:
    """True when raw ICMP sockets can be opened."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


class IcmplibPinger:
    """:class:`Pinger` on icmplib sockets, one socket per sweep (raw when ``privileged``)."""

    def __init__(self, privileged: bool | None = None) -> None:
        self.privileged = running_as_root() if privileged is None else privileged

    async def sweep(self, targets: Sequence[tuple[int, str]],
                    settings: IcmpSettings) -> dict[int, IcmpReading]:
        """Silent or unroutable addresses are results with 100 % loss."""
        sweeper = SocketSweeper(self.privileged, settings.rate_pps)
        done = await sweeper.run(targets, settings.count, settings.packet_interval_s,
                                 settings.timeout_s)
        return tally(done.targets, settings.count, done.sent, done.replies, settings.timeout_s,
                     summarise)


# --- loop ------------------------------------------------------------------------------------
async def probe_all(pinger: Pinger, targets: Iterable[tuple[int, str]], settings: IcmpSettings,
                    on_reading: Callable[[int, IcmpReading], None]) -> int:
    """Probe every ``(device_id, address)``; ``on_reading`` gets each device's reading.

    Returns the number of devices probed.
    """
    readings = await pinger.sweep(list(targets), settings)
    for device_id, reading in readings.items():
        on_reading(device_id, reading)
    return len(readings)


async def _sweep(pinger: Pinger, targets: list[tuple[int, str]], settings: IcmpSettings,
                 on_reading: Callable[[int, IcmpReading], None]) -> None:
    """One sweep; in its own thread and event loop unless ``settings.own_thread`` is off.

    With raw sockets RTTs use kernel receive times, but the send pacing and (unprivileged)
    receive path still run on an event loop: keeping them off the service's busy loop keeps
    them on time. Readings are handed back to the calling loop.
    """
    if not settings.own_thread:
        await probe_all(pinger, targets, settings, on_reading)
        return
    loop = asyncio.get_running_loop()

    def deliver(device_id: int, reading: IcmpReading) -> None:
        with contextlib.suppress(RuntimeError):  # the service's loop has closed already
            loop.call_soon_threadsafe(on_reading, device_id, reading)

    await asyncio.to_thread(asyncio.run, probe_all(pinger, targets, settings, deliver))


async def icmp_loop(pinger: Pinger, targets: Callable[[], list[tuple[int, str]]],
                    settings: IcmpSettings, on_reading: Callable[[int, IcmpReading], None],
                    stop: asyncio.Event,
                    on_sweep: Callable[[float], None] | None = None) -> None:
    """Sweep ``targets()`` every ``settings.interval_s`` until ``stop`` is set;
    ``on_sweep(start)`` (wall clock) after each sweep's readings were handed over."""
    # start at a random point of the first interval: not in step with the SNMP cycle
    delay = random.uniform(0, min(settings.interval_s, 5.0))
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
            return
        except TimeoutError:
            pass
        started, wall = time.monotonic(), time.time()
        try:
            await _sweep(pinger, targets(), settings, on_reading)
        except IcmpError as exc:
            log.error("ICMP probing stopped: %s", exc)
            return
        if on_sweep is not None:
            on_sweep(wall)
        delay = max(0.0, settings.interval_s - (time.monotonic() - started))
