"""Adapters: optics (SNMP and SSH), ICMP probes -> :class:`~alerts.engine.Observation`.

Metric names are those of ``config/alerts/default.yaml``: ``optic.rx_dbm`` (optic_rx_low,
optic_rx_falling), ``icmp.rtt_ms`` (latency_high), ``icmp.loss_pct`` (packet_loss). Entities:
``optic:<device>:<port>`` (:func:`~pollers.readings.optic_port`: the full port name when
known, else the ifindex, else the sensor index) and ``icmp:<device>``; labels are the
device's, plus the port's ifindex/ifname and its link when the port is a link end (so an
optic alert groups under the link's incident).

When SNMP and SSH both read a port, :class:`OpticPrecedence` decides which readings reach
the engine: SNMP wins while it is recent (see there).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Protocol

from provnet.alerts.engine import Observation
from provnet.alerts.observe import LinkEnd
from provnet.pollers.readings import IcmpReading, OpticReading, optic_port
from provnet.pollers.ssh.types import OpticReading as SshOpticReading


class OpticLike(Protocol):
    """What both optic readings (SNMP :class:`OpticReading`, SSH's) offer."""

    @property
    def name(self) -> str | None:
        """Port name."""
        ...

    @property
    def rx_dbm(self) -> float | None:
        """Received optical power, dBm."""
        ...


def _port(r: OpticLike) -> tuple[str, int | None, str | None]:
    """(entity suffix, ifindex, sensor index) of one reading."""
    ifindex: int | None = getattr(r, "ifindex", None)
    sensor = r.index if isinstance(r, OpticReading) else None
    return optic_port(r.name, ifindex, sensor), ifindex, sensor


class OpticPrecedence:
    """Which optic readings reach the alerts when SNMP and SSH both read a port.

    SNMP over SSH while SNMP is recent: an SSH reading of a port is dropped when the last
    SNMP reading of that port with a received level is at most ``recent_s`` older than it
    (or newer). Otherwise (SNMP never read the port, or stopped: the device no longer
    answers SNMP, its class polls no optics) the SSH reading is used. SNMP readings always
    pass. SNMP is polled every interval, on the same poll as the port's oper status, so its
    level agrees with the link state the incident is built on; SSH comes every few minutes
    and, left in, made one port alternate between two values (flapping, and once an SSH
    level cleared the optic alert of a link still down). ``recent_s``: the live state's
    staleness, ``poller.interval_s * poller.stale_after_intervals``.

    SNMP readings also teach the port's ifindex; an admitted SSH reading of that port gets
    it, so its observation keeps the ``ifindex`` and ``link`` labels. SNMP readings are
    :class:`pollers.readings.OpticReading`; any other reading is taken as SSH's. Not
    thread-safe: call it from the event loop, as the poll and SSH results arrive.
    """

    def __init__(self, recent_s: float) -> None:
        if recent_s < 0:
            raise ValueError("recent_s must be >= 0")
        self.recent_s = recent_s
        #: (device id, port) -> (time of the last SNMP reading with an Rx level, ifindex)
        self._snmp: dict[tuple[int, str], tuple[float, int | None]] = {}

    def admit(self, device_id: int, readings: Iterable[OpticLike], t: float
              ) -> list[OpticLike]:
        """The readings of one device, read at ``t``, that may reach the alert engine."""
        out: list[OpticLike] = []
        for r in readings:
            port, ifindex, _sensor = _port(r)
            key = (device_id, port)
            if isinstance(r, OpticReading):
                if r.rx_dbm is not None:
                    prev = self._snmp.get(key)
                    if prev is None or t >= prev[0]:
                        known = ifindex if ifindex is not None else (prev[1] if prev else None)
                        self._snmp[key] = (t, known)
                out.append(r)
                continue
            seen = self._snmp.get(key)
            if seen is not None and t - seen[0] <= self.recent_s:
                continue  # SNMP read this port recently: it is the truth
            if seen is not None and seen[1] is not None and ifindex is None \
                    and isinstance(r, SshOpticReading):
                r = dataclasses.replace(r, ifindex=seen[1])
            out.append(r)
        return out

    def forget(self, keep: Iterable[int]) -> None:
        """Drop what is known of devices not in ``keep`` (removed from the inventory)."""
        wanted = set(keep)
        for key in [k for k in self._snmp if k[0] not in wanted]:
            del self._snmp[key]


def optic_observations(device_id: int, readings: Iterable[OpticLike], t: float,
                       labels: Mapping[str, str],
                       links: Mapping[int, LinkEnd] | None = None) -> list[Observation]:
    """``optic.rx_dbm`` of every reading with a received level.

    ``links``: the device's ifindex -> link end (an SSH reading carries only the port name,
    so it gets no link label unless :class:`OpticPrecedence` gave it the port's ifindex).
    """
    out: list[Observation] = []
    for r in readings:
        if r.rx_dbm is None:
            continue
        key, ifindex, sensor = _port(r)
        lab = dict(labels)
        if r.name:
            lab["ifname"] = key
        if sensor is not None:
            lab["sensor"] = sensor
        if ifindex is not None:
            lab["ifindex"] = str(ifindex)
            if links and ifindex in links:
                lab["link"] = str(links[ifindex].link_id)
        out.append(Observation(f"optic:{device_id}:{key}", "optic.rx_dbm", float(r.rx_dbm), t,
                               lab))
    return out


def icmp_observations(device_id: int, reading: IcmpReading, t: float,
                      labels: Mapping[str, str]) -> list[Observation]:
    """``icmp.loss_pct`` of a probe and, when any echo came back, ``icmp.rtt_ms`` (average)."""
    ent, lab = f"icmp:{device_id}", dict(labels, address=reading.address)
    out = [Observation(ent, "icmp.loss_pct", float(reading.loss_pct), t, lab)]
    if reading.answered and reading.rtt_avg_ms is not None:
        out.append(Observation(ent, "icmp.rtt_ms", float(reading.rtt_avg_ms), t, lab))
    return out
